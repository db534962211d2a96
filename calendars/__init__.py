"""iCalendar for kvalitetsloop: invitations (REQUEST/CANCEL), feeds, the fixed VTIMEZONE, CalDAV.

Public API (pure builders return bytes; only caldav_publish does I/O):

* ``calendars.invitations.request(event, ctx, recipients=None)`` / ``cancel(...)``
* ``calendars.changes.messages_for_change(event, change, ctx) -> list[Invitation]``
* ``calendars.feeds.person_feed(events, email, ctx)`` / ``loop_calendar(events, ctx)``
* ``calendars.caldav_publish.publish(events, url, ctx, user=None, password=None) -> PublishReport``
* ``calendars.context.CalendarContext`` (with ``from_settings``, ``units_from_organisation``, ``loop_info``)
"""
