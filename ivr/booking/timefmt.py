"""Appointment times said and written the way people say them, in each language.

    spoken("en"): "Tuesday, December 1st, at 9:30 in the morning"
    written("en"): "Tue Dec 1, 9:30am"
    words("en"):   what a caller may say to pick it: "tuesday", "nine thirty", "9 30", ...
"""
from __future__ import annotations

from datetime import datetime

DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"],
}
ORDINALS = {  # how the listed times are named: "For ..., press 1, or say first."
    "en": ["first", "second", "third", "fourth"],
    "es": ["primero", "segundo", "tercero", "cuarto"],
}
HOUR_WORDS = {
    "en": ["twelve", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"],
    "es": ["doce", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once"],
}
MINUTE_WORDS = {  # {h}: the hour in words
    "en": {0: ["{h} oclock"], 15: ["{h} fifteen", "quarter past {h}"], 30: ["{h} thirty", "half past {h}"],
           45: ["{h} forty five"]},
    "es": {0: ["{h} en punto"], 15: ["{h} y cuarto", "{h} y quince"], 30: ["{h} y media", "{h} y treinta"],
           45: ["{h} cuarenta y cinco"]},
}


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _part_of_day(hour: int, lang: str) -> str:
    if lang == "es":
        return "de la mañana" if hour < 12 else ("de la tarde" if hour < 19 else "de la noche")
    return "in the morning" if hour < 12 else ("in the afternoon" if hour < 17 else "in the evening")


def spoken_time(local, lang: str) -> str:
    """A clock time for the ear: "9:30 in the morning"."""
    return f"{_clock(local)} {_part_of_day(local.hour, _lang(lang))}"


def _clock(local) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}" if local.minute == 0 else f"{hour}:{local.minute:02d}"


def _lang(lang: str) -> str:
    return lang if lang in DAYS else "en"


def spoken(local: datetime, lang: str) -> str:
    lang = _lang(lang)
    day, month = DAYS[lang][local.weekday()], MONTHS[lang][local.month - 1]
    if lang == "es":
        article = "a la" if local.hour % 12 == 1 else "a las"
        return f"{day} {local.day} de {month}, {article} {spoken_time(local, lang)}"
    return f"{day}, {month} {_ordinal(local.day)}, at {spoken_time(local, lang)}"


def written(local: datetime, lang: str) -> str:
    lang = _lang(lang)
    suffix = "am" if local.hour < 12 else "pm"
    day, month = DAYS[lang][local.weekday()][:3], MONTHS[lang][local.month - 1][:3]
    if lang == "es":
        return f"{day} {local.day} {month}, {_clock(local)}{suffix}"
    return f"{day} {month} {local.day}, {_clock(local)}{suffix}"


def words(local: datetime, lang: str) -> list[str]:
    """Ways a caller may name this time: the weekday, the date, the clock time in words and digits."""
    lang = _lang(lang)
    hour12 = local.hour % 12 or 12
    hour_word = HOUR_WORDS[lang][hour12 % 12]
    found = [DAYS[lang][local.weekday()], f"{MONTHS[lang][local.month - 1]} {local.day}",
             f"{hour12} {local.minute:02d}", f"{hour12} {'am' if local.hour < 12 else 'pm'}"]
    if local.minute:
        found.append(f"{hour12}{local.minute:02d}")
    for template in MINUTE_WORDS[lang].get(local.minute, ["{h} " + str(local.minute)]):
        found.append(template.format(h=hour_word))
    return found
