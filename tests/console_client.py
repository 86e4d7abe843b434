"""A browser-less staff member for the console: keeps the session cookie, reads each form's
CSRF token from the page as a browser would, and posts it back."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import cache

from ivr.console import passwords
from ivr.console.accounts import StaffAccounts

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
NOW = datetime(2030, 6, 3, 13, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime = NOW):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def accounts(app) -> StaffAccounts:
    return app.extensions["console"].extensions["console.accounts"]


@cache
def _hashed(password: str) -> str:
    return passwords.hash_password(password)  # a real argon2id hash, made once per test session


def make_staff(app, email: str, role: str, password: str = PASSWORD):
    """An account, as `ivr staff add` makes one (the hash made once: it costs a fifth of a second)."""
    now = app.config.get("CLOCK", lambda: NOW)()
    member = accounts(app).staff.add(email, _hashed(password), role, now)
    accounts(app).audit.record("test", "staff.add", now, member.email, {"role": role})
    return member


class StaffBrowser:
    def __init__(self, app):
        self.client = app.test_client()

    def token(self, page: str = "/console/sign-in") -> str:
        found = TOKEN.search(self.client.get(page).get_data(as_text=True))
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def sign_in(self, email: str, password: str = PASSWORD, address: str = "203.0.113.9"):
        return self.client.post("/console/sign-in", data={"email": email, "password": password,
                                                          "csrf_token": self.token()},
                                environ_base={"REMOTE_ADDR": address})

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, data: dict | None = None, token_from: str = "/console/"):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token(token_from)})
