"""`ivr validate`: the errors that stop the line, and the warnings a careful editor wants.

Errors come from the same loader and checks as start-up (loader.check_files). Warnings look at
the flow as callers and texters meet it: menu sizes, nodes no path reaches, words that choose
two things, text-message characters and lengths, how long prompts take to say, and how hard
the texts are to read. Every finding carries a hint on what to do about it.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable, Iterator

from ..channels.gsm import MAX_SEGMENTS, non_gsm7, segments, to_gsm7
from ..channels.sms_reply import KEEP_CONTENT, KEEP_HINT, KEEP_LIST, KEEP_WELCOME, fit, menu_lines
from ..channels.voice_twiml import render
from ..engine.state import Result, State
from ..engine.text import normalize_keyword
from .flow import Flow
from .loader import Checked, Sources, check_files, flow_files
from .problems import Problem, describe

MAX_OPTIONS = 5
WORDS_PER_MINUTE = 160
EMERGENCY_SECONDS = 10  # the first words of every call
MENU_SECONDS = 30
MAX_GRADE = 8  # Flesch-Kincaid grade, English
MIN_READING_EASE_ES = 60  # Fernandez-Huerta reading ease: 60 to 70 is "normal", 7th to 8th grade
MIN_WORDS_TO_GRADE = 10  # the formulas need sentences; a title or a short prompt is not graded
EMERGENCY_PHRASE = "call_emergency"
SMS_PHRASES = ("sms_welcome", "sms_menu_hint", "sms_page_footer", "sms_not_understood", "sms_help",
               "sms_stopped", "sms_started", "sms_error")

CHECK_HINTS = (  # for the loader's problems: (severity, what the message says, what to do)
    ("warning", "text is missing", "texters in that language get only the menu or footer: add it"),
    ("warning", "but not in", "add them in that language too, so texters writing in it can use them"),
    ("error", "YAML syntax", "check the indentation and the quotes on this line and the one above it; "
                             "a text with a colon in it needs \"quotes\""),
    ("error", "is not defined", "check the spelling of the node id, or add a node with that id"),
    ("error", "text is missing", "add the missing language under the text, indented like the others"),
    ("error", "unknown field {", "a {field} in a phrase must be one the line fills in; the message lists them"),
    ("error", "unknown field", "check the spelling of the field, or remove it"),
    ("error", "this field is required", "add the field; look at a similar node for the shape"),
    ("error", "is already used", "give each option its own key"),
    ("error", "must be one of", "use one of the allowed values the message names"),
    ("error", "is also used by", "a keyword must choose one thing: remove it from one of the two places"),
    ("error", "is reserved", "carriers handle that word themselves: pick another keyword"),
    ("error", "defined twice", "rename one of the two, or delete the one you do not want"),
    ("error", "is also in", "keep that section in one file only"),
    ("error", "not used by the line", "check the phrase name's spelling, or remove the phrase"),
    ("error", "is missing", "add it; the line needs it to work"),
    ("error", "words;", "add a line for that language with at least one word, like the other languages' lines"),
    ("error", "no flow files", "point the command at the flows/ folder"),
)


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    severity: str  # "error" or "warning"
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Report:
    path: str
    checked: Checked
    findings: list[Finding]
    files: int  # flow files found, read or not

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def summary(self) -> str:
        counts = f"{_plural(len(self.errors), 'error')}, {_plural(len(self.warnings), 'warning')}"
        text = f"{self.path}: {counts} in {_plural(self.files, 'file')} (version {self.checked.version})"
        if self.checked.flow is None:
            text += "; the line cannot start with these files"
            if self.errors:
                text += " (the other checks run once the errors are fixed)"
        return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def check_hint(problem: Problem) -> str:
    return next((hint for severity, found, hint in CHECK_HINTS
                 if severity == problem.severity and found in problem.message), "")


def lint(path: str | Path) -> Report:
    """Every error and warning in the flow files at `path` (a folder or one file)."""
    checked = check_files(path)
    findings = [Finding(p.file, p.line, p.severity, p.message, check_hint(p)) for p in checked.problems]
    if checked.flow is not None:
        for check in WARNINGS:
            findings += check(checked.flow, checked.sources)
    files = len(flow_files(path)) if Path(path).exists() else 0
    return Report(str(path), checked, sorted(findings), files)


def _warning(sources: Sources, path: tuple, message: str, hint: str) -> Finding:
    where: Problem = sources.problem(path, message, "warning")
    return Finding(where.file, where.line, "warning", message, hint)


# ---- The shape of the line ----

def big_menus(flow: Flow, sources: Sources) -> Iterator[Finding]:
    for node_id, node in flow.nodes.items():
        if len(node.options) > MAX_OPTIONS:
            yield _warning(sources, ("nodes", node_id, "options"),
                           f"node '{node_id}': {len(node.options)} options; a menu should have at most "
                           f"{MAX_OPTIONS}",
                           "callers keep about five choices in mind: move some under a new menu")


def reachable(flow: Flow) -> set[str]:
    """Nodes a caller can get to: the line's own ends, then every option and 'back' from them."""
    line = flow.line
    seen = {getattr(line, name) for name in type(line).model_fields
            if isinstance(getattr(line, name), str) and getattr(line, name) in flow.nodes}
    queue = list(seen)
    while queue:
        node = flow.nodes[queue.pop()]
        for target in [o.goto for o in node.options] + [node.back]:
            if target in flow.nodes and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def unreachable_nodes(flow: Flow, sources: Sources) -> Iterator[Finding]:
    found = reachable(flow)
    for node_id in flow.nodes:
        if node_id not in found:
            yield _warning(sources, ("nodes", node_id),
                           f"node '{node_id}': no path reaches it (no menu option goes to it)",
                           "add an option that goes to it, or delete the node")


