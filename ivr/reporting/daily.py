"""The report for whole clinic days, from the daily figures (storage/daily_figures.py): the same
figures as from_steps.py gives, read from a few rows a day, so a month of a busy line costs what a
quiet week does. When the figures were counted by other rules or in another time zone (a new
release, CLINIC_TIMEZONE changed, steps written without counting), every step is counted again
first, once."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ..storage import daily_figures, figure_sums
from ..storage.daily_figures import ALL_VERSIONS, ANSWER, LAST, MARK, TALLY, VISIT
from ..storage.db import Database
from ..storage.figure_rules import Counting
from .figures import CHANNELS, Day, Report, by_menu, by_node
from .not_sent import texts_not_sent
from .rules import counting

DAY_FIGURES = (LAST, f"{MARK}:emergency", f"{MARK}:opt_out", f"{TALLY}:plain_voice", f"{TALLY}:booked")


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def ready(db: Database, rules: Counting) -> None:
    """Make sure the daily figures are counted by these rules (recounting every step if not)."""
    with db.begin() as conn:
        if daily_figures.counted_by(conn) == rules.key():
            return
    with db.begin(durable=False) as conn:  # a lost recount is made again by the next report
        if daily_figures.lock(conn) != rules.key():
            daily_figures.recount(conn, rules)


def report_for_days(db: Database, first: date, last: date, zone: ZoneInfo, transfer_nodes: Iterable[str] = (),
                    version: int | None = None) -> Report:
    """The report for the clinic days `first` to `last`, both included (of one flow version if
    given)."""
    ready(db, counting(zone.key))
    since, until = midnight(first, zone), midnight(last + timedelta(days=1), zone)
    with db.begin() as conn:
        sums = figure_sums.range_sums(conn, first, last, version or ALL_VERSIONS)
        not_sent = texts_not_sent(conn, since.astimezone(timezone.utc), until.astimezone(timezone.utc))

    def total(figure: str, channel: str | None = None, nodes: Iterable[str] | None = None) -> int:
        return _total(sums, figure, channel, nodes)

    def per_node(figure: str) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for (f, channel, node), n in sums.items():
            if f == figure:
                counts.setdefault(node, dict.fromkeys(CHANNELS, 0))[channel] += n
        return counts

    menus: dict[str, list[int]] = {}
    for position, figure in enumerate((ANSWER, f"{ANSWER}:no_input", f"{ANSWER}:no_match")):
        for node, channels in per_node(figure).items():
            menus.setdefault(node, [0, 0, 0])[position] += sum(channels.values())
    return Report(
        since=since.astimezone(timezone.utc), until=until.astimezone(timezone.utc),
        calls=total(LAST, "voice"), texters=total(LAST, "sms"),
        visits=by_node(per_node(VISIT)), menus=by_menu(menus),
        heard_emergency=total(f"{MARK}:emergency"), greeting_calls=total(f"{MARK}:greeting"),
        red_flag=total(f"{MARK}:red_flag"),
        transfers=total(f"{TALLY}:plain_voice", "voice", transfer_nodes), bookings=total(f"{TALLY}:booked"),
        opt_outs=total(f"{MARK}:opt_out"), ended=by_node(per_node(LAST)),
        texts_not_sent=not_sent, version=version,
    )


def days(db: Database, first: date, last: date, zone: ZoneInfo, transfer_nodes: Iterable[str] = (),
         version: int | None = None) -> list[Day]:
    """Each clinic day from `first` to `last` on its own: calls, texters, emergency guidance,
    transfers, bookings, opt-outs."""
    ready(db, counting(zone.key))
    with db.begin() as conn:
        sums = figure_sums.day_sums(conn, first, last, version or ALL_VERSIONS, DAY_FIGURES)
    by_day: dict[date, figure_sums.Sums] = defaultdict(dict)
    for (day, figure, channel, node), n in sums.items():
        by_day[day][(figure, channel, node)] = n
    transfer = set(transfer_nodes)
    found = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        of_day = by_day.get(day, {})
        found.append(Day(day, _total(of_day, LAST, "voice"), _total(of_day, LAST, "sms"),
                         _total(of_day, f"{MARK}:emergency"), _total(of_day, f"{TALLY}:plain_voice", "voice", transfer),
                         _total(of_day, f"{TALLY}:booked"), _total(of_day, f"{MARK}:opt_out")))
    return found


def _total(sums: figure_sums.Sums, figure: str, channel: str | None = None, nodes: Iterable[str] | None = None) -> int:
    wanted = None if nodes is None else set(nodes)
    return sum(n for (f, c, node), n in sums.items()
               if f == figure and (channel is None or c == channel) and (wanted is None or node in wanted))


def recount_figures(db: Database, zone: ZoneInfo) -> int:
    """Count every recorded step again into the daily figures; how many there were."""
    with db.begin(durable=False) as conn:
        return daily_figures.recount(conn, counting(zone.key))
