"""What the voice webhook keeps of a call between its requests, beside the state in the URL:
the call's draft in the database (storage/call_drafts.py), read at most once a request and
only when a step needs it.

- the name a caller is booking under (never put in a URL);
- how far the caller ID is trusted: Twilio's STIR/SHAKEN verification (`StirVerstat`), sent on
  the request that starts the call, for calls that came with a signed caller ID;
- the booking a caller proved is theirs (by its name) before they may hear or cancel it. The
  cancel step's URL names a booking; without this proof in the database the step asks for the
  name again, whoever's call it is.
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import cached_property

from sqlalchemy.exc import SQLAlchemyError

from ..booking.dialog import FAILED, UNVERIFIED, VERIFIED
from ..privacy import safe_sid
from ..services import services

log = logging.getLogger("ivr.voice")

# Twilio's StirVerstat: "TN-Validation-Passed-A" is a caller ID the originating carrier vouches
# for (full attestation) and Twilio verified. B and C (partial and gateway attestation) say only
# that a carrier carried the call: as good as none, for proving whose phone it is. A failed
# verification means the signed caller ID did not check out: likely faked. No StirVerstat at all
# (older networks, calls from abroad, many landlines): unverified.
VERIFIED_VERSTAT = frozenset({"TN-Validation-Passed-A"})
FAILED_VERSTAT = frozenset({"TN-Validation-Failed", "TN-Validation-Failed-A", "TN-Validation-Failed-B",
                            "TN-Validation-Failed-C"})
TRUST, NAME, CANCEL_OK = "caller_id", "name", "cancel_ok"  # the draft's keys


def trust_of(verstat: str) -> str:
    """How far a call's caller ID is trusted, from Twilio's StirVerstat."""
    verstat = (verstat or "").strip()
    if verstat in VERIFIED_VERSTAT:
        return VERIFIED
    if verstat in FAILED_VERSTAT:
        return FAILED
    return UNVERIFIED


class CallRecord:
    def __init__(self, call_key: str, call_sid: str, now: datetime):
        self.call_key, self.call_sid, self.now = call_key, call_sid, now

    @cached_property
    def draft(self) -> dict:
        try:
            data = services().drafts.load(self.call_key, self.now)
        except SQLAlchemyError:  # the desk will say booking is unavailable
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def name(self) -> str:
        name = self.draft.get(NAME)
        return name if isinstance(name, str) else ""

    def trust(self) -> str:
        """What the call's first request said of the caller ID (UNVERIFIED when it said nothing)."""
        kept = self.draft.get(TRUST)
        return kept if kept in (VERIFIED, FAILED) else UNVERIFIED

    def proved(self, booking_id: int) -> bool:
        return bool(booking_id) and self.draft.get(CANCEL_OK) == booking_id

    def keep(self, **values) -> None:
        """Add to the call's draft; a database failure costs the caller a question asked again."""
        try:
            services().drafts.update(self.call_key, values, self.now)
        except SQLAlchemyError:
            log.warning("call=%s could not keep %s: database unavailable", safe_sid(self.call_sid),
                        ", ".join(sorted(values)))
            return
        if "draft" in self.__dict__:  # read already: keep it current
            self.__dict__["draft"] = {**self.draft, **values}

    def start(self, verstat: str) -> None:
        """The call's first request: keep what Twilio said of its caller ID (nothing to keep
        when it said nothing: unverified is what a call without a record is)."""
        trust = trust_of(verstat)
        if trust != UNVERIFIED:
            self.keep(**{TRUST: trust})
