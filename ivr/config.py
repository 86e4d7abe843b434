"""Settings from environment variables (documented in the README)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import phonenumbers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "development-only-secret"
# IVR_ENV: production is the default; development (make run, ivr call/text) and testing (the
# test suite) may turn the signature check off and fall back to DEV_SECRET. Anything else is a
# typo (prod, staging) and refused: it would quietly get development behaviour.
ENVIRONMENTS = ("production", "development", "testing")
MIN_SECRET_LENGTH = 32  # SECRET_KEY in production: keys the number hashes, so it must not be guessable
# Published keys (this code's, its tests' and benchmarks', the usual placeholders): with one of
# them a number's hash in a log or the database maps back to the number in seconds.
KNOWN_SECRETS = frozenset({DEV_SECRET, "test-secret", "bench-secret-key-not-for-production", "changeme",
                           "change-me", "secret", "your-secret-key", "dev", "development"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_REMINDER_HOURS = 24 * 30
_QUIET = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
MAX_REQUEST_BYTES = 64 * 1024  # a webhook body; Twilio's largest (a 1600-character Body) is far smaller


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _log_level(value: str | None) -> str:
    level = (value or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={value!r}: use one of {', '.join(LOG_LEVELS)}")
    return level


def _fraction(env, name: str, default: float) -> float:
    value = (env.get(name) or "").strip()
    try:
        fraction = float(value) if value else default
    except ValueError:
        fraction = -1.0
    if not 0 <= fraction <= 1:
        raise ConfigError(f"{name}={value!r}: use a number from 0 to 1, like 0.5")
    return fraction


def _countries(value: str | None) -> frozenset[str]:
    """SMS_COUNTRIES: ISO codes, comma-separated ("US,CA"); the line texts no other country."""
    codes = frozenset(code.strip().upper() for code in (value or "US,CA").split(",") if code.strip())
    unknown = sorted(codes - phonenumbers.SUPPORTED_REGIONS)
    if unknown:
        raise ConfigError(f"SMS_COUNTRIES={value!r}: {', '.join(unknown)} is not a country code (use e.g. US,CA)")
    return codes


def _count(env, name: str, default: int) -> int:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name}={value!r}: use a whole number (0 or more)")
    return int(value)


def _reminder_hours(value: str | None) -> tuple[int, ...]:
    """REMINDER_HOURS: whole hours before each appointment, comma-separated ("72,24"); "none": no reminders."""
    text = (value or "72,24").strip().lower()
    if text in ("none", "off", "0"):
        return ()
    hours = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if not part.isdigit() or not 1 <= int(part) <= MAX_REMINDER_HOURS:
            raise ConfigError(f"REMINDER_HOURS={value!r}: use whole hours from 1 to {MAX_REMINDER_HOURS}, "
                              "comma-separated, like 72,24 (or none)")
        hours.append(int(part))
    return tuple(sorted(set(hours), reverse=True))


def _quiet_hours(value: str | None) -> tuple[str, str] | None:
    """QUIET_HOURS: "21:00-08:00" (clinic time, may pass midnight); "none": texts at any hour."""
    text = (value or "21:00-08:00").strip().lower()
    if text in ("none", "off"):
        return None
    match = _QUIET.match(text)
    if not match or int(match[1]) > 23 or int(match[3]) > 23 or int(match[2]) > 59 or int(match[4]) > 59:
        raise ConfigError(f"QUIET_HOURS={value!r}: write two clinic times like 21:00-08:00 (or none)")
    start, end = f"{int(match[1]):02d}:{match[2]}", f"{int(match[3]):02d}:{match[4]}"
    if start == end:
        raise ConfigError(f"QUIET_HOURS={value!r}: the start and the end are the same time")
    return start, end


def _rate(env, name: str, default: float) -> float:
    value = (env.get(name) or "").strip()
    try:
        rate = float(value) if value else default
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1000:
        raise ConfigError(f"{name}={value!r}: use texts a second, like 1 (a long code) or 30 (0: no limit)")
    return rate


def from_env(instance_path: str) -> dict:
    env = os.environ
    mode = env.get("IVR_ENV", "production").strip().lower()
    return {
        "IVR_ENV": mode,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID", ""),
        # Secrets of Twilio webhook shared keys (comma-separated: old and new during a rotation).
        "TWILIO_SHARED_KEY_SECRETS": [s.strip() for s in env.get("TWILIO_SHARED_KEY_SECRET", "").split(",")
                                      if s.strip()],
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'ivr.sqlite3'}",
        "TRANSFER_NUMBER": env.get("TRANSFER_NUMBER", ""),
        "FLOWS_DIR": env.get("FLOWS_DIR") or str(PROJECT_ROOT / "flows"),
        "VERIFY_SIGNATURES": _flag(env.get("TWILIO_VERIFY_SIGNATURES"), True),
        "SECRET_KEY": env.get("SECRET_KEY") or (DEV_SECRET if mode != "production" else ""),
        "SMS_SESSION_MINUTES": int(env.get("SMS_SESSION_MINUTES") or 60),
        "SMS_RATE_LIMIT": int(env.get("SMS_RATE_LIMIT") or 10),  # texts one number may send in a window; 0: no limit
        "SMS_RATE_WINDOW": float(env.get("SMS_RATE_WINDOW") or 60),  # the window, in seconds
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,  # Flask answers a bigger body with 413
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER", ""),  # the line's number, for texts it sends
        "DATABASE_BUSY_TIMEOUT_MS": int(env.get("DATABASE_BUSY_TIMEOUT_MS") or 5000),  # SQLite: wait for a lock
        "CLINIC_TIMEZONE": env.get("CLINIC_TIMEZONE") or "America/New_York",
        "OFFICE_HOURS": env.get("OFFICE_HOURS") or "Mon-Fri 08:00-17:00",
        "OUTBOX_WORKER": _flag(env.get("OUTBOX_WORKER"), True),  # send queued texts in the background
        "OUTBOX_POLL_SECONDS": float(env.get("OUTBOX_POLL_SECONDS") or 5),  # how often the worker looks
        # Steps go to the events table in a batch this often (0: each at once, in the request).
        "EVENTS_FLUSH_SECONDS": float(env.get("EVENTS_FLUSH_SECONDS") or 1),
        # INFO: starts, reloads, warnings, errors; DEBUG adds a line for every step (the events
        # table already records each one).
        "LOG_LEVEL": _log_level(env.get("LOG_LEVEL")),
        # The staff console: how long a session lasts, and how many proxies before the server may
        # be trusted to say the client's address (X-Forwarded-For) for the sign-in throttle and audit.
        "CONSOLE_SESSION_HOURS": float(env.get("CONSOLE_SESSION_HOURS") or 10),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES") or 0),
        # A spoken menu choice Twilio is less sure of than this (its Confidence, 0 to 1) is asked
        # about first ("Did you mean treatment?"); 0: never. Red flags are acted on at any confidence.
        "SPEECH_CONFIRM_BELOW": _fraction(env, "SPEECH_CONFIRM_BELOW", 0.5),
        # Opt-outs that arrive while the database is down wait in this file (a disk that outlives
        # a restart); empty: instance/pending-optouts.jsonl.
        "OPTOUT_SPOOL": env.get("OPTOUT_SPOOL", "").strip(),
        "SMS_COUNTRIES": _countries(env.get("SMS_COUNTRIES")),  # where the line may send texts
        "MAX_BOOKINGS_PER_NUMBER": _count(env, "MAX_BOOKINGS_PER_NUMBER", 1),  # upcoming; 0: no limit
        "TEXTS_PER_CALL": _count(env, "TEXTS_PER_CALL", 3),  # "text me this" and the like; 0: no limit
        "TEXTS_PER_NUMBER_PER_DAY": _count(env, "TEXTS_PER_NUMBER_PER_DAY", 5),  # the same, in 24 hours
        # Reminders and the waitlist (ivr/reminders/).
        "REMINDER_HOURS": _reminder_hours(env.get("REMINDER_HOURS")),  # texts this many hours before
        "QUIET_HOURS": _quiet_hours(env.get("QUIET_HOURS")),  # (start, end), clinic time; None: none
        "WAITLIST_OFFER_MINUTES": _count(env, "WAITLIST_OFFER_MINUTES", 30) or 30,  # how long an offer holds
        "TWILIO_MPS": _rate(env, "TWILIO_MPS", 1.0),  # texts a second, all workers and servers together
        # The reminders' background worker: None follows OUTBOX_WORKER.
        "REMINDERS_WORKER": _flag(env.get("REMINDERS_WORKER"), None),
        "REMINDERS_POLL_SECONDS": float(env.get("REMINDERS_POLL_SECONDS") or 60),
    }


class ConfigError(RuntimeError):
    """The app cannot start safely with these settings."""


def check(config: dict) -> list[str]:
    """Refuse settings that would be unsafe in production; return warnings for development."""
    warnings = []
    if config["IVR_ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"IVR_ENV={config['IVR_ENV']!r} is not known: use {', '.join(ENVIRONMENTS)}")
    production = config["IVR_ENV"] == "production"
    if not config["VERIFY_SIGNATURES"]:
        if production:
            raise ConfigError("TWILIO_VERIFY_SIGNATURES=0 is refused in production (IVR_ENV=production)")
        warnings.append("Twilio signature checks are OFF (development only): anyone can post to the webhooks")
    elif not config["TWILIO_AUTH_TOKEN"]:
        if production:
            raise ConfigError("TWILIO_AUTH_TOKEN is required in production to check Twilio's signatures")
        warnings.append("TWILIO_AUTH_TOKEN is not set: every webhook request will be refused (403)")
    if production:
        _check_production_secret(config["SECRET_KEY"])
        _check_public_base_url(config["PUBLIC_BASE_URL"])
    if not config["TRANSFER_NUMBER"]:
        warnings.append("TRANSFER_NUMBER is not set: callers asking for a person get the clinic number instead")
    return warnings


def _check_production_secret(secret: str) -> None:
    if not secret:
        raise ConfigError("SECRET_KEY is required in production (it keys the phone-number hashes)")
    if secret in KNOWN_SECRETS:
        raise ConfigError("SECRET_KEY is a published value: in production set a random one, e.g. "
                          "python -c 'import secrets; print(secrets.token_hex(32))'")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"SECRET_KEY is {len(secret)} characters: in production use at least {MIN_SECRET_LENGTH} "
                          "random ones, e.g. python -c 'import secrets; print(secrets.token_hex(32))'")


def _check_public_base_url(base: str) -> None:
    """Without it the URL a signature is checked against comes from the request's Host header,
    so a request Twilio signed for another deployment on the same account would be accepted."""
    if not base:
        raise ConfigError("PUBLIC_BASE_URL is required in production: the https URL Twilio calls, "
                          "e.g. https://ivr.clinic.example")
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL={base!r} is not a base URL: write e.g. https://ivr.clinic.example")
