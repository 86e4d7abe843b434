"""`ivr staff`: the first admin made from a terminal, and accounts managed as a deployer would."""
from __future__ import annotations

import logging

import pytest

from ivr.app import create_app
from ivr.cli import main

from conftest import make_config
from console_client import StaffBrowser, accounts

PASSWORD = "a long enough password"


@pytest.fixture
def app(tmp_path):
    return create_app(make_config(tmp_path))


def ivr(app, *args, input=None, code=0):
    result = app.test_cli_runner().invoke(main, list(args), input=input)
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    return result.output


def test_the_first_admin_is_made_with_the_password_asked_twice(app):
    out = ivr(app, "staff", "add", "Manager@Clinic.example", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "Account made: manager@clinic.example (admin)" in out and PASSWORD not in out
    assert StaffBrowser(app).sign_in("manager@clinic.example", PASSWORD).status_code == 302
    (entry,) = [e for e in accounts(app).audit.page(5) if e.action == "staff.add"]
    assert (entry.actor, entry.action, entry.target, entry.address) == ("cli", "staff.add", "manager@clinic.example",
                                                                        "")


def test_two_different_passwords_are_asked_again(app):
    out = ivr(app, "staff", "add", "a@clinic.example", "--role", "editor",
              input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert "do not match" in out.lower() and "Account made" in out


def test_scripts_give_the_password_on_standard_input(app):
    ivr(app, "staff", "add", "desk@clinic.example", "--role", "desk", "--password-stdin", input=PASSWORD + "\n")
    assert StaffBrowser(app).sign_in("desk@clinic.example", PASSWORD).status_code == 302


@pytest.mark.parametrize("args, stdin, message", [
    (["not-an-email", "--role", "admin"], PASSWORD, "is not an email address"),
    (["x@clinic.example", "--role", "admin"], "short", "at least 12 characters"),
    (["x@clinic.example", "--role", "owner"], PASSWORD, "Invalid value for '--role'"),
])
def test_a_bad_account_is_a_clear_error(app, args, stdin, message):
    out = ivr(app, "staff", "add", *args, "--password-stdin", input=stdin + "\n", code=2 if "owner" in args else 1)
    assert message in out


def test_list_set_role_disable_enable_and_reset(app):
    ivr(app, "staff", "add", "ed@clinic.example", "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
    assert "already an account" in ivr(app, "staff", "add", "ed@clinic.example", "--role", "viewer",
                                       "--password-stdin", input=PASSWORD + "\n", code=1)
    browser = StaffBrowser(app)
    browser.sign_in("ed@clinic.example", PASSWORD)
    assert browser.get("/console/").status_code == 200
    assert "ed@clinic.example is now viewer" in ivr(app, "staff", "set-role", "ed@clinic.example", "viewer")
    assert browser.get("/console/").status_code == 302  # the role change ended the session
    assert "turned off" in ivr(app, "staff", "disable", "ed@clinic.example")
    assert StaffBrowser(app).sign_in("ed@clinic.example", PASSWORD).status_code == 401
    ivr(app, "staff", "enable", "ed@clinic.example")
    new = "an entirely new password"
    assert "A new password is set" in ivr(app, "staff", "reset-password", "ed@clinic.example", "--password-stdin",
                                          input=new + "\n")
    assert StaffBrowser(app).sign_in("ed@clinic.example", PASSWORD).status_code == 401
    assert StaffBrowser(app).sign_in("ed@clinic.example", new).status_code == 302
    listing = ivr(app, "staff", "list")
    assert "ed@clinic.example" in listing and "viewer" in listing and "on" in listing
    assert "there is no account for nobody@clinic.example" in ivr(app, "staff", "disable", "nobody@clinic.example",
                                                                  code=1)


def test_development_makes_an_admin_once_and_production_never(tmp_path, app):
    (tmp_path / "dev").mkdir()
    dev = create_app(make_config(tmp_path / "dev", IVR_ENV="development"))
    out = ivr(dev, "staff", "dev-admin", "--base", "http://127.0.0.1:5000")
    assert "The staff console: http://127.0.0.1:5000/console/" in out
    password = out.split("password ")[1].split(" ")[0]
    assert StaffBrowser(dev).sign_in("admin@localhost", password).status_code == 302
    assert "a development admin was made" not in ivr(dev, "staff", "dev-admin")  # once only
    assert "development only" in ivr(app, "staff", "dev-admin", code=1)  # IVR_ENV=testing: not development
    assert accounts(app).staff.count() == 0


def test_a_production_start_without_accounts_says_how_to_make_one(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="ivr"):
        create_app(make_config(tmp_path, IVR_ENV="production", SECRET_KEY="k" * 40,
                               PUBLIC_BASE_URL="https://ivr.clinic.example"))
    assert "ivr staff add EMAIL --role admin" in caplog.text
