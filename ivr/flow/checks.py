"""Cross-file checks of a flow: every reference resolves, every text is translated.

Each check looks at one thing and reports Problems located at the exact field; the loader
refuses a flow with any error, and `ivr validate` prints the same problems.
"""
from __future__ import annotations

import difflib
import re
import string
from typing import Callable, Iterator

from ..control_words import control_word
from ..words import normalize_keyword
from .phrases import PHRASES
from .problems import Problem, describe
from .red_flags import KINDS

OPTION_KEYS = set("1234567")
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NEEDS_SAY = {"page", "emergency", "transfer", "booking", "goodbye"}
OPTIONAL_TEXTS = {"sms"}  # a missing translation is a warning: texters get the rest of the reply
NO_OPTIONS = {"transfer", "goodbye", "booking"}
LINE_TARGETS = {"start": "menu", "emergency": "emergency", "person": "transfer",
                "goodbye": "goodbye", "booking": "booking"}

Add = Callable[..., None]  # add(path, message, severity="error")


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _texts(merged: dict) -> Iterator[tuple[tuple, dict]]:
    """Every translated text in the flow with its path."""
    yield ("line", "name"), merged["line"].name
    for name, text in merged["phrases"].items():
        yield ("phrases", name), text
    for node_id, node in merged["nodes"].items():
        for field in ("title", "say", "sms"):
            if getattr(node, field) is not None:
                yield ("nodes", node_id, field), getattr(node, field)
        for i, option in enumerate(node.options):
            yield ("nodes", node_id, "options", i, "label"), option.label


def _word_lists(merged: dict) -> Iterator[tuple[tuple, dict, bool]]:
    """Every per-language word list: (path, {lang: [words]}, required-for-every-language)."""
    for node_id, node in merged["nodes"].items():
        for i, option in enumerate(node.options):
            yield ("nodes", node_id, "options", i, "words"), option.words, True
            yield ("nodes", node_id, "options", i, "keywords"), option.keywords, False
    for name in type(merged["commands"]).model_fields:
        command = getattr(merged["commands"], name)
        yield ("commands", name, "words"), command.words, True
        yield ("commands", name, "keywords"), command.keywords, False
    for name in type(merged["answers"]).model_fields:
        yield ("answers", name), getattr(merged["answers"], name), True
    yield ("red_flags",), merged["red_flags"], True


def line_targets(merged: dict, add: Add) -> None:
    """The line's start, emergency, person, goodbye and booking nodes exist and have the right type."""
    nodes = merged["nodes"]
    for field, node_type in LINE_TARGETS.items():
        target = getattr(merged["line"], field)
        if target not in nodes:
            add(("line", field), f"line {field}: node '{target}' is not defined{_did_you_mean(target, nodes)}")
        elif nodes[target].type != node_type:
            add(("line", field), f"line {field}: node '{target}' must be a {node_type}, not a {nodes[target].type}")


def node_shapes(merged: dict, add: Add) -> None:
    """Ids, what each node type needs, and where 'back' leads."""
    nodes = merged["nodes"]
    for node_id, node in nodes.items():
        where = f"node '{node_id}'"
        if not NODE_ID.match(node_id):
            add(("nodes", node_id), f"{where}: a node id is lower-case letters, digits and hyphens")
        if node.type in NEEDS_SAY and node.say is None:
            add(("nodes", node_id), f"{where}: a {node.type} needs 'say' (what callers hear)")
        if node.type == "menu" and not node.options:
            add(("nodes", node_id), f"{where}: a menu needs at least one option")
        if node.type in NO_OPTIONS and node.options:
            add(("nodes", node_id, "options"), f"{where}: a {node.type} cannot have options")
        if node.back is not None and node.back not in nodes:
            add(("nodes", node_id, "back"),
                f"{where} back: node '{node.back}' is not defined{_did_you_mean(node.back, nodes)}")


def options(merged: dict, add: Add) -> None:
    """Every option goes to a node that exists, on a key of its own from 1 to 7."""
    nodes = merged["nodes"]
    for node_id, node in nodes.items():
        where = f"node '{node_id}'"
        seen_keys: dict[str, int] = {}
        for i, option in enumerate(node.options):
            path = ("nodes", node_id, "options", i)
            if option.goto not in nodes:
                add(path + ("goto",), f"{where} option {i + 1} goto: node '{option.goto}' is not defined"
                    f"{_did_you_mean(option.goto, nodes)}")
            if option.key not in OPTION_KEYS:
                add(path + ("key",), f"{where} option {i + 1} key: '{option.key}' must be one of 1 to 7 "
                    "(8, 9, 0 and * are for text me, back, a person and repeat)")
            elif option.key in seen_keys:
                add(path + ("key",), f"{where} option {i + 1} key: {option.key} is already used by option "
                    f"{seen_keys[option.key] + 1}")
            else:
                seen_keys[option.key] = i


