"""Voice TwiML built from an engine result: small pure functions, testable without HTTP.

Every menu is a <Gather> that takes keys and speech, waits 10 seconds, and is followed by a
<Redirect> back to the same step, so silence re-prompts instead of hanging up.
"""
from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from ..booking import dialog, timefmt
from ..engine import confirming
from ..engine.state import LANGUAGE, Result, State
from ..flow import Flow
from .fields import phrase_fields, slot_time
from .speech import listening

GATHER_TIMEOUT = 10  # seconds of silence before a re-prompt; Twilio's 5 is too short for many
DIAL_TIMEOUT = 30
ANSWERED = ("completed", "answered")
PAGES_WITH_TEXT_ME = ("page", "emergency")

# Said when even the flow cannot be read: the one sentence not in flows/.
FALLBACK_ERROR = "Sorry, something went wrong on our end. Please call back later. Goodbye."


def step_url(state: State) -> str:
    query = {"node": state.node, "lang": state.lang, "miss": state.misses}
    if state.confirm:  # a choice heard unsurely, waiting for yes or no
        query["confirm"] = state.confirm
    if state.stage:  # the caller's name never rides here: it waits in the database
        query.update(stage=state.stage, slot=state.slot, page=state.page, ref=state.ref,
                     offered="-".join(str(i) for i in state.offered))
    return "/voice/step?" + urlencode(query)


def node_url(node: str, lang: str) -> str:
    return "/voice/node?" + urlencode({"node": node, "lang": lang})


def dial_done_url(lang: str) -> str:
    return "/voice/dial-done?" + urlencode({"lang": lang})


def say(parent, flow: Flow, lang: str, text: str) -> None:
    language = flow.languages[lang]
    parent.say(text, voice=language.voice, language=language.speech)


def _gather(response: VoiceResponse, flow: Flow, state: State):
    extra = {"finish_on_key": "#"} if state.stage == dialog.CB_DIGITS else {"num_digits": 1}
    return response.gather(input="dtmf speech", action=step_url(state), method="POST", timeout=GATHER_TIMEOUT,
                           **listening(flow, state), **extra)


def document(flow: Flow, result: Result, transfer_number: str, zone: tzinfo | None = None) -> str:
    """The TwiML text for a step. The same step of the same flow always reads the same, so most
    are made once per process: building the XML was a large share of a menu step's time. A step
    that names the caller (their name, their booking, their number) is made afresh each time, so
    no one's details wait in memory."""
    view = result.view
    if result.state.name or view.booking is not None or view.last4:
        return str(render(flow, result, transfer_number, zone))
    return _document(flow, result, transfer_number, zone)


@lru_cache(maxsize=4096)  # keyed by the flow object: an edit makes new entries, old ones age out
def _document(flow: Flow, result: Result, transfer_number: str, zone: tzinfo | None) -> str:
    return str(render(flow, result, transfer_number, zone))


def render(flow: Flow, result: Result, transfer_number: str, zone: tzinfo | None = None) -> VoiceResponse:
    response = VoiceResponse()
    state = result.state
    fields = phrase_fields(flow, result, zone, spoken=True)
    for notice in result.notices:
        say(response, flow, state.lang, flow.phrase(notice, state.lang, **fields))
    if state.node == LANGUAGE:
        return _language_menu(response, flow, result)
    node = flow.nodes[state.node]
    if state.confirm:
        return _confirm(response, flow, result)
    if state.stage:
        return _dialog(response, flow, result, fields, zone)
    if node.type == "transfer":
        return _transfer(response, flow, state.lang, transfer_number, node.say[state.lang])
    if node.type == "goodbye":
        say(response, flow, state.lang, node.say[state.lang])
        response.hangup()
        return response
    return _menu(response, flow, result)


def _footer(gather, flow: Flow, state: State) -> None:
    say(gather, flow, state.lang, flow.phrase("footer_main" if state.node == flow.line.start else "footer",
                                              state.lang))


def _menu(response: VoiceResponse, flow: Flow, result: Result) -> VoiceResponse:
    state, lang = result.state, result.state.lang
    node = flow.nodes[state.node]
    gather = _gather(response, flow, state)
    if result.present and node.say:
        say(gather, flow, lang, node.say[lang])
    for option in node.options:
        say(gather, flow, lang, flow.phrase("option", lang, label=option.label[lang], key=option.key,
                                            word=option.words[lang][0]))
    if node.type in PAGES_WITH_TEXT_ME:
        say(gather, flow, lang, flow.phrase("text_me_offer", lang))
    _footer(gather, flow, state)
    response.redirect(step_url(state), method="POST")
    return response


