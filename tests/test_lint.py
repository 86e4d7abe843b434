"""`ivr validate`'s checks: the loader's errors, and each warning a careful editor wants.

Each warning case copies the shipped flows, makes one staff-style edit, and checks the finding
at its file and line.
"""
import re
import socket

import pytest
from test_flow_loader import broken_flows

from ivr.engine.state import Result, State
from ivr.flow import FlowError, load_flow
from ivr.lint import lint
from ivr.lint.delivery import composed_replies
from ivr.lint.reading import _grade_en
from ivr.render.gsm import segments
from ivr.render.sms import compose, phrase

from conftest import FLOWS


def where(file, text):
    """file:line of the first line holding `text`."""
    lines = file.read_text(encoding="utf-8").splitlines()
    return f"{file}:{next(i for i, line in enumerate(lines, 1) if text in line)}"


def findings_of(path, severity="warning"):
    return [f.labelled() for f in lint(path).findings if f.severity == severity]


def test_the_shipped_flows_have_no_errors_and_no_warnings(flow):
    report = lint(FLOWS)
    assert [f.labelled() for f in report.findings] == []
    assert report.checked.version == flow.version


def test_errors_are_the_loaders_own_with_a_hint(tmp_path):
    path, line = broken_flows(tmp_path, "main.yaml", "goto: treatment\n", "goto: treatmnt\n")
    with pytest.raises(FlowError) as error:
        load_flow(path)
    report = lint(path)
    assert [(f.file, f.line, f.message) for f in report.errors] == [
        (p.file, p.line, p.message) for p in error.value.problems]
    (finding,) = report.errors
    assert finding.labelled() == (f"{path / 'main.yaml'}:{line}: error: node 'main' option 3 goto: node 'treatmnt' "
                            "is not defined (did you mean 'treatment'?)")
    assert finding.hint == "check the spelling of the node id, or add a node with that id"
    assert report.warnings == []  # the other checks need a flow that loads
    assert "the line cannot start with these files" in report.summary()


NEW_OPTION = """      - key: 6
        goto: prevention
        label: {en: staying well, es: mantenerse bien}
        words: {en: [staying well], es: [mantenerse bien]}

  person:
"""
ORPHAN = """nodes:
  orphan:
    type: page
    title: {en: Orphan, es: Huerfano}
    say: {en: Nobody comes here., es: Nadie viene aqui.}
"""


@pytest.mark.parametrize("file, old, new, line_offset, message", [
    ("main.yaml", "\n  person:\n", "\n" + NEW_OPTION, None,
     "node 'main': 6 options; a menu should have at most 5"),
    ("prevention.yaml", "nodes:\n", ORPHAN, 1,
     "node 'orphan': no path reaches it (no menu option goes to it)"),
    ("main.yaml", "en: [prevention, prevent, risk, lower my risk, avoid]",
     "en: [prevention, prevent, risk, lower my risk, avoid, numbness]", 0,
     "node 'main' option 4 words (en): 'numbness' is also a spoken word of node 'main' option 1 "
     "({line_of:main.yaml:en: [symptoms, numbness})"),
    ("main.yaml", "en: [TREATMENT, TREATMENTS, TREAT]", "en: [TREATMENT, TREATMENTS, TREAT, AVOID]", 0,
     "node 'main' option 3 keywords (en): SMS keyword 'AVOID' is a spoken word of node 'main' option 4 "
     "({line_of:main.yaml:en: [prevention, prevent})"),
    ("main.yaml", "en: [prevention, prevent, risk, lower my risk, avoid]",
     "en: [prevention, prevent, risk, lower my risk, avoid, operator]", 0,
     "node 'main' option 4 words (en): 'operator' is also a spoken word of command 'person' "
     "({line_of:line.yaml:en: [person, agent})"),
    ("main.yaml", "          es: [PREVENIR, PREVENCION, RIESGO]\n", "", -2,
     "node 'main' option 4 keywords: given in en but not in 'es'"),
])
def test_a_careful_editor_is_warned(tmp_path, file, old, new, line_offset, message):
    path, line = broken_flows(tmp_path, file, old, new)
    if line_offset is None:  # at the menu's options
        text = (path / file).read_text(encoding="utf-8")
        line = text.splitlines().index("    options:") + 1
    else:
        line += line_offset
    message = re.sub(r"\{line_of:([\w.-]+):(.*?)\}", lambda m: where(path / m[1], m[2]), message)
    assert f"{path / file}:{line}: warning: {message}" in findings_of(path)
    assert findings_of(path, "error") == []


