"""The {fields} a phrase may use, filled from a step's result for one channel."""
from __future__ import annotations

from datetime import timezone, tzinfo

from ..booking import timefmt
from ..booking.days import Days
from ..engine.state import Result
from ..flow import Flow


def chosen_slot(result: Result):
    view = result.view
    return view.slot or (view.booking.slot if view.booking is not None else None)


def slot_time(slot, lang: str, zone: tzinfo, spoken: bool) -> str:
    local = slot.starts_at.astimezone(zone)
    return timefmt.spoken(local, lang) if spoken else timefmt.written(local, lang)


def phrase_fields(flow: Flow, result: Result, zone: tzinfo | None, spoken: bool) -> dict:
    lang, view = result.state.lang, result.view
    slot = chosen_slot(result)
    return {
        "name": flow.name(lang),
        "phone": flow.line.clinic_phone,
        "time": slot_time(slot, lang, zone or timezone.utc, spoken) if slot is not None else "",
        "caller": result.state.name or (view.booking.name if view.booking is not None else ""),
        "hours": view.hours,
        "last4": view.last4,
        "days": Days.decode(result.state.days).describe(lang),  # a waitlist entry's days
    }
