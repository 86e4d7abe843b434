"""`ivr staff`: the console's accounts from the command line. The first admin is made here;
after that admins can manage accounts in the console too. Every change is in the audit log
(actor "cli")."""
from __future__ import annotations

import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from ..console import PATH
from ..console.accounts import StaffAccounts
from ..console.passwords import WeakPassword
from ..services import current_time
from ..storage.staff import ROLES, StaffError
from .output import table

ACTOR = "cli"


def _accounts() -> StaffAccounts:
    return current_app.extensions["console"].extensions["console.accounts"]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Again, to be sure")


def _change(action):
    """Run one change; a refused one is a clear error, never a traceback."""
    try:
        return action()
    except (StaffError, WeakPassword) as error:
        raise click.ClickException(str(error)) from None


@click.group(cls=AppGroup)
def staff() -> None:
    """Accounts for the staff console (roles: admin, editor, desk, viewer)."""


role_option = click.option("--role", required=True, type=click.Choice(ROLES), help="What the account may do.")
stdin_option = click.option("--password-stdin", "from_stdin", is_flag=True,
                            help="Read the password from the first line of standard input (for scripts).")


@staff.command("add")
@click.argument("email")
@role_option
@stdin_option
def add(email: str, role: str, from_stdin: bool) -> None:
    """Make an account for EMAIL; the password is asked twice (or read with --password-stdin)."""
    password = _password(from_stdin)
    member = _change(lambda: _accounts().add(email, password, role, ACTOR, current_time()))
    click.echo(f"Account made: {member.email} ({member.role}). Sign in at {PATH}/")


@staff.command("list")
def list_staff() -> None:
    """Every account, its role and whether it is on."""
    rows = [[m.email, m.role, "off" if m.disabled else "on", f"{m.created_at:%Y-%m-%d}"]
            for m in _accounts().staff.list()]
    table(["email", "role", "state", "made"], rows,
          "(no accounts: make the first with `ivr staff add EMAIL --role admin`)")


@staff.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    """Give EMAIL another role (their sessions end)."""
    member = _change(lambda: _accounts().set_role(email, role, ACTOR, current_time()))
    click.echo(f"{member.email} is now {member.role}.")


@staff.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Turn EMAIL's account off (their sessions end at once)."""
    member = _change(lambda: _accounts().set_disabled(email, True, ACTOR, current_time()))
    click.echo(f"{member.email} is turned off.")


@staff.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Turn EMAIL's account back on."""
    member = _change(lambda: _accounts().set_disabled(email, False, ACTOR, current_time()))
    click.echo(f"{member.email} is turned on.")


@staff.command("reset-password")
@click.argument("email")
@stdin_option
def reset_password(email: str, from_stdin: bool) -> None:
    """Set a new password for EMAIL (asked twice, or --password-stdin); their sessions end."""
    password = _password(from_stdin)
    member = _change(lambda: _accounts().reset_password(email, password, ACTOR, current_time()))
    click.echo(f"A new password is set for {member.email}.")


@staff.command("dev-admin")
@click.option("--base", default="http://127.0.0.1:5000", show_default=True, help="Where the server answers.")
def dev_admin(base: str) -> None:
    """Development only (`make run`): print the console's address and, while there is no account
    at all, make an admin and print its password once."""
    base = base.rstrip("/")
    click.echo(f"The staff console: {base}{PATH}/")
    if current_app.config["IVR_ENV"] != "development":
        raise click.ClickException("dev-admin is for development only; make accounts with `ivr staff add`")
    accounts = _accounts()
    if accounts.staff.count():
        click.echo("  sign in with your account (`ivr staff list` shows them)")
        return
    password = secrets.token_urlsafe(12)
    member = accounts.add("admin@localhost", password, "admin", ACTOR, current_time())
    click.echo(f"  a development admin was made: {member.email}, password {password} (shown this once)")
