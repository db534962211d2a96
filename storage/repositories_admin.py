"""The administrators' accounts."""

from __future__ import annotations

from sqlmodel import Session

from storage.models_admin import AdminUserRow


class AdminRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, username: str) -> AdminUserRow | None:
        return self.session.get(AdminUserRow, username)

    def save(self, row: AdminUserRow) -> None:
        self.session.add(row)