def _confirm(response: VoiceResponse, flow: Flow, result: Result) -> VoiceResponse:
    """"Did you mean treatment? For yes, press 1, or say yes. For no, press 2, or say no." """
    state = result.state
    gather = _gather(response, flow, state)
    say(gather, flow, state.lang, flow.phrase("confirm_choice", state.lang, choice=confirming.choice_name(flow, state)))
    _footer(gather, flow, state)
    response.redirect(step_url(state), method="POST")
    return response


def _dialog(response: VoiceResponse, flow: Flow, result: Result, fields: dict, zone) -> VoiceResponse:
    """A step of booking, cancelling or a call-back request: one question, then the footer."""
    state, lang = result.state, result.state.lang
    gather = _gather(response, flow, state)
    if state.stage in (dialog.CHOOSE, dialog.MOVE):
        node = flow.nodes[state.node]
        if result.present and node.say and result.event not in ("more", "taken"):
            say(gather, flow, lang, node.say[lang])
        for key, slot in enumerate(result.view.offered, 1):
            word = timefmt.ORDINALS.get(lang, timefmt.ORDINALS["en"])[key - 1]
            say(gather, flow, lang, flow.phrase("book_slot", lang, time=slot_time(slot, lang, zone, True),
                                                key=key, word=word))
        if result.view.more:
            say(gather, flow, lang, flow.phrase("book_more", lang, key=dialog.KEY_MORE))
        if not result.view.offered:
            say(gather, flow, lang, flow.phrase("book_none", lang))
        if state.stage == dialog.CHOOSE:  # no time that suits: wait for one to free up
            say(gather, flow, lang, flow.phrase("book_wait", lang, key=dialog.KEY_WAIT))
    else:
        question = {dialog.CONFIRM: "book_confirm", dialog.NAME: "book_ask_name", dialog.READBACK: "book_readback",
                    dialog.CANCEL: "cancel_confirm", dialog.CANCEL_NAME: "cancel_ask_name",
                    dialog.CB_OFFER: "callback_offer",
                    dialog.CB_NAME: "callback_ask_name", dialog.CB_NUMBER: "callback_confirm",
                    dialog.CB_DIGITS: "callback_enter_number", dialog.WAIT_NAME: "wait_ask_name"}[state.stage]
        say(gather, flow, lang, flow.phrase(question, lang, **fields))
    _footer(gather, flow, state)
    response.redirect(step_url(state), method="POST")
    return response


def _language_menu(response: VoiceResponse, flow: Flow, result: Result) -> VoiceResponse:
    state = result.state
    if result.present:
        for code in flow.languages:  # emergency guidance first, before anything else
            say(response, flow, code, flow.phrase("call_emergency", code))
    gather = _gather(response, flow, state)  # straight to the choice: every word before an answer costs
    for code, language in flow.languages.items():
        say(gather, flow, code, flow.phrase("choose_language", code, key=language.key, word=language.words[0]))
    response.redirect(step_url(state), method="POST")
    return response


def _transfer(response: VoiceResponse, flow: Flow, lang: str, number: str, announcement: str) -> VoiceResponse:
    if number:
        say(response, flow, lang, announcement)
        response.dial(number, action=dial_done_url(lang), method="POST", timeout=DIAL_TIMEOUT)
    else:
        say(response, flow, lang, flow.phrase("transfer_unavailable", lang, phone=flow.line.clinic_phone))
        response.redirect(node_url(flow.line.start, lang), method="POST")
    return response


def render_dial_done(flow: Flow, lang: str, status: str) -> VoiceResponse:
    """After <Dial>: a finished conversation ends politely; a failed one returns to the menu."""
    response = VoiceResponse()
    if status in ANSWERED:
        say(response, flow, lang, flow.nodes[flow.line.goodbye].say[lang])
        response.hangup()
    else:
        say(response, flow, lang, flow.phrase("transfer_failed", lang, phone=flow.line.clinic_phone))
        response.redirect(node_url(flow.line.start, lang), method="POST")
    return response


def render_error(flow: Flow | None, lang: str, transfer_number: str) -> VoiceResponse:
    """Something broke: apologise, then a person if there is one, else the clinic number."""
    response = VoiceResponse()
    if flow is None:
        response.say(FALLBACK_ERROR)
        response.hangup()
        return response
    lang = lang if lang in flow.languages else flow.default_language
    say(response, flow, lang, flow.phrase("voice_error", lang))
    if transfer_number:
        say(response, flow, lang, flow.phrase("connect_person", lang))
        response.dial(transfer_number, timeout=DIAL_TIMEOUT)
    else:
        say(response, flow, lang, flow.phrase("transfer_unavailable", lang, phone=flow.line.clinic_phone))
        say(response, flow, lang, flow.nodes[flow.line.goodbye].say[lang])
    response.hangup()
    return response
