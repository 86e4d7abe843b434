"""The `ivr` command line for staff and deployers."""
from __future__ import annotations

import sys

import click
from sqlalchemy.engine import make_url

from ..flow import FlowError


def _app():
    from .. import create_app

    try:
        return create_app({"OUTBOX_WORKER": False})  # a command sends texts only when asked to
    except FlowError as error:
        raise click.ClickException(f"the flow files have errors:\n{error}") from None


@click.group()
def main() -> None:
    """Spine health information line: set up, check and run the line."""


@main.command("init-db")
def init_db() -> None:
    """Create the database tables (safe to run again)."""
    app = _app()
    url = make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True)
    click.echo(f"Database ready: {url}")


@main.command("webhooks")
@click.option("--base", default=None, help="Public base URL (default: PUBLIC_BASE_URL or the local server).")
def webhooks(base: str | None) -> None:
    """Print the two URLs to paste into the Twilio console."""
    import os

    base = (base or os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    click.echo("Paste these into the Twilio console (Phone Numbers > your number):")
    click.echo(f"  A call comes in  (Webhook, HTTP POST): {base}/voice")
    click.echo(f"  A message comes in (Webhook, HTTP POST): {base}/sms")


from .outbox_commands import outbox  # noqa: E402 - registered after `main` and `_app` exist

main.add_command(outbox)

from .slots_commands import register as register_appointments  # noqa: E402 - slots, bookings, callbacks

register_appointments(main)

from .flows_commands import register as register_flow_tools  # noqa: E402 - validate, call, text, graph

register_flow_tools(main)

from .report_commands import register as register_reports  # noqa: E402 - report, purge

register_reports(main)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
