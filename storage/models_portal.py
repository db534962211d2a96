"""The tables of the web portal (portal/): what a form carried beyond the submission row, the
files attached to it, and the personal links of calendar feeds.

A submission made on the web is a `submission` row (so reminders stop exactly as for one
recorded from the command line) plus a `submission_form` row: which link made it (the
capability's hash), the form's fields as JSON, and the PDF if one was attached. Every post is a
new pair: an amendment keeps the earlier ones as versions.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.models import UTCDateTime


class SubmissionFormRow(SQLModel, table=True):
    __tablename__ = "submission_form"
    submission_id: int = Field(primary_key=True, foreign_key="submission.id")
    # The hash of the link (capability) that made it: who, without keeping the token.
    capability_hash: str | None = Field(default=None, max_length=64, index=True)
    form: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attachment_name: str | None = Field(default=None, max_length=200)
    attachment: bytes | None = Field(default=None, sa_column=Column(sa.LargeBinary, nullable=True))


class FeedLinkRow(SQLModel, table=True):
    """A person's calendar-feed link; only the token's hash is kept."""

    __tablename__ = "feed_link"
    token_hash: str = Field(primary_key=True, max_length=64)
    email: str = Field(max_length=254, index=True)
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
