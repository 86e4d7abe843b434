"""Shared fixtures: an app on a real SQLite file, and a phone and texter that sign as Twilio."""
from __future__ import annotations

from pathlib import Path

import pytest

from ivr import create_app
from ivr.config import PROJECT_ROOT
from ivr.flow import load_flow
from ivr.simulate.phone import Phone, Signer, Texter
from postgres import postgres_url  # noqa: F401 - a real PostgreSQL server for the session

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TRANSFER_NUMBER = "+15025550199"
FLOWS = PROJECT_ROOT / "flows"
TWIML_SCHEMA = PROJECT_ROOT.parent / "shared" / "twiml" / "twiml_v20100401_twilioRealtimeCallSchema.xsd"


def make_config(tmp_path: Path, **overrides) -> dict:
    config = {
        "IVR_ENV": "testing",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VERIFY_SIGNATURES": True,
        "PUBLIC_BASE_URL": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
        "TRANSFER_NUMBER": TRANSFER_NUMBER,
        "FLOWS_DIR": str(FLOWS),
        "SECRET_KEY": "test-secret",
        "SMS_SESSION_MINUTES": 60,
        "OPTOUT_SPOOL": str(tmp_path / "pending-optouts.jsonl"),
        "OFFICE_HOURS": "Mon-Sun 00:00-24:00",  # open: tests of closed hours say so
        "OUTBOX_WORKER": False,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def flow():
    return load_flow(FLOWS)


@pytest.fixture
def app(tmp_path):
    return create_app(make_config(tmp_path))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def signer(client):
    return Signer(client, AUTH_TOKEN)


@pytest.fixture
def phone(signer):
    return Phone(signer)


@pytest.fixture
def texter(signer):
    return Texter(signer)
