"""SMS encoding: keep texts in GSM-7 (160 characters a part) and count billed parts.

One character outside GSM-7 (a curly quote, a dash, an accented a/i/o/u) turns the whole
message into UCS-2 at 70 characters a part, so replies are folded to GSM-7 first.
"""
from __future__ import annotations

import math
import unicodedata

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MAX_SEGMENTS = 3

_LOOKALIKES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2022": "-", "\u00b7": "-", "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
})


def _alphabet() -> tuple[frozenset[str], frozenset[str]]:
    """GSM-7's characters, as the codec has them: those of one septet, and the extension
    table's (an escape and a septet: they count twice towards a part's length)."""
    candidates = {chr(0x1b)}
    for septet in range(128):
        for raw in (bytes([septet]), bytes([0x1b, septet])):
            try:
                candidates.add(raw.decode("gsm03.38"))
            except UnicodeDecodeError:
                pass
    lengths = {ch: len(ch.encode("gsm03.38")) for ch in candidates if len(ch) == 1}
    return (frozenset(ch for ch, n in lengths.items() if n == 1),
            frozenset(ch for ch, n in lengths.items() if n == 2))


# Looked up in sets: the codec encodes a character at a time in Python, too slow for every reply.
GSM7_BASIC, GSM7_EXTENDED = _alphabet()
GSM7 = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    return GSM7.issuperset(text)


def non_gsm7(text: str) -> list[tuple[int, str]]:
    """(1-based position, character) of each character outside GSM-7."""
    return [(i + 1, ch) for i, ch in enumerate(text) if not is_gsm7(ch)]


def to_gsm7(text: str) -> str:
    """Replace what GSM-7 lacks with its nearest plain form: curly quotes, dashes, á í ó ú."""
    text = text.translate(_LOOKALIKES)
    if is_gsm7(text):  # nearly always (flow texts are checked by the linter): no character to look at
        return text
    out = []
    for ch in text:
        if is_gsm7(ch):
            out.append(ch)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(plain if plain and is_gsm7(plain) else "?")
    return "".join(out)


def segments(text: str) -> int:
    """How many billed parts Twilio sends this text as."""
    if is_gsm7(text):
        units, single, multi = len(text) + sum(map(GSM7_EXTENDED.__contains__, text)), GSM_SINGLE, GSM_MULTI
    else:
        units, single, multi = len(text.encode("utf-16-le")) // 2, UCS2_SINGLE, UCS2_MULTI
    return 1 if units <= single else math.ceil(units / multi)
