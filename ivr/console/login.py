"""Who is signed in: Flask-Login with the session cookie of the console only.

A session is tied to the account's `session_token` (Flask-Login's alternative ids), so changing
a password, a role or disabling an account ends every session made before it; and it ends after
a working day (CONSOLE_SESSION_HOURS) however busy it was.
"""
from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from flask import current_app, flash, session
from flask_login import LoginManager, UserMixin

from ..storage.staff import StaffMember, StaffStore
from ..storage.times import utcnow

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "basic"


class ConsoleUser(UserMixin):
    def __init__(self, member: StaffMember):
        self.member = member
        self.email, self.role = member.email, member.role

    def get_id(self) -> str:
        return f"{self.member.id}:{self.member.session_token}"


@login_manager.user_loader
def load_user(alternative_id: str) -> ConsoleUser | None:
    staff_id, _, token = alternative_id.partition(":")
    if not staff_id.isdigit():
        return None
    member = StaffStore(current_app.extensions["ivr"].db).by_id(int(staff_id))
    if member is None or member.disabled or not hmac.compare_digest(member.session_token, token):
        return None  # the password, the role or the account changed since: signed out
    if _expired():
        session.clear()  # signed out (Flask-Login's logout_user would ask this loader again)
        flash(f"You were signed out after {current_app.config['CONSOLE_SESSION_HOURS']:g} hours. "
              "Please sign in again.")
        return None
    return ConsoleUser(member)


def now() -> datetime:
    return current_app.config.get("CLOCK", utcnow)()


def start_session(user: ConsoleUser) -> None:
    session.clear()  # nothing from before signing in is carried over
    session.permanent = True
    session["signed_in_at"] = now().isoformat()


def _expired() -> bool:
    started = session.get("signed_in_at")
    try:
        began = datetime.fromisoformat(started)
    except (TypeError, ValueError):
        return True
    return now() - began > timedelta(hours=current_app.config["CONSOLE_SESSION_HOURS"])
