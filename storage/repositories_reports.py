"""What the reports and the administration pages read: a loop's submissions with their forms, and
the tallies a national loop is shown from (per phase, per unit and kind, per week, per person),
counted by the database instead of loading the loop's tens of thousands of events.

No rules live here: which event kind a submission answers (`deadlines`: event kind -> submission
kind), which roles are shown on their own and where weeks and months begin (`bounds`: aware
datetimes, in order) are given by the caller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import UTCDateTime, AttendeeRow, EventRow, PersonRow, UnitRoleRow, UnitRow
from storage.models_notifications import SubmissionRow
from storage.models_portal import SubmissionFormRow
from storage.repository import _seconds

E, A = EventRow.__table__, AttendeeRow.__table__
U, R, P, S = UnitRow.__table__, UnitRoleRow.__table__, PersonRow.__table__, SubmissionRow.__table__


def _utc(expr, name: str):
    """An aggregate of a datetime column typed again as one (SQLite hands back text)."""
    return sa.type_coerce(expr, UTCDateTime()).label(name)


def _chief_of(units):
    """`units` (a from-clause with the unit table) with each unit's first chief and their name:
    columns chief_email, chief_name."""
    role = R.alias("chief_role")
    joined = (units.outerjoin(role, sa.and_(role.c.unit_id == U.c.id, role.c.role == "chief", role.c.position == 0))
              .outerjoin(P, P.c.email == role.c.email))
    return joined, role.c.email.label("chief_email"), P.c.name.label("chief_name")


def bucket(column, bounds: Sequence[dt.datetime]):
    """The index i of the span bounds[i] <= column < bounds[i+1] (NULL outside), as a balanced
    CASE tree: a handful of comparisons per row whatever the number of spans. Spans given as
    instants keep local weeks and months exact across summer time on every database."""
    def tree(lo: int, hi: int):
        if hi - lo == 1:
            return sa.literal_column(str(lo))
        mid = (lo + hi) // 2
        return sa.case((column < bounds[mid], tree(lo, mid)), else_=tree(mid, hi))

    return sa.case((sa.or_(column < bounds[0], column >= bounds[-1]), sa.null()), else_=tree(0, len(bounds) - 1))


class ReportRepository:
    def __init__(self, session: Session):
        self.session = session

    def submissions(self, loop_id: str) -> list[tuple]:
        """Every submission of the loop, oldest first, each with its web form (or None) as plain
        rows: (id, event_uid, kind, unit_id, number, submitted_at, by, content, url, form)."""
        F = SubmissionFormRow.__table__.c
        q = (sa.select(S.c.id, S.c.event_uid, S.c.kind, S.c.unit_id, S.c.number, S.c.submitted_at, S.c.by,
                       S.c.content, S.c.url, F.form)
             .select_from(S.outerjoin(SubmissionFormRow.__table__, F.submission_id == S.c.id))
             .where(S.c.loop_id == loop_id).order_by(S.c.submitted_at, S.c.id))
        return list(self.session.execute(q))

    def submissions_of_events(self, loop_id: str, event_uids: list[str]) -> list[tuple]:
        """The same for a few events only (one unit's)."""
        F = SubmissionFormRow.__table__.c
        out = []
        for i in range(0, len(event_uids), 1000):
            q = (sa.select(S.c.id, S.c.event_uid, S.c.kind, S.c.unit_id, S.c.number, S.c.submitted_at, S.c.by,
                           S.c.content, S.c.url, F.form)
                 .select_from(S.outerjoin(SubmissionFormRow.__table__, F.submission_id == S.c.id))
                 .where(S.c.loop_id == loop_id, S.c.event_uid.in_(event_uids[i:i + 1000])))
            out += self.session.execute(q)
        return sorted(out, key=lambda r: (r.submitted_at, r.id))

    # -- the loop's units -------------------------------------------------------------------

    def units(self, loop_id: str, unit_ids: list[str] | None = None, chief: str | None = None) -> list:
        """The stored units with an event in the loop (of `unit_ids`, or whose first chief is
        `chief`), by id: (id, name, sector, chief_email, chief_name)."""
        joined, chief_email, chief_name = _chief_of(U)
        q = (sa.select(U.c.id, U.c.name, U.c.sector, chief_email, chief_name).select_from(joined)
             .where(U.c.id.in_(sa.select(E.c.unit_id).where(E.c.loop_id == loop_id, E.c.unit_id.is_not(None))
                               .distinct()))
             .order_by(U.c.id))
        if unit_ids is not None:
            q = q.where(U.c.id.in_(unit_ids))
        if chief is not None:
            q = q.where(chief_email == chief)
        return list(self.session.execute(q))

    def units_outside(self, loop_id: str, sectors: Sequence[str], now: dt.datetime) -> list:
        """The stored units of `sectors` that take no part in the loop: no live event of it not over
        by `now`, and either no live learning talk at all (new) or a cancelled one ahead (removed,
        then restored): (id, name, sector), by id. A unit whose loop lies behind it is in the loop;
        so is one with a talk cancelled by hand, which still has its other events ahead."""
        def of_loop(*where):
            return sa.select(E.c.unit_id).where(E.c.loop_id == loop_id, E.c.unit_id.is_not(None), *where)
        live, talk = E.c.status != "cancelled", E.c.kind == "learning_talk"
        return list(self.session.execute(
            sa.select(U.c.id, U.c.name, U.c.sector)
            .where(U.c.sector.in_(list(sectors)), U.c.id.not_in(of_loop(live, E.c.end > now)),
                   sa.or_(U.c.id.not_in(of_loop(live, talk)),
                          U.c.id.in_(of_loop(talk, E.c.status == "cancelled", E.c.start > now))))
            .order_by(U.c.id)))

    # -- what is done, due and overdue ------------------------------------------------------

    def _done(self, loop_id: str, now: dt.datetime, deadlines: Mapping[str, str]):
        """(the outer join that finds an event's submission by `now`, whether it was found)."""
        got = (sa.select(S.c.event_uid, S.c.kind).where(S.c.loop_id == loop_id, S.c.submitted_at <= now)
               .group_by(S.c.event_uid, S.c.kind).subquery("got"))
        wanted = sa.case(*((E.c.kind == ek, sa.literal(sk, sa.String)) for ek, sk in deadlines.items()),
                         else_=sa.null())
        return got, sa.and_(got.c.event_uid == E.c.uid, got.c.kind == wanted), got.c.event_uid.is_not(None)

    def phase_tallies(self, loop_id: str, now: dt.datetime, deadlines: Mapping[str, str]) -> list:
        """Over the loop's live events, per kind, talk 1 or later, with or without a unit, ended
        by `now` or not, and its submission in or not: (kind, first, has_unit, past, done, n,
        first_start, last_start)."""
        got, on, done = self._done(loop_id, now, deadlines)
        first = (sa.func.coalesce(E.c.number, 1) == 1).label("first")
        has_unit = E.c.unit_id.is_not(None).label("has_unit")
        past = (E.c.end <= now).label("past")
        done = done.label("done")
        q = (sa.select(E.c.kind, first, has_unit, past, done, sa.func.count().label("n"),
                       _utc(sa.func.min(E.c.start), "first_start"), _utc(sa.func.max(E.c.start), "last_start"))
             .select_from(E.outerjoin(got, on))
             .where(E.c.loop_id == loop_id, E.c.status != "cancelled")
             .group_by(E.c.kind, first, has_unit, past, done))
        return list(self.session.execute(q))

    def unit_tallies(self, loop_id: str, now: dt.datetime, deadlines: Mapping[str, str],
                     window: tuple[dt.datetime, dt.datetime], unit_ids: list[str] | None = None) -> list:
        """Per stored unit and kind, over the loop's live events: (unit_id, kind, n, ended, done,
        ended_or_done, overdue, oldest_overdue, ended_in_window) — overdue: a deadline ended
        without its submission; the window: starts in [window[0], window[1])."""
        got, on, done = self._done(loop_id, now, deadlines)
        ended = E.c.end <= now
        overdue = sa.and_(ended, sa.not_(done), E.c.kind.in_(list(deadlines)))
        as_int = lambda cond: sa.func.sum(sa.case((cond, 1), else_=0))  # noqa: E731
        q = (sa.select(E.c.unit_id, E.c.kind, sa.func.count().label("n"), as_int(ended).label("ended"),
                       as_int(done).label("done"), as_int(sa.or_(ended, done)).label("ended_or_done"),
                       as_int(overdue).label("overdue"),
                       _utc(sa.func.min(sa.case((overdue, E.c.start), else_=sa.null())), "oldest_overdue"),
                       as_int(sa.and_(ended, E.c.start >= window[0], E.c.start < window[1])).label("ended_in_window"))
             .select_from(E.join(U, U.c.id == E.c.unit_id).outerjoin(got, on))
             .where(E.c.loop_id == loop_id, E.c.status != "cancelled")
             .group_by(E.c.unit_id, E.c.kind))
        if unit_ids is not None:
            q = q.where(E.c.unit_id.in_(unit_ids))
        return list(self.session.execute(q))

    def overdue(self, loop_id: str, now: dt.datetime, deadlines: Mapping[str, str],
                unit_ids: list[str] | None = None, limit: int | None = None) -> tuple[list, int]:
        """The stored units' live deadlines ended by `now` without their submission, the oldest
        first (by start, unit, title), at most `limit` (and every one that starts less than a day
        after the last, so a caller ordering by local day cuts the list itself); and how many
        there are in all. Rows: (unit_id, title, start, uid, unit_name, chief_email, chief_name)."""
        got, on, done = self._done(loop_id, now, deadlines)
        where = sa.and_(E.c.loop_id == loop_id, E.c.status != "cancelled", E.c.kind.in_(list(deadlines)),
                        E.c.end <= now, sa.not_(done))
        if unit_ids is not None:
            where = sa.and_(where, E.c.unit_id.in_(unit_ids))
        joined = E.join(U, U.c.id == E.c.unit_id).outerjoin(got, on)
        total = self.session.execute(sa.select(sa.func.count()).select_from(joined).where(where)).scalar_one()
        if limit == 0 or not total:
            return [], total
        with_chief, chief_email, chief_name = _chief_of(joined)
        q = (sa.select(E.c.unit_id, E.c.title, _utc(E.c.start, "start"), E.c.uid, U.c.name.label("unit_name"),
                       chief_email, chief_name)
             .select_from(with_chief).where(where).order_by(E.c.start, E.c.unit_id, E.c.title))
        if limit is None or total <= limit:
            return list(self.session.execute(q)), total
        rows = list(self.session.execute(q.limit(limit)))
        # Ties at the cut (the same day, another order): every row up to a day past the last.
        more = self.session.execute(q.where(E.c.start >= rows[-1].start,
                                            E.c.start < rows[-1].start + dt.timedelta(days=1)))
        seen = {r.uid for r in rows}
        return rows + [r for r in more if r.uid not in seen], total

    def live_of_kind(self, loop_id: str, kind: str, now: dt.datetime) -> list:
        """The loop's live events of one kind as (unit_id, number, ended by `now`)."""
        return list(self.session.execute(
            sa.select(E.c.unit_id, E.c.number, (E.c.end <= now).label("ended"))
            .where(E.c.loop_id == loop_id, E.c.kind == kind, E.c.status != "cancelled")))

    # -- counts per span ----------------------------------------------------------------------

    def kind_counts(self, loop_id: str, bounds: Sequence[dt.datetime], kinds: Sequence[str],
                    unit_ids: list[str] | None = None) -> list:
        """Live events of `kinds` per kind and span of `bounds` (see `bucket`): (kind, span, n)."""
        span = bucket(E.c.start, bounds).label("span")
        q = (sa.select(E.c.kind, span, sa.func.count().label("n"))
             .where(E.c.loop_id == loop_id, E.c.status != "cancelled", E.c.kind.in_(list(kinds)),
                    E.c.start >= bounds[0], E.c.start < bounds[-1])
             .group_by(E.c.kind, span))
        if unit_ids is not None:
            q = q.where(E.c.unit_id.in_(unit_ids))
        return list(self.session.execute(q))

    def span_of(self, loop_id: str, kinds: Sequence[str]) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The first and last start of the loop's live events of `kinds`."""
        row = self.session.execute(
            sa.select(_utc(sa.func.min(E.c.start), "first"), _utc(sa.func.max(E.c.start), "last"))
            .where(E.c.loop_id == loop_id, E.c.status != "cancelled", E.c.kind.in_(list(kinds)))).one()
        return row.first, row.last

    # -- meeting hours --------------------------------------------------------------------------

    def meeting_hours(self, loop_id: str, kinds: Sequence[str], roles: Sequence[str], others: str,
                      months: Sequence[dt.datetime], weeks: Sequence[dt.datetime], detail_of: str,
                      busiest: int) -> list:
        """Hours in the loop's live meetings of `kinds`, summed by the database as seconds, per
        role (those in `roles`, every other as `others`; a person is known by their lower-case
        email), as rows (part, role, email, name, kind, span, seconds, persons, most) of four parts:
        "kind": the role's seconds in meetings of one kind; "role": its seconds in all, how many
        persons and the most one person has; "person": a person of the role `detail_of`, their
        seconds in meetings of one kind; "week": their `busiest` spans of `weeks`, the most hours
        first (the earliest first among equals); "month": the role's seconds in a span of `months`.
        One statement: the attendance is read once."""
        # Each meeting's length and spans worked out once, not once per attendee.
        meeting = (sa.select(E.c.id, E.c.kind, _seconds(self.session, E.c.start, E.c.end).label("seconds"),
                             bucket(E.c.start, months).label("month"), bucket(E.c.start, weeks).label("week"))
                   .where(E.c.loop_id == loop_id, E.c.status != "cancelled", E.c.kind.in_(list(kinds)))
                   .cte("meeting").prefix_with("MATERIALIZED"))
        m = meeting.c
        att = (sa.select(sa.case((A.c.role.in_(list(roles)), A.c.role), else_=sa.literal(others, sa.String))
                         .label("role"), sa.func.lower(A.c.email).label("email"), A.c.name, m.kind, m.seconds,
                         m.month, m.week)
               .select_from(meeting.join(A, sa.and_(A.c.event_id == m.id, A.c.active.is_(True))))
               .cte("att").prefix_with("MATERIALIZED"))
        a = att.c
        person = (sa.select(a.role, a.email, sa.func.max(a.name).label("name"), a.kind,
                            sa.func.sum(a.seconds).label("seconds"))
                  .group_by(a.role, a.email, a.kind).cte("person").prefix_with("MATERIALIZED"))
        p = person.c
        total = (sa.select(p.role, p.email, sa.func.sum(p.seconds).label("seconds")).group_by(p.role, p.email)
                 .subquery("total"))
        weekly = (sa.select(a.email, a.week.label("span"), sa.func.sum(a.seconds).label("seconds"))
                  .where(a.role == detail_of).group_by(a.email, a.week).subquery("weekly"))
        w = weekly.c
        ranked = sa.select(w.email, w.span, w.seconds, sa.func.row_number().over(
            partition_by=w.email, order_by=(w.seconds.desc(), w.span)).label("rank")).subquery("ranked")
        names = ("part", "role", "email", "name", "kind", "span", "seconds", "persons", "most")

        types = {"email": sa.String, "name": sa.String, "kind": sa.String, "span": sa.Integer, "persons": sa.Integer,
                 "most": sa.Float}

        def part(label: str, **cols):
            # Every part has every column, labelled, a typed NULL where it has none (PostgreSQL
            # matches a union's columns by type).
            return sa.select(sa.literal(label, sa.String).label("part"),
                             *((cols[n] if n in cols else sa.cast(sa.null(), types[n])).label(n) for n in names[1:]))

        parts = [
            part("kind", role=p.role, kind=p.kind, seconds=sa.func.sum(p.seconds)).group_by(p.role, p.kind),
            part("role", role=total.c.role, seconds=sa.func.sum(total.c.seconds), persons=sa.func.count(),
                 most=sa.func.max(total.c.seconds)).group_by(total.c.role),
            part("person", role=p.role, email=p.email, name=p.name, kind=p.kind, seconds=p.seconds)
            .where(p.role == detail_of),
            part("week", role=sa.literal(detail_of, sa.String), email=ranked.c.email, span=ranked.c.span,
                 seconds=ranked.c.seconds).where(ranked.c.rank <= busiest),
            part("month", role=a.role, span=a.month, seconds=sa.func.sum(a.seconds)).group_by(a.role, a.month),
        ]
        return list(self.session.execute(sa.union_all(*parts)))
