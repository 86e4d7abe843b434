"""Signing in and out of the console."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from .accounts import SigninRefused, StaffAccounts
from .login import ConsoleUser, now, start_session
from .roles import can

bp = Blueprint("auth", __name__)


def accounts() -> StaffAccounts:
    return current_app.extensions["console.accounts"]


def client_address() -> str:
    return request.remote_addr or ""


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(landing())
    error, email = None, ""
    if request.method == "POST":
        email, password = request.form.get("email", "")[:254], request.form.get("password", "")
        try:
            member = accounts().sign_in(email, password, client_address(), now())
        except SigninRefused as refused:
            error = _refusal(refused)
        else:
            user = ConsoleUser(member)
            start_session(user)
            login_user(user)
            return redirect(_next_page())
    status = 200 if error is None else (429 if "Too many" in error else 401)
    return render_template("console/sign_in.html", error=error, email=email), status


def _refusal(refused: SigninRefused) -> str:
    if refused.reason == "throttled":
        minutes = max(1, round((refused.until - now()).total_seconds() / 60 + 0.49))
        return (f"Too many sign-in attempts. Please wait {minutes} minute{'s' if minutes != 1 else ''} "
                "and try again, or ask an admin to reset your password.")
    if refused.reason == "disabled":
        return "This account is turned off. Ask an admin to turn it back on."
    return "That email and password do not match an account. Check both and try again."


def _next_page() -> str:
    """Back to the page that asked for a sign-in, if it is one of ours."""
    target, root = request.args.get("next", ""), request.script_root
    if target.startswith(root + "/") and not target.startswith("//") and "\\" not in target and ":" not in target:
        return target
    return landing()


def landing() -> str:
    """Where a signed-in member starts: the line, or for the front desk its bookings."""
    return url_for("home.overview") if can(current_user, "view_flows") else url_for("desk_bookings.index")


@bp.post("/sign-out")
def sign_out():
    if current_user.is_authenticated:
        accounts().audit.record(current_user.email, "signout", now(), "", None, client_address())
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))
