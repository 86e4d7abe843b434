"""The ways people say stop by text are opt-outs ("by any reasonable means", the FCC's 2024 rule),
in English and Spanish; a sentence that merely has "stop" in it is not, and CANCEL APPT and
CANCELAR CITA stay booking words. Through the real /sms webhook."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.control_words import control_word
from ivr.flow import FlowError, load_flow
from ivr.privacy import phone_hash
from ivr.storage.tables import sms_optouts

from conftest import FLOWS

NUMBER = "+15025550123"

SAID_STOP = [
    "please stop", "Stop please!", "stop texting me", "please stop texting me", "Can you please stop texting me?",
    "no more texts", "No more messages, thanks", "revoke consent", "I revoke my consent", "opt me out",
    "unsubscribe me", "remove me from this list", "stop the texts", "quit texting me", "don't text me",
    "Do not text me again", "stpo", "sotp", "STOPP",
    "PARAR", "parar", "ALTO", "Alto.", "BAJA", "baja por favor", "CANCELAR", "dar de baja", "darme de baja",
    "No más mensajes", "ya no quiero recibir mensajes", "dejen de mandar mensajes", "no me envien mas mensajes",
]
NOT_STOP = [
    "I can't stop the pain", "my legs wont stop shaking", "how do I end the pain", "no more pain",
    "no mas dolor", "ya no puedo caminar", "I want to stop taking my meds", "stops", "tops", "spot", "step",
    "cancel appt", "CANCEL APPOINTMENT", "cancel my appointment", "CANCELAR CITA", "cancelar mi cita",
]


@pytest.mark.parametrize("body", SAID_STOP)
def test_ways_of_saying_stop_are_opt_outs(body):
    assert control_word(body) == "stop"


@pytest.mark.parametrize("body", NOT_STOP)
def test_sentences_that_merely_have_stop_in_them_are_not(body):
    assert control_word(body) != "stop"


def optouts(app):
    with app.extensions["ivr"].db.begin() as conn:
        return [(row.phone_hash, row.opted_out) for row in conn.execute(select(sms_optouts))]


@pytest.mark.parametrize("body", ["please stop", "no more texts", "revoke consent", "PARAR", "baja", "stop texting me"])
def test_an_opt_out_phrase_by_text_is_recorded_and_confirmed(app, texter, body):
    texter.send("hi")
    assert "START" in texter.send(body)
    assert optouts(app) == [(phone_hash(NUMBER, app.config["SECRET_KEY"]), True)]
    assert texter.send("menu") is None


def test_the_pain_that_will_not_stop_gets_the_warning_signs_not_an_opt_out(app, texter, flow):
    texter.send("hi")
    reply = texter.send("I can't stop the pain and I can't walk")
    assert reply.startswith(flow.nodes[flow.line.emergency].sms["en"][:30])
    assert optouts(app) == []


def test_cancel_appt_and_cancelar_cita_still_reach_the_booking(app, texter):
    assert "We did not find an upcoming appointment" in texter.send("cancel appt")
    assert "No encontramos una cita" in texter.send("CANCELAR CITA")
    assert optouts(app) == []


def test_a_flow_keyword_that_is_an_opt_out_phrase_is_refused(tmp_path):
    """A keyword "NO MORE TEXTS" would never reach the flow: the opt-out takes it first."""
    copy = tmp_path / "flows"
    copy.mkdir()
    for source in FLOWS.glob("*.yaml"):
        (copy / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    main = copy / "main.yaml"
    text = main.read_text(encoding="utf-8")
    assert "en: [BOOK, APPOINTMENT, APPT, SCHEDULE]" in text
    main.write_text(text.replace("en: [BOOK, APPOINTMENT, APPT, SCHEDULE]", "en: [BOOK, NO MORE TEXTS]"),
                    encoding="utf-8")
    with pytest.raises(FlowError, match="keyword 'NO MORE TEXTS' is reserved for opt-out"):
        load_flow(copy)
