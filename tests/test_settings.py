"""Unsafe settings never start quietly: an unknown IVR_ENV is refused, production refuses a
missing, short or published SECRET_KEY and a missing PUBLIC_BASE_URL, and every documented
setting is read (OPTOUT_SPOOL included)."""
from __future__ import annotations

import json
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from ivr.app import create_app
from ivr.config import DEV_SECRET, ConfigError, from_env
from ivr.privacy import phone_hash
from ivr.simulate.phone import Signer, Texter
from ivr.storage.db import Database

from conftest import AUTH_TOKEN, make_config

STRONG = "9c1f0d3a5b7e2f4c6a8d0b1e3f5a7c9d"  # 32 random-looking characters
PUBLIC = "https://ivr.clinic.example"


def production(tmp_path, **overrides):
    return make_config(tmp_path, **{"IVR_ENV": "production", "SECRET_KEY": STRONG, "PUBLIC_BASE_URL": PUBLIC,
                                    **overrides})


@pytest.mark.parametrize("mode", ["prod", "staging", "Production-1", "test", "dev", ""])
def test_an_unknown_ivr_env_is_refused(tmp_path, mode):
    with pytest.raises(ConfigError, match="IVR_ENV"):
        create_app(make_config(tmp_path, IVR_ENV=mode))


@pytest.mark.parametrize("mode", ["production", "development", "testing"])
def test_the_known_environments_start(tmp_path, mode):
    app = create_app(production(tmp_path, IVR_ENV=mode))
    assert app.config["IVR_ENV"] == mode


def test_ivr_env_is_read_whatever_its_case_and_spaces(tmp_path, monkeypatch):
    monkeypatch.setenv("IVR_ENV", " Development ")
    assert from_env(str(tmp_path))["IVR_ENV"] == "development"
    monkeypatch.setenv("IVR_ENV", "prod")
    assert from_env(str(tmp_path))["SECRET_KEY"] == DEV_SECRET  # read as it is ...
    with pytest.raises(ConfigError, match="IVR_ENV='prod'"):
        create_app({**make_config(tmp_path), "IVR_ENV": from_env(str(tmp_path))["IVR_ENV"]})  # ... and refused


@pytest.mark.parametrize("secret, complaint", [
    ("", "SECRET_KEY is required"),
    (DEV_SECRET, "published"),
    ("test-secret", "published"),
    ("changeme", "published"),
    ("short-but-not-known", "19 characters"),
])
def test_production_refuses_a_missing_short_or_published_secret_key(tmp_path, secret, complaint):
    with pytest.raises(ConfigError, match=complaint) as refused:
        create_app(production(tmp_path, SECRET_KEY=secret))
    assert secret not in str(refused.value) or not secret  # the refusal never repeats the key


def test_production_without_secret_key_in_the_environment_does_not_fall_back_to_the_development_one(
        tmp_path, monkeypatch):
    monkeypatch.setenv("IVR_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert from_env(str(tmp_path))["SECRET_KEY"] == ""


@pytest.mark.parametrize("base", ["", "ivr.clinic.example", "ftp://ivr.clinic.example", "https://", PUBLIC + "/?x=1"])
def test_production_refuses_a_missing_or_malformed_public_base_url(tmp_path, base):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app(production(tmp_path, PUBLIC_BASE_URL=base))


def test_in_production_a_request_signed_for_another_host_is_refused(tmp_path):
    """Without PUBLIC_BASE_URL the signed URL would come from the Host header: a request Twilio
    signed for another deployment on the same account would pass. With it, it does not."""
    from twilio.request_validator import RequestValidator

    client = create_app(production(tmp_path)).test_client()
    params = {"CallSid": "CA" + "1" * 32, "From": "+15025550123", "To": "+15025550100", "CallStatus": "ringing"}
    other = "https://other-clinic.example"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(other + "/voice", params)
    assert client.post("/voice", data=params, base_url=other, headers={"X-Twilio-Signature": signature}
                       ).status_code == 403
    ours = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + "/voice", params)
    assert client.post("/voice", data=params, base_url=other, headers={"X-Twilio-Signature": ours}
                       ).status_code == 200


def test_development_still_starts_with_the_development_key(tmp_path):
    app = create_app(make_config(tmp_path, IVR_ENV="development", SECRET_KEY=DEV_SECRET))
    assert app.config["SECRET_KEY"] == DEV_SECRET


# ---- OPTOUT_SPOOL ----------------------------------------------------------------------------

def test_optout_spool_is_read_from_the_environment_and_used(tmp_path, monkeypatch):
    spool = tmp_path / "persistent-volume" / "optouts.jsonl"
    spool.parent.mkdir()
    monkeypatch.setenv("OPTOUT_SPOOL", str(spool))
    assert from_env(str(tmp_path))["OPTOUT_SPOOL"] == str(spool)
    config = make_config(tmp_path)
    del config["OPTOUT_SPOOL"]  # as a deployment has it: from the environment only
    app = create_app(config)
    assert app.extensions["ivr"].sms.spool.path == spool

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT", None, sqlite3.OperationalError("unable to open database file"))

    monkeypatch.setattr(Database, "driver_begin", database_down)
    monkeypatch.setattr(Database, "begin", database_down)
    Texter(Signer(app.test_client(), AUTH_TOKEN), "+15025550123").send("STOP")
    (entry,) = [json.loads(line) for line in spool.read_text().splitlines()]
    assert entry["phone_hash"] == phone_hash("+15025550123", app.config["SECRET_KEY"]) and entry["opted_out"]
    assert not (tmp_path / "instance").exists() or not list((tmp_path / "instance").glob("*.jsonl"))


def test_without_optout_spool_the_spool_is_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("OPTOUT_SPOOL", raising=False)
    config = make_config(tmp_path)
    del config["OPTOUT_SPOOL"]
    app = create_app(config)
    assert app.extensions["ivr"].sms.spool.path.name == "pending-optouts.jsonl"
    assert str(app.extensions["ivr"].sms.spool.path.parent) == app.instance_path
