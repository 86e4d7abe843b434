"""How each <Gather> listens for speech. Twilio's settings, chosen on purpose (README, "How the
line listens"):

- speechModel comes from the flow, per language: `phone_call`, the model made for telephone
  audio, which also allows speechTimeout "auto" (Twilio's default model does not). No
  `enhanced`: Twilio has deprecated it (it only ever applied to Google's old phone_call model),
  and it is not in the TwiML schema the line is checked against.
- speechTimeout "auto" at menus: Twilio answers as soon as the caller stops, so a one-word
  choice costs no waiting. A name or a phone number is said with pauses between its parts;
  there a fixed PAUSED_SPEECH_TIMEOUT lets the caller finish.
- hints: the words this step expects (its options, then the commands), then single words of
  the warning signs a recognizer may mishear ("bladder", "numb"), in the caller's language,
  within Twilio's limits (500 entries of at most 100 characters): at most MAX_HINTS, most useful
  first, since a long list dulls the boost for each. No hints for a name: they would bend it
  toward menu words.
"""
from __future__ import annotations

from ..booking import dialog
from ..engine.state import LANGUAGE, State
from ..flow import Flow

MENU_SPEECH_TIMEOUT = "auto"
PAUSED_SPEECH_TIMEOUT = 3  # seconds of silence that end a name or a number said aloud
PAUSED_STAGES = (dialog.NAME, dialog.CB_NAME, dialog.CANCEL_NAME, dialog.CB_DIGITS, dialog.WAIT_NAME)
NAME_STAGES = (dialog.NAME, dialog.CB_NAME, dialog.CANCEL_NAME, dialog.WAIT_NAME)
MAX_HINTS = 150  # Twilio takes 500
MAX_HINT_LENGTH = 100  # Twilio's limit for one entry
HINTED_RED_FLAGS = ("bladder_bowel", "weakness", "numbness", "alone")  # their single words, at any menu


def hints(flow: Flow, state: State) -> str:
    lang = state.lang
    if state.node == LANGUAGE:
        words = [w for language in flow.languages.values() for w in language.words]
    elif state.stage in NAME_STAGES:
        return ""
    else:
        words = [w for option in flow.nodes[state.node].options for w in option.words.get(lang, [])]
        if state.stage or state.confirm:
            words += [w for name in type(flow.answers).model_fields for w in getattr(flow.answers, name).get(lang, [])]
        words += [w for name in type(flow.commands).model_fields
                  for w in getattr(flow.commands, name).words.get(lang, [])]
    red_flags = flow.red_flags.get(lang)
    if red_flags is not None:
        words += [w for kind in HINTED_RED_FLAGS for w in getattr(red_flags, kind) if " " not in w.strip()]
    fitting = [w for w in dict.fromkeys(words) if len(w) <= MAX_HINT_LENGTH and "," not in w]
    return ", ".join(fitting[:MAX_HINTS])


def listening(flow: Flow, state: State) -> dict:
    """The <Gather> attributes for speech at this step."""
    language = flow.languages[state.lang]
    attributes = {"language": language.speech, "speech_model": language.speech_model,
                  "speech_timeout": PAUSED_SPEECH_TIMEOUT if state.stage in PAUSED_STAGES else MENU_SPEECH_TIMEOUT}
    words = hints(flow, state)
    if words:
        attributes["hints"] = words
    return attributes
