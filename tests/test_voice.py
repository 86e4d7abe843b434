"""Voice through the real webhook, signed as Twilio signs, TwiML parsed and followed."""
import re
import xml.etree.ElementTree as ET

import pytest

from ivr.app import create_app
from ivr.simulate.phone import Phone, Signer

from conftest import TRANSFER_NUMBER, make_config

WORDS_PER_SECOND = 160 / 60  # a steady speaking rate


def verbs(document: bytes) -> list[ET.Element]:
    return list(ET.fromstring(document))


def gathers(document: bytes) -> list[ET.Element]:
    return ET.fromstring(document).findall(".//Gather")


def said_option(flow, node: str, key: str, lang: str = "en") -> str:
    """How option `key` of `node` is read out, by the flow's own `option` sentence."""
    option = next(o for o in flow.nodes[node].options if o.key == key)
    return flow.phrase("option", lang, label=option.label[lang], key=key, word=option.words[lang][0])


def test_emergency_guidance_comes_first_within_ten_seconds(phone, flow):
    turn = phone.call()
    first_text, first_lang = turn.said[0]
    assert first_text == flow.phrase("call_emergency", "en") and first_lang == "en-US"
    assert "9 1 1" in first_text
    spanish = [i for i, (text, _) in enumerate(turn.said) if text == flow.phrase("call_emergency", "es")]
    assert spanish, "the Spanish emergency guidance is missing"
    words_before_spanish_ends = sum(len(t.split()) for t, _ in turn.said[: spanish[0] + 1])
    assert len(first_text.split()) / WORDS_PER_SECOND <= 10
    # A Spanish speaker, who hears the English first, has it in Spanish within 10 seconds too.
    assert words_before_spanish_ends / WORDS_PER_SECOND <= 10


def test_the_language_choice_follows_and_waits_for_keys_or_speech(phone):
    turn = phone.call()
    assert "For English, press 1, or say english." in turn.text
    assert "Para español, oprima 2, o diga español." in turn.text
    assert turn.waiting == "gather"


def test_every_gather_takes_keys_and_speech_waits_long_and_is_followed_by_a_reprompt(phone):
    documents = []
    for action in (phone.call, lambda: phone.press("1"), lambda: phone.press("3"), lambda: phone.press("1"),
                   phone.silence):
        documents += action().documents
    for document in documents:
        for gather in gathers(document):
            assert gather.get("input") == "dtmf speech"
            assert int(gather.get("timeout")) >= 8
            assert gather.get("hints")
            assert gather.get("action", "").startswith("/voice/step?")
        top = verbs(document)
        for i, verb in enumerate(top):
            if verb.tag == "Gather":
                assert top[i + 1].tag == "Redirect", "silence after a Gather must not end the call"


def test_menus_say_the_function_first_and_offer_at_most_five_choices(phone, flow):
    phone.call()
    turn = phone.press("1")
    said = [text for text, _ in turn.said]
    options = flow.nodes["main"].options
    assert len(options) <= 5
    for option in options:  # "For treatment, press 3.": what it is for, then the key
        sentence = said_option(flow, "main", option.key)
        assert sentence in said
        assert re.match(rf"For {re.escape(option.label['en'])}, press {option.key}\b", sentence)
    assert [s for s in said if re.match(r"For .+, press \d", s)] == [said_option(flow, "main", o.key) for o in options]


def test_saying_a_label_as_heard_chooses_it(phone, flow):
    phone.call()
    phone.press("1")
    treatment = next(o for o in flow.nodes["main"].options if o.goto == "treatment")
    turn = phone.say(treatment.label["en"].upper() + ".")  # recognizers return other case and punctuation
    assert flow.nodes["treatment"].say["en"] in turn.text


@pytest.mark.parametrize("node, footer", [("main", "footer_main"), ("treatment", "footer"), ("tests", "footer")])
def test_every_menu_announces_repeat_and_a_person_and_back_below_the_top(client, signer, flow, node, footer):
    response = signer.post(f"/voice/node?node={node}&lang=en", {"CallSid": "CA1"})
    said = [s.text for s in ET.fromstring(response.data).iter("Say")]
    assert said[-1] == flow.phrase(footer, "en")
    assert "press star" in said[-1] and "press 0" in said[-1]
    assert ("press 9" in said[-1]) == (node != "main")


