"""The engine alone: no HTTP, no database. Each step is a pure function of its inputs."""
import pytest

from ivr.engine.step import LANGUAGE, MAX_MISSES, Input, State, start_state, step


def at(flow, node, lang="en", misses=0):
    return State(node, lang, misses)


def test_a_call_starts_at_the_language_choice(flow):
    assert start_state(flow) == State(LANGUAGE, "en")
    assert step(flow, start_state(flow), Input("start")).event == "start"


@pytest.mark.parametrize("inp, lang", [
    (Input("key", "1"), "en"), (Input("key", "2"), "es"),
    (Input("speech", "English"), "en"), (Input("speech", "Español."), "es"),
    (Input("speech", "spanish please"), "es"), (Input("speech", "two"), "es"),
])
def test_the_language_is_chosen_by_key_or_word(flow, inp, lang):
    result = step(flow, start_state(flow), inp)
    assert result.state == State(flow.line.start, lang) and result.event == "language"


def test_a_key_picks_the_option_with_that_key(flow):
    result = step(flow, at(flow, "main"), Input("key", "3"))
    assert result.state.node == "treatment" and result.event == "option" and result.present


@pytest.mark.parametrize("key, command, node", [
    ("*", "repeat", "treatment"), ("9", "back", "main"), ("0", "person", "person"),
])
def test_command_keys_work_at_every_menu(flow, key, command, node):
    result = step(flow, at(flow, "treatment"), Input("key", key))
    assert (result.event, result.state.node) == (command, node)


@pytest.mark.parametrize("said, event, node", [
    ("repeat that please", "repeat", "physical-therapy"),
    ("go back", "back", "treatment"),
    ("main menu", "main", "main"),
    ("can I talk to a real person", "person", "person"),
    ("that's all, goodbye", "goodbye", "goodbye"),
])
def test_commands_work_by_word_at_every_menu(flow, said, event, node):
    result = step(flow, at(flow, "physical-therapy"), Input("speech", said))
    assert (result.event, result.state.node) == (event, node)


def test_silence_reprompts_without_replaying_the_page(flow):
    result = step(flow, at(flow, "tests"), Input("silence"))
    assert result.state == at(flow, "tests", misses=1)
    assert result.notices == ("no_input", "more_help") and not result.present


def test_a_wrong_key_is_a_miss(flow):
    result = step(flow, at(flow, "main", misses=1), Input("key", "8"))
    assert result.state.misses == 2 and result.notices == ("no_match", "more_help")


def test_the_third_miss_connects_a_person(flow):
    result = step(flow, at(flow, "main", misses=MAX_MISSES - 1), Input("speech", "purple elephants"))
    assert result.state == State(flow.line.person, "en", 0)
    assert result.event == "too_many_misses" and result.notices == ("connect_person",)


def test_a_match_resets_the_misses(flow):
    assert step(flow, at(flow, "main", misses=2), Input("key", "1")).state.misses == 0


def test_text_misses_never_transfer(flow):
    result = step(flow, at(flow, "main", misses=10), Input("text", "purple elephants"), max_misses=None)
    assert result.state.node == "main" and result.event == "no_match"


@pytest.mark.parametrize("node", ["main", "treatment", "tests", "person", LANGUAGE])
@pytest.mark.parametrize("said", ["I can't control my bladder", "my legs gave out", "no puedo caminar"])
def test_a_red_flag_anywhere_goes_to_the_emergency_guidance(flow, node, said):
    result = step(flow, at(flow, node), Input("speech", said))
    assert result.state.node == flow.line.emergency and result.event == "emergency"


def test_a_red_flag_outranks_a_key_press_state_and_a_topic_word(flow):
    said = "I lost control of my bladder, what treatment is there"
    assert step(flow, at(flow, "main"), Input("text", said)).state.node == flow.line.emergency


def test_saying_a_language_switches_it_and_stays_on_the_node(flow):
    result = step(flow, at(flow, "treatment"), Input("speech", "español"))
    assert result.state == State("treatment", "es") and result.event == "language"


def test_text_in_another_language_is_answered_in_it(flow):
    result = step(flow, at(flow, "main"), Input("text", "tratamiento"))
    assert result.state == State("treatment", "es")


def test_a_cognate_does_not_switch_a_spanish_texter_to_english(flow):
    result = step(flow, at(flow, "main", "es"), Input("text", "prevencion"))
    assert result.state == State("prevention", "es")


def test_a_text_number_after_a_page_means_the_menu_above_it(flow):
    result = step(flow, at(flow, "physical-therapy"), Input("text", "2"))
    assert result.state.node == "medicines"


def test_a_key_after_a_page_by_voice_is_not_a_sibling_topic(flow):
    assert step(flow, at(flow, "physical-therapy"), Input("key", "2")).event == "no_match"


@pytest.mark.parametrize("state", [
    State("no-such-node", "en"), State("main", "fr"), State("main", "en", -4), State("main", "en", 99),
])
def test_a_tampered_or_stale_state_is_made_safe(flow, state):
    result = step(flow, state, Input("key", "1"))
    assert result.state.node in flow.nodes and result.state.lang in flow.languages


def test_the_engine_is_pure(flow):
    state, inp = at(flow, "main"), Input("speech", "tell me about injections")
    assert step(flow, state, inp) == step(flow, state, inp)
    assert state == at(flow, "main")
