"""Shared fixtures: an app on a real SQLite file, and a phone and texter that sign as Twilio."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import quote

import pytest

from ivr.app import create_app
from ivr.config import PROJECT_ROOT
from ivr.flow import load_flow
from ivr.simulate.phone import Phone, Signer, Texter

from browser import browser  # noqa: F401 - a headless Chromium for the console's browser tests
from postgres import db, db_url, postgres_url  # noqa: F401 - databases on SQLite and a real PostgreSQL

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TRANSFER_NUMBER = "+15025550199"
FLOWS = PROJECT_ROOT / "flows"
TWIML_SCHEMA = PROJECT_ROOT.parent / "shared" / "twiml" / "twiml_v20100401_twilioRealtimeCallSchema.xsd"


# IVR_TEST_DATABASE=postgresql runs the whole suite on the session's real PostgreSQL server,
# each app in a schema of its own; otherwise each app has its own SQLite file.
TEST_DATABASE = os.environ.get("IVR_TEST_DATABASE", "sqlite")
_postgres = {"url": None}


@pytest.fixture(scope="session", autouse=True)
def _whole_suite_on_postgres(request):
    if TEST_DATABASE == "postgresql":
        _postgres["url"] = request.getfixturevalue("postgres_url")
    yield


def test_database_url(tmp_path: Path) -> str:
    if _postgres["url"] is None:
        return f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(_postgres["url"])
    # One schema per test folder: an app made again on the same folder (a restart) finds its data.
    schema = "test_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:16]
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                         autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return url.render_as_string(hide_password=False) + "?options=" + quote(f"-csearch_path={schema}")


test_database_url.__test__ = False  # a helper, not a test


def make_config(tmp_path: Path, **overrides) -> dict:
    config = {
        "IVR_ENV": "testing",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VERIFY_SIGNATURES": True,
        "PUBLIC_BASE_URL": "",
        "DATABASE_URL": overrides.pop("DATABASE_URL", None) or test_database_url(tmp_path),
        "TRANSFER_NUMBER": TRANSFER_NUMBER,
        "FLOWS_DIR": str(FLOWS),
        "SECRET_KEY": "test-secret",
        "SMS_SESSION_MINUTES": 60,
        "OPTOUT_SPOOL": str(tmp_path / "pending-optouts.jsonl"),
        "OFFICE_HOURS": "Mon-Sun 00:00-24:00",  # open: tests of closed hours say so
        "OUTBOX_WORKER": False,
        "EVENTS_FLUSH_SECONDS": 0,  # each step written at once: tests read the table right after
        "TWILIO_MPS": 0,  # texts sent one at a time, unpaced: tests of the pace set their own
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
