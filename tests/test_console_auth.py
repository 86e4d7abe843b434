"""The console's accounts and security, as a careful reviewer would probe them: hashing, one cost
for known and unknown accounts, throttling held in the database, the session cookie and when it
ends, CSRF, security headers, every route checked against every role, the audit log, and the
webhooks untouched by any of it."""
from __future__ import annotations

import re

import pytest
from flask import Flask

from ivr.app import create_app
from ivr.console import passwords
from ivr.console.accounts import LIMITS
from ivr.console.roles import PERMISSIONS
from ivr.simulate.phone import Phone, Signer, Texter
from ivr.storage.staff import ROLES

from conftest import AUTH_TOKEN, make_config
from console_client import PASSWORD, Clock, StaffBrowser, accounts, make_staff

EMAILS = {role: f"{role}@clinic.example" for role in ROLES}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, clock):
    app = create_app(make_config(tmp_path, CLOCK=clock))
    app.extensions["console"].config["CLOCK"] = clock
    for role, email in EMAILS.items():
        make_staff(app, email, role)
    return app


@pytest.fixture
def browser(app):
    return StaffBrowser(app)


# ---- passwords and signing in -----------------------------------------------------------------------

def test_passwords_are_stored_as_argon2id_hashes(app):
    member = accounts(app).staff.by_email(EMAILS["editor"])
    assert member.password_hash.startswith("$argon2id$") and PASSWORD not in member.password_hash
    assert passwords.verify(member.password_hash, PASSWORD) and not passwords.verify(member.password_hash, "nope")


def test_a_good_sign_in_reaches_the_line_and_a_bad_one_says_the_same_for_any_reason(app, browser):
    unknown = browser.sign_in("nobody@clinic.example")
    wrong = browser.sign_in(EMAILS["editor"], "not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    message = "That email and password do not match an account"
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)
    good = browser.sign_in(EMAILS["editor"].upper())  # emails are not case-sensitive
    assert good.status_code == 302 and good.headers["Location"].endswith("/console/")
    assert "The line as callers meet it" in browser.get("/console/").get_data(as_text=True)


