"""Speech as recognizers return it: through the real webhook, signed as Twilio signs, TwiML
followed. Other case, no punctuation, numbers as digits or words or what they sound like, small
mis-hearings; a low-confidence menu choice is confirmed before it is acted on, a red flag never
waits; and the <Gather> speech settings chosen on purpose, within Twilio's limits."""
import xml.etree.ElementTree as ET

import pytest
from test_booking_channels import booking_app
from test_voice import said_option

from ivr.app import create_app
from ivr.config import ConfigError, from_env
from ivr.simulate.phone import Phone, Signer

from conftest import AUTH_TOKEN, make_config

TWILIO_MAX_HINTS, TWILIO_MAX_HINT_CHARACTERS = 500, 100


def at_main(phone, lang="en"):
    phone.call()
    return phone.press({"en": "1", "es": "2"}[lang])


def confirm_question(flow, choice, lang="en"):
    return flow.phrase("confirm_choice", lang, choice=choice)


@pytest.mark.parametrize("said, node", [
    ("3", "treatment"), ("three", "treatment"), ("Three.", "treatment"), ("number three please", "treatment"),
    ("TREATMENT", "treatment"), ("treatment", "treatment"), ("treatmint", "treatment"),
    ("to", "warning-signs"), ("too", "warning-signs"), ("for", "prevention"), ("won", "symptoms"),
])
def test_a_choice_is_understood_as_recognizers_write_it(phone, said, node):
    at_main(phone)
    turn = phone.say(said)
    assert turn.waiting == "gather" and f"node={node}&" in turn.gather["action"], (said, turn.gather)


def test_a_low_confidence_choice_is_asked_about_before_it_is_acted_on(phone, flow):
    at_main(phone)
    asked = phone.say("treatment", confidence=0.3)
    label = next(o.label["en"] for o in flow.nodes["main"].options if o.goto == "treatment")
    assert confirm_question(flow, label) in asked.text
    assert flow.nodes["treatment"].say["en"] not in asked.text  # not there yet
    assert flow.phrase("footer_main", "en") in asked.text and asked.waiting == "gather"
    assert flow.nodes["treatment"].say["en"] in phone.press("1").text  # yes, by key


@pytest.mark.parametrize("answer", ["yes", "Yeah.", "sure"])
def test_saying_yes_goes_there(phone, flow, answer):
    at_main(phone)
    phone.say("treatment", confidence=0.2)
    assert flow.nodes["treatment"].say["en"] in phone.say(answer).text


def test_no_is_a_miss_that_offers_the_choices_again(phone, flow):
    at_main(phone)
    phone.say("treatment", confidence=0.2)
    turn = phone.press("2")
    assert flow.phrase("no_match", "en") in turn.text and said_option(flow, "main", "3") in turn.text
    assert flow.nodes["treatment"].say["en"] not in turn.text


def test_another_answer_instead_of_yes_or_no_is_taken_as_it_is(phone, flow):
    at_main(phone)
    phone.say("treatment", confidence=0.2)
    assert flow.nodes["appointments"].say["en"] in phone.say("appointments").text


def test_a_red_flag_goes_to_the_guidance_at_any_confidence_even_while_asked(phone, flow):
    at_main(phone)
    emergency = flow.nodes[flow.line.emergency].say["en"]
    assert emergency in phone.say("i cant feel my legs", confidence=0.05).text
    at_main(phone)
    phone.say("treatment", confidence=0.2)
    assert emergency in phone.say("my legs gave out", confidence=0.1).text


def test_a_sure_choice_and_a_choice_without_a_confidence_are_acted_on_at_once(phone, signer, flow):
    at_main(phone)
    assert flow.nodes["treatment"].say["en"] in phone.say("treatment", confidence=0.92).text
    response = signer.post("/voice/step?node=main&lang=en&miss=0", {"CallSid": "CA9", "SpeechResult": "treatment"})
    assert flow.nodes["treatment"].say["en"] in response.get_data(as_text=True)


