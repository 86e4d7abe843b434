"""Matchers built once per loaded flow, so each step only looks words up."""
from __future__ import annotations

import threading
import weakref
from functools import cached_property

from ..flow.flow import Flow
from ..words import tokens
from .matching import PhraseMatcher
from .safety import RedFlags

SPEECH, TEXT = "speech", "text"


class FlowIndex:
    def __init__(self, flow: Flow):
        self.flow = flow
        self._local: dict[tuple, PhraseMatcher] = {}
        self._globals: dict[tuple, PhraseMatcher] = {}

    def _phrases(self, words: dict, keywords: dict, lang: str, kind: str) -> list[str]:
        found = list(words.get(lang, []))
        if kind == TEXT:
            found += keywords.get(lang, [])
        return found

    def local(self, node_id: str, lang: str, kind: str) -> PhraseMatcher:
        """Choices at one menu: its options, the commands, the languages."""
        key = (node_id, lang, kind)
        if key not in self._local:
            entries = []
            node = self.flow.nodes.get(node_id)
            for option in node.options if node else ():
                for phrase in self._phrases(option.words, option.keywords, lang, kind):
                    entries.append((phrase, ("option", option.goto)))
            entries += self._commands(lang, kind)
            self._local[key] = PhraseMatcher(entries)
        return self._local[key]

    def _commands(self, lang: str, kind: str) -> list[tuple]:
        entries = []
        for name in type(self.flow.commands).model_fields:
            command = getattr(self.flow.commands, name)
            for phrase in self._phrases(command.words, command.keywords, lang, kind):
                entries.append((phrase, ("command", name)))
        for code, language in self.flow.languages.items():
            phrases = language.words + (language.keywords if kind == TEXT else [])
            entries += [(phrase, ("language", code)) for phrase in phrases]
        return entries

    def anywhere(self, lang: str, kind: str) -> PhraseMatcher:
        """Every topic in the line, for words said at a menu that does not offer them."""
        key = (lang, kind)
        if key not in self._globals:
            entries = []
            for node in self.flow.nodes.values():
                for option in node.options:
                    for phrase in self._phrases(option.words, option.keywords, lang, kind):
                        entries.append((phrase, ("option", option.goto)))
            self._globals[key] = PhraseMatcher(entries)
        return self._globals[key]

    def answers(self, lang: str, kind: str) -> PhraseMatcher:
        """yes / no / more / callback, for the booking questions."""
        key = ("answers", lang, kind)
        if key not in self._globals:
            answers = self.flow.answers
            self._globals[key] = PhraseMatcher(
                (phrase, name) for name in type(answers).model_fields
                for phrase in getattr(answers, name).get(lang, []))
        return self._globals[key]

    @cached_property
    def red_flags(self) -> dict[str, RedFlags]:
        return {lang: RedFlags(words) for lang, words in self.flow.red_flags.items()}

    @cached_property
    def digit_words(self) -> dict[str, dict[str, str]]:
        return {
            code: {word: str(digit) for digit, words in language.digits.items()
                   for phrase in words for word in [" ".join(tokens(phrase))]}
            for code, language in self.flow.languages.items()
        }

    @cached_property
    def filler(self) -> dict[str, set[str]]:
        return {code: {w for phrase in language.filler for w in tokens(phrase)}
                for code, language in self.flow.languages.items()}

    def spoken_key(self, text: str, lang: str) -> str | None:
        """'Um, number two please' -> '2'; anything more than a number -> None. A word said
        alone counts even when it is also filler: recognizers write "to" for "two"."""
        said = tokens(text)
        words = said if len(said) == 1 else [w for w in said if w not in self.filler.get(lang, ())]
        if len(words) != 1:
            return None
        word = words[0]
        if len(word) == 1 and word.isdigit():
            return word
        return self.digit_words.get(lang, {}).get(word)


_indexes: "weakref.WeakKeyDictionary[Flow, FlowIndex]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def index_for(flow: Flow) -> FlowIndex:
    with _lock:
        index = _indexes.get(flow)
        if index is None:
            index = _indexes[flow] = FlowIndex(flow)
        return index
