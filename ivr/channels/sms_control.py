"""The words carriers and Twilio give fixed meanings: opt out, opt back in, help.

They are not staff-editable: an opt-out must always work, whatever the flow files say.
"""
from __future__ import annotations

from ..engine.text import normalize_keyword, tokens

OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "UNSTOP", "YES"}
HELP = {"HELP", "INFO", "AYUDA"}
# These mean "stop" even with more words after them ("stop texting me"); CANCEL, END and
# QUIT do not, so that "cancel appt" can mean something else.
OPT_OUT_LEADING = {"STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"}


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