def test_an_sms_in_one_language_only_is_a_warning_and_the_line_still_loads(tmp_path):
    old = '      es: "Para bajar su riesgo de lesión'
    path, line = broken_flows(tmp_path, "prevention.yaml", old, "      #" + old[7:])
    assert load_flow(path).nodes["prevention"].sms == {"en": load_flow(path).nodes["prevention"].sms["en"]}
    assert findings_of(path) == [
        f"{path / 'prevention.yaml'}:{line - 2}: warning: node 'prevention' sms: the 'es' text is missing"]
    (finding,) = lint(path).warnings
    assert "texters in that language get only the menu or footer" in finding.hint


def test_an_english_text_outside_gsm7_names_the_character_and_its_position(tmp_path):
    old = "Avoid awkward positions."
    path, line = broken_flows(tmp_path, "prevention.yaml", old + " Keep a healthy lifestyle.\"",
                              "Avoid awkward positions \u2013 like twisting. Keep a healthy lifestyle.\"")
    sms = load_flow(path).nodes["prevention"].sms["en"]
    position = sms.index("\u2013") + 1
    assert findings_of(path) == [
        f"{path / 'prevention.yaml'}:{line}: warning: node 'prevention' sms (en): '\u2013' (U+2013) at "
        f"character {position} is not in the GSM-7 text alphabet; texts send it as '-'"]


def test_spanish_accents_are_folded_quietly_but_a_character_lost_in_folding_is_named(tmp_path):
    path, line = broken_flows(tmp_path, "prevention.yaml", "Lleve un estilo de vida saludable.",
                              "Lleve un estilo de vida saludable \u263a.")
    sms = load_flow(path).nodes["prevention"].sms["es"]
    assert "ó" in sms  # accents: no warning
    assert findings_of(path) == [
        f"{path / 'prevention.yaml'}:{line}: warning: node 'prevention' sms (es): '\u263a' (U+263A) at "
        f"character {sms.index(chr(0x263a)) + 1} is not in the GSM-7 text alphabet; texts send it as '?'"]


def test_a_text_message_is_measured_as_sent_with_its_footer(tmp_path):
    old = "Evite posiciones incómodas."
    path, line = broken_flows(tmp_path, "prevention.yaml", old, (old + " ") * 12)
    reply = {p: t for p, _, t in composed_replies(load_flow(path))}[("nodes", "prevention", "sms", "es")]
    (warning,) = [w for w in findings_of(path) if "parts" in w]
    assert reply.endswith("Responda MENU para mas temas, o 0 para una persona.")  # folded, with its footer
    assert warning == (f"{path / 'prevention.yaml'}:{line}: warning: node 'prevention' sms (es): the text "
                       f"message as sent (with its menu or footer) is {len(reply)} characters, "
                       f"{segments(reply)} parts; at most 3")


def test_spanish_texts_are_measured_after_folding_to_gsm7(flow):
    node = flow.nodes["prevention"]
    as_written = node.sms["es"] + "\n" + flow.phrase("sms_page_footer", "es")
    assert segments(as_written) > 3  # accents would make it UCS-2: 67 characters a part
    replies = {p: t for p, _, t in composed_replies(flow)}
    assert segments(replies[("nodes", "prevention", "sms", "es")]) <= 3  # but it is sent folded


def test_the_composed_replies_are_what_the_sms_channel_sends(flow):
    """lint.composed_replies mirrors sms_reply.compose before cutting: the same text when it fits."""
    for path, lang, text in composed_replies(flow):
        if path[0] == "nodes":
            sent = compose(flow, Result(State(path[1], lang), "option"))
        elif path[1] == "sms_welcome":
            sent = compose(flow, Result(State(flow.line.start, lang), "start"), welcome=True)
        else:
            sent = phrase(flow, path[1], lang)
        assert sent == text, path


