"""The staff commands `ivr slots`, `ivr bookings`, `ivr callbacks`, run in the app as staff run
them, on a real SQLite file, with the app's clock; times typed and shown in CLINIC_TIMEZONE."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ivr.app import create_app
from ivr.cli import main
from ivr.cli.slots_commands import parse_every
from ivr.storage.sample_slots import sample_days

from conftest import make_config

SECRET = "cli-test-secret"
NY = ZoneInfo("America/New_York")
CALLER = "+15025550123"
NOW = datetime(2030, 11, 29, 15, 0, tzinfo=timezone.utc)  # a Friday, 10:00 in New York


@pytest.fixture
def app(tmp_path):
    return create_app(make_config(tmp_path, SECRET_KEY=SECRET, CLINIC_TIMEZONE="America/New_York",
                                  CLOCK=lambda: NOW))


@pytest.fixture
def store(app):
    """The app's own stores: slots, bookings, callbacks."""
    return app.extensions["ivr"]


def ivr(app, *args: str, ok: bool = True):
    result = app.test_cli_runner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code == 0) == ok, result.output
    return result


def test_slots_add_takes_clinic_time_and_list_shows_it(app, store):
    out = ivr(app, "slots", "add", "--start", "2030-12-02 09:00", "--every", "30m", "--count", "8",
              "--label", "Dr. Doss").output

    assert "Added 8 slots" in out and "America/New_York" in out
    found = store.slots.list_slots(NOW)
    assert [s.starts_at for s in found][:2] == [datetime(2030, 12, 2, 14, m, tzinfo=timezone.utc) for m in (0, 30)]
    assert {(s.label, s.minutes) for s in found} == {("Dr. Doss", 30)}
    listing = ivr(app, "slots", "list").output
    assert "Mon 2030-12-02 09:00" in listing and "Mon 2030-12-02 12:30" in listing and "open" in listing
    again = ivr(app, "slots", "add", "--start", "2030-12-02 12:00", "--count", "3", "--label", "Dr. Doss").output
    assert "Added 1 slot (2 already there)" in again


@pytest.mark.parametrize("every, minutes", [("15m", 15), ("1h", 60), ("1h30m", 90), ("90m", 90)])
def test_every_accepts_minutes_hours_or_both(app, store, every, minutes):
    ivr(app, "slots", "add", "--start", "2030-12-02 09:00", "--every", every, "--count", "2", "--minutes", "15")
    first, second = store.slots.list_slots(NOW)
    assert second.starts_at - first.starts_at == timedelta(minutes=minutes) and first.minutes == 15
    assert parse_every(every) == timedelta(minutes=minutes)


@pytest.mark.parametrize("args, message", [
    (["--start", "2030-12-02 09:00", "--every", "30"], "not a time between slots"),
    (["--start", "2030-12-02 09:00", "--every", "0m"], "not a time between slots"),
    (["--start", "tomorrow"], "not a start time"),
    (["--start", "2030-12-02 09:00", "--count", "0"], "--count"),
])
def test_slots_add_bad_options_are_clear_usage_errors(app, store, args, message):
    result = ivr(app, "slots", "add", *args, ok=False)
    assert result.exit_code == 2 and message in result.output
    assert store.slots.list_slots(NOW) == []


@pytest.mark.parametrize("start, message", [("2020-01-06 09:00", "is in the past"),
                                            ("2030-03-10 02:30", "does not exist in America/New_York")])
def test_slots_add_refuses_times_that_cannot_be_booked(app, store, start, message):
    result = ivr(app, "slots", "add", "--start", start, ok=False)
    assert result.exit_code == 1 and message in result.output


