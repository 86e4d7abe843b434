"""The figures on a busy line: `python -m bench.report_bench`.

Writes a month of recorded steps (10,000, then 1,000,000: about a month of a busy line) straight
into the events table with the database's bulk insert, counts the daily figures from them once
(what the first report after an upgrade does), then times what staff ask for: `ivr report` for the
30 days (the daily figures) and the console's dashboard (the report, each day on its own, and two
flow versions compared), beside the same report computed from the raw steps, on SQLite and on a
throwaway PostgreSQL server. Then the front desk's lists on 100,000 bookings. Writes its section of
bench/README.md (`--no-write`: print only).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ivr.reporting import days, report_for_days, report_from_steps
from ivr.reporting.daily import midnight, recount_figures
from ivr.storage import migrate
from ivr.storage.db import Database
from ivr.storage.tables import daily_figures

from .desk_lists_bench import time_desk_lists
from .readme_sections import replace_section
from .servers import ROOT
from .timing import median_ms as timed

START, END = "<!-- report-bench:start -->", "<!-- report-bench:end -->"
ZONE = ZoneInfo("America/New_York")
LAST_DAY = date(2030, 6, 30)
DAYS = 30
SIZES = (10_000, 1_000_000)
TRANSFER = ["person"]
COLUMNS = ("at", "channel", "conversation", "phone_hash", "node", "stage", "input_kind", "matched", "event", "lang",
           "flow_version")
MENUS = ["main", "symptoms", "warning-signs", "treatment", "prevention", "appointments", "person", "goodbye"]


def conversations(rng: random.Random) -> list[list[tuple]]:
    """A few hundred shapes of conversation, reused: (node, stage, input kind, event) steps."""
    shapes = []
    for n in range(400):
        voice = n % 10 < 7
        steps = [("_language", "", "start", "start"), ("main", "", "key", "language")] if voice else \
            [("main", "", "text", "start")]
        for _ in range(rng.randrange(1, 12)):
            kind = rng.choice(["key", "speech", "silence"]) if voice else "text"
            node = rng.choice(MENUS)
            event = rng.choices(["option", "no_match", "no_input", "emergency", "person", "booked", "opt_out"],
                                [70, 8, 8, 3, 4, 4, 1])[0]
            stage = rng.choice(["choose", "confirm"]) if node == "appointments" and event == "option" else ""
            steps.append((node, stage, kind, event))
        shapes.append(("voice" if voice else "sms", steps))
    return shapes


def steps(count: int, seed: int = 15) -> Iterator[tuple]:
    """`count` steps over the DAYS days up to LAST_DAY, conversation by conversation; a texter's
    number comes back on other days."""
    rng = random.Random(seed)
    shapes = conversations(rng)
    start = midnight(LAST_DAY - timedelta(days=DAYS - 1), ZONE).astimezone(timezone.utc)
    seconds = DAYS * 86_400
    texters = max(count // 40, 10)
    made, n = 0, 0
    while made < count:
        channel, shape = rng.choice(shapes)
        key = f"call-{n:08d}" if channel == "voice" else f"texter-{rng.randrange(texters):06d}"
        at = start + timedelta(seconds=rng.randrange(seconds - 600))
        version = 1 if at < start + timedelta(days=DAYS // 2) else 2
        for node, stage, kind, event in shape[:count - made]:
            yield (at, channel, key, "hash-" + key, node, stage, kind, event not in ("no_match", "no_input"), event,
                   "en", version)
            at += timedelta(seconds=rng.randrange(3, 40))
            made += 1
        n += 1


def bulk_insert(db: Database, rows: Iterator[tuple]) -> None:
    """Straight into the events table: SQLite's executemany on its own driver, PostgreSQL's COPY."""
    raw = db.engine.raw_connection()
    try:
        if db.sqlite:
            names = ", ".join(COLUMNS)
            sql = f"INSERT INTO events ({names}) VALUES ({', '.join('?' * len(COLUMNS))})"
            batch = []
            for row in rows:  # SQLAlchemy's own format for a naive UTC time on SQLite
                batch.append((row[0].strftime("%Y-%m-%d %H:%M:%S.%f"), *row[1:]))
                if len(batch) == 50_000:
                    raw.cursor().executemany(sql, batch)
                    batch = []
            if batch:
                raw.cursor().executemany(sql, batch)
        else:
            with raw.cursor() as cursor, cursor.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def measure_size(db: Database, count: int, raw_too: bool) -> dict:
    started = time.perf_counter()
    bulk_insert(db, steps(count))
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    recount_figures(db, ZONE)
    recounted = time.perf_counter() - started
    first = LAST_DAY - timedelta(days=DAYS - 1)

    def report():
        return report_for_days(db, first, LAST_DAY, ZONE, TRANSFER)

    def dashboard():
        report_for_days(db, first, LAST_DAY, ZONE, TRANSFER)
        days(db, first, LAST_DAY, ZONE, TRANSFER)
        report_for_days(db, first, LAST_DAY, ZONE, TRANSFER, version=1)
        report_for_days(db, first, LAST_DAY, ZONE, TRANSFER, version=2)

    with db.begin() as conn:
        kept = conn.execute(select(func.count()).select_from(daily_figures)).scalar_one()
    result = {"steps": count, "insert_s": inserted, "recount_s": recounted, "report_ms": timed(report, 9),
              "dashboard_ms": timed(dashboard, 5), "calls": report().calls, "figure_rows": kept}
    if raw_too:
        since, until = midnight(first, ZONE), midnight(LAST_DAY + timedelta(days=1), ZONE)
        result["raw_ms"] = timed(lambda: report_from_steps(db, since, until, TRANSFER), 1)
    return result


@contextmanager
def databases(which: tuple[str, ...]) -> Iterator[dict[str, Callable[[str], str]]]:
    """A fresh database for each measurement: a SQLite file, a database on a throwaway PostgreSQL
    server (the tests' own, tests/postgres.py)."""
    with tempfile.TemporaryDirectory(prefix="ivr-report-bench-") as folder:
        made: dict[str, Callable[[str], str]] = {}
        if "sqlite" in which:
            made["sqlite"] = lambda name: f"sqlite:///{Path(folder) / name}.sqlite3"
        cluster = None
        if "postgresql" in which:
            sys.path.insert(0, str(ROOT / "tests"))
            from postgres import Cluster, find_bin_dir  # the tests' throwaway server

            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
            cluster = Cluster(bin_dir, Path(tempfile.mkdtemp(prefix="ivr-report-bench-pg-")))
            cluster.start()
            made["postgresql"] = lambda name: _pg_database(cluster, name)
        try:
            yield made
        finally:
            if cluster is not None:
                cluster.stop()


def _pg_database(cluster, name: str) -> str:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=cluster.port, user="ivr", dbname="postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(name)


def run(which: tuple[str, ...], sizes: tuple[int, ...], raw_too: bool, bookings: int) -> dict:
    results: dict = {"reports": {}, "lists": {}}
    with databases(which) as make:
        for engine, url_for in make.items():
            for count in sizes:
                db = Database(url_for(f"steps_{count}"))
                migrate.upgrade(db)
                results["reports"][(engine, count)] = measure_size(db, count, raw_too)
                print(engine, results["reports"][(engine, count)], flush=True)
                db.dispose()
            if bookings:
                db = Database(url_for("bookings"))
                migrate.upgrade(db)
                results["lists"][engine] = time_desk_lists(db, bookings)
                print(engine, results["lists"][engine], flush=True)
                db.dispose()
    return results


def section(results: dict, sizes: tuple[int, ...]) -> str:
    small, big = sizes[0], sizes[-1]
    lines = [START, "## The figures on a busy line", "",
             f"`python -m bench.report_bench` ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores): a month "
             f"of steps written straight into the events table, the daily figures counted from them once, then "
             f"`ivr report` for the {DAYS} days (median of 9) and the console's dashboard (the report, each day on "
             "its own and two flow versions compared; median of 5), beside the same report computed from every "
             "raw step (once).", "",
             "| database | steps | bulk insert | daily figures counted | rows of daily figures | "
             "`ivr report`, 30 days | dashboard | from the raw steps |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (engine, count), r in results["reports"].items():
        raw = f"{r['raw_ms']:,.0f} ms" if "raw_ms" in r else "not run"
        lines.append(f"| {engine} | {count:,} | {r['insert_s']:.1f} s | {r['recount_s']:.1f} s | "
                     f"{r['figure_rows']:,} | {r['report_ms']:.1f} ms | {r['dashboard_ms']:.1f} ms | {raw} |")
    lines += ["", "A report reads the rows of daily figures of its days, never the steps: their number is bounded "
              "by the days, the nodes and the figures (a count a day for each neighbouring day a conversation "
              "reached), however many steps there are. A quiet month leaves many of them empty, so the busy month "
              "reads more (the column above), but never past that bound; from the raw steps the cost grows with "
              "every step.", ""]
    for engine in dict.fromkeys(e for e, _ in results["reports"]):
        a, b = results["reports"].get((engine, small)), results["reports"].get((engine, big))
        if a and b:
            lines.append(f"- {engine}: `ivr report` at {big:,} steps costs **{b['report_ms'] / a['report_ms']:.2f}×** "
                         f"what it costs at {small:,}; the dashboard {b['dashboard_ms'] / a['dashboard_ms']:.2f}×"
                         + (f"; from the raw steps it was {b['raw_ms'] / a['raw_ms']:,.0f}×." if "raw_ms" in a
                            and "raw_ms" in b else "."))
    if results["lists"]:
        lines += ["", "The front desk's lists on {:,} bookings (median of 9, one page of 50 each):".format(
            next(iter(results["lists"].values()))["bookings"]), "",
            "| database | " + " | ".join(name for name in next(iter(results["lists"].values()))["pages"]) + " |",
            "| --- |" + " ---: |" * len(next(iter(results["lists"].values()))["pages"])]
        for engine, r in results["lists"].items():
            lines.append(f"| {engine} | " + " | ".join(f"{ms:.1f} ms" for ms in r["pages"].values()) + " |")
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of steps to measure")
    parser.add_argument("--no-raw", action="store_true", help="skip the report from the raw steps")
    parser.add_argument("--bookings", type=int, default=100_000, help="bookings for the desk's lists (0: skip)")
    parser.add_argument("--no-write", action="store_true", help="print the result; leave bench/README.md alone")
    args = parser.parse_args(argv)
    which = (args.only,) if args.only else ("sqlite", "postgresql")
    sizes = tuple(sorted(args.sizes))
    text = section(run(which, sizes, not args.no_raw, args.bookings), sizes)
    print(text)
    if not args.no_write:
        replace_section(text, START, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
