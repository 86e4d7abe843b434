"""The typed shape of a flow file: what staff may write, and nothing else."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

Text = dict[str, str]  # one sentence in every language: {"en": "...", "es": "..."}
Words = dict[str, list[str]]  # spoken words or SMS keywords per language

NODE_TYPES = ("menu", "page", "emergency", "transfer", "booking", "goodbye")
NodeType = Literal["menu", "page", "emergency", "transfer", "booking", "goodbye"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _key_as_text(value):
    # Staff write `key: 1`; YAML reads that as a number.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Option(Strict):
    key: str
    goto: str
    label: Text
    words: Words = {}
    keywords: Words = {}

    _key = field_validator("key", mode="before")(_key_as_text)


class Node(Strict):
    type: NodeType
    title: Text
    say: Text | None = None
    sms: Text | None = None
    options: list[Option] = []
    back: str | None = None


class LineSettings(Strict):
    name: Text
    clinic_phone: str
    start: str
    emergency: str
    person: str
    goodbye: str
    booking: str


class Language(Strict):
    key: str
    name: str
    voice: str
    speech: str
    speech_model: str = "phone_call"  # Twilio's <Gather speechModel> for this language
    words: list[str]
    keywords: list[str]
    digits: dict[int, list[str]]
    filler: list[str] = []

    _key = field_validator("key", mode="before")(_key_as_text)


class Command(Strict):
    key: str | None = None
    words: Words = {}
    keywords: Words = {}

    _key = field_validator("key", mode="before")(_key_as_text)


class Commands(Strict):
    repeat: Command
    back: Command
    main: Command
    person: Command
    goodbye: Command
    text_me: Command  # voice: send this page by text message
    cancel_booking: Command


class Answers(Strict):
    """Words that answer the booking questions; keys are fixed: 1 yes, 2 no, 4 more times."""

    yes: Words
    no: Words
    more: Words
    callback: Words


class RedFlagWords(Strict):
    """One language's words for recognising warning signs in everyday talk, by kind of word
    (flows/red-flags.yaml explains each kind; engine/safety.py puts them together)."""

    alone: list[str]  # a warning sign said alone: "I fell", "incontinent"
    bladder_bowel: list[str]
    body: list[str]
    walking: list[str]
    hand_use: list[str]
    abilities: list[str]  # feeling, strength, balance, control: lost or denied, a warning sign
    able: list[str]  # denied, it means cannot
    cannot: list[str]
    lost: list[str]
    giving_way: list[str]
    accidents: list[str]
    weakness: list[str]  # an everyday symptom, and a warning sign when sudden, severe or worse
    numbness: list[str]
    serious: list[str]  # sudden, severe, worse
    very: list[str]  # just before a weakness or numbness word
    other_symptoms: list[str]
    denials: list[str]
    stops: list[str]  # a denial reaches no further
    joins: list[str]  # a denial or a pair reaches no further
    breaks: list[str]  # another part of a sentence begins
    ordinary: list[str]  # phrases that only look like a warning sign


class FlowFile(Strict):
    """One file under flows/. Sections may be spread over files; nodes and phrases merge."""

    line: LineSettings | None = None
    languages: dict[str, Language] | None = None
    commands: Commands | None = None
    answers: Answers | None = None
    red_flags: dict[str, RedFlagWords] | None = None
    phrases: dict[str, Text] = {}
    nodes: dict[str, Node] = {}
