"""`ivr validate`, `ivr call` and `ivr text` as staff use them, through click's runner."""
import re

import pytest
from click.testing import CliRunner
from test_flow_loader import broken_flows
from test_lint import where
from test_voice import said_option

from ivr.app import create_app
from ivr.cli import main
from ivr.simulate import script
from ivr.simulate.phone import Phone, Signer, Texter
from ivr.simulate.trial import trial_app

from conftest import AUTH_TOKEN, FLOWS, make_config


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


SUMMARY = re.compile(r"^(\S+): (\d+) errors?, (\d+) warnings? in (\d+) files? \(version [0-9a-f]{12}\)(.*)$")


def test_validate_passes_the_shipped_flows_even_when_strict():
    result = run("validate", "--strict", str(FLOWS))
    assert result.exit_code == 0, result.output
    *times, line = result.output.splitlines()
    assert SUMMARY.match(line).group(2, 3, 5) == ("0", "0", "")
    assert times[0].startswith("Seconds to the answer on a first call")  # and the seconds (test_time_to_answer)


def test_validate_prints_each_error_at_its_line_with_a_hint_and_fails(tmp_path):
    path, line = broken_flows(tmp_path, "main.yaml", "goto: treatment\n", "goto: treatmnt\n")
    result = run("validate", str(path))
    assert result.exit_code == 1
    first, hint, summary = result.output.splitlines()
    assert first == (f"{path / 'main.yaml'}:{line}: error: node 'main' option 3 goto: node 'treatmnt' is not "
                     "defined (did you mean 'treatment'?)")
    assert hint == "    hint: check the spelling of the node id, or add a node with that id"
    assert SUMMARY.match(summary).group(1, 2, 3, 5) == (
        str(path), "1", "0", "; the line cannot start with these files (the other checks run once the errors "
                             "are fixed)")


def test_warnings_fail_validate_only_when_strict(tmp_path):
    path, line = broken_flows(tmp_path, "main.yaml", "en: [TREATMENT, TREATMENTS, TREAT]",
                              "en: [TREATMENT, TREATMENTS, TREAT, AVOID]")
    relaxed, strict = run("validate", str(path)), run("validate", "--strict", str(path))
    assert (relaxed.exit_code, strict.exit_code) == (0, 1)
    warning = (f"{path / 'main.yaml'}:{line}: warning: node 'main' option 3 keywords (en): SMS keyword 'AVOID' "
               f"is a spoken word of node 'main' option 4 ({where(path / 'main.yaml', 'en: [prevention, ')})")
    assert relaxed.output.splitlines()[0] == strict.output.splitlines()[0] == warning
    assert strict.output.splitlines()[-1].endswith(" (--strict: warnings fail)")


def test_call_runs_a_script_of_keys_words_and_silence(tmp_path, flow):
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("# choose English, then treatment by voice, then wait\n1\nsay treatment please\n\n")
    result = run("call", "--flows", str(FLOWS), "--script", str(inputs))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Calling the line ({FLOWS}, version ")
    assert lines[1] == "  line: " + flow.phrase("call_emergency", "en")
    said = lines[lines.index("you> say treatment please") + 1:]
    assert said[0] == "  line: " + flow.nodes["treatment"].say["en"]
    assert "  line: " + said_option(flow, "treatment", "1") in said
    after_silence = lines[lines.index("you> ") + 1:]
    assert after_silence[:2] == ["  line: Sorry, I did not hear anything.",
                                 "  line: You can press a number on your phone, or say a few words. Here are the "
                                 "choices again."]
    assert lines[-1] == "  (you hung up)"


def test_call_in_spanish_answers_the_language_question(tmp_path, flow):
    result = run("call", "--flows", str(FLOWS), "--lang", "es", input="say tratamiento\n")
    assert result.exit_code == 0, result.output
    assert "you> (press for Español)" in result.output
    assert "  line: " + flow.nodes["main"].say["es"] in result.output
    assert "  line: " + said_option(flow, "treatment", "1", "es") in result.output


def test_dial_ends_a_ringing_transfer(monkeypatch):
    monkeypatch.setenv("OFFICE_HOURS", "Mon-Sun 00:00-24:00")  # staff are in: the call is put through
    result = run("call", "--flows", str(FLOWS), input="1\n0\ndial busy\n")
    assert result.exit_code == 0, result.output
    ringing = result.output.split("you> 0\n", 1)[1]
    assert ringing.startswith("  line: Please hold while I connect you with our staff.\n  (a transfer is "
                              "ringing: dial completed, dial busy, dial no-answer or dial failed)")
    assert "you> dial busy\n  line: Sorry, no one could answer right now." in result.output


def test_a_scripted_input_that_the_call_cannot_take_stops_with_a_message(tmp_path):
    result = run("call", "--flows", str(FLOWS), input="1\nhello there\n")
    assert result.exit_code == 1
    assert ("Error: 'hello there': type a key (0-9, * or #), say followed by words, or an empty line for "
            "silence") in result.output


def test_text_in_spanish_asks_for_spanish_first_and_shows_each_reply(flow):
    result = run("text", "--flows", str(FLOWS), "--lang", "es", input="3\n\n1\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "you> (text for Español)"
    label = flow.nodes["main"].options[2].label["es"]
    assert f"        3 {label[:1].upper()}{label[1:]}\n" in result.output  # the menu, one line each
    assert "you> 3\n  line: Para los casos menos graves" in result.output
    assert "you> 1\n  line: La terapia fisica puede incluir" in result.output  # folded to GSM-7 as sent
    assert "you> \n" not in result.output  # an empty line sends nothing


def replay(conversation, flows, db_folder):
    db_folder.mkdir()
    app = create_app(make_config(db_folder, FLOWS_DIR=str(flows)))
    signer = Signer(app.test_client(), AUTH_TOKEN)
    return script.replay(conversation, phone=Phone(signer), texter=Texter(signer))


@pytest.mark.parametrize("channel, command, inputs, old, new", [
    ("voice", "call", "1\nsay how do I lower my risk\n*\n9\n\n",
     "To repeat, press star.", "To repeat it, press star."),
    ("sms", "text", "hi\ntratamiento\n2\nMENU\nPT\n",
     "en: Reply with a number or a word.", "en: Reply with a number or a topic."),
])
def test_a_recorded_session_replays_as_a_conversation_test(tmp_path, channel, command, inputs, old, new):
    recorded = tmp_path / "session.txt"
    result = run(command, "--flows", str(FLOWS), "--record", str(recorded), input=inputs)
    assert result.exit_code == 0, result.output
    assert f"Saved as a conversation test: {recorded}" in result.output
    conversation = script.load(recorded)
    assert conversation.channel == channel
    assert len(conversation.steps) == len(inputs.splitlines()) + (channel == "voice")  # and the call itself
    assert replay(conversation, FLOWS, tmp_path / "db") == []

    edited, _ = broken_flows(tmp_path, "line.yaml", old, new, count=2)
    failures = replay(conversation, edited, tmp_path / "db-edited")  # the line says something else now
    assert failures and all(f"expected '{old.removeprefix('en: ')}' in" in f for f in failures), failures


def test_a_trial_checks_signatures_like_production():
    with trial_app(FLOWS, create_app) as (app, signer):
        assert app.config["VERIFY_SIGNATURES"] and len(app.config["TWILIO_AUTH_TOKEN"]) == 32
        assert app.test_client().post("/voice", data={"CallSid": "CA1"}).status_code == 403
        assert signer.post("/voice", {"CallSid": "CA1"}).status_code == 200
