"""Office hours, as deployers write them: "Mon-Fri 08:00-17:00; Sat 09:00-12:00"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from .timefmt import DAYS, spoken_time

_DAY_CODES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_PART = re.compile(r"^\s*(\w{3})(?:\s*-\s*(\w{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_JOIN = {"en": ("to", "and"), "es": ("a", "y")}


@dataclass(frozen=True)
class Span:
    first_day: int
    last_day: int
    opens: time
    closes: time


class OfficeHours:
    def __init__(self, spec: str, timezone: str):
        self.spec = spec
        self.zone = ZoneInfo(timezone)
        self.spans = [self._parse(part) for part in spec.split(";") if part.strip()]

    @staticmethod
    def _parse(part: str) -> Span:
        match = _PART.match(part)
        days = [m.lower() if m else None for m in match.groups()[:2]] if match else []
        if not match or any(d and d not in _DAY_CODES for d in days):
            raise ValueError(f"OFFICE_HOURS: cannot read '{part.strip()}' (write e.g. 'Mon-Fri 08:00-17:00')")
        first = _DAY_CODES.index(days[0])
        last = _DAY_CODES.index(days[1]) if days[1] else first
        h1, m1, h2, m2 = (int(g) for g in match.groups()[2:])
        try:
            closes = time.max if (h2, m2) == (24, 0) else time(h2, m2)  # 24:00: to the end of the day
            return Span(first, last, time(h1, m1), closes)
        except ValueError:
            raise ValueError(f"OFFICE_HOURS: '{part.strip()}' has a time that does not exist") from None

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        return any(span.first_day <= local.weekday() <= span.last_day and span.opens <= local.time() < span.closes
                   for span in self.spans)

    def describe(self, lang: str) -> str:
        """'Monday to Friday, 8 in the morning to 5 in the afternoon', in the caller's language."""
        names = DAYS.get(lang, DAYS["en"])
        to, and_ = _JOIN.get(lang, _JOIN["en"])
        parts = []
        for span in self.spans:
            days = names[span.first_day] + ("" if span.first_day == span.last_day else f" {to} {names[span.last_day]}")
            parts.append(f"{days}, {spoken_time(span.opens, lang)} {to} {spoken_time(span.closes, lang)}")
        return f" {and_} ".join(parts)
