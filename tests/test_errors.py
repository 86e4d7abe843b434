"""When something breaks, callers and texters get an apology and a way on, never a 500; logs stay private."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ivr.app import create_app
from ivr.config import ConfigError
from ivr.render.gsm import to_gsm7
from ivr.simulate.phone import Phone, Signer, Texter
from ivr.storage.sms_store import SmsStore

from conftest import AUTH_TOKEN, TRANSFER_NUMBER, make_config

CALL = {"CallSid": "CA" + "7" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15025550123",
        "To": "+15025550100", "CallStatus": "in-progress", "Digits": "1"}
TEXT = {"MessageSid": "SM" + "7" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15025550123",
        "To": "+15025550100", "Body": "symptoms", "NumMedia": "0"}
VOICE_URLS = ["/voice", "/voice/step?node=main&lang=en&miss=0", "/voice/node?node=treatment&lang=en"]
BROKEN_VOICE = ["ivr.channels.voice.step", "ivr.render.voice.render"]


def boom(*args, **kwargs):
    raise RuntimeError("simulated failure")


def twiml(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def said(root: ET.Element) -> list[str]:
    return [(say.text or "").strip() for say in root.iter("Say")]


def sms_reply(response) -> str:
    messages = twiml(response).findall("Message")
    assert len(messages) == 1
    return "".join(messages[0].itertext())


# ---- voice -----------------------------------------------------------------------------------

@pytest.mark.parametrize("broken, url", [
    (broken, url) for broken in BROKEN_VOICE for url in VOICE_URLS
    if not (broken.endswith(".step") and url.startswith("/voice/node"))  # /voice/node does not step
])
def test_voice_failure_apologises_and_dials_a_person(monkeypatch, signer, flow, broken, url):
    monkeypatch.setattr(broken, boom)
    root = twiml(signer.post(url, CALL))
    verbs = [child.tag for child in root]
    assert said(root)[0] == flow.phrases["voice_error"]["en"]
    assert "Dial" in verbs and verbs.index("Say") < verbs.index("Dial")
    assert root.find("Dial").text.strip() == TRANSFER_NUMBER


@pytest.mark.parametrize("broken", BROKEN_VOICE)
def test_voice_failure_apologises_in_the_callers_language(monkeypatch, signer, flow, broken):
    monkeypatch.setattr(broken, boom)
    root = twiml(signer.post("/voice/step?node=main&lang=es&miss=0", CALL))
    assert said(root)[0] == flow.phrases["voice_error"]["es"]


@pytest.mark.parametrize("broken", BROKEN_VOICE)
def test_voice_failure_without_transfer_number_gives_the_clinic_phone_and_hangs_up(
        monkeypatch, tmp_path, flow, broken):
    app = create_app(make_config(tmp_path, TRANSFER_NUMBER=""))
    monkeypatch.setattr(broken, boom)
    root = twiml(Signer(app.test_client(), AUTH_TOKEN).post("/voice", CALL))
    speech = said(root)
    assert speech[0] == flow.phrases["voice_error"]["en"]
    assert any(flow.line.clinic_phone in s for s in speech)
    assert root.find("Dial") is None
    assert root[-1].tag == "Hangup"


# ---- sms -------------------------------------------------------------------------------------

def test_sms_failure_apologises_and_points_to_menu(monkeypatch, signer, flow):
    monkeypatch.setattr("ivr.channels.sms.converse", boom)
    reply = sms_reply(signer.post("/sms", TEXT))
    assert reply == to_gsm7(flow.phrases["sms_error"]["en"])
    assert "MENU" in reply


def _locked(self, *args, **kwargs):
    raise OperationalError("SELECT ... FROM sms_sessions", {}, Exception("database is locked"))


def test_sms_database_failure_apologises(monkeypatch, signer, flow):
    monkeypatch.setattr(SmsStore, "arrive", _locked)
    reply = sms_reply(signer.post("/sms", TEXT))
    assert reply == to_gsm7(flow.phrases["sms_error"]["en"])


def test_sms_missing_table_apologises(app, signer, flow):
    with app.extensions["ivr"].db.begin() as conn:
        conn.execute(text("DROP TABLE sms_sessions"))
    reply = sms_reply(signer.post("/sms", TEXT))
    assert reply == to_gsm7(flow.phrases["sms_error"]["en"])


# ---- privacy of the logs ---------------------------------------------------------------------

NUMBER_FORMS = ["+15025550123", "15025550123", "5025550123", "502-555-0123", "(502) 555-0123", "502.555.0123"]
MARKER = "quokka marmalade 8812"  # a distinctive thing to text and say


def _log_texts(records) -> list[str]:
    texts = []
    for record in records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            texts.append(record.exc_text)
    return texts


def test_logs_never_hold_the_phone_number_or_the_message(app, client, signer, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ivr")
    phone, texter = Phone(signer), Texter(signer)

    phone.call()
    phone.press("1")
    phone.say(f"{MARKER} my legs gave out")
    for body in ["hi", MARKER, "symptoms", "2", f"my legs gave out {MARKER}", f"HELP {MARKER}",
                 f"STOP {MARKER}", "START"]:
        texter.send(body)
    client.post("/sms", data={**TEXT, "Body": MARKER})  # unsigned: refused and logged

    with monkeypatch.context() as broken:
        broken.setattr("ivr.channels.sms.converse", boom)
        broken.setattr("ivr.channels.voice.step", boom)
        texter.send(MARKER)
        phone.call()
    with monkeypatch.context() as broken:
        broken.setattr(SmsStore, "arrive", _locked)
        texter.send(MARKER)
    with app.extensions["ivr"].db.begin() as conn:
        conn.execute(text("DROP TABLE sms_sessions"))
    texter.send(MARKER)

    names = {record.name for record in caplog.records}
    assert {"ivr.sms", "ivr.voice", "ivr.security"} <= names
    assert sum(1 for record in caplog.records if record.exc_info) >= 4  # the failures were logged
    texts = _log_texts(caplog.records)
    for secret in NUMBER_FORMS + [MARKER, "quokka", "marmalade"]:
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"{secret!r} logged: {leaks[:3]}"


def _step_lines(records) -> list[str]:
    return [r.getMessage() for r in records if r.name in ("ivr.voice", "ivr.sms") and r.levelno == logging.DEBUG]


def test_a_line_for_every_step_only_at_debug(tmp_path, caplog, monkeypatch):
    """The events table records every step; the log has a line for each only at LOG_LEVEL=DEBUG."""
    for level, lines in (("INFO", 0), ("DEBUG", 2)):
        monkeypatch.setenv("LOG_LEVEL", level.lower())
        (tmp_path / level).mkdir()
        app = create_app(make_config(tmp_path / level))
        caplog.clear()
        signer = Signer(app.test_client(), AUTH_TOKEN)
        Phone(signer).call()
        Texter(signer).send("hi")
        assert len(_step_lines(caplog.records)) == lines
        assert logging.getLogger("ivr").level == getattr(logging, level)
    logging.getLogger("ivr").setLevel(logging.INFO)


def test_an_unknown_log_level_is_refused_with_the_choices(tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError, match="LOG_LEVEL='LOUD': use one of DEBUG, INFO, WARNING, ERROR"):
        create_app(make_config(tmp_path))
