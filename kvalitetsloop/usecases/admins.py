"""Use cases of the administrators' accounts: add one (or set a new password), check a login.

Passwords are hashed with argon2id (argon2-cffi, its RFC 9106 low-memory profile); only the hash
is stored. A login for an unknown name costs as much as one with a wrong password, so the time
does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
import re

from kvalitetsloop.errors import UserError
from storage.models_admin import AdminUserRow

MIN_PASSWORD = 12
_NAME = re.compile(r"^[A-Za-z0-9._@+-]{2,254}$")
_hasher = None
_dummy_hash: str | None = None


def _ph():
    global _hasher, _dummy_hash
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher()
        _dummy_hash = _hasher.hash("not a password anyone has")
    return _hasher


def add_user(uow, username: str, password: str, now: dt.datetime, replace: bool = False) -> bool:
    """Store an administrator; True if new. An existing name is refused unless `replace`."""
    username = username.strip().lower()
    if not _NAME.fullmatch(username):
        raise UserError(f"the user name '{username}' may hold letters, digits and . _ @ + - (2-254 characters)")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters long")
    digest = _ph().hash(password)
    with uow:
        row = uow.admins.get(username)
        if row is not None and not replace:
            raise UserError(f"the user '{username}' exists already (pass --replace to set a new password)")
        new = row is None
        row = row or AdminUserRow(username=username, password_hash=digest, created_at=now)
        row.password_hash = digest
        uow.admins.save(row)
        uow.commit()
    return new


def check_login(uow, username: str, password: str) -> str | None:
    """The user's name if the password is theirs, else None."""
    from argon2.exceptions import InvalidHashError, VerificationError

    name = (username or "").strip().lower()
    with uow:
        row = uow.admins.get(name) if _NAME.fullmatch(name) else None
        stored = row.password_hash if row else None
    ph = _ph()
    try:
        ph.verify(stored or _dummy_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    return name if stored else None