def test_a_spanish_caller_hears_a_spanish_voice_and_is_heard_in_spanish(phone, flow):
    phone.call()
    turn = phone.say("español")
    document = turn.documents[-1]
    says = list(ET.fromstring(document).iter("Say"))
    assert says and all(s.get("language") == "es-US" and s.get("voice") == flow.languages["es"].voice
                        for s in says)
    assert all(g.get("language") == "es-US" for g in gathers(document))
    assert said_option(flow, "main", "3", "es") in turn.text


def test_a_person_is_reached_with_dial_to_the_staff_line(phone, flow):
    phone.call()
    phone.press("1")
    turn = phone.press("0")
    assert turn.waiting == "dial" and turn.dialed == TRANSFER_NUMBER
    assert flow.nodes["person"].say["en"] in turn.text


def test_a_finished_transfer_ends_with_goodbye_and_hangup(phone, flow):
    phone.call()
    phone.press("0")
    turn = phone.dial_ends("completed")
    assert turn.text == flow.nodes["goodbye"].say["en"] and turn.waiting == "hangup"
    assert verbs(turn.documents[-1])[-1].tag == "Hangup"


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_a_failed_transfer_apologises_and_returns_to_the_menu(phone, flow, status):
    phone.call()
    phone.press("1")
    phone.press("0")
    turn = phone.dial_ends(status)
    assert flow.phrase("transfer_failed", "en", phone=flow.line.clinic_phone) in turn.text
    assert said_option(flow, "main", "3") in turn.text and turn.waiting == "gather"


def test_without_a_staff_line_the_caller_hears_the_clinic_number_and_stays(tmp_path, flow):
    app = create_app(make_config(tmp_path, TRANSFER_NUMBER=""))
    phone = Phone(Signer(app.test_client(), app.config["TWILIO_AUTH_TOKEN"]))
    phone.call()
    phone.press("1")
    turn = phone.press("0")
    assert flow.line.clinic_phone in turn.text and turn.waiting == "gather"


def test_goodbye_is_spoken_before_hanging_up(phone, flow):
    phone.call()
    phone.press("1")
    turn = phone.say("goodbye")
    assert turn.text == flow.nodes["goodbye"].say["en"] and turn.waiting == "hangup"


def test_three_silences_reach_a_person_never_a_hang_up(phone, flow):
    phone.call()
    phone.press("1")
    assert phone.silence().waiting == "gather"
    assert phone.silence().waiting == "gather"
    turn = phone.silence()
    assert flow.phrase("connect_person", "en") in turn.text
    assert turn.waiting == "dial"


def test_silence_at_the_language_choice_asks_again_without_the_whole_greeting(phone, flow):
    phone.call()
    turn = phone.silence()
    assert flow.phrase("no_input", "en") in turn.text
    assert flow.phrase("call_emergency", "en") not in turn.text
    assert "For English, press 1" in turn.text


def test_a_red_flag_said_at_a_menu_goes_to_the_emergency_guidance(phone, flow):
    phone.call()
    phone.press("1")
    phone.press("3")
    turn = phone.say("my legs gave out this morning")
    assert flow.nodes[flow.line.emergency].say["en"] in turn.text


@pytest.mark.parametrize("query", [
    "node=nowhere&lang=en&miss=0", "node=main&lang=xx&miss=zz", "", "node=_language&lang=es&miss=-5",
])
def test_a_stale_or_tampered_step_url_still_gets_a_menu(signer, query):
    response = signer.post(f"/voice/step?{query}", {"CallSid": "CA1", "Digits": "1"})
    assert response.status_code == 200
    assert gathers(response.data) or verbs(response.data)[-1].tag in ("Hangup", "Dial")


def test_a_steps_twiml_is_made_once_per_flow_and_never_kept_with_a_callers_name(flow):
    from zoneinfo import ZoneInfo

    from ivr.engine.state import Result, State
    from ivr.render import voice as voice_twiml

    zone, number = ZoneInfo("America/New_York"), "+15025550199"
    voice_twiml._document.cache_clear()
    menu = Result(State("main", "en"), "option")
    first = voice_twiml.document(flow, menu, number, zone)
    assert first == str(voice_twiml.render(flow, menu, number, zone))
    assert voice_twiml.document(flow, Result(State("main", "en"), "option"), number, zone) is first
    assert voice_twiml._document.cache_info().hits == 1
    assert voice_twiml.document(flow, Result(State("main", "es"), "option"), number, zone) != first

    named = Result(State("main", "en", name="Maria Gonzalez"), "option")
    assert voice_twiml.document(flow, named, number, zone) == str(voice_twiml.render(flow, named, number, zone))
    assert voice_twiml._document.cache_info().currsize == 2  # the named one was not kept
