"""What a step's event means to the people counting them (reports, metrics): which are misses,
and which served the emergency guidance."""
from __future__ import annotations

from .state import LANGUAGE

MISSES = ("no_match", "no_input", "too_many_misses")  # steps where the caller was not understood
EMERGENCY = "emergency"  # red-flag words: the caller is sent to the warning signs
# Every call starts with the emergency guidance, said before the language choice.
GREETING_CHANNEL, GREETING_NODE, GREETING_EVENT = "voice", LANGUAGE, "start"


def understood(event: str) -> bool:
    return event not in MISSES


def guidance_reason(channel: str, node: str, event: str) -> str | None:
    """Why a step served the emergency guidance ("greeting", "red_flag"), or None."""
    if event == EMERGENCY:
        return "red_flag"
    if (channel, node, event) == (GREETING_CHANNEL, GREETING_NODE, GREETING_EVENT):
        return "greeting"
    return None
