"""Warnings about how hard a text is to read: above an 8th-grade level.

English by Flesch-Kincaid grade; Spanish by Fernandez-Huerta reading ease (textstat's Spanish
formula, with Spanish syllables). Other languages are not graded. Texts shorter than a sentence
or two are not graded, and the names callers say or text to choose a topic are not held against
a text: the line needs them, and the prose around them is what can be made plain.
"""
from __future__ import annotations

import re
from functools import cache
from typing import Callable, Iterator

from ..flow.flow import Flow
from ..flow.loader import Sources
from ..flow.problems import Problem, describe

MAX_GRADE = 8  # Flesch-Kincaid grade, English
MIN_READING_EASE_ES = 60  # Fernandez-Huerta reading ease: 60 to 70 is "normal", 7th to 8th grade
MIN_WORDS_TO_GRADE = 10  # the formulas need sentences; a title or a short prompt is not graded


@cache
def _readability(lang: str):
    from textstat.textstat import (
        textstatistics,  # loads a pronouncing dictionary: only when asked
    )

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


def hard_texts(flow: Flow, sources: Sources) -> Iterator[Problem]:
    for lang, measure in READING_LEVEL.items():
        if lang not in flow.languages:
            continue
        names = _names(flow, lang)
        for path, text in _graded_texts(flow, lang):
            if len(text.split()) < MIN_WORDS_TO_GRADE:
                continue
            plain = names.sub(lambda m: " ".join(STAND_IN for _ in m.group(0).split()), text) if names else text
            hard, verdict = measure(plain)
            if hard:
                yield sources.warning(path, f"{describe(path[:-1])} ({lang}): {verdict}",
                                  "use shorter sentences and everyday words (a name callers may say for "
                                  "a choice counts as a short word)")