def test_slots_list_shows_booked_and_with_all_past_slots(app, store):
    now = NOW
    past = store.slots.add_slots(now - timedelta(days=1), timedelta(minutes=30), 1, label="Past",
                                 now=now - timedelta(days=2))
    taken, free = store.slots.add_slots(now + timedelta(days=3), timedelta(minutes=30), 2, label="Dr. Doss", now=now)
    store.bookings.book(taken.id, CALLER, "Jane", "sms", "en", now)

    rows = {line.split()[0]: line for line in ivr(app, "slots", "list").output.splitlines()[1:]}
    assert set(rows) == {str(taken.id), str(free.id)}
    assert rows[str(taken.id)].endswith("booked") and rows[str(free.id)].endswith("open")
    everything = ivr(app, "slots", "list", "--all").output
    assert f"{past[0].id} " in everything and everything.splitlines()[1].endswith("past")


def test_slots_remove_refuses_a_booked_slot(app, store):
    now = NOW
    taken, free = store.slots.add_slots(now + timedelta(days=3), timedelta(minutes=30), 2, now=now)
    store.bookings.book(taken.id, CALLER, "Jane", "sms", "en", now)

    assert f"slot {taken.id} is booked" in ivr(app, "slots", "remove", str(taken.id), ok=False).output
    assert f"Removed slot {free.id}" in ivr(app, "slots", "remove", str(free.id)).output
    assert "there is no slot 999" in ivr(app, "slots", "remove", "999", ok=False).output
    assert f"there is no slot {free.id}" in ivr(app, "slots", "remove", str(free.id), ok=False).output
    assert [s.id for s in store.slots.list_slots(now)] == [taken.id]


def test_slots_import_adds_good_rows_and_names_each_bad_one(app, store, tmp_path):
    path = tmp_path / "december.csv"
    path.write_text("date,time,minutes,label\n2030-12-02,09:00,30,Dr. Doss\n2030-12-02,9:75,30,Dr. Doss\n"
                    "2030-12-03,14:00,45,\n12/32/2030,09:00,30,Dr. Doss\n", encoding="utf-8")

    result = ivr(app, "slots", "import", str(path), ok=False)

    assert "Added 2 slots" in result.stdout
    assert f"{path}:3: time '9:75' is not a time" in result.stderr
    assert f"{path}:5: date '12/32/2030' is not a date" in result.stderr
    assert "2 rows not added" in result.stderr
    assert len(store.slots.list_slots(NOW)) == 2
    assert "Added 0 slots." in ivr(app, "slots", "import", str(path), ok=False).stdout
    assert len(store.slots.list_slots(NOW)) == 2
    assert "does not exist" in ivr(app, "slots", "import", str(tmp_path / "nope.csv"), ok=False).output


@pytest.mark.parametrize("text, lines", [
    ("\ndate,time,minutes,label\n2030-12-02,09:00,30,Dr. Doss\n2030-12-02,9:75,30,Dr. Doss\n", (4,)),
    ("\n\n  \n2030-12-02,09:00,30,Dr. Doss\n,,\n2030-12-02,9:75\n", (6,)),
    ("\ufeff\r\n2030-12-02,09:00,30,Dr. Doss\r\nsomething else\r\n", (3,)),
])
def test_slots_import_of_a_file_starting_with_blank_lines_names_each_bad_row_by_its_line(app, store, tmp_path,
                                                                                        text, lines):
    """A review found a CSV whose first line is blank crashed `ivr slots import` with a traceback."""
    path = tmp_path / "blank-first.csv"
    path.write_text(text, encoding="utf-8")
    result = ivr(app, "slots", "import", str(path), ok=False)  # no traceback: ivr() checks
    assert "Added 1 slot" in result.stdout
    named = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert [int(line.split(":")[1]) for line in named] == list(lines)  # file:line, the line as in the file
    assert len(store.slots.list_slots(NOW)) == 1


