"""Staff accounts for the console: who may sign in, with which role. Passwords arrive here
already hashed (console/passwords.py); this module never sees one."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .db import Database
from .tables import staff
from .times import as_utc, utc

ROLES = ("admin", "editor", "desk", "viewer")


class StaffError(ValueError):
    """A change to the accounts that cannot be made (the message says why)."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    email: str
    password_hash: str = field(repr=False)
    role: str
    disabled: bool
    session_token: str = field(repr=False)
    created_at: datetime
    password_changed_at: datetime


def normal_email(email: str) -> str:
    return (email or "").strip().lower()


def _member(row) -> StaffMember:
    return StaffMember(row.id, row.email, row.password_hash, row.role, row.disabled, row.session_token,
                       as_utc(row.created_at), as_utc(row.password_changed_at))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)} (got {role!r})")


class StaffStore:
    def __init__(self, db: Database):
        self.db = db

    def add(self, email: str, password_hash: str, role: str, now: datetime) -> StaffMember:
        email = normal_email(email)
        if "@" not in email or len(email) > staff.c.email.type.length or any(c.isspace() for c in email):
            raise StaffError(f"'{email}' is not an email address")
        _check_role(role)
        now = utc(now, "now")
        values = {"email": email, "password_hash": password_hash, "role": role, "disabled": False,
                  "session_token": secrets.token_hex(16), "created_at": now, "password_changed_at": now}
        try:
            with self.db.begin() as conn:
                new_id = conn.execute(insert(staff).values(**values)).inserted_primary_key[0]
        except IntegrityError:
            raise StaffError(f"there is already an account for {email}") from None
        return StaffMember(new_id, **values)

    def by_email(self, email: str) -> StaffMember | None:
        with self.db.begin() as conn:
            row = conn.execute(select(staff).where(staff.c.email == normal_email(email))).first()
        return _member(row) if row else None

    def by_id(self, staff_id: int) -> StaffMember | None:
        with self.db.begin() as conn:
            row = conn.execute(select(staff).where(staff.c.id == staff_id)).first()
        return _member(row) if row else None

    def list(self) -> list[StaffMember]:
        with self.db.begin() as conn:
            return [_member(row) for row in conn.execute(select(staff).order_by(staff.c.email))]

    def count(self) -> int:
        with self.db.begin() as conn:
            return conn.execute(select(func.count()).select_from(staff)).scalar_one()

    def set_role(self, email: str, role: str) -> StaffMember:
        _check_role(role)
        return self._change(email, role=role)

    def set_disabled(self, email: str, disabled: bool) -> StaffMember:
        return self._change(email, disabled=disabled)

    def set_password(self, email: str, password_hash: str, now: datetime) -> StaffMember:
        return self._change(email, password_hash=password_hash, password_changed_at=utc(now, "now"))

    def _change(self, email: str, **values) -> StaffMember:
        """Any change to who someone is or what they may do ends their sessions (a new token)."""
        with self.db.begin() as conn:
            changed = conn.execute(update(staff).where(staff.c.email == normal_email(email))
                                   .values(session_token=secrets.token_hex(16), **values)).rowcount
        if not changed:
            raise StaffError(f"there is no account for {normal_email(email)}")
        return self.by_email(email)
