"""The daily figures give exactly the report the raw steps give: on random conversations written
in batches as the event writer writes them, with steps written while the clinic's day rolls over
(and over a change of the clocks), and steps arriving late, after later steps of their
conversation; for any range of days, for every flow version and each alone; on SQLite and a real
PostgreSQL. And a report for whole days never reads the steps."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from ivr.engine.outcomes import understood
from ivr.reporting import days, recount_figures, report_for_days, report_from_steps
from ivr.reporting.daily import midnight
from ivr.reporting.rules import counting
from ivr.storage import daily_figures
from ivr.storage.events import Step, record, record_many
from ivr.storage.tables import daily_figures as daily_table
from ivr.storage.tables import figures_state

CHICAGO = ZoneInfo("America/Chicago")  # the clocks go forward on Sunday 2030-03-10
FIRST_DAY = date(2030, 3, 8)
DAYS = 5
NODES = ["_language", "main", "symptoms", "warning-signs", "person", "appointments", ""]
EVENTS = ["option", "option", "option", "no_match", "no_input", "too_many_misses", "emergency", "person", "booked",
          "opt_out", "language"]
TRANSFER = ["person"]
RULES = counting("America/Chicago")


def step(channel: str, conversation: str, node: str, event_name: str, kind: str, version: int | None,
         stage: str = "") -> Step:
    return Step(channel, conversation, f"hash-{conversation}", node, stage, kind, event_name, "en",
                understood(event_name), version)


def random_steps(rng: random.Random, conversations: int) -> list[tuple[Step, datetime]]:
    """Conversations of a few steps each, many near midnight; texters come back on later days."""
    steps = []
    for n in range(conversations):
        channel = "voice" if n % 3 else "sms"
        name = f"{channel}-{n}"
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        if rng.random() < 0.4:  # just before the clinic's midnight: the call goes on into the next day
            at = midnight(day + timedelta(days=1), CHICAGO) - timedelta(seconds=rng.randrange(1, 120))
        else:
            at = midnight(day, CHICAGO) + timedelta(seconds=rng.randrange(86_400))
        version = rng.choice([1, 1, 2, 2, 3, None])
        for i in range(rng.randrange(1, 9)):
            if channel == "voice" and i == 0:
                node, event_name, kind = "_language", "start", "start"
            else:
                node, event_name = rng.choice(NODES), rng.choice(EVENTS)
                kind = rng.choice(["key", "speech", "silence"]) if channel == "voice" else "text"
            stage = rng.choice(["", "", "", "choose"]) if node == "appointments" else ""
            if rng.random() < 0.1:
                version = rng.choice([1, 2, 3])  # a publish in the middle of a conversation
            steps.append((step(channel, name, node, event_name, kind, version, stage), at.astimezone(timezone.utc)))
            at += timedelta(seconds=rng.choice([0, 5, 20, 40]))  # two steps may share a moment
            if channel == "sms" and rng.random() < 0.15:
                at += timedelta(days=rng.randrange(1, 3), hours=rng.randrange(0, 5))  # a texter back days later
    return steps


def write_in_batches(db, rng: random.Random, steps: list[tuple[Step, datetime]]) -> None:
    """As the event writers of several workers would: in batches, mostly in order, but one step
    in eight written late (seconds to hours after steps that followed it)."""
    def written_at(pair):
        late = rng.random() < 0.125
        return pair[1] + (timedelta(seconds=rng.randrange(1, 4 * 3600)) if late else timedelta(0))

    queue = sorted(steps, key=written_at)
    position = 0
    while position < len(queue):
        size = rng.randrange(1, 25)
        record_many(db, queue[position:position + size], RULES)
        position += size


def ranges(rng: random.Random) -> list[tuple[date, date]]:
    last_day = FIRST_DAY + timedelta(days=DAYS + 4)
    found = [(FIRST_DAY, last_day), (date(2030, 3, 10), date(2030, 3, 10)), (date(2030, 3, 9), date(2030, 3, 11))]
    for _ in range(8):
        first = FIRST_DAY - timedelta(days=1) + timedelta(days=rng.randrange(DAYS + 4))
        found.append((first, first + timedelta(days=rng.randrange(0, 4))))
    return found


def assert_same_as_from_steps(db, first: date, last: date, version: int | None) -> None:
    daily = report_for_days(db, first, last, CHICAGO, TRANSFER, version)
    raw = report_from_steps(db, midnight(first, CHICAGO), midnight(last + timedelta(days=1), CHICAGO), TRANSFER,
                            version)
    assert daily.steps_figures() == raw.steps_figures(), (first, last, version)
    assert daily.texts_not_sent == raw.texts_not_sent and (daily.since, daily.until) == (raw.since, raw.until)


def daily_rows(db) -> set[tuple]:
    with db.begin() as conn:
        return {tuple(row) for row in conn.execute(select(daily_table).where(daily_table.c.count != 0))}


def test_random_conversations_written_late_and_over_midnight_give_the_raw_steps_figures(db, monkeypatch):
    rng = random.Random(15)
    steps = random_steps(rng, 260)
    recounted, real = [], daily_figures.Chains.recount
    monkeypatch.setattr(daily_figures.Chains, "recount", lambda self, *a: recounted.append(1) or real(self, *a))
    write_in_batches(db, rng, steps)
    assert len(recounted) > 20  # many steps came after later ones of their conversation
    for first, last in ranges(rng):
        for version in (None, 1, 2, 3):
            assert_same_as_from_steps(db, first, last, version)
    for day in days(db, FIRST_DAY, FIRST_DAY + timedelta(days=DAYS), CHICAGO, TRANSFER):
        raw = report_from_steps(db, midnight(day.day, CHICAGO), midnight(day.day + timedelta(days=1), CHICAGO),
                                TRANSFER)
        assert (day.calls, day.texters, day.heard_emergency, day.transfers, day.bookings, day.opt_outs) == \
            (raw.calls, raw.texters, raw.heard_emergency, raw.transfers, raw.bookings, raw.opt_outs), day
    kept = daily_rows(db)
    with db.begin() as conn:
        assert daily_figures.recount(conn, RULES) == len(steps)
    assert daily_rows(db) == kept  # counting batch by batch, late steps and all, is counting everything at once


def test_a_call_over_midnight_counts_once_and_its_answer_where_it_was_given(db):
    ten_to = midnight(date(2030, 3, 9), CHICAGO) - timedelta(seconds=10)
    call = [(step("voice", "c1", "_language", "start", "start", 1), ten_to),
            (step("voice", "c1", "main", "language", "key", 1), ten_to + timedelta(seconds=5)),
            (step("voice", "c1", "main", "no_input", "silence", 1), ten_to + timedelta(seconds=20))]
    record_many(db, call, RULES)
    friday, saturday = date(2030, 3, 8), date(2030, 3, 9)
    both = report_for_days(db, friday, saturday, CHICAGO)
    assert both.calls == 1 and [(m.node, m.answers, m.no_input) for m in both.menus] == [("_language", 1, 0),
                                                                                          ("main", 1, 1)]
    alone = report_for_days(db, saturday, saturday, CHICAGO)
    assert alone.calls == 1 and alone.menus == []  # the question was asked on Friday
    assert [(v.node, v.voice) for v in alone.visits] == [("main", 1)]  # the first of the day arrives there
    assert report_for_days(db, friday, friday, CHICAGO).calls == 1
    for first, last in ((friday, saturday), (saturday, saturday), (friday, friday)):
        assert_same_as_from_steps(db, first, last, None)


def test_a_step_written_after_a_later_one_counts_where_it_happened(db):
    start = datetime(2030, 3, 8, 15, 0, tzinfo=CHICAGO)
    first, second, third = (step("voice", "c2", "_language", "start", "start", 2),
                            step("voice", "c2", "main", "language", "key", 2),
                            step("voice", "c2", "symptoms", "option", "key", 2))
    record_many(db, [(first, start), (third, start + timedelta(seconds=40))], RULES)  # one worker's batch
    record_many(db, [(second, start + timedelta(seconds=20))], RULES)  # another's, a second later
    report = report_for_days(db, date(2030, 3, 8), date(2030, 3, 8), CHICAGO)
    assert [(m.node, m.answers) for m in report.menus] == [("_language", 1), ("main", 1)]
    assert [(e.node, e.voice) for e in report.ended] == [("symptoms", 1)]
    assert_same_as_from_steps(db, date(2030, 3, 8), date(2030, 3, 8), 2)


def test_steps_written_without_the_rules_are_counted_before_the_next_report(db):
    at = datetime(2030, 3, 8, 12, 0, tzinfo=CHICAGO)
    record_many(db, [(step("sms", "t1", "main", "start", "text", None), at)], RULES)
    record(db, step("sms", "t1", "warning-signs", "emergency", "text", None), at + timedelta(minutes=1))  # no rules
    with db.begin() as conn:
        assert daily_figures.counted_by(conn) == ""  # to be counted again
    report = report_for_days(db, date(2030, 3, 8), date(2030, 3, 8), CHICAGO)
    assert (report.texters, report.red_flag, report.heard_emergency) == (1, 1, 1)
    assert_same_as_from_steps(db, date(2030, 3, 8), date(2030, 3, 8), None)


def test_another_time_zone_counts_every_step_again_in_its_days(db):
    late_evening = datetime(2030, 3, 8, 23, 30, tzinfo=CHICAGO)  # already Saturday in New York
    record_many(db, [(step("voice", "c3", "_language", "start", "start", 1), late_evening)], RULES)
    new_york = ZoneInfo("America/New_York")
    assert report_for_days(db, date(2030, 3, 9), date(2030, 3, 9), new_york).calls == 1
    assert report_for_days(db, date(2030, 3, 8), date(2030, 3, 8), new_york).calls == 0
    with db.begin() as conn:
        assert conn.execute(select(figures_state.c.counting)).scalar_one() == counting("America/New_York").key()
    assert recount_figures(db, CHICAGO) == 1
    assert report_for_days(db, date(2030, 3, 8), date(2030, 3, 8), CHICAGO).calls == 1


def test_a_report_for_whole_days_never_reads_the_steps(db):
    rng = random.Random(7)
    write_in_batches(db, rng, random_steps(rng, 40))
    report_for_days(db, FIRST_DAY, FIRST_DAY, CHICAGO)  # counted by these rules already: nothing to recount
    statements = []

    def seen(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        report_for_days(db, FIRST_DAY, FIRST_DAY + timedelta(days=29), CHICAGO, TRANSFER)
        days(db, FIRST_DAY, FIRST_DAY + timedelta(days=29), CHICAGO, TRANSFER)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if " events" in s or "events." in s]


@pytest.mark.parametrize("version", [None, 2])
def test_an_empty_range_is_all_zero(db, version):
    report = report_for_days(db, date(2031, 1, 1), date(2031, 1, 7), CHICAGO, TRANSFER, version)
    assert (report.calls, report.texters, report.visits, report.menus, report.ended) == (0, 0, [], [], [])
