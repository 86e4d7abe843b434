"""Red flags in everyday words: the warning signs caught however callers and texters put them,
ordinary symptom talk and denials left to the menus.

The phrasings are in tests/data/red_flag_phrasings.yaml, written as people talk and kept apart
from the flow's words (flows/red-flags.yaml): the recogniser must understand them, not list
them. Every warning sign must reach the emergency guidance (recall 100%); at most 5% of the
everyday sentences may (false alarms), in each language, spoken and texted.
"""
from pathlib import Path

import pytest
import yaml
from test_flow_loader import broken_flows, problems_of

from ivr.engine.index import index_for
from ivr.engine.step import Input, State, step
from ivr.flow import load_flow
from ivr.words import tokens

PHRASINGS = yaml.safe_load((Path(__file__).parent / "data" / "red_flag_phrasings.yaml").read_text(encoding="utf-8"))
HOW = {"spoken": "speech", "texted": "text"}  # as each reaches the engine
MAX_FALSE_ALARMS = 0.05


def lands(flow, said, kind="speech", lang="en", node="main", sure=True):
    return step(flow, State(node, lang), Input(kind, said, sure=sure), max_misses=None).state.node


def cases(group):
    return [(lang, how, said) for lang, groups in PHRASINGS.items() for how, items in groups[group].items()
            for said in items]


def test_there_are_at_least_a_hundred_phrasings_of_each_kind_in_each_language():
    for lang, groups in PHRASINGS.items():
        for group in ("warning_signs", "everyday"):
            assert sum(len(items) for items in groups[group].values()) >= 100, (lang, group)
            assert set(groups[group]) == set(HOW), (lang, group)  # spoken and texted


def test_the_phrasings_are_not_the_flows_words(flow):
    """Kept apart: no test sentence is itself one of the flow's red-flag phrases (a lone "911" may be)."""
    listed = {tuple(tokens(phrase)) for words in flow.red_flags.values()
              for kind in type(words).model_fields for phrase in getattr(words, kind)}
    copied = [said for _, _, said in cases("warning_signs") + cases("everyday")
              if len(tokens(said)) > 1 and tuple(tokens(said)) in listed]
    assert copied == []


@pytest.mark.parametrize("lang", list(PHRASINGS))
@pytest.mark.parametrize("how", list(HOW))
def test_every_warning_sign_reaches_the_emergency_guidance(flow, lang, how):
    missed = [said for said in PHRASINGS[lang]["warning_signs"][how]
              if lands(flow, said, HOW[how], lang) != flow.line.emergency]
    assert missed == [], f"recall {1 - len(missed) / len(PHRASINGS[lang]['warning_signs'][how]):.1%}"


@pytest.mark.parametrize("lang", list(PHRASINGS))
@pytest.mark.parametrize("how", list(HOW))
def test_everyday_symptom_talk_rarely_raises_the_alarm(flow, lang, how):
    everyday = PHRASINGS[lang]["everyday"][how]
    alarms = [said for said in everyday if lands(flow, said, HOW[how], lang) == flow.line.emergency]
    assert len(alarms) / len(everyday) <= MAX_FALSE_ALARMS, alarms


@pytest.mark.parametrize("said, lang", [
    ("no, I have no bladder problems", "en"), ("no i have no bladder problems", "en"),
    ("I don't have any trouble walking", "en"), ("I haven't fallen", "en"), ("I'm not weak", "en"),
    ("no tengo problemas de la vejiga", "es"), ("nunca me he caído", "es"), ("no me siento débil", "es"),
])
def test_a_denied_sign_is_not_an_emergency(flow, said, lang):
    assert lands(flow, said, lang=lang) != flow.line.emergency


@pytest.mark.parametrize("said, lang", [
    ("no, I can't walk", "en"), ("no i cant walk", "en"), ("no feeling in my feet", "en"),
    ("I feel nothing in my legs", "en"), ("I haven't been able to pee", "en"),
    ("no, no puedo caminar", "es"), ("no siento las piernas", "es"), ("sin fuerza en los brazos", "es"),
])
def test_a_denial_can_itself_say_the_sign(flow, said, lang):
    """"No" answering a question is not a denial of what follows; "no feeling" is a loss."""
    assert lands(flow, said, lang=lang) == flow.line.emergency


@pytest.mark.parametrize("plain, serious, lang", [
    ("my legs feel weak", "my legs suddenly feel weak", "en"),
    ("my hands are numb", "my hands are completely numb", "en"),
    ("numbness in my feet", "numbness in my feet that keeps getting worse", "en"),
    ("weakness in my arm", "very weak arm", "en"),
    ("tengo las piernas débiles", "de repente tengo las piernas débiles", "es"),
    ("tengo las manos entumidas", "tengo las manos entumidas y cada vez peor", "es"),
])
def test_weakness_and_numbness_said_plainly_go_to_symptoms_and_seriously_to_the_guidance(flow, plain, serious,
                                                                                          lang):
    assert lands(flow, plain, lang=lang) == "symptoms"
    assert lands(flow, serious, lang=lang) == flow.line.emergency


def test_severity_is_about_the_symptom_it_is_said_of(flow):
    assert lands(flow, "severe back pain and some numbness") != flow.line.emergency
    assert lands(flow, "some back pain and severe numbness") == flow.line.emergency


def test_a_red_flag_is_heard_at_any_confidence_and_at_any_menu(flow):
    for node in ("main", "treatment", "tests", "appointments"):
        assert lands(flow, "my legs gave out", node=node, sure=False) == flow.line.emergency


def test_a_red_flag_in_the_other_language_is_answered_in_it(flow):
    result = step(flow, State("main", "en"), Input("text", "no puedo controlar la vejiga"))
    assert (result.state.node, result.state.lang) == (flow.line.emergency, "es")


def test_the_words_are_the_staffs_to_edit(tmp_path, flow):
    said = "my knees went wonky on the stairs"
    assert lands(flow, said) != flow.line.emergency
    path, _ = broken_flows(tmp_path, "red-flags.yaml", "    giving_way: [gave out,",
                           "    giving_way: [went wonky, gave out,")
    assert lands(load_flow(path), said) == flow.line.emergency  # a new way of giving way, with a part of the body


def test_a_kind_of_word_left_empty_is_an_error(tmp_path):
    path, line = broken_flows(tmp_path, "red-flags.yaml", "    very: [very, really, so, too, super, extremely]",
                              "    very: []")
    assert f"{path / 'red-flags.yaml'}:{line}: red_flags en very: no words; each kind needs at least one" \
        in problems_of(path)


def test_most_of_what_is_said_at_a_menu_is_not_read_as_a_sign_at_all(flow):
    """The quick look: without a word a sign needs, the reading is skipped."""
    flags = index_for(flow).red_flags["en"]
    assert flags.sign("um I want to hear about treatments") is None
    assert flags.read("um I want to hear about treatments")  # it would have read it
