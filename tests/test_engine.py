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


# A conversation that goes through menus, speech, a red flag, silence and a booking.
CONVERSATION = [("key", "1"), ("speech", "treatment please"), ("key", "9"), ("silence", ""),
                ("text", "I can't control my bladder"), ("key", "0"), ("key", "*"), ("speech", "main menu"),
                ("key", "5"), ("key", "1"), ("key", "1"), ("speech", "Jane Doe"), ("key", "1")]

# Run in a fresh interpreter: the engine and the booking dialog are imported, then every module of
# the web and the database is made unimportable and the file system and network refuse every call.
PURE_RUN = """
import builtins, json, os, socket, sys
sys.path.insert(0, sys.argv[2])
from booking_fakes import FakeDesk
from ivr.booking.dialog import DIALOGS
from ivr.engine.step import Input, start_state, step
from ivr.flow import load_flow

flow = load_flow(sys.argv[1])  # reading the flow files is the loader's I/O, before the engine runs
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("flask", "werkzeug", "sqlalchemy", "psycopg")
                or name.startswith(("ivr.storage", "ivr.services", "ivr.channels", "ivr.app")))

class Unimportable:
    def find_spec(self, name, path=None, target=None):
        raise ImportError("the engine imported " + name)

def no_io(*args, **kwargs):
    raise OSError("the engine did I/O")

sys.meta_path.insert(0, Unimportable())
builtins.open = os.open = socket.socket = socket.create_connection = no_io
state, desk, seen = start_state(flow), FakeDesk(), []
for kind, value in json.loads(sys.argv[3]):
    result = step(flow, state, Input(kind, value), desk=desk, dialogs=DIALOGS)
    seen.append([result.state.node, result.state.stage, result.event, list(result.notices)])
    state = result.state
print(json.dumps({"loaded": loaded, "seen": seen}))
"""


def _converse(flow, desk):
    from ivr.booking.dialog import DIALOGS

    state, seen, results = start_state(flow), [], []
    for kind, value in CONVERSATION:
        result = step(flow, state, Input(kind, value), desk=desk, dialogs=DIALOGS)
        seen.append([result.state.node, result.state.stage, result.event, list(result.notices)])
        results.append(result)
        state = result.state
    return seen, results


def test_the_engine_is_pure(flow):
    """Same inputs, same outputs, inputs untouched, and no I/O: the same conversation gives the
    same steps in a process where Flask, SQLAlchemy, storage and the file system are unavailable."""
    import json
    import subprocess
    import sys

    from booking_fakes import FakeDesk
    from conftest import FLOWS

    seen, results = _converse(flow, FakeDesk())
    again, results_again = _converse(flow, FakeDesk())
    assert results == results_again and seen == again  # the same conversation, step for step
    assert [r.event for r in results][-1] == "booked" and "emergency" in [r.event for r in results]

    tests = str(FLOWS.parent / "tests")
    run = subprocess.run([sys.executable, "-c", PURE_RUN, str(FLOWS), tests, json.dumps(CONVERSATION)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    isolated = json.loads(run.stdout)
    assert isolated["loaded"] == []  # the engine pulled in nothing of the web or the database
    assert isolated["seen"] == seen


def test_a_step_leaves_its_inputs_as_they_were(flow):
    state, inp = at(flow, "main"), Input("speech", "tell me about injections")
    step(flow, state, inp)
    assert state == at(flow, "main") and inp == Input("speech", "tell me about injections")
