"""A broken flow edit stops the app with file:line: message naming the node and field.

Each case copies the shipped flows, makes one staff-style mistake, and checks the report.
"""
import shutil

import pytest

from ivr.app import create_app
from ivr.control_words import RESERVED, control_word
from ivr.flow import FlowError, load_flow

from conftest import FLOWS, make_config


def broken_flows(tmp_path, file, old, new, count=1):
    """The shipped flows with `old` replaced by `new` in one file; returns (dir, line of edit)."""
    target = tmp_path / "flows"
    shutil.copytree(FLOWS, target)
    text = (target / file).read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"fixture text not found: {old!r}"
    line = text[: text.index(old)].count("\n") + 1
    (target / file).write_text(text.replace(old, new, count), encoding="utf-8")
    return target, line


def problems_of(path):
    with pytest.raises(FlowError) as error:
        load_flow(path)
    return [str(p) for p in error.value.problems]


def test_the_shipped_flows_load(flow):
    assert flow.line.start in flow.nodes
    assert set(flow.languages) == {"en", "es"}


@pytest.mark.parametrize("file, old, new, line_offset, message", [
    ("main.yaml", "goto: treatment\n", "goto: treatmnt\n", 0,
     "node 'main' option 3 goto: node 'treatmnt' is not defined (did you mean 'treatment'?)"),
    ("line.yaml", "start: main ", "start: mainmenu ", 0,
     "line start: node 'mainmenu' is not defined (did you mean 'main'?)"),
    ("main.yaml", "      es: Gracias por llamar. Cuídese. Adiós.\n", "", -2,
     "node 'goodbye' say: the 'es' text is missing"),
    ("main.yaml", "  person:\n    type: transfer\n", "  person:\n    type: transfer\n    colour: blue\n", 2,
     "node 'person' colour: unknown field 'colour'"),
    ("main.yaml", "          en: [PREVENT, PREVENTION, RISK]", "          en: [PREVENT, PREVENTION, RISK, Treat]",
     0, "node 'main' option 4: keyword 'Treat' (en) is also used by node 'main' option 3"),
    ("main.yaml", "          en: [BOOK, APPOINTMENT, APPT, SCHEDULE]", "          en: [BOOK, APPOINTMENT, STOP]", 0,
     "node 'main' option 5: keyword 'STOP' is reserved for opt-out, opt-in or help"),
    ("main.yaml", "      - key: 5\n", "      - key: 9\n", 0,
     "node 'main' option 5 key: '9' must be one of 1 to 7 (8, 9, 0 and * are for text me, back, a person and repeat)"),
    ("main.yaml", "      - key: 5\n", "      - key: 4\n", 0, "node 'main' option 5 key: 4 is already used by option 4"),
    ("line.yaml", "en: For English, press {key}, or say {word}.", "en: For English, press {kye}, or say {word}.", 0,
     "phrase 'choose_language' en: unknown field {kye} (this phrase may use: {key}, {word})"),
    ("main.yaml", "    type: goodbye\n", "    type: farewell\n", 0,
     "node 'goodbye' type: Input should be 'menu', 'page', 'emergency', 'transfer', 'booking' or 'goodbye'"),
    ("main.yaml", "nodes:\n",
     "nodes:\n  Main Menu:\n    type: page\n    title: {en: a, es: b}\n    say: {en: a, es: b}\n",
     1, "node 'Main Menu': a node id is lower-case letters, digits and hyphens"),
])
def test_a_mistake_is_reported_at_its_line(tmp_path, file, old, new, line_offset, message):
    path, line = broken_flows(tmp_path, file, old, new)
    assert f"{path / file}:{line + line_offset}: {message}" in problems_of(path)


@pytest.mark.parametrize("word", sorted(RESERVED))
def test_every_carrier_word_is_refused_as_a_keyword(tmp_path, word):
    """The flow checks refuse exactly the words the SMS channel obeys first (one list): a keyword
    "ayuda" would never reach the flow, since HELP takes it."""
    assert control_word(word) is not None
    path, line = broken_flows(tmp_path, "main.yaml", "          en: [BOOK, APPOINTMENT, APPT, SCHEDULE]",
                              f"          en: [BOOK, APPOINTMENT, {word.lower()}]")
    assert f"{path / 'main.yaml'}:{line}: node 'main' option 5: keyword '{word.lower()}' is reserved for opt-out, " \
           "opt-in or help" in problems_of(path)


def test_a_yaml_syntax_error_names_file_and_line(tmp_path):
    path, line = broken_flows(tmp_path, "prevention.yaml", "    type: page\n", "    type: [page\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path / 'prevention.yaml'}:") and "YAML syntax" in problem


def test_a_node_defined_in_two_files_names_both(tmp_path):
    path, _ = broken_flows(tmp_path, "main.yaml", "nodes:\n", "nodes:\n  prevention:\n    type: page\n"
                           "    title: {en: a, es: b}\n    say: {en: a, es: b}\n")
    (problem,) = problems_of(path)
    assert "node 'prevention' is defined twice (also at " in problem and "prevention.yaml:" in problem


def test_a_missing_phrase_is_named(tmp_path):
    path, _ = broken_flows(tmp_path, "line.yaml", "  sms_started:", "  sms_startd:")
    found = problems_of(path)
    assert any(p.endswith("phrase 'sms_started' is missing (the line needs it)") for p in found)
    assert any("phrase 'sms_startd' is not used by the line (did you mean 'sms_started'?)" in p for p in found)


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    path, _ = broken_flows(tmp_path, "main.yaml", "goto: ", "goto: nowhere-", count=5)
    assert len([p for p in problems_of(path) if "is not defined" in p]) == 5


def test_a_broken_flow_stops_the_app(tmp_path):
    path, line = broken_flows(tmp_path, "main.yaml", "goto: treatment\n", "goto: treatmnt\n")
    with pytest.raises(FlowError, match=f"main.yaml:{line}: node 'main' option 3 goto"):
        create_app(make_config(tmp_path, FLOWS_DIR=str(path)))


def test_an_empty_folder_is_an_error(tmp_path):
    assert problems_of(tmp_path) == [f"{tmp_path}:1: no flow files (*.yaml) found here"]


def test_back_leads_to_the_menu_that_offers_a_page(flow):
    assert flow.back_of("physical-therapy") == "treatment"
    assert flow.back_of("treatment") == flow.line.start
    assert flow.back_of(flow.line.start) == flow.line.start
