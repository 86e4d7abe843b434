"""The texts the line sends on its own about appointments: a reminder, and a waitlist offer.

Automated health-care texts are held to rules (the FCC's 2015 health-care exemption, as clinics
apply it): one text of at most 160 characters, GSM-7 only, in the booking's language, naming the
clinic and how to reach it, and saying how to opt out; nothing about a diagnosis, a procedure or
a specialty, and not the patient's full name. The sentences are staff's (flows/booking.yaml):
their fields (flow/phrases.py) hold no name and no slot label, so neither can be written in;
`rule_breaks` checks the rest on the text as sent, at sending and in `ivr validate`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..booking.timefmt import written
from ..flow import Flow
from .gsm import GSM7_EXTENDED, is_gsm7, to_gsm7

REMINDER, OFFER = "sms_reminder", "sms_waitlist_offer"
MAX_CHARACTERS = 160
OPT_OUT_WORD = "STOP"


def _lang(flow: Flow, lang: str) -> str:
    return lang if lang in flow.languages else flow.default_language


def _compose(flow: Flow, name: str, lang: str, local: datetime, **fields) -> str:
    lang = _lang(flow, lang)
    return to_gsm7(flow.phrase(name, lang, name=flow.name(lang), time=written(local, lang),
                               phone=flow.line.clinic_phone, **fields))


def reminder(flow: Flow, lang: str, local: datetime) -> str:
    """The reminder of an appointment at `local` (clinic time), in the booking's language."""
    return _compose(flow, REMINDER, lang, local)


def offer(flow: Flow, lang: str, local: datetime, minutes: int) -> str:
    """A freed time offered to someone on the waitlist, to take within `minutes`."""
    return _compose(flow, OFFER, lang, local, minutes=minutes)


def rule_breaks(flow: Flow, lang: str, text: str) -> list[str]:
    """What in this text (as sent) breaks the rules above; empty when it may go."""
    lang = _lang(flow, lang)
    found = []
    if not is_gsm7(text):
        found.append("characters outside GSM-7")
    if len(text) + sum(map(GSM7_EXTENDED.__contains__, text)) > MAX_CHARACTERS:
        found.append(f"over {MAX_CHARACTERS} characters")
    if to_gsm7(flow.name(lang)) not in text:
        found.append("no clinic name")
    if flow.line.clinic_phone not in text:
        found.append("no clinic phone number")
    if OPT_OUT_WORD not in text:
        found.append(f"no {OPT_OUT_WORD} to opt out")
    return found


def longest_times() -> list[datetime]:
    """Times whose written form is as long as any ("Wed Sep 30, 12:30pm"), to measure a text by."""
    base = datetime(2026, 9, 28, 12, 30, tzinfo=timezone.utc)  # a Monday
    return [base + timedelta(days=n) for n in range(7)]
