"""Sending at the rate Twilio allows: `python -m bench.reminders_bench` (`make bench-reminders`).

3,000 bookings get their reminder through the line's own round (planned, checked, written into
the outbox, ivr/reminders/), then two worker processes send the outbox at TWILIO_MPS=30 through
the project's fake of Twilio's Messages API on 127.0.0.1 (bench/fake_twilio.py), which answers
each text after 200 ms. The pace is the database's, shared by the two (storage/send_pace.py).
From what the fake received: the rate reached as a share of 30 (goal: at least 0.95), the most
texts in any one second (never over 30), and whether any text was sent twice. Writes its section
of bench/README.md (`--no-write`: print only). About two minutes; on a temporary SQLite file, or
on an empty database given by `--database URL` (PostgreSQL, say).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from twilio.rest import Client

from ivr.config import PROJECT_ROOT
from ivr.flow import load_flow
from ivr.messaging.sender import OutboxSender, threads_for
from ivr.reminders.round import run_round
from ivr.reminders.schedule import Schedule
from ivr.storage import migrate
from ivr.storage.bookings import BookingStore
from ivr.storage.db import Database
from ivr.storage.outbox import Outbox
from ivr.storage.reminders import ReminderStore
from ivr.storage.send_pace import PACE_MARGIN, SendPace
from ivr.storage.slots import SlotStore
from ivr.storage.sms_store import SmsStore
from ivr.storage.tables import outbox
from ivr.storage.text_rules import TextRules
from ivr.storage.waitlist import WaitlistStore

from .fake_twilio import ANSWER_SECONDS, FakeTwilio, LocalTwilioHttpClient
from .readme_sections import replace_section

START, END = "<!-- reminders-bench:start -->", "<!-- reminders-bench:end -->"
REMINDERS, MPS, WORKERS, GOAL = 3000, 30, 2, 0.95
SECRET = "bench-secret"
ACCOUNT_SID, FROM_NUMBER = "AC" + "b" * 32, "+15025550100"
ZONE = ZoneInfo("America/New_York")
WORKER_TIMEOUT = 600  # seconds: the two workers are stopped if they have not finished by then


def line_stores(db: Database) -> SimpleNamespace:
    sms = SmsStore(db, 60)
    return SimpleNamespace(db=db, sms=sms, outbox=Outbox(db, sms, SECRET, rules=TextRules(frozenset({"US"}))),
                           slots=SlotStore(db), bookings=BookingStore(db, SECRET), reminders=ReminderStore(db),
                           waitlist=WaitlistStore(db, SECRET))


def queue_reminders(db: Database, count: int) -> int:
    """`count` bookings, each of its own number, made four days ago, a minute apart from 3 hours
    ahead; one round of reminders (72 hours before: all due now) writes their texts into the outbox."""
    stores, now = line_stores(db), datetime.now(timezone.utc)
    made = now - timedelta(days=4)
    slots = [slot for first in range(0, count, 1000)  # add_slots takes at most 1,000 at a time
             for slot in stores.slots.add_slots(now + timedelta(hours=3, minutes=first), timedelta(minutes=1),
                                                min(1000, count - first), now=made)]
    for n, slot in enumerate(slots):
        stores.bookings.book(slot.id, f"+1502555{n:04d}", "Sam Lee", "sms", "en", made)
    schedule = Schedule((72,), None, ZONE, 30)  # no quiet hours: the benchmark runs at any hour
    counts = run_round(stores, load_flow(PROJECT_ROOT / "flows"), schedule, now, "bench")
    return counts["sent"]


def work(url: str, twilio_url: str) -> None:
    """One worker process: send the outbox until nothing is left to send."""
    db = Database(url)
    stores = line_stores(db)
    client = Client(ACCOUNT_SID, "token", http_client=LocalTwilioHttpClient(twilio_url))
    sender = OutboxSender(stores.outbox, client, FROM_NUMBER, batch=MPS * 60, pace=SendPace(db, MPS),
                          concurrency=threads_for(MPS))
    while stores.outbox.depth():
        sender.deliver_due()
    db.dispose()


def most_in_one_second(moments: list[float]) -> tuple[int, int]:
    """The most texts in any one-second window, and in any whole clock second."""
    moments, most, first = sorted(moments), 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most, max(Counter(int(moment) for moment in moments).values())


def measure(url: str, reminders: int = REMINDERS) -> dict:
    db = Database(url)
    migrate.upgrade(db)
    began = time.perf_counter()
    queued = queue_reminders(db, reminders)
    queue_seconds = time.perf_counter() - began
    if queued != reminders:
        raise SystemExit(f"only {queued} of {reminders} reminders were queued: nothing measured")
    with FakeTwilio(ANSWER_SECONDS) as fake:
        command = [sys.executable, "-m", "bench.reminders_bench", "--worker", url, fake.url]
        workers = [subprocess.Popen(command, cwd=PROJECT_ROOT) for _ in range(WORKERS)]
        try:
            codes = [worker.wait(WORKER_TIMEOUT) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
        received = list(fake.received.requests)
    with db.begin() as conn:
        statuses = dict(conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all())
    db.dispose()
    moments = [moment for moment, _, _, _ in received]
    sent = [sent_at for _, _, _, sent_at in received]
    window, clock_second = most_in_one_second(moments)
    sent_window, sent_clock_second = most_in_one_second(sent)
    transit = sorted((moment - sent_at) * 1000 for moment, _, _, sent_at in received)
    rate = (len(moments) - 1) / (max(moments) - min(moments))
    twice = len(received) - len({(to, body) for _, to, body, _ in received})
    return {"queued": queued, "queue_seconds": queue_seconds, "received": len(received), "rate": rate,
            "share": rate / MPS, "window": window, "clock_second": clock_second, "twice": twice,
            "sent_window": sent_window, "sent_clock_second": sent_clock_second,
            "transit_p50": transit[len(transit) // 2], "transit_max": transit[-1],
            "statuses": statuses, "codes": codes, "seconds": max(moments) - min(moments)}


def section(result: dict, database: str) -> str:
    ok = (result["share"] >= GOAL and result["clock_second"] <= MPS and result["twice"] == 0
          and result["received"] == result["queued"])
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(result["statuses"].items()))
    return "\n".join([
        START,
        "## Sending at the rate Twilio allows",
        "",
        f"`python -m bench.reminders_bench` (`make bench-reminders`), {datetime.now(timezone.utc):%Y-%m-%d}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {database}: "
        f"{result['queued']:,} reminders planned and queued by one round ({result['queue_seconds']:.1f} s), "
        f"then sent by {WORKERS} worker processes at TWILIO_MPS={MPS} through the project's fake of Twilio's "
        f"Messages API on 127.0.0.1, answering each text after {ANSWER_SECONDS * 1000:.0f} ms (bench/fake_twilio.py). "
        "Counted where the fake received them.",
        "",
        "| measure | result | goal |",
        "|---|---|---|",
        f"| rate reached, as a share of {MPS}/s | {result['share']:.3f} ({result['rate']:.2f} texts/s over "
        f"{result['seconds']:.1f} s) | at least {GOAL} |",
        f"| most received in any one second: whole clock seconds; any 1 s window | {result['clock_second']}; "
        f"{result['window']} | never over {MPS} |",
        f"| most sent by the workers in any one second: whole clock seconds; any 1 s window | "
        f"{result['sent_clock_second']}; {result['sent_window']} | never over {MPS} |",
        f"| from the worker's send to the fake's reading of it, median; most | {result['transit_p50']:.1f} ms; "
        f"{result['transit_max']:.1f} ms | |",
        f"| texts received / queued | {result['received']:,} / {result['queued']:,} | all |",
        f"| sent twice | {result['twice']} | none |",
        "",
        f"Outbox afterwards: {statuses}. {'All goals met.' if ok else 'NOT ALL GOALS MET.'} The goal is "
        "read per whole clock second; a sliding window over 30 where the workers' own "
        "sends are not is the fake reading a request late (the most above) on a machine busy with other work. "
        "The pace spaces "
        f"turns at {PACE_MARGIN} of TWILIO_MPS (storage/send_pace.py, PACE_MARGIN), so a text that reaches "
        f"Twilio a moment late does not put one second over; {PACE_MARGIN} is the most this can reach.",
        END,
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an empty database's URL (default: a temporary SQLite file)")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave bench/README.md")
    parser.add_argument("--reminders", type=int, default=REMINDERS, help="how many (the goal is for 3,000)")
    parser.add_argument("--worker", nargs=2, metavar=("URL", "TWILIO_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        work(*args.worker)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        result = measure(url, args.reminders)
    text = section(result, "PostgreSQL" if url.startswith("postgresql") else "SQLite")
    print(text)
    if not args.no_write:
        replace_section(text, START, END)
    return 0 if result["twice"] == 0 and result["clock_second"] <= MPS else 1


if __name__ == "__main__":
    sys.exit(main())