def _choosers(flow: Flow, lang: str) -> Iterator[tuple[str, str, list, list]]:
    """Everything a word can choose, in one language: (who, where it leads, [(path, spoken
    word)], [(path, SMS keyword)]). Two options that lead to the same node do not compete."""
    def listed(path: tuple, words: list) -> list:
        return [(path + (i,), word) for i, word in enumerate(words)]

    for code, language in flow.languages.items():  # said or texted in any language
        path = ("languages", code)
        yield (f"language '{code}'", f"language:{code}", listed(path + ("words",), language.words),
               listed(path + ("keywords",), language.keywords))
    for name in type(flow.commands).model_fields:  # before options: a clash is the option's to fix
        command = getattr(flow.commands, name)
        path = ("commands", name)
        yield (f"command '{name}'", f"command:{name}", listed(path + ("words", lang), command.words.get(lang, [])),
               listed(path + ("keywords", lang), command.keywords.get(lang, [])))
    for node_id, node in flow.nodes.items():
        for n, option in enumerate(node.options):
            path = ("nodes", node_id, "options", n)
            yield (f"node '{node_id}' option {n + 1}", option.goto,
                   listed(path + ("words", lang), option.words.get(lang, [])),
                   listed(path + ("keywords", lang), option.keywords.get(lang, [])))


def shared_words(flow: Flow, sources: Sources) -> Iterator[Finding]:
    """A spoken word that two choices share, or an SMS keyword that is another choice's spoken
    word (texts are matched against both). Two choices sharing a keyword is an error already."""
    for lang in flow.languages:
        spoken: dict[str, tuple[str, str]] = {}  # word as compared -> (where it leads, who and where)
        keywords = []
        for who, target, words, their_keywords in _choosers(flow, lang):
            for path, word in words:
                owner = spoken.setdefault(normalize_keyword(word), (target, f"{who} ({_at(sources, path)})"))
                if owner[0] != target:
                    yield _warning(sources, path,
                                   f"{who} words ({lang}): '{word}' is also a spoken word of {owner[1]}",
                                   "a word should choose one thing; when two match equally the caller "
                                   "is asked again: remove it from one of them")
            keywords += [(who, target, path, word) for path, word in their_keywords]
        for who, target, path, word in keywords:
            owner = spoken.get(normalize_keyword(word))
            if owner and owner[0] != target:
                yield _warning(sources, path,
                               f"{who} keywords ({lang}): SMS keyword '{word}' is a spoken word of {owner[1]}",
                               "texts are matched against keywords and spoken words alike: remove it "
                               "from one of them")


