"""Red-flag detection: words that mean someone may need emergency care now.

Staff write a red flag as groups of words joined by "+", with "/" between words that mean
the same: "bladder/bowel + control/accident" matches "I lost control of my bladder".
Every group must be present somewhere in what was said or typed.
"""
from __future__ import annotations

from ..flow.red_flags import parse_red_flag
from ..words import tokens
from .matching import PhraseMatcher


class RedFlags:
    def __init__(self, patterns: list[str]):
        self.patterns = [parse_red_flag(p) for p in patterns]
        alternatives = {alt for pattern in self.patterns for group in pattern for alt in group}
        self.matcher = PhraseMatcher((alt, alt) for alt in alternatives)
        self.alt_words = {alt: tokens(alt) for alt in alternatives if tokens(alt)}

    def found_in(self, text: str) -> bool:
        heard = self.matcher.heard(text)
        if not heard:
            return False
        present = {alt for alt, words in self.alt_words.items() if all(w in heard for w in words)}
        return any(all(any(alt in present for alt in group) for group in pattern) for pattern in self.patterns)