def test_an_unknown_account_costs_one_full_password_check_like_a_known_one(app, browser, monkeypatch):
    checked, real = [], passwords._hasher

    class Counting:  # the real hasher, noting each hash it checks a password against
        def verify(self, password_hash, password):
            checked.append(password_hash)
            return real.verify(password_hash, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    browser.sign_in("nobody@clinic.example", "a guess of a password")
    browser.sign_in(EMAILS["viewer"], "a guess of a password")
    assert len(checked) == 2
    stand_in, real = checked
    assert stand_in.split("$")[:4] == real.split("$")[:4]  # the same algorithm and parameters: the same work


def test_too_many_failures_for_one_account_are_refused_even_with_the_right_password(app, browser, clock):
    for _ in range(LIMITS["account"]):
        assert browser.sign_in(EMAILS["editor"], "wrong password here").status_code == 401
    refused = browser.sign_in(EMAILS["editor"])
    assert refused.status_code == 429
    assert "Too many sign-in attempts. Please wait 15 minutes" in refused.get_data(as_text=True)
    assert browser.sign_in(EMAILS["viewer"]).status_code == 302  # another account is not held up
    clock.advance(minutes=16)
    assert StaffBrowser(app).sign_in(EMAILS["editor"]).status_code == 302


def test_the_throttle_is_counted_in_the_database_so_it_holds_across_servers(tmp_path, app, clock):
    other = create_app(make_config(tmp_path, CLOCK=clock))  # a second server on the same database
    other.extensions["console"].config["CLOCK"] = clock
    for n in range(LIMITS["account"]):
        server = app if n % 2 else other
        StaffBrowser(server).sign_in(EMAILS["desk"], "wrong password here")
    assert StaffBrowser(app).sign_in(EMAILS["desk"]).status_code == 429
    assert StaffBrowser(other).sign_in(EMAILS["desk"]).status_code == 429


def test_one_address_guessing_many_accounts_is_refused(app, browser):
    for n in range(LIMITS["address"]):
        browser.sign_in(f"guess{n}@clinic.example", "wrong password here", address="198.51.100.7")
    assert browser.sign_in(EMAILS["admin"], address="198.51.100.7").status_code == 429
    assert StaffBrowser(app).sign_in(EMAILS["admin"], address="198.51.100.8").status_code == 302


def test_a_turned_off_account_cannot_sign_in(app, browser):
    accounts(app).set_disabled(EMAILS["viewer"], True, "test", app.config["CLOCK"]())
    refused = browser.sign_in(EMAILS["viewer"])
    assert refused.status_code == 401 and "This account is turned off" in refused.get_data(as_text=True)


# ---- the session --------------------------------------------------------------------------------------

def _cookie_header(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("ivr_console=")]
    return header


def test_the_session_cookie_is_httponly_lax_and_kept_to_the_console(browser):
    header = _cookie_header(browser.sign_in(EMAILS["editor"]))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/console" in header
    assert "Secure" not in header  # development and tests run on plain http


def test_in_production_the_session_cookie_is_secure(tmp_path):
    app = create_app(make_config(tmp_path, IVR_ENV="production", SECRET_KEY="k" * 40,
                                 PUBLIC_BASE_URL="https://ivr.clinic.example"))
    make_staff(app, EMAILS["admin"], "admin")
    assert "; Secure" in _cookie_header(StaffBrowser(app).sign_in(EMAILS["admin"]))


def test_a_session_ends_after_a_working_day(app, browser, clock):
    browser.sign_in(EMAILS["editor"])
    clock.advance(hours=9, minutes=59)
    assert browser.get("/console/").status_code == 200
    clock.advance(minutes=2)
    ended = browser.get("/console/")
    assert ended.status_code == 302 and "/console/sign-in" in ended.headers["Location"]


@pytest.mark.parametrize("change", [
    lambda a, now: a.reset_password(EMAILS["editor"], "another long password", "test", now),
    lambda a, now: a.set_role(EMAILS["editor"], "viewer", "test", now),
    lambda a, now: a.set_disabled(EMAILS["editor"], True, "test", now),
])
def test_a_session_ends_at_once_on_a_password_role_or_account_change(app, browser, change):
    browser.sign_in(EMAILS["editor"])
    assert browser.get("/console/").status_code == 200
    change(accounts(app), app.config["CLOCK"]())
    assert browser.get("/console/").status_code == 302


def test_signing_out_ends_the_session(browser):
    browser.sign_in(EMAILS["viewer"])
    assert browser.post("/console/sign-out").status_code == 302
    assert browser.get("/console/").status_code == 302


# ---- forms, headers -------------------------------------------------------------------------------------

def test_every_change_needs_the_forms_csrf_token(app, browser):
    browser.sign_in(EMAILS["admin"])
    forged = browser.client.post("/console/admin/staff", data={"email": "mallory@evil.example",
                                                                "password": "long enough password", "role": "admin"})
    assert forged.status_code == 400 and "did not come from this console" in forged.get_data(as_text=True)
    assert accounts(app).staff.by_email("mallory@evil.example") is None
    no_token = StaffBrowser(app).client.post("/console/sign-in", data={"email": EMAILS["admin"], "password": PASSWORD})
    assert no_token.status_code == 400


@pytest.mark.parametrize("path", ["/console/sign-in", "/console/", "/console/admin/staff"])
def test_pages_carry_the_security_headers(browser, path):
    browser.sign_in(EMAILS["admin"])
    headers = browser.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"


def test_no_page_has_inline_script(browser):
    browser.sign_in(EMAILS["admin"])
    for path in ("/console/sign-in", "/console/", "/console/admin/staff", "/console/admin/audit"):
        page = browser.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " on" + "click=" not in page


# ---- every route, every role ---------------------------------------------------------------------------

def _routes(console: Flask) -> list[tuple[str, str, str | None]]:
    """(method, path, permission) for every console route (path parameters filled with 1)."""
    found = []
    for rule in console.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = console.view_functions[rule.endpoint]
        path = "/console" + re.sub(r"<[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, getattr(view, "permission", None)))
    return found


OPEN_ROUTES = {"/console/sign-in", "/console/sign-out"}


def test_every_route_is_open_only_to_the_roles_allowed_it(app):
    routes = _routes(app.extensions["console"])
    assert {path for _, path, permission in routes if permission is None} <= OPEN_ROUTES  # nothing else unguarded
    for method, path, permission in routes:
        if permission is None:
            continue
        anonymous = StaffBrowser(app).client.open(path, method=method)
        if method == "GET":
            assert anonymous.status_code == 302 and "/console/sign-in" in anonymous.headers["Location"], path
        else:
            assert anonymous.status_code in (302, 400), path  # no session: redirected, or no token
        for role in ROLES:
            browser = StaffBrowser(app)
            browser.sign_in(EMAILS[role])
            response = browser.get(path) if method == "GET" else browser.post(path, {}, token_from="/console/")
            allowed = role in PERMISSIONS[permission]
            assert (response.status_code != 403) == allowed, (method, path, role, response.status_code)


# ---- the accounts page and the audit log -----------------------------------------------------------------

def test_an_admin_adds_and_changes_accounts_and_each_change_is_audited(app, browser):
    browser.sign_in(EMAILS["admin"])
    weak = browser.post("/console/admin/staff",
                        {"email": "nurse@clinic.example", "password": "short", "role": "editor"},
                        token_from="/console/admin/staff")
    page = weak.get_data(as_text=True)
    assert weak.status_code == 400 and 'aria-describedby="new-password-error"' in page and "at least 12" in page
    made = browser.post("/console/admin/staff", {"email": "nurse@clinic.example", "password": "a long new password",
                                                 "role": "editor"}, token_from="/console/admin/staff")
    assert made.status_code == 302
    nurse = accounts(app).staff.by_email("nurse@clinic.example")
    browser.post(f"/console/admin/staff/{nurse.id}", {"action": "role", "role": "viewer"},
                 token_from="/console/admin/staff")
    assert accounts(app).staff.by_email("nurse@clinic.example").role == "viewer"
    log = browser.get("/console/admin/audit").get_data(as_text=True)
    assert "staff.add" in log and "staff.set_role" in log and "203.0.113.9" in log
    about_nurse = [e for e in accounts(app).audit.page(10) if e.target == "nurse@clinic.example"]
    assert [(e.action, e.actor) for e in about_nurse] == [("staff.set_role", EMAILS["admin"]),
                                                          ("staff.add", EMAILS["admin"])]


def test_an_admin_cannot_turn_off_their_own_account(app, browser):
    browser.sign_in(EMAILS["admin"])
    me = accounts(app).staff.by_email(EMAILS["admin"])
    browser.post(f"/console/admin/staff/{me.id}", {"action": "disable"}, token_from="/console/admin/staff")
    assert not accounts(app).staff.by_email(EMAILS["admin"]).disabled


# ---- the webhooks are untouched ---------------------------------------------------------------------------

def test_the_webhooks_never_set_or_read_a_session_cookie(app, browser):
    browser.sign_in(EMAILS["admin"])
    signer = Signer(browser.client, AUTH_TOKEN)  # the same client, holding the console's cookie
    call = signer.post("/voice", {"CallSid": "CA" + "1" * 32, "From": "+15025550123", "To": "+15025550100"})
    text = Texter(signer).send("hi")
    assert call.status_code == 200 and text
    assert "Set-Cookie" not in call.headers
    assert "Set-Cookie" not in Phone(Signer(app.test_client(), AUTH_TOKEN)).signer.post(
        "/sms", {"From": "+15025550123", "Body": "hi", "MessageSid": "SM" + "2" * 32}).headers


def test_behind_a_trusted_proxy_the_clients_address_is_recorded(tmp_path):
    app = create_app(make_config(tmp_path, TRUSTED_PROXIES=1))
    make_staff(app, EMAILS["admin"], "admin")
    browser = StaffBrowser(app)
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.44"
    browser.sign_in(EMAILS["admin"], address="10.0.0.2")  # the proxy's own address
    entry = next(e for e in accounts(app).audit.page(5) if e.action == "signin")
    assert entry.address == "192.0.2.44"
    (tmp_path / "other").mkdir()
    untrusted = create_app(make_config(tmp_path / "other", TRUSTED_PROXIES=0))  # a forged header is not believed
    make_staff(untrusted, EMAILS["admin"], "admin")
    forged = StaffBrowser(untrusted)
    forged.client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.44"
    forged.sign_in(EMAILS["admin"], address="10.0.0.2")
    assert next(e for e in accounts(untrusted).audit.page(5) if e.action == "signin").address == "10.0.0.2"
