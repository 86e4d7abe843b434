"""The figures dashboard's tables, made once from a report and shown as a page, a chart's text
alternative and a CSV download alike; and the CSV itself, safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from ..engine.state import LANGUAGE
from ..reporting import OPTED_OUT, Day, Report
from ..reporting.line_paths import Path
from ..storage.text_rules import COUNTRY, PER_CALL, PER_DAY

NODE_NAMES = {LANGUAGE: "(language choice)", "": "(no menu yet)"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula


@dataclass(frozen=True)
class Table:
    name: str  # its CSV's name
    title: str
    headers: list[str]
    rows: list[list]


def node_name(node: str) -> str:
    return NODE_NAMES.get(node, node)


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "0.0%"


def per_day(moments: list[datetime], zone) -> Counter:
    return Counter(moment.astimezone(zone).date() for moment in moments)


def dashboard_tables(report: Report, days: list[Day], cancelled: Counter, paths: list[Path]) -> dict[str, Table]:
    total = report.conversations
    not_sent = report.texts_not_sent
    tables = [
        Table("totals", "In these days", ["figure", "count"], [
            ["Calls", report.calls], ["Text conversations (one per number)", report.texters],
            ["Heard the emergency guidance", report.heard_emergency],
            ["  in the call greeting", report.greeting_calls], ["  after red-flag words", report.red_flag],
            ["Calls put through to a person", report.transfers], ["Appointments booked", report.bookings],
            ["Bookings cancelled", sum(cancelled.values())], ["Numbers that opted out (STOP)", report.opt_outs],
            ["Texts not sent: the number opted out", not_sent.get(OPTED_OUT, 0)],
            ["  to a country not allowed", not_sent.get(COUNTRY, 0)],
            ["  over the texts per call", not_sent.get(PER_CALL, 0)],
            ["  over the texts per number a day", not_sent.get(PER_DAY, 0)]]),
        Table("days", "Each day", ["day", "calls", "text conversations", "emergency guidance", "transfers",
                                   "bookings", "cancellations", "opt-outs"],
              [[f"{d.day:%a %Y-%m-%d}", d.calls, d.texters, d.heard_emergency, d.transfers, d.bookings,
                cancelled.get(d.day, 0), d.opt_outs] for d in days]),
        Table("visits", "Where callers went (arrivals at each menu or page)", ["node", "calls", "texts", "total"],
              [[node_name(f.node), f.voice, f.sms, f.total] for f in report.visits]),
        Table("menus", "Each menu's answers: silence (no input) and not understood (no match)",
              ["node", "answers", "no input", "no-input rate", "no match", "no-match rate"],
              [[node_name(m.node), m.answers, m.no_input, f"{m.no_input_rate:.1%}", m.no_match,
                f"{m.no_match_rate:.1%}"] for m in report.menus]),
        Table("paths", "Drop-off along the main paths", ["path to", "step", "arrived", "ended here", "share ended"],
              [[node_name(p.goal), node_name(s.node), s.visits, s.ended, f"{s.ended_share:.1%}"]
               for p in paths for s in p.steps]),
        Table("ended", "Where conversations ended (their last step)", ["node", "calls", "texts", "share"],
              [[node_name(f.node), f.voice, f.sms, share(f.total, total)] for f in report.ended]),
    ]
    return {t.name: t for t in tables}


def compare_tables(a: Report, b: Report, version_a: int, version_b: int) -> dict[str, Table]:
    """Two flow versions' figures side by side."""
    va, vb = f"version {version_a}", f"version {version_b}"
    figures = [("Calls", a.calls, b.calls), ("Text conversations", a.texters, b.texters),
               ("Heard the emergency guidance", a.heard_emergency, b.heard_emergency),
               ("Calls put through to a person", a.transfers, b.transfers),
               ("Appointments booked", a.bookings, b.bookings), ("Opt-outs", a.opt_outs, b.opt_outs)]
    menus_a, menus_b = {m.node: m for m in a.menus}, {m.node: m for m in b.menus}

    def rates(menu) -> list[str]:
        return [f"{menu.no_input_rate:.1%}", f"{menu.no_match_rate:.1%}"] if menu else ["", ""]

    def of_conversations(report: Report, count: int) -> str:
        return share(count, report.conversations)

    return {
        "compare_totals": Table("compare_totals", "The figures of each version",
                                ["figure", va, f"{va}, per conversation", vb, f"{vb}, per conversation"],
                                [[name, x, of_conversations(a, x), y, of_conversations(b, y)]
                                 for name, x, y in figures]),
        "compare_menus": Table("compare_menus", "Each menu's no-input and no-match rates",
                               ["node", f"no input, {va}", f"no match, {va}", f"no input, {vb}", f"no match, {vb}"],
                               [[node_name(node), *rates(menus_a.get(node)), *rates(menus_b.get(node))]
                                for node in dict.fromkeys([*menus_a, *menus_b])]),
    }


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: one that could start a formula gets a leading quote
    (OWASP's advice on CSV injection); numbers stay numbers."""
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def as_csv(table: Table, first: date, last: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(f"{table.title}, {first:%Y-%m-%d} to {last:%Y-%m-%d}")])
    writer.writerow([safe_cell(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
