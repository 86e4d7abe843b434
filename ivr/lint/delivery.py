"""Warnings about what callers and texters get: text-message characters and length as sent,
and how long a spoken menu takes (how long a first call takes to each answer: timing.py)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterator

from ..engine.state import Result, State
from ..flow.flow import Flow
from ..flow.loader import Sources
from ..flow.phrases import PHRASES
from ..flow.problems import Problem, describe
from ..render import reminder_texts as automated
from ..render.gsm import MAX_SEGMENTS, non_gsm7, segments, to_gsm7
from ..render.sms import fit, reply_parts
from ..render.voice import render
from .timing import WORDS_PER_MINUTE, seconds

MENU_SECONDS = 30
SMS_PHRASES = tuple(name for name in PHRASES if name.startswith("sms_"))  # every sentence sent as text
UNCUT = 10**6  # segments: compose a reply whole, to measure it


# ---- Text messages ----

def _sms_texts(flow: Flow) -> Iterator[tuple[tuple, str, str]]:
    """Every text staff wrote that can end up in a text message: (path, language, text)."""
    for lang in flow.languages:
        yield ("line", "name", lang), lang, flow.line.name[lang]
        for name in SMS_PHRASES:
            yield ("phrases", name, lang), lang, flow.phrases[name][lang]
        for node_id, node in flow.nodes.items():
            field = "sms" if node.sms else "say"  # a node without an sms is texted its say
            text = getattr(node, field) or {}
            if text.get(lang):
                yield ("nodes", node_id, field, lang), lang, text[lang]
            for n, option in enumerate(node.options):
                yield ("nodes", node_id, "options", n, "label", lang), lang, option.label[lang]


def non_gsm_characters(flow: Flow, sources: Sources) -> Iterator[Problem]:
    """English texts should be plain GSM-7; in other languages, only what cannot be folded
    (accents are taken off before sending) is worth a word."""
    english = "en"
    for path, lang, text in _sms_texts(flow):
        for position, char in non_gsm7(text):
            sent = to_gsm7(char)
            if lang != english and sent != "?":
                continue
            yield sources.warning(path,
                              f"{describe(path[:-1])} ({lang}): '{char}' (U+{ord(char):04X}) at character "
                              f"{position} is not in the GSM-7 text alphabet; texts send it as '{sent}'",
                              "type plain letters, straight quotes (' \") and a hyphen (-): one other "
                              "character makes a text cost twice as much, so the line changes it")


def composed_replies(flow: Flow) -> Iterator[tuple[tuple, str, str]]:
    """Each reply as the line composes it (sms_reply.reply_parts), before it is cut to fit:
    (path to blame, language, text as sent, folded to GSM-7)."""
    for lang in flow.languages:
        welcome = reply_parts(flow, Result(State(flow.line.start, lang), "start"), welcome=True)
        yield ("phrases", "sms_welcome", lang), lang, fit(welcome, max_segments=UNCUT)
        for node_id, node in flow.nodes.items():
            field = "sms" if (node.sms or {}).get(lang) else "say"
            parts = reply_parts(flow, Result(State(node_id, lang), "option"))
            yield ("nodes", node_id, field, lang), lang, fit(parts, max_segments=UNCUT)
        for name in ("sms_help", "sms_stopped"):
            text = flow.phrase(name, lang, name=flow.name(lang), phone=flow.line.clinic_phone)
            yield ("phrases", name, lang), lang, to_gsm7(text)


def long_texts(flow: Flow, sources: Sources) -> Iterator[Problem]:
    for path, lang, text in composed_replies(flow):
        parts = segments(text)
        if parts > MAX_SEGMENTS:
            yield sources.warning(path,
                              f"{describe(path[:-1])} ({lang}): the text message as sent (with its menu or "
                              f"footer) is {len(text)} characters, {parts} parts; at most {MAX_SEGMENTS}",
                              f"shorten it: every part is billed, and the line cuts a reply to "
                              f"{MAX_SEGMENTS} parts")


def reminder_texts(flow: Flow, sources: Sources) -> Iterator[Problem]:
    """The reminder and the waitlist offer are held to the health-care texting rules
    (render/reminder_texts.py): one that breaks them is an error, since the line would not send it."""
    compose = {automated.REMINDER: automated.reminder,
               automated.OFFER: lambda f, lang, when: automated.offer(f, lang, when, minutes=30)}
    for lang in flow.languages:
        for name, make in compose.items():
            found = {}
            for when in automated.longest_times():
                text = make(flow, lang, when)
                found.update((problem, text) for problem in automated.rule_breaks(flow, lang, text))
            for problem, text in found.items():
                yield sources.problem(("phrases", name, lang),
                                      f"phrase '{name}' {lang}: {problem} as sent ({len(text)} characters with the "
                                      "longest time); the line will not send it", "error",
                                      f"keep it to {automated.MAX_CHARACTERS} plain characters with {{name}}, "
                                      "{phone} and STOP in it")


# ---- Spoken prompts ----

def _count_words(text: str) -> int:
    return len(text.split())


def spoken_menu(flow: Flow, node_id: str, lang: str) -> str:
    """What a caller hears at a menu, as the voice channel renders it: its say, options and footer."""
    document = ET.fromstring(str(render(flow, Result(State(node_id, lang), "option"), "")))
    gather = document.find("Gather")
    return " ".join((say.text or "").strip() for say in (gather if gather is not None else []) if say.tag == "Say")


def long_prompts(flow: Flow, sources: Sources) -> Iterator[Problem]:
    for lang in flow.languages:
        for node_id, node in flow.nodes.items():
            if node.type != "menu":
                continue
            words = _count_words(spoken_menu(flow, node_id, lang))
            if seconds(words) > MENU_SECONDS:
                yield sources.warning(("nodes", node_id, "say", lang),
                                  f"node '{node_id}' ({lang}): the menu as spoken (say, options and footer) is "
                                  f"{words} words, about {seconds(words):.0f} s; keep a menu under "
                                  f"{MENU_SECONDS} s ({MENU_SECONDS * WORDS_PER_MINUTE // 60} words)",
                                  "shorten the say text or the option labels, or split the menu")
