"""What a reply to a reminder or a waitlist offer means: confirm, change, cancel, or wait.

The one list of these words, in English and Spanish together (a texter may answer in either,
and the letters the reminder names, C, R and N, are the same in both). They are read only where
a reply is expected: a texter with an open reminder or offer, or at a list of open times (WAIT);
everyone else's texts go to the menus as before. STOP, bare CANCEL and the other opt-out words
never get here (control_words.py takes them first); YES from a number that opted out still opts
it back in.

Forgiving as the menus are (engine/matching.py: small typos, words around the answer, the most
specific phrase wins): "yes!", "Si", "c", "confirmed, thanks", "can we do another day", "cancel
my appointment please". A sentence that says it will not come ("I can't make it", "I won't be
there") is never read as a confirmation.
"""
from __future__ import annotations

from functools import lru_cache

from ..engine.matching import PhraseMatcher
from ..words import tokens

CONFIRM, CHANGE, CANCEL, WAIT = "confirm", "change", "cancel", "wait"

WORDS: dict[str, tuple[str, ...]] = {
    CONFIRM: (
        "c", "confirm", "confirmed", "confirming", "yes", "y", "yeah", "yep", "yup", "yes please", "sure", "ok",
        "okay", "k", "correct", "i will be there", "ill be there", "will be there", "be there", "see you then",
        "see you", "i can make it", "i will come", "ill come", "thank you", "thanks",
        "si", "confirmo", "confirmar", "confirmada", "confirmado", "claro", "de acuerdo", "vale", "bueno",
        "ahi estare", "alli estare", "alla estare", "voy", "asistire", "gracias",
    ),
    CHANGE: (
        "r", "reschedule", "re schedule", "rebook", "change", "change it", "change my appointment", "move",
        "move it", "another day", "another time", "other day", "other time", "different day", "different time",
        "new time", "new day", "later", "earlier", "cant make it", "cannot make it", "can not make it",
        "cambiar", "cambio", "cambiarla", "reprogramar", "mover", "otro dia", "otra hora", "otro horario",
        "otra fecha", "mas tarde", "mas temprano",
    ),
    CANCEL: (
        "n", "no", "nope", "no thanks", "no thank you", "not interested", "cancel", "cancel appt",
        "cancel appointment", "cancel my appointment", "cancel it",
        "cancel the appointment", "cant come", "cannot come", "can not come", "not coming", "wont come",
        "cancelar", "cancelar cita", "cancelar mi cita", "cancelar la cita", "cancelarla", "no gracias",
        "no puedo ir", "no podre ir", "no voy", "no ire",
    ),
    WAIT: (
        "wait", "waitlist", "wait list", "waiting list", "waitinglist", "put me on the list", "list",
        "espera", "lista de espera", "esperar", "lista",
    ),
}
# A sentence with one of these does not confirm ("I can't be there", "no podre ir").
NEGATIONS = frozenset({"not", "cant", "cannot", "wont", "dont", "didnt", "unable", "never", "nunca", "podre",
                       "puedo"})


@lru_cache(maxsize=1)
def _matcher() -> PhraseMatcher:
    return PhraseMatcher((phrase, kind) for kind, phrases in WORDS.items() for phrase in phrases)


def reply_kind(text: str) -> str | None:
    """CONFIRM, CHANGE, CANCEL, WAIT, or None when the text is none of them."""
    kind = _matcher().match(text)
    if kind == CONFIRM and NEGATIONS.intersection(tokens(text)):
        return None
    return kind


def wait_days_text(text: str) -> str | None:
    """What follows the word for waiting at the start of a text ("WAIT next week" -> "next week"),
    or None when the text does not start with one."""
    said = tokens(text)
    for n in (5, 4, 3, 2, 1):  # the longest way of saying it first: "lista de espera"
        for phrase in WORDS[WAIT]:
            words = tokens(phrase)
            if len(words) == n and said[:n] == words:
                return " ".join(said[n:])
    return None
