"""`ivr init-db` and `ivr webhooks`: what a deployer runs when setting the line up."""
from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database tables (safe to run again)."""
    # Making the app brought the schema up to date: here it only says where.
    url = make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)
    click.echo(f"Database ready: {url}")


@click.command("webhooks")
@click.option("--base", default=None, help="Public base URL (default: PUBLIC_BASE_URL or the local server).")
def webhooks(base: str | None) -> None:
    """Print the two URLs to paste into the Twilio console."""
    base = (base or os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    click.echo("Paste these into the Twilio console (Phone Numbers > your number):")
    click.echo(f"  A call comes in  (Webhook, HTTP POST): {base}/voice")
    click.echo(f"  A message comes in (Webhook, HTTP POST): {base}/sms")
