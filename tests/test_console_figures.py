"""The figures dashboard: what the line did over a range of days, from real conversations through
the webhooks, the same as `ivr report`; charts readable without colour with the table beside; each
table as CSV safe to open in a spreadsheet; two flow versions compared; counts only for everyone."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from ivr.console.figures_tables import Table, as_csv, node_name, safe_cell
from ivr.reporting import report_for_days, transfer_nodes
from ivr.storage.tables import bookings

from console_client import Clock
from desk_helpers import NOW, PATIENT, book_by_text, desk_app, rows, signed_in, texter

ZONE = ZoneInfo("America/New_York")
RANGE = "since=2026-11-25&until=2026-12-01"


@pytest.fixture
def app(tmp_path):
    return desk_app(tmp_path, Clock(NOW))


def page(response) -> str:
    return response.get_data(as_text=True)


def cells(html: str, table_id: str) -> dict[str, list[str]]:
    """A table's rows by their first cell."""
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        values = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        found[values[0]] = values[1:]
    return found


@pytest.fixture
def busy(app):
    """A texter books and the desk cancels; a caller hears the menu; someone texts STOP."""
    book_by_text(app, "Ana Lopez")
    (booking,) = rows(app, bookings)
    desk = signed_in(app, "desk")
    desk.post(f"/console/desk/bookings/{booking.id}/cancel", token_from="/console/desk/bookings")
    texter(app, "+15025550777").send("STOP")
    return app


def test_the_dashboard_shows_the_booking_and_the_cancellation_as_ivr_report_counts_them(busy):
    html = page(signed_in(busy, "desk").get(f"/console/figures?{RANGE}"))
    totals = cells(html, "figures-totals")
    assert totals["Appointments booked"] == ["1"] and totals["Bookings cancelled"] == ["1"]
    assert totals["Numbers that opted out (STOP)"] == ["1"]
    report = report_for_days(busy.extensions["ivr"].db, date(2026, 11, 25), date(2026, 12, 1), ZONE,
                             transfer_nodes(busy.extensions["ivr"].flows.flow))
    assert totals["Text conversations (one per number)"] == [str(report.texters)] and report.texters == 2
    assert totals["Calls"] == [str(report.calls)]
    assert cells(html, "figures-days")["Tue 2026-12-01"] == ["0", "2", "0", "0", "1", "1", "1"]
    assert cells(html, "figures-days")["Wed 2026-11-25"] == ["0"] * 7
    visits = cells(html, "figures-visits")
    assert visits == {node_name(f.node): [str(f.voice), str(f.sms), str(f.total)] for f in report.visits}
    assert "figures-paths" in html and "figures-menus" in html and "figures-ended" in html


def test_a_viewer_sees_the_figures_but_no_number_name_or_words(busy):
    viewer = signed_in(busy, "viewer")
    html = page(viewer.get(f"/console/figures?{RANGE}"))
    assert cells(html, "figures-totals")["Appointments booked"] == ["1"]
    for secret in (PATIENT, "0123", "Ana Lopez", "+15025550777", "Your appointment"):
        assert secret not in html
    for name in ("totals", "days", "visits", "menus", "paths", "ended"):
        text = page(viewer.get(f"/console/figures/{name}.csv?{RANGE}"))
        assert PATIENT not in text and "Ana Lopez" not in text


def test_the_charts_are_svg_readable_without_colour_each_with_its_table(busy):
    html = page(signed_in(busy, "viewer").get(f"/console/figures?{RANGE}"))
    charts = re.findall(r'<svg class="chart" role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) >= 5 and "<script" not in html
    days = re.search(r'<svg class="chart"[^>]*chart-days-title.*?</svg>', html, re.S).group(0)
    assert '<title id="chart-days-title">Calls and text conversations each day</title>' in days
    assert 'fill="url(#chart-days-hatch)"' in days  # the second series is hatched, not just another colour
    assert ">calls</text>" in days and ">text conversations</text>" in days  # the legend names each
    assert re.search(r'<text x="[\d.]+" y="\d+">2</text>', days)  # each bar carries its number
    assert "the same figures are in the table" in days


def test_each_table_downloads_as_csv_with_the_figures_of_the_page(busy):
    desk = signed_in(busy, "desk")
    answer = desk.get(f"/console/figures/days.csv?{RANGE}")
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="days-2026-11-25-2026-12-01.csv"'
    lines = list(csv.reader(io.StringIO(page(answer))))
    assert lines[0] == ["Each day, 2026-11-25 to 2026-12-01"]
    assert lines[1] == ["day", "calls", "text conversations", "emergency guidance", "transfers", "bookings",
                        "cancellations", "opt-outs"]
    assert lines[-1] == ["Tue 2026-12-01", "0", "2", "0", "0", "1", "1", "1"]
    assert desk.get(f"/console/figures/nothing.csv?{RANGE}").status_code == 404


def test_a_cell_that_could_run_as_a_formula_is_written_as_text():
    assert [safe_cell(v) for v in ("=1+2", "+1", "-2", "@SUM(A1)", "\tx", "plain", 3, -4)] == [
        "'=1+2", "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain", "3", "-4"]
    text = as_csv(Table("t", "A table", ["node", "n"], [['=HYPERLINK("http://evil.example")', 1]]),
                  date(2026, 12, 1), date(2026, 12, 1))
    assert list(csv.reader(io.StringIO(text)))[2] == ['\'=HYPERLINK("http://evil.example")', "1"]


def test_two_flow_versions_compared_side_by_side(busy):
    desk = signed_in(busy, "desk")
    html = page(desk.get(f"/console/figures/compare?{RANGE}&a=1&b=2"))
    totals = cells(html, "figures-compare_totals")
    assert totals["Appointments booked"] == ["1", "50.0%", "0", "0.0%"]
    assert totals["Text conversations"][0] == "2" and totals["Text conversations"][2] == "0"
    text = page(desk.get(f"/console/figures/compare_totals.csv?{RANGE}&a=1&b=2"))
    assert "version 1" in text.splitlines()[1]
    assert "Choose two versions" in page(desk.get("/console/figures/compare"))


@pytest.mark.parametrize("query, message, status", [
    ("since=yesterday", "is not a day: write it as YYYY-MM-DD", 400),
    ("since=2026-12-01&until=2026-11-01", "the range was turned round", 400),
    ("since=2020-01-01&until=2026-12-01", "At most 400 days at once", 400),
    ("version=latest", "is not a flow version number", 400),
])
def test_a_bad_range_or_version_is_told_and_the_figures_still_shown(app, query, message, status):
    answer = signed_in(app, "viewer").get(f"/console/figures?{query}")
    assert answer.status_code == status and message in page(answer) and 'id="figures-totals"' in page(answer)
