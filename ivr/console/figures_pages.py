"""The figures of `ivr report` as a dashboard for a range of clinic days: calls and texts per day,
where callers went, each menu's no-input and no-match rates, the drop-off along the main paths,
the emergency guidance, transfers, bookings and cancellations, opt-outs; each table as CSV; and
two flow versions compared. Read from the daily figures (reporting/daily.py): a month of a busy
line costs what a quiet week does. Counts only, never a number or words: every role that views
reports sees the same page."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, render_template, request

from ..reporting import days, drop_off, report_for_days, transfer_nodes
from ..services import current_flow, services
from . import desk_view as view
from .charts import bar_chart
from .figures_tables import as_csv, compare_tables, dashboard_tables, node_name, per_day
from .roles import require

bp = Blueprint("figures", __name__, url_prefix="/figures")
DEFAULT_DAYS, MOST_DAYS = 7, 400
TOP = 12  # nodes in a chart; the table has them all


def _range() -> tuple[date, date, list[str]]:
    """The days asked for (default: the last 7 to today), and what is wrong with them."""
    today = view.today()
    last, error_last = view.day_arg("until", today)
    first, error_first = view.day_arg("since", last - timedelta(days=DEFAULT_DAYS - 1))
    errors = [e for e in (error_first, error_last) if e]
    if first > last:
        errors.append("The first day is after the last: the range was turned round.")
        first, last = last, first
    if (last - first).days >= MOST_DAYS:
        errors.append(f"At most {MOST_DAYS} days at once: showing the last {MOST_DAYS} of the range.")
        first = last - timedelta(days=MOST_DAYS - 1)
    return first, last, errors


def _version(name: str) -> tuple[int | None, str | None]:
    value = request.args.get(name, "").strip()
    if not value:
        return None, None
    if not value.isdigit() or not 0 < int(value) < 10**9:
        return None, f"'{value[:12]}' is not a flow version number (1, 2, 3 ...)."
    return int(value), None


def _dashboard(first: date, last: date, version: int | None):
    db, flow, zone = services().db, current_flow(), view.zone()
    transfer = transfer_nodes(flow)
    report = report_for_days(db, first, last, zone, transfer, version)
    each_day = days(db, first, last, zone, transfer, version)
    cancelled = per_day(view.lists().cancelled_between(view.midnight(first), view.midnight(last + timedelta(days=1))),
                        zone)
    paths = drop_off(flow, report)
    return report, each_day, cancelled, paths, dashboard_tables(report, each_day, cancelled, paths)


@bp.get("")
@require("view_reports")
def dashboard():
    first, last, errors = _range()
    version, error = _version("version")
    errors += [error] if error else []
    report, each_day, cancelled, paths, tables = _dashboard(first, last, version)
    charts = {
        "days": bar_chart("Calls and text conversations each day", ["calls", "text conversations"],
                          [(f"{d.day:%a %m-%d}", [d.calls, d.texters]) for d in each_day]),
        "visits": bar_chart(f"Where callers went: the {TOP} most visited", ["calls", "texts"],
                            [(node_name(f.node), [f.voice, f.sms]) for f in report.visits[:TOP]]),
        "menus": bar_chart("Each menu's misses, share of its answers", ["no input", "no match"],
                           [(node_name(m.node), [100 * m.no_input_rate, 100 * m.no_match_rate])
                            for m in report.menus[:TOP]], show=lambda v: f"{v:.1f}%"),
        "booked": bar_chart("Bookings and cancellations each day", ["booked", "cancelled"],
                            [(f"{d.day:%a %m-%d}", [d.bookings, cancelled.get(d.day, 0)]) for d in each_day]),
    }
    path_charts = [bar_chart(f"The path to {node_name(p.goal)}: arrivals and where they ended",
                             ["arrived", "ended here"], [(node_name(s.node), [s.visits, s.ended]) for s in p.steps])
                   for p in paths]
    return render_template("console/figures.html", first=first, last=last, version=version, errors=errors,
                           report=report, tables=tables, charts=charts, path_charts=path_charts,
                           live=services().versions.live()), 400 if errors else 200


@bp.get("/<name>.csv")
@require("view_reports")
def download(name: str):
    first, last, _ = _range()
    if name.startswith("compare_"):
        a, b = _version("a")[0], _version("b")[0]
        if a is None or b is None:
            abort(404)
        tables = _compare(first, last, a, b)
    else:
        tables = _dashboard(first, last, _version("version")[0])[-1]
    if name not in tables:
        abort(404)
    return Response(as_csv(tables[name], first, last), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{first}-{last}.csv"'})


def _compare(first: date, last: date, a: int, b: int):
    db, flow, zone = services().db, current_flow(), view.zone()
    transfer = transfer_nodes(flow)
    return compare_tables(report_for_days(db, first, last, zone, transfer, a),
                          report_for_days(db, first, last, zone, transfer, b), a, b)


@bp.get("/compare")
@require("view_reports")
def compare():
    first, last, errors = _range()
    (a, error_a), (b, error_b) = _version("a"), _version("b")
    errors += [e for e in (error_a, error_b) if e]
    live = services().versions.live()
    tables = _compare(first, last, a, b) if a is not None and b is not None else {}
    return render_template("console/figures_compare.html", first=first, last=last, a=a, b=b, errors=errors,
                           tables=tables, live=live), 400 if errors else 200
