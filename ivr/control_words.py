"""The words carriers and Twilio give fixed meanings: opt out, opt back in, help.

The one list of them: the SMS channel obeys them, and the flow checks refuse them as keywords
(a flow keyword "ayuda" would never reach the flow: HELP takes it first). They are not
staff-editable: an opt-out must always work, whatever the flow files say.
"""
from __future__ import annotations

from .words import normalize_keyword, tokens

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})
HELP = frozenset({"HELP", "INFO", "AYUDA"})
RESERVED = OPT_OUT | OPT_IN | HELP  # no flow keyword may be one of these
# These mean "stop" even with more words after them ("stop texting me"); CANCEL, END and
# QUIT do not, so that "cancel appt" can mean something else.
OPT_OUT_LEADING = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"})


def control_word(body: str) -> str | None:
    """'stop', 'start', 'yes', 'help' or None for an SMS body."""
    whole = normalize_keyword(body)
    words = tokens(body)
    if whole in OPT_OUT or (words and words[0].upper() in OPT_OUT_LEADING):
        return "stop"
    if whole == "YES":
        return "yes"
    if whole in OPT_IN:
        return "start"
    if whole in HELP:
        return "help"
    return None
