"""Staff accounts as the console and `ivr staff` use them: making and changing accounts (each
change in the audit log), and signing in, throttled per account and per address in the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..privacy import keyed_hash
from ..storage.audit import AuditLog
from ..storage.db import Database
from ..storage.signin_throttle import SigninThrottle
from ..storage.staff import StaffError, StaffMember, StaffStore, normal_email
from . import passwords

THROTTLE_WINDOW = timedelta(minutes=15)
LIMITS = {"account": 5, "address": 20}  # failed sign-ins in a window, then refused until it ends


@dataclass
class SigninRefused(Exception):
    """Why a sign-in was refused: 'wrong' (unknown account or wrong password: one message for
    both), 'disabled', or 'throttled' (until when)."""

    reason: str
    until: datetime | None = None


class StaffAccounts:
    def __init__(self, db: Database, secret: str):
        self.staff = StaffStore(db)
        self.audit = AuditLog(db)
        self.throttle = SigninThrottle(db, THROTTLE_WINDOW)
        self._secret = secret

    # ---- changes (each one audited) ---------------------------------------------------------

    def add(self, email: str, password: str, role: str, actor: str, now: datetime, address: str = "") -> StaffMember:
        passwords.check_strength(password, normal_email(email))
        member = self.staff.add(email, passwords.hash_password(password), role, now)
        self.audit.record(actor, "staff.add", now, member.email, {"role": role}, address)
        return member

    def set_role(self, email: str, role: str, actor: str, now: datetime, address: str = "") -> StaffMember:
        before = self._existing(email)
        member = self.staff.set_role(email, role)
        self.audit.record(actor, "staff.set_role", now, member.email, {"from": before.role, "to": role}, address)
        return member

    def set_disabled(self, email: str, disabled: bool, actor: str, now: datetime, address: str = "") -> StaffMember:
        member = self.staff.set_disabled(email, disabled)
        self.audit.record(actor, "staff.disable" if disabled else "staff.enable", now, member.email, None, address)
        return member

    def reset_password(self, email: str, password: str, actor: str, now: datetime, address: str = "") -> StaffMember:
        passwords.check_strength(password, normal_email(email))
        member = self.staff.set_password(email, passwords.hash_password(password), now)
        self.audit.record(actor, "staff.reset_password", now, member.email, None, address)
        return member

    def _existing(self, email: str) -> StaffMember:
        member = self.staff.by_email(email)
        if member is None:
            raise StaffError(f"there is no account for {normal_email(email)}")
        return member

    # ---- signing in ---------------------------------------------------------------------------

    def sign_in(self, email: str, password: str, address: str, now: datetime) -> StaffMember:
        """The account, or SigninRefused. Unknown accounts cost a full password check too."""
        email = normal_email(email)
        keys = [f"account:{keyed_hash(email, self._secret)[:40]}", f"address:{keyed_hash(address, self._secret)[:40]}"]
        until = self.throttle.blocked_until(keys, LIMITS, now)
        if until is not None:
            raise SigninRefused("throttled", until)
        member = self.staff.by_email(email)
        if not passwords.verify(member.password_hash if member else None, password):
            self.throttle.failed(keys, now)
            self.audit.record(email[:254] or "-", "signin.failed", now, "", None, address)
            raise SigninRefused("wrong")
        if member.disabled:
            raise SigninRefused("disabled")
        self.throttle.succeeded(keys[0])
        if passwords.needs_rehash(member.password_hash):
            member = self.staff.set_password(email, passwords.hash_password(password), member.password_changed_at)
        self.audit.record(member.email, "signin", now, "", None, address)
        return member
