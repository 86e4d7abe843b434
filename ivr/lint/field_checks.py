"""The checks of one text as a staff member types it, for the console's field-by-field notes: the
same rules `ivr validate` applies to the whole flow (characters outside GSM-7, text-message parts,
seconds of speech at 160 words a minute, reading level), on one field, without a flow."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..render.gsm import MAX_SEGMENTS, non_gsm7, segments, to_gsm7
from .reading import MIN_WORDS_TO_GRADE, READING_LEVEL
from .timing import seconds

ENGLISH = "en"


@dataclass(frozen=True)
class FieldCheck:
    characters: int
    parts: int  # text-message parts as sent (folded to GSM-7 first, as the line sends it)
    seconds: float  # to say it
    unusual: list = field(default_factory=list)  # [{char, code, position, sent_as}] outside GSM-7
    notes: list = field(default_factory=list)  # warnings in words, as `ivr validate` would give them

    def as_json(self) -> dict:
        return asdict(self)


def check_field(text: str, lang: str, kind: str) -> FieldCheck:
    """`kind`: say (spoken; texted too where a page has no sms), sms, title or label."""
    text = text or ""
    notes, unusual = [], []
    for position, char in non_gsm7(text):
        sent = to_gsm7(char)
        if lang != ENGLISH and sent != "?":
            continue  # accents are folded quietly before sending
        unusual.append({"char": char, "code": f"U+{ord(char):04X}", "position": position, "sent_as": sent})
        notes.append(f"'{char}' (U+{ord(char):04X}) at character {position} is not in the GSM-7 text alphabet; "
                     f"texts send it as '{sent}'")
    parts = segments(to_gsm7(text)) if text else 0
    if kind in ("sms", "say") and parts > MAX_SEGMENTS:
        notes.append(f"{parts} text-message parts; at most {MAX_SEGMENTS}")
    spoken = seconds(len(text.split()))
    measure = READING_LEVEL.get(lang)
    if kind in ("say", "sms") and measure and len(text.split()) >= MIN_WORDS_TO_GRADE:
        hard, verdict = measure(text)
        if hard:
            notes.append(verdict)
    return FieldCheck(len(text), parts, round(spoken, 1), unusual, notes)
