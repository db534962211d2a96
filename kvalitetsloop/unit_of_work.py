"""The unit of work: one transaction, its repositories, and an explicit commit.

Entry points (command line, Prefect flows, the web) build one per database and hand it to the use
cases; a use case opens it with `with uow:`, works through its repositories, and calls
`uow.commit()`. Leaving the block without a commit rolls everything back, so a use case that
raises changes nothing. The same object can be entered again for the next transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from storage.db import engine_for
from storage.repositories import (EventRepository, HolidayRepository, LoopRepository, OrganisationRepository,
                                  OutboxRepository, SubmissionRepository)
from storage.repositories_replies import ReplyRepository
from storage.repositories_admin import AdminRepository
from storage.repositories_portal import PortalRepository
from storage.repositories_reports import ReportRepository


class SqlUnitOfWork:
    organisation: OrganisationRepository
    holidays: HolidayRepository
    loops: LoopRepository
    events: EventRepository
    submissions: SubmissionRepository
    outbox: OutboxRepository
    replies: ReplyRepository
    portal: PortalRepository
    reports: ReportRepository
    admins: AdminRepository

    def __init__(self, url: str):
        self.url = url
        self.engine: sa.Engine = engine_for(url)
        self.session: Session | None = None

    def __enter__(self) -> "SqlUnitOfWork":
        if self.session is not None:
            raise RuntimeError("this unit of work is already open")
        self.session = Session(self.engine, expire_on_commit=False)
        self.organisation = OrganisationRepository(self.session)
        self.holidays = HolidayRepository(self.session)
        self.loops = LoopRepository(self.session)
        self.events = EventRepository(self.session)
        self.submissions = SubmissionRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.replies = ReplyRepository(self.session)
        self.portal = PortalRepository(self.session)
        self.reports = ReportRepository(self.session)
        self.admins = AdminRepository(self.session)
        return self

    def __exit__(self, *exc) -> None:
        try:
            # What the use case read stays readable after the block (rollback would expire it);
            # whatever it wrote without a commit is undone.
            self.session.expunge_all()
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
