"""`ivr report`: every figure, exactly, from events seeded on a real SQLite file and a real
PostgreSQL server; days are the clinic's; the command's output as staff read it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ivr.app import create_app
from ivr.cli import main
from ivr.engine.outcomes import understood
from ivr.reporting import MenuAnswers, NodeFigures, build_report
from ivr.storage.db import Database
from ivr.storage.events import Step, record

from conftest import make_config

NY = ZoneInfo("America/New_York")
DAY = datetime(2030, 3, 4, 10, 0, tzinfo=NY)  # a Monday at the clinic

# Conversations as (channel, id, steps); a step is (node, stage, input kind, event).
CALL_A = ("voice", "call-a", [("_language", "", "start", "start"), ("main", "", "key", "language"),
                              ("main", "", "silence", "no_input"), ("symptoms", "", "key", "option"),
                              ("symptoms", "", "key", "no_match"), ("person", "", "key", "person")])
CALL_B = ("voice", "call-b", [("_language", "", "start", "start"), ("main", "", "key", "language"),
                              ("main", "", "speech", "no_match"), ("main", "", "silence", "no_input"),
                              ("person", "", "silence", "too_many_misses")])
CALL_C = ("voice", "call-c", [("_language", "", "start", "start"), ("warning-signs", "", "speech", "emergency")])
CALL_D = ("voice", "call-d", [("_language", "", "start", "start"), ("main", "", "key", "language"),
                              ("appointments", "choose", "key", "option"),
                              ("appointments", "confirm", "key", "chosen"), ("main", "", "key", "booked")])
TEXTS_1 = ("sms", "texter-1", [("main", "", "text", "start"), ("symptoms", "", "text", "option"),
                               ("warning-signs", "", "text", "emergency"), ("warning-signs", "", "text", "opt_out")])
TEXTS_2 = ("sms", "texter-2", [("", "", "text", "opt_out")])  # STOP as a first text
IN_RANGE = (CALL_A, CALL_B, CALL_C, CALL_D, TEXTS_1, TEXTS_2)
# The clinic's days, not UTC's: 23:30 on the 3rd in New York is already the 4th in UTC.
BEFORE = ("voice", "call-before", [("_language", "", "start", "start"), ("main", "", "key", "language")])
AFTER = ("voice", "call-after", [("_language", "", "start", "start")])


def seed(db: Database, conversation, start: datetime) -> None:
    channel, name, steps = conversation
    for i, (node, stage, kind, event) in enumerate(steps):
        record(db, Step(channel, name, f"hash-of-{name}", node, stage, kind, event, "en", understood(event)),
               (start + timedelta(seconds=20 * i)).astimezone(timezone.utc))


def seed_all(db: Database) -> None:
    seed(db, BEFORE, datetime(2030, 3, 3, 23, 30, tzinfo=NY))
    for i, conversation in enumerate(IN_RANGE):  # interleaved, as calls and texts come in
        seed(db, conversation, DAY + timedelta(seconds=7 * i))
    seed(db, AFTER, datetime(2030, 3, 6, 0, 10, tzinfo=NY))


def test_every_figure_of_the_report(db):
    seed_all(db)
    r = build_report(db, datetime(2030, 3, 4, tzinfo=NY), datetime(2030, 3, 6, tzinfo=NY), ["person"])

    assert (r.calls, r.texters, r.conversations) == (4, 2, 6)
    assert r.visits == [NodeFigures("main", 4, 1), NodeFigures("_language", 4, 0), NodeFigures("person", 2, 0),
                        NodeFigures("symptoms", 1, 1), NodeFigures("warning-signs", 1, 1), NodeFigures("", 0, 1),
                        NodeFigures("appointments", 1, 0)]
    assert r.menus == [MenuAnswers("main", 7, 3, 1), MenuAnswers("_language", 4, 0, 0),
                       MenuAnswers("symptoms", 3, 0, 1), MenuAnswers("appointments", 2, 0, 0),
                       MenuAnswers("warning-signs", 1, 0, 0)]
    assert (r.menus[0].no_input_rate, r.menus[0].no_match_rate) == (3 / 7, 1 / 7)
    assert (r.heard_emergency, r.greeting_calls, r.red_flag) == (5, 4, 2)
    assert (r.transfers, r.bookings, r.opt_outs) == (2, 1, 2)
    assert r.ended == [NodeFigures("person", 2, 0), NodeFigures("warning-signs", 1, 1), NodeFigures("", 0, 1),
                       NodeFigures("main", 1, 0)]


def test_the_range_is_half_open_and_an_empty_one_is_all_zero(db):
    seed_all(db)
    only_before = build_report(db, datetime(2030, 3, 3, tzinfo=NY), datetime(2030, 3, 4, tzinfo=NY), ["person"])
    assert (only_before.calls, only_before.greeting_calls) == (1, 1)
    assert only_before.visits == [NodeFigures("_language", 1, 0), NodeFigures("main", 1, 0)]
    assert only_before.menus == [MenuAnswers("_language", 1, 0, 0)]

    empty = build_report(db, datetime(2031, 1, 1, tzinfo=NY), datetime(2031, 1, 8, tzinfo=NY), ["person"])
    assert (empty.calls, empty.texters, empty.heard_emergency, empty.transfers, empty.bookings, empty.opt_outs) == \
        (0, 0, 0, 0, 0, 0)
    assert empty.visits == empty.menus == empty.ended == []


# ---- the command ---------------------------------------------------------------------------------

CLI_NOW = datetime(2030, 3, 12, 17, 0, tzinfo=timezone.utc)  # the app's clock for the command


@pytest.fixture
def cli_app(tmp_path):
    return create_app(make_config(tmp_path, CLINIC_TIMEZONE="America/New_York", CLOCK=lambda: CLI_NOW))


@pytest.fixture
def cli_db(cli_app):
    return cli_app.extensions["ivr"].db


def ivr(app, *args: str, code: int = 0) -> str:
    result = app.test_cli_runner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def lines(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.splitlines()]


def test_the_report_command_prints_each_figure(cli_app, cli_db):
    seed_all(cli_db)
    out = lines(ivr(cli_app, "report", "--since", "2030-03-04", "--until", "2030-03-05"))

    assert out[0] == "Report for Mon 2030-03-04 to Tue 2030-03-05 (America/New_York)"
    for expected in ["Calls 4", "Text conversations (one per number) 2", "Heard the emergency guidance 5",
                     "in the call greeting (calls) 4", "after red-flag words 2", "Calls put through to a person 2",
                     "Appointments booked 1", "Numbers that opted out (STOP) 2"]:
        assert expected in out
    visits = out[out.index("Where people went (visits to each node)") + 1:]
    assert visits[:8] == ["node calls texts total", "main 4 1 5", "(language choice) 4 0 4", "person 2 0 2",
                          "symptoms 1 1 2", "warning-signs 1 1 2", "(no menu yet) 0 1 1", "appointments 1 0 1"]
    menus = out[out.index("Answers at each menu (silence and not understood)") + 1:]
    assert menus[:3] == ["node answers no input no match", "main 7 3 (42.9%) 1 (14.3%)",
                         "(language choice) 4 0 (0.0%) 0 (0.0%)"]
    ended = out[out.index("Where conversations ended (their last step)") + 1:]
    assert ended == ["node calls texts share", "person 2 0 33.3%", "warning-signs 1 1 33.3%",
                     "(no menu yet) 0 1 16.7%", "main 1 0 16.7%"]


def test_the_report_is_aligned_in_columns(cli_app, cli_db):
    seed_all(cli_db)
    out = ivr(cli_app, "report", "--since", "2030-03-04", "--until", "2030-03-05").splitlines()
    start = out.index("Where people went (visits to each node)") + 1
    table = out[start:start + 8]
    column = table[0].index("calls")
    assert all(row[column - 2:column] == "  " for row in table[1:])  # every row's second column starts there
    assert {row[column] for row in table[1:]} <= set("0123456789")


def test_the_report_defaults_to_the_last_seven_days(cli_app, cli_db):
    today = CLI_NOW.astimezone(NY).replace(hour=12, minute=0, second=0, microsecond=0)
    seed(cli_db, CALL_C, today - timedelta(days=6))
    seed(cli_db, CALL_A, today - timedelta(days=7))  # eight days ago: not in the report
    out = lines(ivr(cli_app, "report"))
    first, last = (today - timedelta(days=6)).date(), today.date()
    assert out[0] == f"Report for {first:%a %Y-%m-%d} to {last:%a %Y-%m-%d} (America/New_York)"
    assert "Calls 1" in out and "after red-flag words 1" in out


def test_an_empty_report_says_so(cli_app, cli_db):
    out = lines(ivr(cli_app, "report", "--since", "2031-01-01", "--until", "2031-01-07"))
    assert "Calls 0" in out and out.count("none in these days") == 3


@pytest.mark.parametrize("args", [["--since", "2030-03-05", "--until", "2030-03-04"], ["--since", "March 4"]])
def test_a_bad_range_is_refused(cli_app, cli_db, args):
    assert "Error" in ivr(cli_app, "report", *args, code=2)