def translations(merged: dict, add: Add) -> None:
    """Every text in every language, and no language the line does not have."""
    langs = list(merged["languages"])
    for path, text in _texts(merged):
        label = describe(path)
        for lang in langs:
            if not (text.get(lang) or "").strip():
                add(path, f"{label}: the '{lang}' text is missing",
                    "warning" if path[-1] in OPTIONAL_TEXTS else "error")
        for lang in text:
            if lang not in langs:
                add(path, f"{label}: '{lang}' is not one of the languages ({', '.join(langs)})")


def phrases(merged: dict, add: Add) -> None:
    """The shared sentences the code needs are there, use only the {fields} it fills in, and none is unused."""
    for name, fields in PHRASES.items():
        if name not in merged["phrases"]:
            add(("phrases",), f"phrase '{name}' is missing (the line needs it)")
            continue
        for lang, text in merged["phrases"][name].items():
            try:
                used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as exc:
                add(("phrases", name, lang), f"phrase '{name}' {lang}: {exc} (write {{{{ for a brace)")
                continue
            for unknown in sorted(used - fields):
                allowed = ", ".join("{" + f + "}" for f in sorted(fields)) or "none"
                add(("phrases", name, lang), f"phrase '{name}' {lang}: unknown field {{{unknown}}} "
                    f"(this phrase may use: {allowed})")
    for name in merged["phrases"]:
        if name not in PHRASES:
            add(("phrases", name), f"phrase '{name}' is not used by the line{_did_you_mean(name, PHRASES)}")


def word_lists(merged: dict, add: Add) -> None:
    """Callers can say every choice in every language; no words in a language the line lacks."""
    langs = list(merged["languages"])
    for path, words, required in _word_lists(merged):
        label = describe(path)
        for lang in words:
            if lang not in langs:
                add(path, f"{label}: '{lang}' is not one of the languages ({', '.join(langs)})")
        for lang in langs:
            if required and not words.get(lang):
                add(path, f"{label}: no '{lang}' words; callers must be able to say every choice")
            elif words and not words.get(lang):
                add(path, f"{label}: given in {', '.join(sorted(words))} but not in '{lang}'", "warning")


def red_flags(merged: dict, add: Add) -> None:
    """Every kind of red-flag word has words, and every phrase has letters or digits."""
    for lang, words in merged["red_flags"].items():
        for kind in KINDS:
            phrases = getattr(words, kind)
            if not phrases:
                add(("red_flags", lang, kind), f"red_flags {lang} {kind}: no words; each kind needs at least one")
            for i, phrase in enumerate(phrases):
                if not normalize_keyword(phrase):
                    add(("red_flags", lang, kind, i), f"red_flags {lang} {kind} item {i + 1}: '{phrase}' has no words")


def digits(merged: dict, add: Add) -> None:
    """Words for every digit, so a caller can say a number."""
    for code, language in merged["languages"].items():
        missing = [d for d in range(10) if not language.digits.get(d)]
        if missing:
            add(("languages", code, "digits"), f"languages {code} digits: no words for {missing}")


def keywords(merged: dict, add: Add) -> None:
    """An SMS keyword must mean one thing: not two options, not a command, not STOP or HELP."""
    owners: dict[tuple[str, str], str] = {}

    def claim(lang: str, word: str, owner: str, path: tuple) -> None:
        key = normalize_keyword(word)
        if not key:
            add(path, f"{owner}: keyword '{word}' has no letters or digits")
            return
        if control_word(word) is not None:  # STOP, HELP ... and the phrases that mean them
            add(path, f"{owner}: keyword '{word}' is reserved for opt-out, opt-in or help")
            return
        if (lang, key) in owners and owners[(lang, key)] != owner:
            add(path, f"{owner}: keyword '{word}' ({lang}) is also used by {owners[(lang, key)]}")
            return
        owners[(lang, key)] = owner

    for code, language in merged["languages"].items():
        for i, word in enumerate(language.keywords):
            for lang in merged["languages"]:
                claim(lang, word, f"language '{code}'", ("languages", code, "keywords", i))
    for name in type(merged["commands"]).model_fields:
        for lang, words in getattr(merged["commands"], name).keywords.items():
            for i, word in enumerate(words):
                claim(lang, word, f"command '{name}'", ("commands", name, "keywords", lang, i))
    for node_id, node in merged["nodes"].items():
        for n, option in enumerate(node.options):
            for lang, words in option.keywords.items():
                for i, word in enumerate(words):
                    claim(lang, word, f"node '{node_id}' option {n + 1}",
                          ("nodes", node_id, "options", n, "keywords", lang, i))


CHECKS = (line_targets, node_shapes, options, translations, phrases, word_lists, red_flags, digits, keywords)


def check_flow(merged: dict, sources) -> list[Problem]:
    """Every problem the checks find in the merged flow files."""
    problems: list[Problem] = []

    def add(path: tuple, message: str, severity: str = "error") -> None:
        problems.append(sources.problem(path, message, severity))

    for check in CHECKS:
        check(merged, add)
    return problems
