"""Reading appointment slots from a CSV file of `date,time,minutes,label` rows, in the clinic's
local time. Each bad row becomes `file:line: what is wrong`; the good ones are kept."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import IO, Callable

from .times import local_to_utc

COLUMNS = "date,time,minutes,label"
MAX_MINUTES = 24 * 60
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?(?:\s*([ap])\.?m\.?)?$", re.IGNORECASE)

Wanted = tuple[datetime, str, int]  # a slot to add: when (UTC), label, minutes


def read_rows(source: str | Path | IO, zone: tzinfo, now: datetime,
              check: Callable[[str, int], None]) -> tuple[list[Wanted], list[str]]:
    """The slots a CSV file asks for and, for each row left out, `file:line: what is wrong`.
    Blank lines, `#` comments and a header row (`date,...`) are skipped. `check(label, minutes)`
    raises ValueError for what the slots table would refuse."""
    name, text = _read(source)
    wanted: list[Wanted] = []
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not wanted and not problems and cells[0].lower() == "date":
            continue  # the header
        try:
            wanted.append(_parse_row(cells, zone, now, check))
        except ValueError as error:
            problems.append(f"{name}:{reader.line_num}: {error}")
    return wanted, problems


def _read(source: str | Path | IO) -> tuple[str, str]:
    if isinstance(source, (str, Path)):
        return str(source), Path(source).read_text(encoding="utf-8-sig")
    text = source.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    return str(getattr(source, "name", "<csv>")), text.removeprefix("\ufeff")


def _parse_row(cells: list[str], zone: tzinfo, now: datetime, check) -> Wanted:
    if not 2 <= len(cells) <= 4:
        raise ValueError(f"expected {COLUMNS} (found {len(cells)} columns)")
    cells = cells + [""] * (4 - len(cells))
    day, clock, minutes, label = _parse_date(cells[0]), _parse_clock(cells[1]), cells[2] or "30", cells[3]
    if not minutes.isdigit() or not 1 <= int(minutes) <= MAX_MINUTES:
        raise ValueError(f"minutes '{minutes}' is not a whole number from 1 to {MAX_MINUTES}")
    at = local_to_utc(day, clock, zone)
    if at <= now:
        raise ValueError(f"{cells[0]} {cells[1]} is in the past")
    check(label, int(minutes))
    return at, label, int(minutes)


def _parse_date(text: str) -> date:
    us = _US_DATE.match(text)
    try:
        return date(int(us[3]), int(us[1]), int(us[2])) if us else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date '{text}' is not a date (write 2026-12-01 or 12/01/2026)") from None


def _parse_clock(text: str) -> time:
    match = _CLOCK.match(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (99, 99)
    if match and match[3]:
        hour = hour % 12 + (12 if match[3].lower() == "p" else 0) if 1 <= hour <= 12 else 99
    if hour > 23 or minute > 59:
        raise ValueError(f"time '{text}' is not a time (write 09:30, 14:00 or 2:00 PM)")
    return time(hour, minute)
