"""Phone numbers are stored and logged only as keyed hashes."""
from __future__ import annotations

import hmac
import re

_NOT_DIGIT = re.compile(r"\D")
_E164 = re.compile(r"\+?[0-9]+")  # what Twilio sends nearly always: already normal


def normalize_number(number: str) -> str:
    number = (number or "").strip()
    if _E164.fullmatch(number):
        return number
    digits = _NOT_DIGIT.sub("", number)
    return ("+" if number.startswith("+") else "") + digits if digits else number


def keyed_hash(value: str, secret: str) -> str:
    return hmac.digest(secret.encode(), value.encode(), "sha256").hex()  # hmac.new(...).hexdigest(), faster


def phone_hash(number: str, secret: str) -> str:
    """A stable pseudonym for a phone number: HMAC-SHA256 keyed by SECRET_KEY (keep it fixed)."""
    return keyed_hash(normalize_number(number), secret)


def short_id(value: str) -> str:
    """What logs show of a hash or a Twilio id: enough to correlate, not to identify."""
    return (value or "-")[:12]


def safe_sid(value: str) -> str:
    """A Twilio id (CallSid, MessageSid) fit for a log line: never someone's words."""
    return re.sub(r"[^A-Za-z0-9]", "", value or "")[:64] or "-"