def _at(sources: Sources, path: tuple) -> str:
    file, line = sources.at(*path)
    return f"{file}:{line}"


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


def non_gsm_characters(flow: Flow, sources: Sources) -> Iterator[Finding]:
    """English texts should be plain GSM-7; in other languages, only what cannot be folded
    (accents are taken off before sending) is worth a word."""
    english = "en"
    for path, lang, text in _sms_texts(flow):
        for position, char in non_gsm7(text):
            sent = to_gsm7(char)
            if lang != english and sent != "?":
                continue
            yield _warning(sources, path,
                           f"{describe(path[:-1])} ({lang}): '{char}' (U+{ord(char):04X}) at character "
                           f"{position} is not in the GSM-7 text alphabet; texts send it as '{sent}'",
                           "type plain letters, straight quotes (' \") and a hyphen (-): one other "
                           "character makes a text cost twice as much, so the line changes it")


def composed_replies(flow: Flow) -> Iterator[tuple[tuple, str, str]]:
    """Each reply as the line composes it (sms_reply.compose), before it is cut to fit:
    (path to blame, language, text as sent, folded to GSM-7)."""
    for lang in flow.languages:
        start = flow.line.start
        welcome = [(flow.phrase("sms_welcome", lang, name=flow.name(lang)), KEEP_WELCOME),
                   (menu_lines(flow, start, lang), KEEP_LIST), (flow.phrase("sms_menu_hint", lang), KEEP_HINT)]
        yield ("phrases", "sms_welcome", lang), lang, fit(welcome, max_segments=10**6)
        for node_id, node in flow.nodes.items():
            content = (node.sms or node.say or {}).get(lang, "")
            field = "sms" if node.sms else "say"
            if node.options:
                tail = [(menu_lines(flow, node_id, lang), KEEP_LIST), (flow.phrase("sms_menu_hint", lang), KEEP_HINT)]
            else:
                tail = [(flow.phrase("sms_page_footer", lang), KEEP_HINT)]
            yield ("nodes", node_id, field, lang), lang, fit([(content, KEEP_CONTENT), *tail], max_segments=10**6)
        for name in ("sms_help", "sms_stopped"):
            text = flow.phrase(name, lang, name=flow.name(lang), phone=flow.line.clinic_phone)
            yield ("phrases", name, lang), lang, to_gsm7(text)


def long_texts(flow: Flow, sources: Sources) -> Iterator[Finding]:
    for path, lang, text in composed_replies(flow):
        parts = segments(text)
        if parts > MAX_SEGMENTS:
            yield _warning(sources, path,
                           f"{describe(path[:-1])} ({lang}): the text message as sent (with its menu or "
                           f"footer) is {len(text)} characters, {parts} parts; at most {MAX_SEGMENTS}",
                           f"shorten it: every part is billed, and the line cuts a reply to "
                           f"{MAX_SEGMENTS} parts")


# ---- Spoken prompts ----

def _seconds(words: int) -> float:
    return words * 60 / WORDS_PER_MINUTE


def _count_words(text: str) -> int:
    return len(text.split())


def spoken_menu(flow: Flow, node_id: str, lang: str) -> str:
    """What a caller hears at a menu, as the voice channel renders it: its say, options and footer."""
    document = ET.fromstring(str(render(flow, Result(State(node_id, lang), "option"), "")))
    gather = document.find("Gather")
    return " ".join((say.text or "").strip() for say in (gather if gather is not None else []) if say.tag == "Say")


