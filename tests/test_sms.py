"""The SMS line through its real /sms webhook: menus, keywords, state, safety, opt-out, languages, length."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ivr.app import create_app
from ivr.engine.step import Result, State
from ivr.flow import load_flow
from ivr.privacy import phone_hash
from ivr.render.gsm import is_gsm7, non_gsm7, segments, to_gsm7
from ivr.render.sms import compose, phrase
from ivr.simulate.phone import Signer, Texter
from ivr.storage.tables import sms_optouts, sms_sessions
from ivr.storage.times import as_utc

from conftest import AUTH_TOKEN, FLOWS, make_config

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)

NUMBER = "+15025550123"  # the Texter's number
FLOW = load_flow(FLOWS)  # for building test parameters; tests use the `flow` fixture


# ---- helpers ---------------------------------------------------------------------------------

def sms(text: str) -> str:
    """A flow text as it is texted: folded to GSM-7."""
    return to_gsm7(text)


def node_text(flow, node: str, lang: str = "en") -> str:
    if flow.nodes[node].type == "booking":  # these tests have no open slots: booking says so
        return sms(flow.phrase("sms_book_none", lang, phone=flow.line.clinic_phone))
    return sms(flow.nodes[node].sms[lang])


def welcome(flow, lang: str = "en") -> str:
    return sms(flow.phrase("sms_welcome", lang, name=flow.name(lang)))


def assert_menu(reply: str, flow, node: str, lang: str = "en") -> None:
    """Every option of the menu is on its own line, starting with its number."""
    lines = reply.lower().splitlines()
    for option in flow.nodes[node].options:
        expected = f"{option.key} {sms(option.label[lang]).lower()}"
        assert expected in lines, f"{expected!r} is not a line of {reply!r}"


def messages(document: bytes) -> list[ET.Element]:
    root = ET.fromstring(document)
    assert root.tag == "Response"
    return root.findall("Message")


def texter_on(app, number: str = NUMBER) -> Texter:
    return Texter(Signer(app.test_client(), AUTH_TOKEN), number=number)


def session_row(app, number: str = NUMBER):
    key = phone_hash(number, app.config["SECRET_KEY"])
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(sms_sessions).where(sms_sessions.c.phone_hash == key)).first()


def optout_rows(app):
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(sms_optouts)).all()


# ---- welcome and menu ------------------------------------------------------------------------

@pytest.mark.parametrize("first_text", ["hi", "purple elephants", "", "???"])
def test_first_text_gets_the_welcome_and_the_numbered_main_menu(texter, flow, first_text):
    reply = texter.send(first_text)
    assert reply.startswith(welcome(flow))
    assert_menu(reply, flow, flow.line.start)
    assert sms(flow.phrase("sms_not_understood", "en")) not in reply


@pytest.mark.parametrize("word", ["MENU", "menu", "Menu!", "HI", "hi.", "hello", "Hello?", "HEY"])
def test_menu_words_bring_back_the_welcome(app, texter, flow, word):
    texter.send("treatment")
    reply = texter.send(word)
    assert reply.startswith(welcome(flow))
    assert_menu(reply, flow, flow.line.start)
    assert session_row(app).node == flow.line.start


# ---- keywords --------------------------------------------------------------------------------

TOPIC_KEYWORDS = [
    ("symptoms", "symptoms"), ("SYMPTOMS", "symptoms"), ("symptons", "symptoms"), ("Symptom?", "symptoms"),
    ("warning signs", "warning-signs"), ("WARNING!", "warning-signs"),
    ("tests", "tests"), (" tests ", "tests"), ("Tests?", "tests"), ("x ray", "tests"),
    ("treatment", "treatment"), ("Treatmnt!", "treatment"), ("TREATMENTS", "treatment"),
    ("physical therapy", "physical-therapy"), ("Physical  Therapy.", "physical-therapy"), ("pt", "physical-therapy"),
    ("medicines", "medicines"), ("medicnes", "medicines"), ("Meds", "medicines"),
    ("injections", "injections"), ("Injectons!", "injections"), ("shots", "injections"),
    ("prevention", "prevention"), ("Prevent!", "prevention"),
    ("BOOK", "appointments"), ("book.", "appointments"), ("Apointment", "appointments"),
    ("a person", "person"), ("PERSON", "person"), ("talk to someone", "person"), ("0", "person"),
]


@pytest.mark.parametrize("text, node", TOPIC_KEYWORDS)
def test_topic_keyword_gets_its_node_text(texter, flow, text, node):
    reply = texter.send(text)
    assert reply.startswith(node_text(flow, node)), reply
    if flow.nodes[node].options:
        assert_menu(reply, flow, node)


@pytest.mark.parametrize("where, text, node", [
    ("tests", "injections", "injections"),
    ("medicines", "symptoms", "symptoms"),
    ("causes", "BOOK", "appointments"),
])
def test_topic_keyword_works_from_inside_another_topic(app, texter, flow, where, text, node):
    texter.send(where)
    assert session_row(app).node == where
    assert texter.send(text).startswith(node_text(flow, node))


# ---- numbers and state -----------------------------------------------------------------------

@pytest.mark.parametrize("before, number, node", [
    (["hi"], "3", "treatment"),
    (["hi"], "5", "appointments"),
    (["symptoms"], "4", "tests"),
    (["treatment"], "2", "medicines"),
    (["symptoms", "2"], "4", "tests"),  # after a page, a number means its menu
    (["hi"], "0", "person"),
])
def test_number_picks_an_option_of_the_last_menu(texter, flow, before, number, node):
    for text in before:
        texter.send(text)
    assert texter.send(number).startswith(node_text(flow, node))


def test_menu_state_is_stored_in_sms_sessions_by_phone_hash(app, texter, flow):
    app.config["CLOCK"] = lambda: NOW
    texter.send("symptoms")
    row = session_row(app)
    assert (row.node, row.lang, row.misses) == ("symptoms", "en", 0)
    assert as_utc(row.expires_at) == NOW + timedelta(minutes=60)  # SMS_SESSION_MINUTES
    texter.send("2")
    assert session_row(app).node == "causes"


def test_expired_state_no_longer_reads_a_number_against_the_old_menu(app, texter, flow):
    app.config["CLOCK"] = lambda: NOW
    texter.send("symptoms")  # 2 here would be "possible causes"
    app.config["CLOCK"] = lambda: NOW + timedelta(minutes=61)  # past SMS_SESSION_MINUTES
    reply = texter.send("2")
    assert node_text(flow, "causes") not in reply
    assert reply.startswith(node_text(flow, "warning-signs"))  # main menu's 2
    assert session_row(app).node == "warning-signs"


def test_state_survives_an_app_restart(tmp_path, texter, flow):
    texter.send("symptoms")
    restarted = create_app(make_config(tmp_path))
    assert texter_on(restarted).send("2").startswith(node_text(flow, "causes"))


# ---- safety first ----------------------------------------------------------------------------

@pytest.mark.parametrize("before", [[], ["treatment"], ["symptoms", "4"]])
@pytest.mark.parametrize("text, lang", [
    ("I can't control my bladder", "en"),
    ("my legs gave out", "en"),
    ("no puedo caminar", "es"),
])
def test_red_flag_text_gets_the_warning_signs_first(texter, flow, before, text, lang):
    for earlier in before:
        texter.send(earlier)
    assert texter.send(text).startswith(node_text(flow, flow.line.emergency, lang))


# ---- not understood --------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["purple elephants", "", "   ", "?!", "\U0001F642", "x" * 2000])
@pytest.mark.parametrize("where, menu", [("hi", "main"), ("symptoms", "symptoms"), ("causes", "symptoms")])
def test_anything_not_understood_gets_a_helpful_reply_with_the_menu(texter, flow, body, where, menu):
    texter.send(where)
    reply = texter.send(body)  # the Texter fails on anything but 200
    assert reply.startswith(sms(flow.phrase("sms_not_understood", "en")))
    assert_menu(reply, flow, menu)
    assert sms(flow.phrase("sms_menu_hint", "en")) in reply


# ---- HELP ------------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["HELP", "help", "Help!", "INFO", "info.", "Info?"])
def test_help_names_the_line_and_says_how_to_get_the_menu_and_opt_out(texter, flow, word):
    texter.send("hi")
    reply = texter.send(word)
    assert len(messages(texter.documents[-1])) == 1
    for needed in (flow.name("en"), "MENU", "STOP", "Msg&data rates may apply", flow.line.clinic_phone):
        assert needed in reply


# ---- opt-out ---------------------------------------------------------------------------------

OPT_OUT_WORDS = ["STOP", "stop", "Stop.", "STOPALL", "stop all", "UNSUBSCRIBE", "unsubscribe!", "END", "end",
                 "QUIT", "Quit.", "CANCEL", "cancel", "REVOKE", "revoke", "OPTOUT", "opt-out", "Opt out"]


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_opt_out_word_records_the_opt_out_and_confirms_once(app, texter, word):
    texter.send("hi")
    reply = texter.send(word)
    assert len(messages(texter.documents[-1])) == 1
    assert segments(reply) == 1 and "START" in reply
    assert [(row.phone_hash, row.opted_out) for row in optout_rows(app)] == [
        (phone_hash(NUMBER, app.config["SECRET_KEY"]), True)]
    assert texter.send(word) is None
    assert messages(texter.documents[-1]) == []


def test_phone_number_never_reaches_the_database_file(tmp_path):
    app = create_app(make_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'ivr.sqlite3'}"))
    texter = texter_on(app)
    for body in ["hi", "symptoms", "2", "STOP", "START", "STOP"]:
        texter.send(body)
    app.extensions["ivr"].db.dispose()
    stored = b"".join(path.read_bytes() for path in sorted(tmp_path.glob("ivr.sqlite3*")))
    assert phone_hash(NUMBER, app.config["SECRET_KEY"]).encode() in stored  # we read where the rows are
    for form in (NUMBER, NUMBER[1:], NUMBER[2:], "502-555-0123", "(502) 555-0123"):
        assert form.encode() not in stored
        assert form.encode("utf-16-le") not in stored


@pytest.mark.parametrize("body", ["menu", "HELP", "hi", "symptoms", "1", "my legs gave out", ""])
def test_opted_out_number_gets_no_reply(texter, body):
    texter.send("STOP")
    assert texter.send(body) is None
    assert messages(texter.documents[-1]) == []


@pytest.mark.parametrize("word", ["START", "start", "UNSTOP", "Unstop!", "YES", "yes"])
def test_opt_in_word_subscribes_again(texter, flow, word):
    texter.send("STOP")
    assert texter.send(word) == sms(flow.phrase("sms_started", "en"))
    assert texter.send("menu").startswith(welcome(flow))


def test_opt_out_survives_an_app_restart(tmp_path, texter, flow):
    texter.send("STOP")
    again = texter_on(create_app(make_config(tmp_path)))
    assert again.send("menu") is None
    assert again.send("START") == sms(flow.phrase("sms_started", "en"))


def test_opt_out_is_per_number(texter, app, flow):
    texter.send("STOP")
    assert texter_on(app, "+15025550999").send("hi").startswith(welcome(flow))


# ---- languages -------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["ESPANOL", "ESPAÑOL", "espanol", "Spanish", "¡Español!"])
def test_spanish_keyword_switches_to_spanish_and_english_switches_back(texter, flow, word):
    texter.send("hi")
    reply = texter.send(word)
    assert reply.startswith(welcome(flow, "es"))
    assert sms(flow.phrase("sms_menu_hint", "es")) in reply
    assert_menu(reply, flow, "main", "es")
    assert texter.send("3").startswith(node_text(flow, "treatment", "es"))
    assert texter.send("HELP") == phrase(flow, "sms_help", "es")

    reply = texter.send("ENGLISH")  # the same page again, now in English
    assert reply.startswith(node_text(flow, "treatment", "en"))
    assert sms(flow.phrase("sms_menu_hint", "en")) in reply
    assert texter.send("MENU").startswith(welcome(flow, "en"))


# ---- length and encoding of every reply ------------------------------------------------------

def assert_fits(text: str, lang: str) -> None:
    assert text
    if lang == "en":
        assert is_gsm7(text), f"not GSM-7: {non_gsm7(text)} in {text!r}"
    assert segments(text) <= 3, f"{segments(text)} segments: {text!r}"


def composed_replies() -> list:
    return list(_composed_replies())


def _composed_replies():
    for lang in FLOW.languages:
        for node in FLOW.nodes:
            yield pytest.param(Result(State(node, lang), "option"), False, id=f"{lang}-{node}-arrive")
            yield pytest.param(Result(State(node, lang, 1), "no_match", ("no_match", "more_help"), present=False),
                               False, id=f"{lang}-{node}-not-understood")
        yield pytest.param(Result(State(FLOW.line.start, lang), "main"), True, id=f"{lang}-welcome")
        yield pytest.param(Result(State(FLOW.line.emergency, lang), "emergency"), False, id=f"{lang}-emergency")


@pytest.mark.parametrize("result, is_welcome", composed_replies())
def test_every_composed_reply_fits_three_segments(flow, result, is_welcome):
    assert_fits(compose(flow, result, welcome=is_welcome), result.state.lang)


@pytest.mark.parametrize("lang", FLOW.languages)
@pytest.mark.parametrize("name", ["sms_help", "sms_stopped", "sms_started", "sms_error"])
def test_every_fixed_reply_fits_three_segments(flow, name, lang):
    assert_fits(phrase(flow, name, lang), lang)


def keyword_for(node: str, lang: str) -> str:
    """An SMS keyword that leads to the node, read from the flow."""
    for option in (o for n in FLOW.nodes.values() for o in n.options):
        if option.goto == node and option.keywords.get(lang):
            return option.keywords[lang][0]
    for name, target in [("main", FLOW.line.start), ("person", FLOW.line.person),
                         ("goodbye", FLOW.line.goodbye)]:
        if target == node:
            return getattr(FLOW.commands, name).keywords[lang][0]
    raise LookupError(f"no keyword reaches {node} in {lang}")


@pytest.mark.parametrize("lang", FLOW.languages)
@pytest.mark.parametrize("node", FLOW.nodes)
def test_every_node_reached_by_keyword_fits_three_segments(app, texter, lang, node):
    texter.send("ESPANOL" if lang == "es" else "hi")
    reply = texter.send(keyword_for(node, lang))
    assert session_row(app).node == node
    assert_fits(reply, lang)


# ---- gsm units -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, parts", [
    ("", 1),
    ("a" * 160, 1), ("a" * 161, 2),
    ("a" * 153 * 2, 2), ("a" * (153 * 2 + 1), 3),
    ("a" * 153 * 3, 3), ("a" * (153 * 3 + 1), 4),
    ("[" * 80, 1), ("[" * 81, 2),  # extension characters take two septets
    ("é" * 160, 1), ("ñ" * 161, 2),  # in GSM-7 itself
    ("ā" * 70, 1), ("ā" * 71, 2),  # UCS-2
    ("ā" * 67 * 2, 2), ("ā" * (67 * 2 + 1), 3),
    ("a" * 69 + "\u201c", 1), ("a" * 70 + "\u201c", 2),  # one curly quote makes it all UCS-2
])
def test_segments_counts_billed_parts(text, parts):
    assert segments(text) == parts


@pytest.mark.parametrize("text, folded", [
    ("\u2018quoted\u2019 \u201cwords\u201d", "'quoted' \"words\""),
    ("9\u201310 am \u2014 today", "9-10 am - today"),
    ("\u2022 one \u2022 two", "- one - two"),
    ("más aquí cómo menú", "mas aqui como menu"),
    ("Lo siento\u2026", "Lo siento..."),
    ("señales, ¿qué? ¡Llame! médico", "señales, ¿qué? ¡Llame! médico"),
])
def test_to_gsm7_folds_what_gsm7_lacks_and_keeps_what_it_has(text, folded):
    assert to_gsm7(text) == folded
    assert is_gsm7(folded)
