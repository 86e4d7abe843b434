"""Staff commands for what the line did: `ivr report` (figures for a date range) and `ivr purge`
(the retention policy). Dates are the clinic's (CLINIC_TIMEZONE); the database keeps UTC."""
from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

import click
from flask.cli import with_appcontext

from ..engine.state import LANGUAGE
from ..reporting import OPTED_OUT, Report, recount_figures, report_for_days, transfer_nodes
from ..retention import KEPT, purge
from ..services import current_time, services
from ..storage.text_rules import COUNTRY, PER_CALL, PER_DAY
from .output import clinic_zone, table

DEFAULT_DAYS = 7
NODE_NAMES = {LANGUAGE: "(language choice)", "": "(no menu yet)"}


@click.command("report")
@with_appcontext
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="First day, YYYY-MM-DD (default: 6 days before --until).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included (default: today).")
@click.option("--version", "version", type=click.IntRange(min=1), metavar="N",
              help="Only the steps flow version N answered.")
@click.option("--recount", is_flag=True,
              help="Count the daily figures again from every recorded step first (after importing steps).")
def report(since: datetime | None, until: datetime | None, version: int | None, recount: bool) -> None:
    """Calls and texts, where people went, misses, emergency guidance, transfers, bookings,
    opt-outs and where conversations ended, for a range of days (default: the last 7)."""
    zone = clinic_zone()
    last = until.date() if until else current_time().astimezone(zone).date()
    first = since.date() if since else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise click.BadParameter("--since is after --until")
    if recount:
        click.echo(f"Counted {recount_figures(services().db, zone):,} steps again.")
    figures = report_for_days(services().db, first, last, zone, transfer_nodes(services().flows.flow), version)
    if version is not None:
        click.echo(f"Flow version {version} only")
    show_report(figures, first, last, zone)


def show_report(r: Report, first: date, last: date, zone: tzinfo) -> None:
    click.echo(f"Report for {first:%a %Y-%m-%d} to {last:%a %Y-%m-%d} ({zone})")
    click.echo()
    table(["In these days", "count"], [
        ["Calls", r.calls],
        ["Text conversations (one per number)", r.texters],
        ["Heard the emergency guidance", r.heard_emergency],
        ["  in the call greeting (calls)", r.greeting_calls],
        ["  after red-flag words", r.red_flag],
        ["Calls put through to a person", r.transfers],
        ["Appointments booked", r.bookings],
        ["Numbers that opted out (STOP)", r.opt_outs],
        ["Texts not sent: the number opted out", r.texts_not_sent.get(OPTED_OUT, 0)],
        ["  to a country not in SMS_COUNTRIES", r.texts_not_sent.get(COUNTRY, 0)],
        ["  over TEXTS_PER_CALL", r.texts_not_sent.get(PER_CALL, 0)],
        ["  over TEXTS_PER_NUMBER_PER_DAY", r.texts_not_sent.get(PER_DAY, 0)],
    ], "")
    _section("Where people went (visits to each node)", ["node", "calls", "texts", "total"],
             [[_name(f.node), f.voice, f.sms, f.total] for f in r.visits])
    _section("Answers at each menu (silence and not understood)", ["node", "answers", "no input", "no match"],
             [[_name(m.node), m.answers, _share(m.no_input, m.no_input_rate), _share(m.no_match, m.no_match_rate)]
              for m in r.menus])
    total = r.conversations
    _section("Where conversations ended (their last step)", ["node", "calls", "texts", "share"],
             [[_name(f.node), f.voice, f.sms, f"{f.total / total:.1%}"] for f in r.ended])


def _section(title: str, headers: list[str], rows: list[list]) -> None:
    click.echo()
    click.echo(title)
    table(headers, rows, "  none in these days")


def _name(node: str) -> str:
    return NODE_NAMES.get(node, node)


def _share(count: int, rate: float) -> str:
    return f"{count} ({rate:.1%})"


@click.command("purge")
@with_appcontext
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True, metavar="DAYS",
              help="Delete conversation state older than this many days.")
def purge_command(days: int) -> None:
    """Delete old conversation state (the clinic's retention policy). Bookings, call-back
    requests, opt-outs and texts not yet sent are kept."""
    deleted = purge(services().db, current_time(), days)
    click.echo(f"Deleted what was older than {days} day{'' if days == 1 else 's'}:")
    table(["table", "rows deleted"], [[table, count] for table, count in deleted.items()], "")
    click.echo(f"Kept: {', '.join(KEPT)}.")
