"""Turning what people say or type into comparable words."""
from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """Lower case, accents and apostrophes dropped, punctuation to spaces: "¡Español!" -> "espanol"."""
    text = text or ""
    if not text.isascii():  # ASCII has no accents to drop (and is most of what comes in)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.lower())
    return _NOT_WORD.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    return normalize(text).split()


def normalize_keyword(text: str) -> str:
    """An SMS keyword as compared: "Start over!" -> "STARTOVER"."""
    return normalize(text).replace(" ", "").upper()