def long_prompts(flow: Flow, sources: Sources) -> Iterator[Finding]:
    for lang in flow.languages:
        words = _count_words(flow.phrase(EMERGENCY_PHRASE, lang))
        if _seconds(words) > EMERGENCY_SECONDS:
            yield _warning(sources, ("phrases", EMERGENCY_PHRASE, lang),
                           f"phrase '{EMERGENCY_PHRASE}' ({lang}): {words} words take about "
                           f"{_seconds(words):.0f} s to say; emergency guidance must fit in "
                           f"{EMERGENCY_SECONDS} s ({EMERGENCY_SECONDS * WORDS_PER_MINUTE // 60} words)",
                           "keep only what to do (hang up and call 9 1 1) and the main signs")
        for node_id, node in flow.nodes.items():
            if node.type != "menu":
                continue
            words = _count_words(spoken_menu(flow, node_id, lang))
            if _seconds(words) > MENU_SECONDS:
                yield _warning(sources, ("nodes", node_id, "say", lang),
                               f"node '{node_id}' ({lang}): the menu as spoken (say, options and footer) is "
                               f"{words} words, about {_seconds(words):.0f} s; keep a menu under "
                               f"{MENU_SECONDS} s ({MENU_SECONDS * WORDS_PER_MINUTE // 60} words)",
                               "shorten the say text or the option labels, or split the menu")


# ---- Reading level ----

@cache
def _readability(lang: str):
    from textstat.textstat import textstatistics  # loads a pronouncing dictionary: only when asked

    meter = textstatistics()
    meter.set_lang(lang)
    return meter


def _grade_en(text: str) -> tuple[bool, str]:
    grade = _readability("en").flesch_kincaid_grade(text)
    return grade > MAX_GRADE, f"reading grade {grade:.1f} (Flesch-Kincaid); aim for grade {MAX_GRADE} or below"


def _ease_es(text: str) -> tuple[bool, str]:
    ease = _readability("es").fernandez_huerta(text)
    return ease < MIN_READING_EASE_ES, (f"reading ease {ease:.0f} (Fernandez-Huerta); aim for "
                                        f"{MIN_READING_EASE_ES} or more (about 8th grade)")


READING_LEVEL: dict[str, Callable[[str], tuple[bool, str]]] = {"en": _grade_en, "es": _ease_es}
STAND_IN = "x"  # one short word in place of each word of a name the line teaches


def _names(flow: Flow, lang: str) -> re.Pattern | None:
    """The names callers may say or text for a choice ('radiofrequency ablation', 'MRI'): the
    line needs them, so they are not held against a text's reading level."""
    names = {w for node in flow.nodes.values() for option in node.options
             for w in option.words.get(lang, []) + option.keywords.get(lang, [])}
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _graded_texts(flow: Flow, lang: str) -> Iterator[tuple[tuple, str]]:
    for name, text in flow.phrases.items():
        yield ("phrases", name, lang), text.get(lang, "")
    for node_id, node in flow.nodes.items():
        for field in ("say", "sms"):
            text = getattr(node, field) or {}
            yield ("nodes", node_id, field, lang), text.get(lang, "")


def hard_texts(flow: Flow, sources: Sources) -> Iterator[Finding]:
    for lang, measure in READING_LEVEL.items():
        if lang not in flow.languages:
            continue
        names = _names(flow, lang)
        for path, text in _graded_texts(flow, lang):
            if _count_words(text) < MIN_WORDS_TO_GRADE:
                continue
            plain = names.sub(lambda m: " ".join(STAND_IN for _ in m.group(0).split()), text) if names else text
            hard, verdict = measure(plain)
            if hard:
                yield _warning(sources, path, f"{describe(path[:-1])} ({lang}): {verdict}",
                               "use shorter sentences and everyday words (a name callers may say for "
                               "a choice counts as a short word)")


WARNINGS: tuple[Callable[[Flow, Sources], Iterator[Finding]], ...] = (
    big_menus, unreachable_nodes, shared_words, non_gsm_characters, long_texts, long_prompts, hard_texts,
)
