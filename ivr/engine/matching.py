"""Matching spoken or typed words to choices, forgiving filler words, plurals and typos.

A choice is known by phrases ("physical therapy", "exercise"). Input matches a phrase when
every word of the phrase is in the input, exactly or nearly ("symptons", "treatments",
"x ray" for "xray"). The most specific phrase wins; a tie between different choices is no
match, so the caller is asked again rather than sent somewhere they did not mean.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Hashable, Iterable

from rapidfuzz import fuzz, process

from ..words import tokens

# How alike two words must be (rapidfuzz ratio, 0-100) to count as the same word;
# short words must match exactly, since "to" and "two" or "leg" and "log" differ in meaning.
MIN_FUZZY_LENGTH = 4
FUZZY_CUTOFF = {4: 85, 5: 85}
DEFAULT_CUTOFF = 84
NEAR_MISS_WEIGHT = 0.9  # an exact word in another language beats a near miss in this one
JOINED_WEIGHT = 0.9  # "x ray" heard as "xray" counts a little less than a word said whole


@dataclass(frozen=True)
class Entry:
    words: tuple[str, ...]
    value: Hashable


class PhraseMatcher:
    def __init__(self, entries: Iterable[tuple[str, Hashable]]):
        self.entries = [Entry(tuple(tokens(text)), value) for text, value in entries]
        self.entries = [e for e in self.entries if e.words]
        self.vocabulary = sorted({w for e in self.entries for w in e.words})
        self.vocabulary_set = frozenset(self.vocabulary)
        # Which entries use each word: only entries with a word heard can match, so scoring
        # looks at those few rather than every entry (most of a step's time, before).
        self.using: dict[str, list[int]] = {}
        for number, entry in enumerate(self.entries):
            for word in set(entry.words):
                self.using.setdefault(word, []).append(number)
        # The vocabulary words near each word heard, remembered: callers use the same few
        # hundred words, and the fuzzy search was most of a spoken step's time.
        self.near = lru_cache(maxsize=4096)(self._near)

    def _near(self, word: str) -> tuple[tuple[str, float], ...]:
        cutoff = FUZZY_CUTOFF.get(len(word), DEFAULT_CUTOFF)
        return tuple((match, score) for match, score, _ in process.extract(
            word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
            if len(match) >= MIN_FUZZY_LENGTH and match != word)

    def heard(self, text: str) -> dict[str, float]:
        """The vocabulary words the input contains, allowing for typos and split words, each
        with a credit: its length when said exactly, less for a near miss or a joined pair, so
        that an exact word in one language outranks a look-alike in another."""
        words = tokens(text)
        candidates = {w: 1.0 for w in words}
        for a, b in zip(words, words[1:]):
            candidates.setdefault(a + b, JOINED_WEIGHT)
        credit: dict[str, float] = {}
        for word, weight in candidates.items():
            if word in self.vocabulary_set:
                credit[word] = max(credit.get(word, 0.0), len(word) * weight)
            if len(word) < MIN_FUZZY_LENGTH:
                continue
            for match, score in self.near(word):
                near = len(word) * weight * score / 100 * NEAR_MISS_WEIGHT
                credit[match] = max(credit.get(match, 0.0), near)
        return credit

    def scored(self, text: str) -> tuple[Hashable | None, float]:
        """The one value whose phrase best fits the input and how well (longer, exact words
        score higher); (None, 0) if nothing fits or two different values fit equally."""
        heard = self.heard(text)
        best_score, best_values = 0.0, set()
        candidates = sorted({number for word in heard for number in self.using.get(word, ())})
        for entry in (self.entries[number] for number in candidates):
            if all(word in heard for word in entry.words):
                score = sum(heard[word] for word in entry.words)
                if score > best_score:
                    best_score, best_values = score, {entry.value}
                elif score == best_score:
                    best_values.add(entry.value)
        return (best_values.pop(), best_score) if len(best_values) == 1 else (None, 0.0)

    def match(self, text: str) -> Hashable | None:
        return self.scored(text)[0]
