"""The waitlist: joining it, offering freed times one person at a time, and taking an offer.

A time that frees up (a cancellation, a move, a slot added) after someone joined is offered by
text to the first person waiting whose days it fits, for WAITLIST_OFFER_MINUTES. The database
holds the rules that matter under concurrency (storage/waitlist.py): one open offer a slot and
a person, never the same time twice to one person, and the first YES within the time books it
in the booking's own transaction (the slot's unique index: never two bookings on one slot).
A YES after the offer expired, or after someone else booked the time, is told the time was
taken and given new choices.

Offers are automated texts: not in quiet hours, within the daily and weekly caps (rules.py), and
never to a number that opted out (its entry ends) or that holds an upcoming booking already.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ..booking.days import Days
from ..flow import Flow
from ..privacy import short_id
from ..render import reminder_texts
from ..storage.bookings import Booking
from ..storage.reminders import WAITLIST_OFFER
from ..storage.times import utc
from ..storage.waitlist import FreedSlot, WaitEntry
from .rules import over_cap
from .schedule import MIN_NOTICE, WAIT_DAYS, Schedule
from .sending import REMINDERS_LOCK

log = logging.getLogger("ivr.reminders")

OFFERED, PASSED, RACED, CANNOT_TEXT = "offered", "passed", "raced", "cannot text"


class _NotSent(Exception):
    """The offer's text will not go (opted out, a country not texted, a text that breaks the rules)."""


class _Gone(Exception):
    """The offer is no longer open to this number: the booking is rolled back."""


def join(stores, schedule: Schedule, phone: str, name: str, lang: str, channel: str, days: Days,
         now: datetime) -> WaitEntry:
    """Put the number on the waitlist for these clinic days (any day: WAIT_DAYS from now)."""
    earliest = schedule.start_of(days.first) if days.first else None
    latest = schedule.start_of(days.last + timedelta(days=1)) if days.last else None
    ends_at = latest if latest is not None else now + timedelta(days=WAIT_DAYS)
    return stores.waitlist.join(phone, name, lang, channel, now, ends_at, earliest, latest)


def offer_freed_times(stores, flow: Flow, schedule: Schedule, now: datetime) -> Counter:
    """One round: expired offers end, and each freed time goes to the next person waiting for it."""
    now = utc(now, "now")
    counts = Counter({k: v for k, v in stores.waitlist.tidy(now).items() if v})
    if schedule.is_quiet(now):
        return counts  # offers wait for the morning like every automated text
    waiting = stores.waitlist.waiting(now)
    if not waiting:
        return counts
    freed = stores.waitlist.freed_slots(now, now + MIN_NOTICE, min(entry.created_at for entry in waiting))
    ids = [entry.id for entry in waiting]
    offered_before, busy = stores.waitlist.offered_pairs(ids), stores.waitlist.with_open_offer(ids)
    holding = stores.waitlist.holding_bookings([entry.phone_hash for entry in waiting], now)
    busy |= {entry.id for entry in waiting if entry.phone_hash in holding}  # they booked a time meanwhile
    for slot in freed:
        for entry in waiting:
            if entry.id in busy or (entry.id, slot.id) in offered_before:
                continue
            if entry.created_at >= slot.opened_at or not entry.wants(slot.starts_at):
                continue  # it was open when they joined (and did not suit), or not on their days
            outcome = offer_one(stores, flow, schedule, entry, slot, now)
            counts[outcome] += 1
            if outcome in (OFFERED, CANNOT_TEXT, PASSED):
                busy.add(entry.id)  # one offer a person a round; a number that cannot get it waits no more
            if outcome in (OFFERED, RACED):
                break  # the slot is someone's to answer now
    return counts


def offer_one(stores, flow: Flow, schedule: Schedule, entry: WaitEntry, slot: FreedSlot, now: datetime) -> str:
    """Offer this slot to this person: the offer's row and its text in one transaction."""
    now = utc(now, "now")
    body = reminder_texts.offer(flow, entry.lang, schedule.local(slot.starts_at), schedule.offer_minutes)
    broken = reminder_texts.rule_breaks(flow, entry.lang, body)
    if broken:
        log.error("waitlist offers not sent: the flow's sms_waitlist_offer breaks the rules (%s)", ", ".join(broken))
        return CANNOT_TEXT
    try:
        with stores.db.driver_begin() as tx:
            tx.serialize(REMINDERS_LOCK, entry.phone_hash)
            if over_cap(schedule, now, lambda since: stores.reminders.automated_texts_in(tx, entry.phone_hash, since)):
                return PASSED  # the time goes to the next person; this one is offered another day
            offer_id = stores.waitlist.add_offer_in(tx, entry, slot.id, now,
                                                    now + timedelta(minutes=schedule.offer_minutes))
            queued = stores.outbox.queue(entry.phone, body, WAITLIST_OFFER, now, tx)
            if not queued.sending:
                raise _NotSent(queued.reason or "opted out")
            stores.waitlist.set_offer_text_in(tx, offer_id, queued.id)
    except IntegrityError:  # another worker offered this time (or to this person) first
        return RACED
    except _NotSent as error:
        log.info("waitlist entry %s to=%s ends: %s", entry.id, short_id(entry.phone_hash), error)
        stores.waitlist.leave(entry.id, now)
        return CANNOT_TEXT
    log.info("waitlist offer %s: slot %s to entry %s", offer_id, slot.id, entry.id)
    return OFFERED


def take(stores, offer_id: int, phone_hash: str, now: datetime) -> Booking | None:
    """YES to an offer: book its time for the entry's name, if the offer is still open to this
    number. None when it expired, or the time went. Raises BookingLimitReached."""
    now = utc(now, "now")
    offer = stores.waitlist.offer(offer_id)
    entry = stores.waitlist.entry(offer.entry_id) if offer is not None else None
    if entry is None or offer.phone_hash != phone_hash or not offer.open_at(now):
        return None

    def mark_taken(tx, booking: Booking) -> None:
        if not stores.waitlist.take_in(tx, offer.id, phone_hash, booking.id, now):
            raise _Gone()

    try:
        return stores.bookings.book(offer.slot_id, entry.phone, entry.name, "sms", entry.lang, now, then=mark_taken)
    except _Gone:
        return None
