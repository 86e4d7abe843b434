"""Settings from environment variables (documented in the README)."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "development-only-secret"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
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
    }


class ConfigError(RuntimeError):
    """The app cannot start safely with these settings."""


def check(config: dict) -> list[str]:
    """Refuse settings that would be unsafe in production; return warnings for development."""
    warnings = []
    production = config["IVR_ENV"] == "production"
    if not config["VERIFY_SIGNATURES"]:
        if production:
            raise ConfigError("TWILIO_VERIFY_SIGNATURES=0 is refused in production (IVR_ENV=production)")
        warnings.append("Twilio signature checks are OFF (development only): anyone can post to the webhooks")
    elif not config["TWILIO_AUTH_TOKEN"]:
        if production:
            raise ConfigError("TWILIO_AUTH_TOKEN is required in production to check Twilio's signatures")
        warnings.append("TWILIO_AUTH_TOKEN is not set: every webhook request will be refused (403)")
    if production and not config["SECRET_KEY"]:
        raise ConfigError("SECRET_KEY is required in production (it keys the phone-number hashes)")
    if not config["TRANSFER_NUMBER"]:
        warnings.append("TRANSFER_NUMBER is not set: callers asking for a person get the clinic number instead")
    return warnings