def test_emergency_guidance_is_timed_as_a_first_call_hears_it_every_language_in_turn(tmp_path):
    old = "    en: Emergency? Hang up and call 9 1 1.\n"
    path, line = broken_flows(tmp_path, "line.yaml", old, "    en: Emergency? Hang up and call 9 1 1. Do not drive "
                              "yourself to the hospital or wait for a ride.\n")
    # 20 English words are 7.5 s, in time; but the Spanish guidance, said after them, is done 10.5 s in.
    found = findings_of(path)
    assert f"{path / 'line.yaml'}:{line + 1}: warning: phrase 'call_emergency' (es): on a first call this " \
           "language's emergency guidance is done 10.5 s into the call; it must be done within 10 s" in found
    assert not [f for f in found if "'call_emergency' (en)" in f]
    late = [f for f in found if "a main-menu topic should begin within 30 s" in f]
    assert len(late) == 2 * 5  # and every topic, in both languages, now begins too late


def test_a_long_menu_counts_its_options_and_footer_as_spoken(tmp_path):
    old = "      en: Say a topic, or press its number.\n"
    path, line = broken_flows(tmp_path, "main.yaml", old, "      en: Say a topic, or press its number. This line "
                              "tells you about numbness and weakness in the arms and legs, and what to do about "
                              "them, and how to reach the clinic, book a visit or talk to a person on our staff.\n")
    found = findings_of(path)
    assert f"{path / 'main.yaml'}:{line}: warning: node 'main' (en): the menu as spoken (say, options and footer) " \
           "is 81 words, about 30 s; keep a menu under 30 s (80 words)" in found


HARD_EN = ("Notwithstanding institutional considerations, comprehensive administrative documentation "
           "regarding intermittent neurological manifestations necessitates consultation.")
HARD_ES = ("No obstante las consideraciones institucionales, la documentación administrativa exhaustiva "
           "relativa a manifestaciones neurológicas intermitentes requiere consultación especializada.")


@pytest.mark.parametrize("old, new, message", [
    ("      en: Thank you for calling. Take care. Goodbye.\n", f"      en: {HARD_EN}\n",
     "node 'goodbye' say (en): reading grade 41.2 (Flesch-Kincaid); aim for grade 8 or below"),
    ("      es: Gracias por llamar. Cuídese. Adiós.\n", f"      es: {HARD_ES}\n",
     "node 'goodbye' say (es): reading ease -43 (Fernandez-Huerta); aim for 60 or more (about 8th grade)"),
])
def test_hard_words_are_flagged_in_english_and_spanish(tmp_path, old, new, message):
    path, line = broken_flows(tmp_path, "main.yaml", old, new)
    assert findings_of(path) == [f"{path / 'main.yaml'}:{line}: warning: {message}"]


def test_names_callers_say_for_a_choice_do_not_count_against_a_text(tmp_path):
    easy = "Epidural injections, facet injections and radiofrequency ablation are shots that can help."
    assert _grade_en(easy)[0]  # graded as it stands, the medical names make it hard
    path, _ = broken_flows(tmp_path, "main.yaml", "      en: Thank you for calling. Take care. Goodbye.\n",
                           f"      en: {easy}\n")
    assert findings_of(path) == []  # but they are the words callers say to choose injections


def test_checking_reading_levels_needs_no_network(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("lint tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    path, _ = broken_flows(tmp_path, "main.yaml", "      en: Thank you for calling. Take care. Goodbye.\n",
                           f"      en: {HARD_EN}\n")
    assert len(findings_of(path)) == 1


def test_a_label_callers_cannot_say_to_choose_it_is_a_warning(tmp_path):
    path, line = broken_flows(tmp_path, "main.yaml", "          en: prevention\n", "          en: staying well\n")
    assert f"{path / 'main.yaml'}:{line}: warning: node 'main' option 4 label (en): saying 'staying well' does not " \
           "choose this option" in findings_of(path)


def test_a_page_begun_too_late_is_marked_in_the_printed_seconds(tmp_path):
    old = '      en: "There are several ways to treat less severe cases."\n'
    path, line = broken_flows(tmp_path, "treatment.yaml", old, '      en: "There are several ways to treat less '
                              'severe cases. They can be used alone or together, to improve symptoms and quality '
                              'of life."\n')
    report = lint(path)
    late = [f.labelled() for f in report.warnings if "should begin within 45 s" in f.message]
    assert len(late) == 3 and all("(en)" in f for f in late)  # the three pages below treatment, in English
    (row,) = [r for r in report.times if r.strip().startswith("medicines")]
    assert row.split()[1].endswith("!") and not row.split()[2].endswith("!")  # English late, Spanish not
