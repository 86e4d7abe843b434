"""Conversation scripts: a readable file of inputs and the phrases each should bring back.

    # A caller asks about treatment by voice.
    channel: voice
    > call
    < hang up and call 9 1 1
    > press 1
    < For treatment, press 3
    > say um I want to hear about treatments
    < physical therapy
    > silence
    < did not hear
    = gather

Inputs (`>`): voice `call`, `press KEY`, `say WORDS`, `silence`, `dial STATUS` (how a
transfer ends); SMS `text WORDS`. After each input, `< phrase` must be in what came back
(ignoring case and spacing), `! phrase` must not be, `= gather|dial|hangup` says what the
call waits for (`= none` for an SMS that gets no reply, `= reply` for one that does).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

VOICE_ACTIONS = {"call", "press", "say", "silence", "dial"}
SMS_ACTIONS = {"text"}


class ScriptError(ValueError):
    pass


@dataclass
class Expect:
    line: int
    kind: str  # "<" has, "!" has not, "=" waits for
    text: str


@dataclass
class ScriptStep:
    line: int
    action: str
    arg: str = ""
    expects: list[Expect] = field(default_factory=list)


@dataclass
class Script:
    path: str
    channel: str
    steps: list[ScriptStep]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def parse(text: str, path: str = "<script>") -> Script:
    channel, steps = "", []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("channel:"):
            channel = line.split(":", 1)[1].strip()
            if channel not in ("voice", "sms"):
                raise ScriptError(f"{path}:{number}: channel must be voice or sms, not '{channel}'")
            continue
        marker, rest = line[0], line[1:].strip()
        if marker == ">":
            action, _, arg = rest.partition(" ")
            allowed = VOICE_ACTIONS if channel == "voice" else SMS_ACTIONS
            if not channel:
                raise ScriptError(f"{path}:{number}: say 'channel: voice' or 'channel: sms' first")
            if action not in allowed:
                raise ScriptError(f"{path}:{number}: '{action}' is not a {channel} input "
                                  f"({', '.join(sorted(allowed))})")
            steps.append(ScriptStep(number, action, arg.strip()))
        elif marker in "<!=":
            if not steps:
                raise ScriptError(f"{path}:{number}: an expectation needs an input above it")
            steps[-1].expects.append(Expect(number, marker, rest))
        else:
            raise ScriptError(f"{path}:{number}: a line starts with >, <, !, = or #")
    if not steps:
        raise ScriptError(f"{path}:1: no inputs")
    return Script(path, channel, steps)


def load(path: str | Path) -> Script:
    return parse(Path(path).read_text(encoding="utf-8"), str(path))


def perform(step: ScriptStep, phone=None, texter=None) -> tuple[str, str]:
    """Do one input; return (what came back, what the conversation waits for)."""
    if step.action == "text":
        reply = texter.send(step.arg)
        return reply or "", "none" if reply is None else "reply"
    turn = {
        "call": lambda: phone.call(),
        "press": lambda: phone.press(step.arg),
        "say": lambda: phone.say(step.arg),
        "silence": lambda: phone.silence(),
        "dial": lambda: phone.dial_ends(step.arg or "no-answer"),
    }[step.action]()
    return turn.text, turn.waiting


def check(step: ScriptStep, heard: str, waiting: str, path: str) -> list[str]:
    failures = []
    said = _squash(heard)
    for expect in step.expects:
        wanted = _squash(expect.text)
        if expect.kind == "<" and wanted not in said:
            failures.append(f"{path}:{expect.line}: expected '{expect.text}' in: {heard!r}")
        elif expect.kind == "!" and wanted in said:
            failures.append(f"{path}:{expect.line}: did not expect '{expect.text}' in: {heard!r}")
        elif expect.kind == "=" and wanted != waiting:
            failures.append(f"{path}:{expect.line}: expected the conversation at '{expect.text}', "
                            f"it is at '{waiting}'")
    return failures


def replay(script: Script, phone=None, texter=None) -> list[str]:
    """Run every input; the failures, each as file:line: what differed."""
    failures = []
    for step in script.steps:
        try:
            heard, waiting = perform(step, phone, texter)
        except AssertionError as exc:
            return failures + [f"{script.path}:{step.line}: {exc}"]
        failures += check(step, heard, waiting, script.path)
    return failures


def record(channel: str, steps: list[tuple[str, str, str, str]], title: str = "") -> str:
    """A script file from a session: (action, arg, what came back, waiting) per input."""
    lines = [f"# {title or 'Recorded conversation'}", f"channel: {channel}"]
    for action, arg, heard, waiting in steps:
        lines.append(f"> {action} {arg}".rstrip())
        # One expectation a sentence, and a line of a text message's menu is a sentence too.
        lines += [f"< {sentence}" for sentence in re.split(r"(?<=[.?!])\s+|\s*\n\s*", heard.strip()) if sentence]
        if channel == "voice" or waiting == "none":
            lines.append(f"= {waiting}")
    return "\n".join(lines) + "\n"
