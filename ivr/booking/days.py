"""The days someone on the waitlist can come, read from what they wrote after WAIT.

    ""                        any day
    "next week", "esta semana"
    "friday", "viernes", "tomorrow", "mañana"
    "12/5" (English: month/day; Spanish: day/month), "Dec 5", "5 de diciembre"
    "12/5-12/9", "Dec 5 to Dec 9", "del lunes al miércoles", "before Friday", "after 12/5"

Dates are clinic days; a date without a year is its next one. Anything else is None: the
texter is asked again, with an example, rather than put on the list for days they did not mean.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from .timefmt import DAYS, MONTHS

FILLER = frozenset({"please", "pls", "for", "the", "on", "me", "any", "of", "from", "between", "and", "a", "el",
                    "la", "los", "las", "de", "del", "por", "favor", "para", "desde", "entre", "day", "days",
                    "dia", "dias", "only", "solo"})
ANY_WORDS = frozenset({"any", "anytime", "anyday", "cualquier", "cualquiera", "whenever"})
BEFORE = frozenset({"before", "by", "antes"})
AFTER = frozenset({"after", "despues"})
TODAY = {"today": 0, "hoy": 0, "tomorrow": 1, "manana": 1}
THIS_WEEK = ("this week", "esta semana")
NEXT_WEEK = ("next week", "proxima semana", "semana que viene", "siguiente semana", "otra semana")
ANY_DAY = {"en": "any day", "es": "cualquier día"}
JOINS = {"en": ("{} to {}", "from {}", "until {}"), "es": ("{} al {}", "desde {}", "hasta {}")}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _names(table: dict[str, list[str]]) -> dict[str, int]:
    """Every way of writing each weekday or month, to its number: "dec", "december", "dic", "diciembre"."""
    found: dict[str, int] = {}
    for names in table.values():
        for number, name in enumerate(names):
            plain = _plain(name)
            found.setdefault(plain, number)
            found.setdefault(plain[:3], number)
    return found


WEEKDAYS = {**_names(DAYS), "tues": 1, "thur": 3, "thurs": 3}
MONTH_NAMES = _names(MONTHS)
_MONTH = "|".join(sorted(MONTH_NAMES, key=len, reverse=True))
_NUMERIC = r"(?P<a>\d{1,2})[/.](?P<b>\d{1,2})(?:[/.](?:\d{4}|\d{2}))?"  # a "-" after it starts a range
_NAMED = (rf"(?:(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b"
          rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:de\s+)?(?P<m2>{_MONTH})\b)")
_TOKEN = re.compile(rf"{_NAMED}|{_NUMERIC}|(?P<n>\d{{1,2}})\b|(?P<word>[a-z]+)")
JOINERS = frozenset({"to", "through", "thru", "until", "till", "or", "al", "hasta", "y", "o"})


@dataclass(frozen=True)
class Days:
    first: date | None = None  # None: from today
    last: date | None = None  # None: any day after

    def encode(self) -> str:
        """As a texter's place keeps it: "2026-12-05/2026-12-09"; "" for any day."""
        if self.first is None and self.last is None:
            return ""
        return f"{self.first.isoformat() if self.first else ''}/{self.last.isoformat() if self.last else ''}"

    @classmethod
    def decode(cls, text: str) -> Days:
        first, _, last = (text or "").partition("/")
        try:
            return cls(date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None)
        except ValueError:
            return cls()

    def describe(self, lang: str) -> str:
        """ "any day", "Fri Dec 5", "Dec 5 to Dec 9", "from Dec 5", "until Dec 9" (and in Spanish)."""
        lang = lang if lang in JOINS else "en"
        both, after, before = JOINS[lang]
        if self.first is None and self.last is None:
            return ANY_DAY[lang]
        if self.first is not None and self.first == self.last:
            return _written(self.first, lang, weekday=True)
        if self.first is not None and self.last is not None:
            return both.format(_written(self.first, lang), _written(self.last, lang))
        return after.format(_written(self.first, lang)) if self.first else before.format(_written(self.last, lang))


def _written(day: date, lang: str, weekday: bool = False) -> str:
    month = MONTHS[lang][day.month - 1][:3]
    text = f"{day.day} {month}" if lang == "es" else f"{month} {day.day}"
    return f"{DAYS[lang][day.weekday()][:3]} {text}" if weekday else text


def _next_date(month: int, day: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found >= today:
            return found
    return None


def _weeks(text: str, today: date) -> Days | None:
    monday = today - timedelta(days=today.weekday())
    if any(phrase in text for phrase in NEXT_WEEK):
        return Days(monday + timedelta(days=7), monday + timedelta(days=13))
    if any(phrase in text for phrase in THIS_WEEK):
        return Days(today, monday + timedelta(days=6))
    return None


def parse(text: str, lang: str, today: date) -> Days | None:
    """The days in `text` (what came after WAIT), or None when they cannot be read."""
    plain = " ".join(_plain(text).split())
    if not plain:
        return Days()
    weeks = _weeks(plain, today)
    if weeks is not None:
        return weeks
    found: list[date] = []
    pending: list[int] = []  # "del 5 al 9 de diciembre": days whose month comes after them
    before = after = False
    for match in _TOKEN.finditer(plain):
        day = _day(match, lang, today)
        word = match["word"]
        if day is not None:
            if found and day < found[0] and word in WEEKDAYS:
                day += timedelta(days=7)  # "monday to wednesday" on a Tuesday: the wednesday after
            found += [d for d in (_next_date(day.month, n, today) for n in pending) if d is not None]
            pending = []
            found.append(day)
        elif word in BEFORE:
            before = True
        elif word in AFTER:
            after = True
        elif word in ANY_WORDS:
            continue
        elif match["n"] and found:  # "Dec 5-9": the 9th of the same month
            day = _next_date(found[-1].month, int(match["n"]), found[-1])
            if day is None:
                return None
            found.append(day)
        elif match["n"]:
            pending.append(int(match["n"]))
        elif word is None or word not in FILLER | JOINERS:
            return None  # a word (or a number) we cannot place: ask again
    if pending:
        return None
    if not found:  # only courtesies, or "any day"
        return Days()
    first, last = min(found[:2]), max(found[:2])  # "12/9-12/5" is the same days
    if before:
        return Days(today, first - timedelta(days=1)) if first > today else None
    if after:
        return Days(first + timedelta(days=1), None)
    return Days(first, last)


def _day(match: re.Match, lang: str, today: date) -> date | None:
    """One day named in the text, or None when this token is not one."""
    if match["a"]:
        a, b = int(match["a"]), int(match["b"])
        month, day = (b, a) if lang == "es" else (a, b)
        return _next_date(month, day, today)
    month_name, day_text = match["m1"] or match["m2"], match["d1"] or match["d2"]
    if month_name:
        month = MONTH_NAMES.get(month_name)
        return _next_date(month + 1, int(day_text), today) if month is not None else None
    word = match["word"]
    if word in TODAY:
        return today + timedelta(days=TODAY[word])
    if word in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS[word] - today.weekday()) % 7)
    return None
