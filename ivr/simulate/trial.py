"""A trial of the line, for staff checking an edit: the real app in this process, on a
throwaway SQLite database, with signature checks on (a token made up for the trial), reached
through its real webhooks by the phone and texter of phone.py.

Typed inputs become what a caller or texter does; every turn is kept, so a trial can be saved
as a conversation script (script.record) that the test suite replays.
"""
from __future__ import annotations

import logging
import secrets
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from .phone import Phone, Signer, Texter
from .script import record

DEMO_TRANSFER = "+15555550100"  # a pretend staff line: a trial never dials anyone
KEYS = set("0123456789*#")


class InputError(ValueError):
    """What was typed is not something a caller can do now; the message says what is."""


@contextmanager
def trial_app(flows: str | Path | Mapping[str, bytes], make_app: Callable[[dict], object], quiet: bool = True,
              overrides: dict | None = None) -> Iterator[tuple]:
    """(app, signer): the app as production runs it (made by `make_app`, the app factory: this
    package sits below the app, which hands its factory in), on a database that is gone afterwards, and
    a signer that posts to it with the trial's token. `flows`: a folder, or a version's or a
    draft's files (name -> bytes), which become the trial database's version 1. `quiet`: the
    line's own log at warnings only (a terminal trial; the console's trials leave it be).
    `overrides`: settings of the trial app (the console passes its clock)."""
    with tempfile.TemporaryDirectory(prefix="ivr-trial-") as folder:
        if isinstance(flows, Mapping):
            files, flows = flows, Path(folder) / "flows"
            flows.mkdir()
            for name, content in files.items():
                (flows / name).write_bytes(content)
        token = secrets.token_hex(16)
        app = make_app({
            "IVR_ENV": "development", "TWILIO_AUTH_TOKEN": token, "VERIFY_SIGNATURES": True,
            "PUBLIC_BASE_URL": "", "DATABASE_URL": f"sqlite:///{Path(folder) / 'trial.sqlite3'}",
            "FLOWS_DIR": str(flows), "SECRET_KEY": secrets.token_hex(16), "TRANSFER_NUMBER": DEMO_TRANSFER,
            "OUTBOX_WORKER": False,  # a trial sends no real texts
            **(overrides or {}),
        })
        if quiet:
            logging.getLogger("ivr").setLevel(logging.WARNING)  # the transcript is the output
        try:
            yield app, Signer(app.test_client(), token)
        finally:
            app.extensions["ivr"].events.close()  # the steps, while the database is still there
            app.extensions["ivr"].db.engine.dispose()


@dataclass
class Reply:
    sentences: list[str]  # what the caller heard, or the text that came back (one item)
    waiting: str  # gather, dial, hangup (voice); reply, none (SMS)
    languages: list[str] = field(default_factory=list)  # voice: the language each sentence is said in


@dataclass
class Trial:
    """One call or one text conversation; `steps` is what script.record writes."""

    channel: str  # voice or sms
    signer: Signer
    steps: list[tuple[str, str, str, str]] = field(default_factory=list)

    def __post_init__(self):
        self.phone = Phone(self.signer) if self.channel == "voice" else None
        self.texter = Texter(self.signer) if self.channel == "sms" else None
        self.waiting = "hangup" if self.channel == "voice" else "reply"

    @property
    def over(self) -> bool:
        return self.channel == "voice" and self.waiting == "hangup" and bool(self.steps)

    def start(self) -> Reply:
        """Voice: the call rings in. SMS: nothing happens until the first text."""
        return self._do("call", "") if self.channel == "voice" else Reply([], "reply")

    def enter(self, typed: str) -> Reply:
        """One typed line: voice a key, `say WORDS`, an empty line for silence, or `dial STATUS`
        while a transfer rings; SMS the text to send."""
        if self.channel == "sms":
            return self._do("text", typed.strip())
        action, arg = self._voice_action(typed.strip())
        return self._do(action, arg)

    def _voice_action(self, typed: str) -> tuple[str, str]:
        word, _, rest = typed.partition(" ")
        if self.waiting == "dial":
            if word == "dial" and rest.strip():
                return "dial", rest.strip()
            raise InputError("a transfer is ringing: type dial completed, dial busy, dial no-answer "
                             "or dial failed")
        if self.waiting != "gather":
            raise InputError("the call is over")
        if typed == "" or typed == "silence":
            return "silence", ""
        if typed in KEYS:
            return "press", typed
        if word == "press" and rest.strip() in KEYS:
            return "press", rest.strip()
        if word == "say" and rest.strip():
            return "say", rest.strip()
        raise InputError("type a key (0-9, * or #), say followed by words, or an empty line for silence")

    def _do(self, action: str, arg: str) -> Reply:
        if action == "text":
            reply = self.texter.send(arg)
            heard, self.waiting = reply or "", "none" if reply is None else "reply"
            sentences = [reply] if reply else []
        else:
            turn = {"call": self.phone.call, "press": lambda: self.phone.press(arg),
                    "say": lambda: self.phone.say(arg), "silence": self.phone.silence,
                    "dial": lambda: self.phone.dial_ends(arg)}[action]()
            heard, self.waiting = turn.text, turn.waiting
            said = [(text, language) for text, language in turn.said if text]
            sentences, languages = [text for text, _ in said], [language for _, language in said]
            self.steps.append((action, arg, heard, self.waiting))
            return Reply(sentences, self.waiting, languages)
        self.steps.append((action, arg, heard, self.waiting))
        return Reply(sentences, self.waiting)

    def choose_language(self, flow, lang: str) -> Reply:
        """Answer the language question (voice) or ask for the language by keyword (SMS)."""
        language = flow.languages[lang]
        if self.channel == "voice":
            if len(flow.languages) == 1:
                return Reply([], self.waiting)  # no question is asked
            return self._do("press", str(language.key))
        return self._do("text", language.keywords[0] if language.keywords else language.words[0])

    def script(self, title: str) -> str:
        return record(self.channel, self.steps, title)
