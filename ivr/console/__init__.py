"""The staff console at /console/: sign in, see and change what the line says, try it, publish
it; accounts and the audit log for admins.

A Flask app of its own, mounted beside the webhooks (`mount`): it has sessions, CSRF, templates
and security headers, the webhooks keep their trimmed request path with no cookie at all. It
calls the same services (flow, storage) as the webhooks.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from ..privacy import keyed_hash
from ..services import EXTENSION, Services
from . import (
    admin,
    auth,
    desk_bookings,
    desk_callbacks,
    desk_outbox,
    desk_slots,
    desk_view,
    drafts_pages,
    figures_pages,
    files_pages,
    home,
    publish_pages,
    trial_pages,
)
from .accounts import StaffAccounts
from .login import login_manager
from .roles import can
from .security import secure_headers

PATH = "/console"
SESSION_HOURS = 10  # a working day


def create_console(svc: Services, config: dict, make_app: Callable[[dict], Flask]) -> Flask:
    """The console for these services. `make_app`: the line's app factory, for the practice copies
    of the line that trials run on (the console sits below the app, which hands it in)."""
    console = Flask(__name__)
    console.config.update(config)
    production = config["IVR_ENV"] == "production"
    hours = float(config.get("CONSOLE_SESSION_HOURS") or SESSION_HOURS)
    console.config.update(
        # Its own key, derived from SECRET_KEY: a session cookie never signs with the key of the hashes.
        SECRET_KEY=keyed_hash("console-session", config["SECRET_KEY"]),
        SESSION_COOKIE_NAME="ivr_console", SESSION_COOKIE_PATH=PATH, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours), CONSOLE_SESSION_HOURS=hours,
        WTF_CSRF_TIME_LIMIT=int(hours * 3600),  # a form may stay open as long as the session
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # a flow file edited in the browser
    )
    console.extensions[EXTENSION] = svc
    console.extensions["console.accounts"] = StaffAccounts(svc.db, config["SECRET_KEY"])
    console.extensions["console.make_app"] = make_app
    CSRFProtect(console)
    login_manager.init_app(console)
    for blueprint in (auth.bp, home.bp, drafts_pages.bp, files_pages.bp, publish_pages.bp, trial_pages.bp,
                      admin.bp, desk_bookings.bp, desk_slots.bp, desk_callbacks.bp, desk_outbox.bp, figures_pages.bp):
        console.register_blueprint(blueprint)
    console.after_request(secure_headers)
    console.jinja_env.globals["can"] = can
    desk_view.install(console)
    proxies = int(config.get("TRUSTED_PROXIES") or 0)
    if proxies:  # the client's address as the trusted proxies report it
        console.wsgi_app = ProxyFix(console.wsgi_app, x_for=proxies, x_proto=proxies)
    for status, title in ((403, "Not allowed"), (404, "Not found")):
        console.register_error_handler(status, _error_page(status, title))
    console.register_error_handler(CSRFError, _stale_form)
    return console


def mount(app: Flask, console: Flask) -> None:
    """Serve the console under /console of the webhook app's server."""
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {PATH: console})
    app.extensions["console"] = console


def warn_without_accounts(app: Flask) -> None:
    """In production, with no account yet, the log says how to make the first one."""
    accounts = app.extensions["console"].extensions["console.accounts"]
    if app.config["IVR_ENV"] == "production" and accounts.staff.count() == 0:
        app.logger.warning("the staff console has no account yet: make the first admin with "
                           "`ivr staff add EMAIL --role admin`, then sign in at %s/", PATH)


def _error_page(status: int, title: str):
    def handler(_error):
        return render_template("console/error.html", status=status, title=title), status

    return handler


def _stale_form(_error: CSRFError):
    return render_template("console/error.html", status=400, title="Please try again",
                           detail="This form was open too long, or it did not come from this console. "
                                  "Go back, reload the page and try again."), 400
