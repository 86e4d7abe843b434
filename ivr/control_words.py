"""The words carriers and Twilio give fixed meanings: opt out, opt back in, help.

The one list of them: the SMS channel obeys them, and the flow checks refuse them as keywords
(a flow keyword "ayuda" would never reach the flow: HELP takes it first). They are not
staff-editable: an opt-out must always work, whatever the flow files say.

Since the FCC's 2024 rule a texter may revoke consent "by any reasonable means", so besides
Twilio's single words the line takes the ways people write it ("please stop", "stop texting
me", "no more texts", "revoke consent", "darme de baja"), in English and Spanish. A sentence
that merely has "stop" in it ("I can't stop the pain") is not an opt-out; nor is "cancel appt"
or "cancelar cita", which cancel a booking.
"""
from __future__ import annotations

from .words import tokens

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT",
                     "PARAR", "ALTO", "BAJA", "CANCELAR"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})
HELP = frozenset({"HELP", "INFO", "AYUDA"})
RESERVED = OPT_OUT | OPT_IN | HELP  # no flow keyword may be one of these
# These mean "stop" even with more words after them ("stop texting me"); CANCEL, END and
# QUIT do not, so that "cancel appt" can mean something else.
OPT_OUT_LEADING = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"})

# Words around an opt-out that change nothing: "stop please", "baja por favor".
_POLITE = frozenset({"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ok", "okay", "por", "favor",
                     "ya", "gracias", "all"})
_MESSAGES = frozenset({"text", "texts", "texting", "txt", "txts", "txting", "message", "messages", "messaging",
                       "msg", "msgs", "sms", "mensaje", "mensajes", "texto", "textos"})
# A verb of stopping with a word for messages close after it: "stop the texts", "quit texting
# me", "dejen de mandar mensajes". "stop the pain" has no such word.
_STOPPING = frozenset({"stop", "quit", "end", "cancel", "parar", "paren", "pare", "detener", "detengan", "dejen",
                       "deje", "dejar", "alto", "cancelar"})
_NEAR = 3  # how many words after the verb the messages may come
_SHORT = 6  # words in a text that may be one opt-out word and courtesies
# Phrases that mean opting out wherever they are in a text, by their first word.
_PHRASES: dict[str, list[tuple[str, ...]]] = {}
for _phrase in ("unsubscribe", "opt out", "opt me out", "revoke consent", "revoke my consent", "withdraw consent",
                "withdraw my consent", "no more", "remove me", "take me off", "remove my number", "dont text me",
                "do not text me", "dont message me", "do not message me", "dont send me", "do not send me",
                "dar de baja", "darme de baja", "de baja", "no me envien", "no me manden", "no me escriban",
                "no mas", "ya no quiero", "no quiero recibir", "quitar mi numero", "borrar mi numero",
                "cancelar suscripcion", "cancelar mi suscripcion"):
    _PHRASES.setdefault(_phrase.split()[0], []).append(tuple(_phrase.split()))
# These count only with a word for messages after them: "no more texts", not "no more pain".
_NEEDS_MESSAGES = frozenset({("no", "more"), ("no", "mas"), ("ya", "no", "quiero"), ("no", "quiero", "recibir"),
                             ("dont", "send", "me"), ("do", "not", "send", "me")})


def control_word(body: str) -> str | None:
    """'stop', 'start', 'yes', 'help' or None for an SMS body."""
    words = tokens(body)  # normalized once: every text, up to 1,600 characters, comes through here
    whole = "".join(words).upper()  # as words.normalize_keyword has it: "Stop all!" -> "STOPALL"
    if whole in OPT_OUT or (words and words[0].upper() in OPT_OUT_LEADING) or _revokes(words):
        return "stop"
    if whole == "YES":
        return "yes"
    if whole in OPT_IN:
        return "start"
    if whole in HELP:
        return "help"
    return None


def _revokes(words: list[str]) -> bool:
    """Whether the words of a text say "stop texting me" in one of the ways people write it."""
    if not words:
        return False
    if len(words) <= _SHORT:  # a lone opt-out word wrapped in courtesies: "stop please", "baja por favor"
        kept = [w for w in words if w not in _POLITE]
        if kept and ("".join(kept).upper() in OPT_OUT or _typo_of_stop(kept)):
            return True
    for i, word in enumerate(words):
        if word in _STOPPING and _MESSAGES.intersection(words[i + 1:i + 1 + _NEAR]):
            return True
        for phrase in _PHRASES.get(word, ()):
            if tuple(words[i:i + len(phrase)]) == phrase and (
                    phrase not in _NEEDS_MESSAGES or _MESSAGES.intersection(words[i + len(phrase):])):
                return True
    return False


def _typo_of_stop(kept: list[str]) -> bool:
    """STOP typed with two letters swapped or one doubled ("stpo", "sotp", "stopp"), alone."""
    if len(kept) != 1 or not 4 <= len(kept[0]) <= 5:
        return False
    word, target = kept[0], "stop"
    if len(word) == 4:
        return any(word == target[:i] + target[i + 1] + target[i] + target[i + 2:] for i in range(3))
    return any(word == target[:i] + target[i] + target[i:] for i in range(4))
