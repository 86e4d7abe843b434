"""How staff write red flags: for each language, lists of words by kind (flows/red-flags.yaml
explains each kind). Here: the kinds in order, and each kind's phrases as compared words."""
from __future__ import annotations

from ..words import tokens
from .model import RedFlagWords

KINDS: tuple[str, ...] = tuple(RedFlagWords.model_fields)


def phrases(words: RedFlagWords) -> dict[str, list[tuple[str, ...]]]:
    """{kind: [phrase as compared words, ...]}: "Can't walk" -> ("cant", "walk")."""
    return {kind: [tuple(tokens(phrase)) for phrase in getattr(words, kind) if tokens(phrase)] for kind in KINDS}
