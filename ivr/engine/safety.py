"""Red flags: hearing a warning sign in what callers say and texters type, in their own words.

The flow gives each language's words by kind (flows/red-flags.yaml); this module is how they go
together. What was said is read as a row of phrases, the longest phrase at each place winning,
with `ordinary` phrases ("fell asleep") set aside, and cut into parts of a sentence at `breaks`.
Denials are applied; then, in each part, a warning sign is:

- a phrase of `alone` ("I fell");
- `bladder_bowel` with `cannot`, `lost` or `accidents` ("I can't hold my pee");
- `abilities` with `cannot` or `lost` ("I lost my balance"; a denied ability is lost: "no feeling");
- `walking` or `hand_use` with `cannot` ("trouble walking", "I can't button my shirt"), or that a
  `serious` word is about ("my balance is terrible");
- `body` with `giving_way` ("my knees buckled");
- `weakness` or `numbness` that a `serious` word is about (the symptom said nearest it), or that
  `very` comes just before ("my legs went numb all of a sudden", "so weak").

The two words of a pair are at most PAIR_REACH words apart and not on two sides of a `joins`
word or a comma, unless what follows goes straight on about the same place ("my legs are
shaking and giving out"). Pure: no I/O, nothing kept but the flow's words and a cache of near
spellings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from ..flow.model import RedFlagWords
from ..flow.red_flags import phrases
from ..words import tokens

PAIRS = (  # (kind, kinds that make a warning sign with it)
    ("bladder_bowel", ("cannot", "lost", "accidents")),
    ("abilities", ("cannot", "lost")),
    ("walking", ("cannot",)),
    ("hand_use", ("cannot",)),
    ("body", ("giving_way",)),
)
PAIR_REACH = 8  # words apart, at most, for the two of a pair to belong together
DENIAL_REACH = 6  # words after a denial that it reaches
SIGN_SYMPTOMS = frozenset({"weakness", "numbness"})  # everyday symptoms that can be warning signs
SYMPTOMS = SIGN_SYMPTOMS | {"other_symptoms"}
DOINGS = frozenset({"walking", "hand_use"})  # worse walking or handwriting is a warning sign too
ENDS = frozenset({"joins", "stops", "denials"})  # where a denial's reach ends
WHERE = frozenset({"body", "bladder_bowel"})
GOING_ON = frozenset({"giving_way", "accidents", "cannot", "lost"})  # may go on from the where said before
MODIFIERS = frozenset({"serious", "very"})
PROBLEMS = frozenset({"alone", "cannot", "lost", "giving_way", "accidents"}) | SYMPTOMS | MODIFIERS
# Kinds no sign goes without: most of what callers say at a menu has none of them ("treatment").
TELLING = PROBLEMS - MODIFIERS - {"other_symptoms"} | {"abilities", "able"} | DOINGS
PUNCTUATION = re.compile(r"[,.;:!?¿¡()\[\]\n]+")  # read as a `joins` word
# Typos forgiven in long words only, and only close ones: "bladdr", "numbess"; not "calling".
FUZZY_LENGTH, FUZZY_CUTOFF = 6, 90


@dataclass
class Piece:
    """One phrase of what was said, with the kinds of word it is."""

    kinds: set[str]
    start: int  # its first word's place
    end: int  # the place after its last word
    first: str = ""  # its first word


@dataclass
class _Reading:
    parts: list[list[Piece]] = field(default_factory=lambda: [[]])
    place: int = 0


class RedFlags:
    """One language's red flags, read from the flow's words."""

    def __init__(self, words: RedFlagWords):
        self.kinds_of: dict[tuple[str, ...], set[str]] = {}
        for kind, listed in phrases(words).items():
            for phrase in listed:
                self.kinds_of.setdefault(phrase, set()).add(kind)
        self.starting: dict[str, list[tuple[str, ...]]] = {}  # first word -> its phrases, longest first
        for phrase in sorted(self.kinds_of, key=len, reverse=True):
            self.starting.setdefault(phrase[0], []).append(phrase)
        self.vocabulary = sorted({word for phrase in self.kinds_of for word in phrase})
        self.known = frozenset(self.vocabulary)
        self.denial_words = frozenset(p[0] for p, kinds in self.kinds_of.items() if "denials" in kinds)
        self.telling = frozenset(word for p, kinds in self.kinds_of.items() if kinds & TELLING for word in p)
        self.spelled = lru_cache(maxsize=4096)(self._spelled)

    def found_in(self, text: str) -> bool:
        return self.sign(text) is not None

    def sign(self, text: str) -> str | None:
        """Which kind of warning sign the text describes ("alone", "walking+cannot", ...), or None."""
        if not any(self.spelled(word) in self.telling for word in tokens(text or "")):
            return None
        for part in self.read(text):
            self._deny(part)
            found = self._sign_in(part)
            if found:
                return found
        return None

    # ---- Reading: words to tagged phrases, in parts of a sentence

    def _spelled(self, word: str) -> str:
        """The vocabulary word a long, unknown word is a near spelling of; else the word."""
        if word in self.known or len(word) < FUZZY_LENGTH:
            return word
        near = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return near[0] if near else word

    def read(self, text: str) -> list[list[Piece]]:
        reading = _Reading()
        for chunk in PUNCTUATION.split(text or ""):
            self._read_chunk([self.spelled(w) for w in tokens(chunk)], reading)
            reading.parts[-1].append(Piece({"joins"}, reading.place, reading.place))
        return [part for part in reading.parts if part]

    def _read_chunk(self, words: list[str], reading: _Reading) -> None:
        i = 0
        while i < len(words):
            phrase = next((p for p in self.starting.get(words[i], ()) if tuple(words[i:i + len(p)]) == p), None)
            size, kinds = (len(phrase), self.kinds_of[phrase]) if phrase else (1, set())
            piece = Piece(set(kinds), reading.place, reading.place + size, words[i])
            if "breaks" in kinds:
                reading.parts.append([])
            elif "ordinary" not in kinds:
                reading.parts[-1].append(piece)
            i += size
            reading.place += size

    # ---- Meaning: denials, then the signs

    def _deny(self, part: list[Piece]) -> None:
        """A denial cancels the problem words just after it ("no bladder problems"); with none
        there, what it denies is lost ("no feeling", "not able", "my hands don't grip"), and so
        is an ability just before it ("I feel nothing")."""
        for i, denial in enumerate(part):
            if "denials" not in denial.kinds:
                continue
            if i and "abilities" in part[i - 1].kinds and part[i - 1].end == denial.start:
                part[i - 1].kinds.add("lost")
            reach = []
            for piece in part[i + 1:]:
                if piece.start - denial.start > DENIAL_REACH or piece.kinds & ENDS or piece.first in self.denial_words:
                    break
                reach.append(piece)
            if any(piece.kinds & (PROBLEMS - MODIFIERS) for piece in reach):
                for piece in reach:
                    piece.kinds -= PROBLEMS
                continue
            body_before = any("body" in piece.kinds for piece in part[:i])
            for piece in reach:
                piece.kinds -= MODIFIERS  # "not suddenly"
                if "abilities" in piece.kinds:
                    piece.kinds.add("lost")
                if "able" in piece.kinds or (body_before and piece.kinds & DOINGS):
                    piece.kinds.add("cannot")

    def _sign_in(self, part: list[Piece]) -> str | None:
        if any("alone" in piece.kinds for piece in part):
            return "alone"
        for segment in _segments(part):
            places: dict[str, list[int]] = {}  # kind -> where its words start
            for piece in segment:
                for kind in piece.kinds:
                    places.setdefault(kind, []).append(piece.start)
            for kind, partners in PAIRS:
                for partner in partners:
                    if any(abs(a - b) <= PAIR_REACH for a in places.get(kind, ()) for b in places.get(partner, ())):
                        return f"{kind}+{partner}"
        return _serious_symptom(part)


def _segments(part: list[Piece]) -> list[list[Piece]]:
    """The part cut at `joins` words and commas. A segment that goes straight on with what goes
    wrong keeps the one before's where: "my legs are shaking and giving out"."""
    segments = [[]]
    for piece in part:
        if "joins" in piece.kinds:
            segments.append([])
        elif not segments[-1] and piece.kinds & GOING_ON and len(segments) > 1:
            segments[-1] = [p for p in segments[-2] if p.kinds & WHERE] + [piece]
        else:
            segments[-1].append(piece)
    return segments


def _serious_symptom(part: list[Piece]) -> str | None:
    """Weakness or numbness (or walking, or hand use) that is sudden, severe or worse: a `serious`
    word about it (what is said nearest it; a tie goes to the one after), or `very` just before."""
    about = [p for p in part if p.kinds & (SYMPTOMS | DOINGS)]
    for i, piece in enumerate(part):
        if "serious" in piece.kinds and about:
            nearest = min(about, key=lambda s: (abs(s.start - piece.start), s.start < piece.start))
            if nearest.kinds & (SIGN_SYMPTOMS | DOINGS):
                return "serious"
        if "very" in piece.kinds:
            after = next((p for p in part[i + 1:] if "very" not in p.kinds), None)
            if after is not None and after.kinds & SIGN_SYMPTOMS and _touching(part, piece, after):
                return "very"
    return None


def _touching(part: list[Piece], first: Piece, later: Piece) -> bool:
    """Nothing but more `very` words between the two ("really really weak")."""
    between = [p for p in part if first.end <= p.start < later.start]
    return all("very" in p.kinds for p in between) and all(
        a.end == b.start for a, b in zip([first, *between], [*between, later]))
