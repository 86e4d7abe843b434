"""What the commands share: the clinic's time zone and clock, and how they print tables."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import current_app


def clinic_zone() -> ZoneInfo:
    """The app's CLINIC_TIMEZONE: times are typed and shown in it."""
    name = current_app.config["CLINIC_TIMEZONE"]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.ClickException(f"CLINIC_TIMEZONE '{name}' is not a time zone (e.g. America/New_York)") from None


def when(moment: datetime, zone) -> str:
    return f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M}"


def count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def mask_number(number: str) -> str:
    """Enough of a number for staff to tell texts apart: ***0123."""
    return "***" + number[-4:] if len(number) > 4 else "***"


def table(headers: list[str], rows: list[list], empty: str) -> None:
    if not rows:
        click.echo(empty)
        return
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
