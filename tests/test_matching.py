"""What callers say and texters type, matched to where they mean to go.

Phrasings here are deliberately not the synonyms in the flow files: filler words, plurals,
typos, whole sentences.
"""
import pytest

from ivr.engine.matching import PhraseMatcher
from ivr.engine.step import Input, State, step


def lands(flow, said, node="main", lang="en", kind="speech"):
    return step(flow, State(node, lang), Input(kind, said)).state.node


@pytest.mark.parametrize("said, node", [
    ("um I want to hear about treatments", "treatment"),
    ("numbness", "symptoms"),
    ("tingling in my hands", "symptoms"),
    ("my arms feel weak", "symptoms"),
    ("what are the warning signs", "warning-signs"),
    ("how can I prevent this", "prevention"),
    ("I'd like to make an appointment", "appointments"),
    ("uh, number three", "treatment"),
    ("Three.", "treatment"),
    ("which tests might I need", "tests"),
    ("do I need an MRI", "tests"),
    ("x ray", "tests"),
    ("tell me about physical therapy", "physical-therapy"),
    ("what about the shots", "injections"),
    ("epidural injections", "injections"),
    ("muscle relaxers", "medicines"),
    ("what should I tell my doctor", "your-doctor"),
])
def test_english_speech_at_the_main_menu(flow, said, node):
    assert lands(flow, said) == node


@pytest.mark.parametrize("said, node", [
    ("quiero saber de los tratamientos", "treatment"),
    ("hormigueo en las manos", "symptoms"),
    ("señales de alarma", "warning-signs"),
    ("número cuatro", "prevention"),
    ("quiero una cita", "appointments"),
    ("terapia física", "physical-therapy"),
])
def test_spanish_speech_at_the_main_menu(flow, said, node):
    assert lands(flow, said, lang="es") == node


@pytest.mark.parametrize("typed, node", [
    ("symptons", "symptoms"), ("SYMPTOMS", "symptoms"), ("  Symptoms!! ", "symptoms"),
    ("treatmnt", "treatment"), ("Tests?", "tests"), ("pt", "physical-therapy"),
    ("meds", "medicines"), ("injectons", "injections"), ("prevension", "prevention"),
    ("x-ray", "tests"), ("book", "appointments"),
])
def test_sms_keywords_forgive_case_punctuation_and_typos(flow, typed, node):
    assert lands(flow, typed, kind="text") == node


@pytest.mark.parametrize("said", ["purple elephants", "", "the", "asdfgh", "2 3"])
def test_nonsense_is_not_a_match(flow, said):
    result = step(flow, State("main", "en"), Input("speech", said))
    assert result.event in ("no_match", "no_input")


def test_a_phrase_matching_two_choices_equally_is_no_match():
    matcher = PhraseMatcher([("tests", "a"), ("scans", "b")])
    assert matcher.match("tests and scans") is None
    assert matcher.match("tests") == "a"


def test_the_more_specific_phrase_wins():
    matcher = PhraseMatcher([("therapy", "a"), ("physical therapy", "b")])
    assert matcher.match("I mean physical therapy") == "b"


def test_short_words_must_match_exactly():
    matcher = PhraseMatcher([("leg", "a"), ("two", "b")])
    assert matcher.match("log") is None and matcher.match("to") is None


@pytest.mark.parametrize("said", [
    "I can't control my bladder", "I lost control of my bowels", "my legs gave out",
    "I suddenly feel weak all over", "I can't walk", "I keep losing my balance",
    "I can't feel my legs", "this is an emergency", "I had an accident with my bladder",
])
def test_red_flags_in_english(flow, said):
    assert lands(flow, said) == flow.line.emergency


@pytest.mark.parametrize("said", [
    "no puedo controlar la vejiga", "perdí el control de los intestinos", "se me doblaron las piernas",
    "no puedo caminar", "tengo debilidad repentina",
])
def test_red_flags_in_spanish(flow, said):
    assert lands(flow, said, lang="es") == flow.line.emergency


@pytest.mark.parametrize("said", [
    "tingling in my hands", "numbness", "weakness in my arms", "bladder", "walking",
    "treatment options", "control",
])
def test_everyday_symptoms_are_not_red_flags(flow, said):
    assert lands(flow, said) != flow.line.emergency
