"""`ivr outbox`: see the texts the line sends, and send the due ones (e.g. from cron)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..messaging.sender import sender_from_config
from ..messaging.worker import OutboxWorker
from ..services import services
from .output import mask_number


@click.group(cls=AppGroup)
def outbox() -> None:
    """The texts the line sends: each is recorded, sent, and marked sent, failed or blocked."""


@outbox.command("list")
@click.option("--limit", default=50, show_default=True, help="How many of the latest texts to show.")
def list_texts(limit: int) -> None:
    """The latest texts, newest first (never their words)."""
    texts = services().outbox.list(limit)
    click.echo(f"{'id':>6}  {'status':<8} {'tries':>5}  {'kind':<22} {'to':<8} {'updated (UTC)':<17} note")
    for text in texts:
        note = text.twilio_sid or text.last_error or ""
        click.echo(f"{text.id:>6}  {text.status:<8} {text.attempts:>5}  {text.kind:<22} "
                   f"{mask_number(text.to_number):<8} {text.updated_at:%Y-%m-%d %H:%M} {note}")
    if not texts:
        click.echo("(no texts yet)")


@outbox.command("send")
def send_due() -> None:
    """Send the texts that are due, once, then stop."""
    box = services().outbox
    sender = sender_from_config(current_app.config, box)
    if sender is None:
        raise click.ClickException("set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER to send texts")
    counts = OutboxWorker(box, sender).run_once()  # on the app's clock, read at each claim
    summary = ", ".join(f"{counts[status]} {status}" for status in ("sent", "retry", "failed", "blocked"))
    click.echo(f"{summary}; {box.depth()} waiting")