def test_slots_import_of_a_file_of_blank_lines_adds_nothing_and_says_so(app, store, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("\n\n\n", encoding="utf-8")
    assert "Added 0 slots." in ivr(app, "slots", "import", str(path)).stdout


def test_bookings_list_masks_the_number_and_cancel_frees_the_slot(app, store):
    now = NOW
    slot = store.slots.add_slots(now + timedelta(days=3), timedelta(minutes=30), 1, label="Dr. Doss", now=now)[0]
    booking = store.bookings.book(slot.id, CALLER, "Jane Doe", "sms", "en", now)

    listing = ivr(app, "bookings", "list").output
    assert "***0123" in listing and "Jane Doe" in listing and "Dr. Doss" in listing and "booked" in listing
    assert "5025550123" not in listing
    assert "the slot is open again" in ivr(app, "bookings", "cancel", str(booking.id)).output
    assert store.slots.open_slots(now) == [slot]
    assert "(no bookings)" in ivr(app, "bookings", "list").output
    assert "cancelled" in ivr(app, "bookings", "list", "--all").output
    assert "already cancelled" in ivr(app, "bookings", "cancel", str(booking.id), ok=False).output
    assert "there is no booking 999" in ivr(app, "bookings", "cancel", "999", ok=False).output


def test_callbacks_list_shows_who_to_call_until_done(app, store):
    request = store.callbacks.add_callback(CALLER, "Jane Doe", "es", NOW)

    listing = ivr(app, "callbacks", "list").output
    assert "Jane Doe" in listing and CALLER in listing and "es" in listing
    assert f"Callback request {request.id} done" in ivr(app, "callbacks", "done", str(request.id)).output
    assert "(no callback requests waiting)" in ivr(app, "callbacks", "list").output
    assert "done" in ivr(app, "callbacks", "list", "--all").output
    assert "no open callback request" in ivr(app, "callbacks", "done", str(request.id), ok=False).output


def test_seed_sample_adds_weekday_mornings_only_when_there_are_no_upcoming_slots(app, store):
    out = ivr(app, "slots", "seed-sample").output

    assert "Added 30 sample slots" in out
    seeded = store.slots.list_slots(NOW)
    local = [s.starts_at.astimezone(NY) for s in seeded]
    assert len(seeded) == 30 and all(t.weekday() < 5 for t in local)
    assert sorted({t.strftime("%H:%M") for t in local}) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert min(t.date() for t in local) > NOW.astimezone(NY).date()
    assert "no sample slots added" in ivr(app, "slots", "seed-sample").output
    assert len(store.slots.list_slots(NOW)) == 30


def test_seed_sample_leaves_a_clinic_with_its_own_slots_alone(app, store, tmp_path):
    now = NOW
    store.slots.add_slots(now + timedelta(days=40), timedelta(minutes=30), 1, label="Dr. Doss", now=now)
    assert "1 upcoming slot already" in ivr(app, "slots", "seed-sample").output
    assert len(store.slots.list_slots(now)) == 1


def test_sample_days_are_the_next_weekdays():
    friday = date(2030, 12, 6)
    assert sample_days(friday) == [date(2030, 12, 9) + timedelta(days=i) for i in range(5)]
    assert sample_days(date(2030, 12, 2), 2) == [date(2030, 12, 3), date(2030, 12, 4)]


def test_a_bad_clinic_time_zone_is_a_clear_error(tmp_path):
    """As staff run it: the settings from the environment, the app made by the command."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "IVR_ENV": "development",
           "CLINIC_TIMEZONE": "Mars/Olympus", "SECRET_KEY": SECRET, "OUTBOX_WORKER": "0"}
    result = CliRunner().invoke(main, ["slots", "list"], env=env)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "CLINIC_TIMEZONE 'Mars/Olympus' is not a time zone" in result.output


def test_a_command_from_the_environment_uses_that_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "IVR_ENV": "development",
           "CLINIC_TIMEZONE": "America/New_York", "SECRET_KEY": SECRET, "OUTBOX_WORKER": "0"}
    added = CliRunner().invoke(main, ["slots", "add", "--start", "2099-12-01 09:00", "--count", "2"], env=env)
    assert added.exit_code == 0, added.output
    listing = CliRunner().invoke(main, ["slots", "list"], env=env).output
    assert "Tue 2099-12-01 09:00" in listing and "Tue 2099-12-01 09:30" in listing
