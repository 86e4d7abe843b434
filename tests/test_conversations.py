"""Replays every conversation file in tests/conversations through the real webhooks."""
from pathlib import Path

import pytest

from ivr.simulate import script

CONVERSATIONS = sorted((Path(__file__).parent / "conversations").glob("*.txt"))


@pytest.mark.parametrize("path", CONVERSATIONS, ids=[p.stem for p in CONVERSATIONS])
def test_conversation(path, phone, texter):
    failures = script.replay(script.load(path), phone=phone, texter=texter)
    assert not failures, "\n".join(failures)


def test_there_are_conversations_for_both_channels():
    channels = {script.load(p).channel for p in CONVERSATIONS}
    assert channels == {"voice", "sms"}


def test_a_wrong_expectation_fails_with_its_line(phone):
    broken = script.parse("channel: voice\n> call\n< this is never said\n", "broken.txt")
    assert script.replay(broken, phone=phone) == [
        "broken.txt:3: expected 'this is never said' in: " + repr(phone.turn.text)
    ]


@pytest.mark.parametrize("text, message", [
    ("> call\n", "<script>:1: say 'channel: voice' or 'channel: sms' first"),
    ("channel: fax\n", "<script>:1: channel must be voice or sms, not 'fax'"),
    ("channel: sms\n> press 1\n", "<script>:2: 'press' is not a sms input (text)"),
    ("channel: sms\n< hello\n", "<script>:2: an expectation needs an input above it"),
    ("channel: sms\nhello\n", "<script>:2: a line starts with >, <, !, = or #"),
])
def test_script_mistakes_are_reported_with_their_line(text, message):
    with pytest.raises(script.ScriptError) as error:
        script.parse(text)
    assert str(error.value) == message
