"""The administration's reports: read models built from one loop's facts (kvalitetsloop.reports.facts)
and rendered as HTML, CSV or PDF (kvalitetsloop.reports.render). Every report is a `Report` of
sections, each a table or a few texts, so the three formats and the portal's pages share one shape."""
