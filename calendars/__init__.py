"""iCalendar for kvalitetsloop: invitations (REQUEST/CANCEL), feeds, the fixed VTIMEZONE, CalDAV.

Public API (pure builders return bytes; only caldav_publish does I/O):

* ``calendars.invitations.request(event, ctx, recipients=None)`` / ``cancel(...)``
* ``calendars.changes.messages_for_change(event, change, ctx) -> list[Invitation]``
* ``calendars.feeds.person_feed(events, email, ctx)`` / ``loop_calendar(events, ctx)``
* ``calendars.feeds.person_feed_of_loops([(events, ctx), ...], email, now=None)``: one person over
  several loops, each event described with its own loop's context
* ``calendars.caldav_publish.publish(events, url, ctx, user=None, password=None) -> PublishReport``
* ``calendars.context.CalendarContext`` (with ``from_settings``, ``units_from_organisation``, ``loop_info``);
  ``loop_info(..., framework)`` fills ``LoopInfo`` (counts, the framework's words, which talks
  have board statements, board and youth input) so the texts follow the loop's framework
"""
