"""The administrators who may open the administration pages (portal /admin): only an argon2 hash
of each password is kept."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Column, Field, SQLModel

from storage.models import UTCDateTime


class AdminUserRow(SQLModel, table=True):
    __tablename__ = "admin_user"
    username: str = Field(primary_key=True, max_length=254)
    password_hash: str = Field(max_length=256)
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
