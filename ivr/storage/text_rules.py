"""Which texts the line may send, beyond opt-outs: the outbox asks before it queues one.

SMS pumping bills the sender for texts to numbers the fraudster profits from, often abroad and
often through a +1 number outside the US (the Caribbean shares +1 with the US and Canada). So:

- texts go only to the countries the clinic allows (SMS_COUNTRIES, by the number itself, with
  Google's libphonenumber data: +1 876 is Jamaica, not the US);
- texts a caller can ask for again and again ("text me this", a check before cancelling) are
  limited per call (TEXTS_PER_CALL) and per number in 24 hours (TEXTS_PER_NUMBER_PER_DAY).
  A booking's confirmation and a cancellation's notice are not: each belongs to one booking,
  and bookings are limited themselves.

A text refused here is kept as 'refused' with the reason, so `ivr report` can count them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import phonenumbers

LIMITED_KINDS = ("content", "cancel_check")  # texts a caller may ask for again and again
COUNTRY, PER_CALL, PER_DAY = "country not allowed", "limit per call", "limit per day"
REASONS = (COUNTRY, PER_CALL, PER_DAY)
DAY = timedelta(hours=24)


def region_of(number: str) -> str | None:
    """The ISO country of an E.164 number ("US", "CA", "JM"), or None when it cannot be told."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    if region is None:  # not a valid number: only a country code shared by no other country tells
        regions = phonenumbers.region_codes_for_country_code(parsed.country_code)
        region = regions[0] if len(regions) == 1 else None
    return region if region not in (None, phonenumbers.UNKNOWN_REGION) else None


@dataclass(frozen=True)
class TextRules:
    countries: frozenset[str] | None = None  # None: any country
    per_call: int = 0  # limited texts one call may ask for; 0: no limit
    per_day: int = 0  # limited texts one number may get in 24 hours; 0: no limit

    def country_allowed(self, number: str) -> bool:
        return self.countries is None or region_of(number) in self.countries

    def limits(self, kind: str) -> bool:
        return kind in LIMITED_KINDS and bool(self.per_call or self.per_day)


NO_RULES = TextRules()
