"""Whether the name a caller says is the name a booking was made under.

Speech recognition spells a name a little differently from one call to the next ("Gonzales",
"Gonzalez"; "Marie", "Maria"), and callers wrap it in words ("it's under Maria Gonzalez"). So
the words are compared one by one, forgivingly, but enough of them must match: both of a
two-word name (a surname alone is not enough, and "Pam Lee" is not "Sam Lee"), and a long
list of names said in the hope that some fit is refused.
"""
from __future__ import annotations

from rapidfuzz import fuzz

from ..words import tokens

WORD_CUTOFF = 80  # rapidfuzz ratio (0-100) for two spellings of one name word
MAX_EXTRA_WORDS = 2  # words said beyond the booked name ("Jose Luis Garcia" for "Jose Garcia")
# What callers say before the name itself: "my name is", "it's under", "a nombre de", "soy".
_LEAD_INS = tuple(tuple(phrase.split()) for phrase in (
    "my name is", "name is", "its under", "it is under", "under", "this is", "its", "im", "i am",
    "mi nombre es", "me llamo", "a nombre de", "soy", "es"))
_TRAILING = frozenset({"please", "thanks", "thank", "you", "por", "favor", "gracias"})


def name_words(said: str) -> list[str]:
    """The words of the name in what was said: after the last lead-in, without a closing "please"."""
    words = tokens(said)
    start = 0
    for lead_in in _LEAD_INS:
        for i in range(len(words) - len(lead_in) + 1):
            if tuple(words[i:i + len(lead_in)]) == lead_in:
                start = max(start, i + len(lead_in))
    words = words[start:]
    while words and words[-1] in _TRAILING:
        words.pop()
    return words


def same_name(booked: str, said: str) -> bool:
    """Whether `said` names the person `booked` names (accents, case and small misspellings forgiven)."""
    wanted, heard = tokens(booked), name_words(said)
    if not wanted or not heard or len(heard) > len(wanted) + MAX_EXTRA_WORDS:
        return False
    unused, matched = list(heard), 0
    for word in wanted:
        best = max(unused, key=lambda other: fuzz.ratio(word, other), default=None)
        if best is not None and fuzz.ratio(word, best) >= WORD_CUTOFF:
            unused.remove(best)
            matched += 1
    return matched >= min(2, len(wanted))