def test_hanging_up_is_confirmed_but_a_person_is_never_kept_waiting(phone, flow):
    at_main(phone)
    asked = phone.say("goodbye", confidence=0.3)
    assert confirm_question(flow, flow.nodes["goodbye"].title["en"]) in asked.text and asked.waiting == "gather"
    at_main(phone)
    assert phone.say("person", confidence=0.3).waiting == "dial"


def test_a_spanish_caller_is_asked_in_spanish(phone, flow):
    at_main(phone, "es")
    asked = phone.say("tratamiento", confidence=0.3)
    label = next(o.label["es"] for o in flow.nodes["main"].options if o.goto == "treatment")
    assert confirm_question(flow, label, "es") in asked.text
    assert flow.nodes["treatment"].say["es"] in phone.say("sí").text


def test_a_tampered_question_in_the_url_is_dropped(signer, flow):
    response = signer.post("/voice/step?node=main&lang=en&miss=0&confirm=option:nowhere", {"CallSid": "CA1",
                                                                                          "Digits": "1"})
    assert said_option(flow, "symptoms", "1") in response.get_data(as_text=True)  # key 1 is symptoms, not yes


def test_with_confirmation_off_nothing_is_asked(tmp_path, flow):
    app = create_app(make_config(tmp_path, SPEECH_CONFIRM_BELOW=0.0))
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN))
    at_main(phone)
    assert flow.nodes["treatment"].say["en"] in phone.say("treatment", confidence=0.01).text


@pytest.mark.parametrize("value", ["1.5", "-0.1", "half"])
def test_a_confirmation_threshold_outside_0_to_1_is_refused(monkeypatch, tmp_path, value):
    monkeypatch.setenv("SPEECH_CONFIRM_BELOW", value)
    with pytest.raises(ConfigError, match="SPEECH_CONFIRM_BELOW"):
        from_env(str(tmp_path))


def _gathers(turn):
    return [g for document in turn.documents for g in ET.fromstring(document).iter("Gather")]


def test_every_menu_listens_with_the_phone_call_model_and_answers_when_the_caller_stops(phone):
    turns = [phone.call(), phone.press("1"), phone.press("1"), phone.press("9"), phone.say("treatment", 0.2)]
    for gather in (g for turn in turns for g in _gathers(turn)):
        assert gather.get("speechModel") == "phone_call"
        assert gather.get("speechTimeout") == "auto"  # a one-word choice costs no waiting
        assert gather.get("enhanced") is None  # deprecated by Twilio, and not in the TwiML schema
        assert gather.get("bargeIn") in (None, "true")  # callers may answer over the prompt


def test_hints_are_the_steps_words_in_the_callers_language_within_twilios_limits(phone, flow):
    english = _gathers(at_main(phone))[0].get("hints").split(", ")
    assert "treatment" in english and "person" in english and "bladder" in english
    spanish = _gathers(at_main(phone, "es"))[0].get("hints").split(", ")
    assert "tratamiento" in spanish and "vejiga" in spanish and "treatment" not in spanish
    for hints in (english, spanish):
        assert len(hints) <= TWILIO_MAX_HINTS and all(0 < len(h) <= TWILIO_MAX_HINT_CHARACTERS for h in hints)


def test_a_name_is_heard_without_hints_and_with_time_for_pauses(tmp_path, flow):
    phone = Phone(Signer(booking_app(tmp_path).test_client(), AUTH_TOKEN))
    at_main(phone)
    phone.press("5")  # appointments: the open times
    phone.press("1")  # the first: "You chose ... To book it, press 1"
    asked = phone.press("1")
    assert flow.phrase("book_ask_name", "en") in asked.text
    (gather,) = _gathers(asked)
    assert gather.get("hints") is None and gather.get("speechTimeout") == "3"


def test_the_language_choice_is_never_asked_about(phone, flow):
    phone.call()
    turn = phone.say("goodbye", confidence=0.2)  # at the greeting, before a language is chosen
    assert turn.waiting == "hangup" and flow.nodes["goodbye"].say["en"] in turn.text
    phone.call()
    assert "confirm=" not in phone.say("english", confidence=0.2).gather["action"]
