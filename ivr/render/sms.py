"""SMS replies composed from an engine result: short, plain, at most 3 billed parts."""
from __future__ import annotations

from datetime import tzinfo

from ..booking import dialog
from ..engine.step import Result
from ..flow import Flow
from .fields import phrase_fields, slot_time
from .gsm import MAX_SEGMENTS, segments, to_gsm7

NOTICES = {"no_match": "sms_not_understood", "no_input": "sms_not_understood"}
# After these, the reply is the notice alone: the booking is done, nothing else to choose.
FINAL_NOTICES = {"book_done", "cancel_done", "cancel_kept", "cancel_none", "reminder_confirmed", "reminder_help",
                 "move_done", "offer_help", "offer_declined", "wait_joined", "wait_no_texts"}
# Lower numbers are kept longest when a reply would run past 3 parts.
KEEP_NOTICE, KEEP_CONTENT, KEEP_LIST, KEEP_HINT, KEEP_WELCOME = 0, 1, 1, 3, 2


def fit(parts: list[tuple[str, int]], max_segments: int = MAX_SEGMENTS) -> str:
    """Join parts by line; drop the least needed ones, then cut words, until it fits."""
    parts = [(to_gsm7(text), keep) for text, keep in parts if text]
    while len(parts) > 1 and segments("\n".join(t for t, _ in parts)) > max_segments:
        least = max(range(len(parts)), key=lambda i: (parts[i][1], i))
        if parts[least][1] == KEEP_NOTICE:
            break
        parts.pop(least)
    text = "\n".join(t for t, _ in parts)
    while segments(text) > max_segments:
        text = text[: text.rstrip(".").rfind(" ")].rstrip(" ,;:") + "..."
    return text


def menu_lines(flow: Flow, node_id: str, lang: str) -> str:
    node = flow.nodes[node_id]
    lines = []
    for option in node.options:
        label = option.label[lang]
        lines.append(f"{option.key} {label[:1].upper()}{label[1:]}")
    return "\n".join(lines)


def _notice_phrase(flow: Flow, notice: str) -> str | None:
    name = NOTICES.get(notice, f"sms_{notice}")
    return name if name in flow.phrases else None


def compose(flow: Flow, result: Result, welcome: bool = False, zone: tzinfo | None = None) -> str:
    """The reply to a text, cut to fit 3 billed parts."""
    return fit(reply_parts(flow, result, welcome, zone))


def page_text(node, lang: str) -> str:
    """A node's text message: its `sms`, or what is said where there is no shorter version."""
    return (node.sms or {}).get(lang) or (node.say or {}).get(lang, "")


def reply_parts(flow: Flow, result: Result, welcome: bool = False, zone: tzinfo | None = None) -> list[tuple[str, int]]:
    """The pieces of a reply, each with how long it is kept when the reply is too long."""
    state, lang = result.state, result.state.lang
    node = flow.nodes[state.node]
    fields = phrase_fields(flow, result, zone, spoken=False)
    parts: list[tuple[str, int]] = [
        (flow.phrase(name, lang, **fields), KEEP_NOTICE)
        for name in (_notice_phrase(flow, n) for n in result.notices) if name
    ]
    if FINAL_NOTICES & set(result.notices):
        return parts
    if state.stage:
        return parts + _dialog_parts(flow, result, fields, zone)
    if not result.present:
        # Not understood: the choices they can reply with, not the page again.
        menu = state.node if node.options else flow.back_of(state.node)
        return parts + [(menu_lines(flow, menu, lang), KEEP_LIST), (flow.phrase("sms_menu_hint", lang), KEEP_HINT)]
    if welcome:
        parts.append((flow.phrase("sms_welcome", lang, name=flow.name(lang)), KEEP_WELCOME))
    else:
        parts.append((page_text(node, lang), KEEP_CONTENT))
    if node.options:
        parts.append((menu_lines(flow, state.node, lang), KEEP_LIST))
        parts.append((flow.phrase("sms_menu_hint", lang), KEEP_HINT))
    else:
        parts.append((flow.phrase("sms_page_footer", lang), KEEP_HINT))
    return parts


def _dialog_parts(flow: Flow, result: Result, fields: dict, zone) -> list[tuple[str, int]]:
    """A booking step by text: the numbered open times, or the one question of this step."""
    state, lang, view = result.state, result.state.lang, result.view
    if state.stage not in (dialog.CHOOSE, dialog.MOVE):
        question = {dialog.NAME: "sms_book_ask_name", dialog.READBACK: "sms_book_confirm",
                    dialog.CANCEL: "sms_cancel_confirm", dialog.WAIT_NAME: "sms_wait_ask_name"}.get(state.stage)
        return [(flow.phrase(question, lang, **fields), KEEP_CONTENT)] if question else []
    booking = state.stage == dialog.CHOOSE  # else moving a booking: no waitlist to join
    wait = [(flow.phrase("sms_book_wait", lang), KEEP_HINT)] if booking else []
    if not view.offered:
        none = "sms_book_none" if booking else "sms_move_none"
        return [(flow.phrase(none, lang, **fields), KEEP_CONTENT)] + wait
    lines = [f"{key} {slot_time(slot, lang, zone, spoken=False)}" for key, slot in enumerate(view.offered, 1)]
    if view.more:
        lines.append(f"{dialog.KEY_MORE} {flow.phrase('sms_book_more', lang)}")
    intro = page_text(flow.nodes[state.node], lang) if booking and result.event not in ("more", "taken") else ""
    hint = "sms_book_hint" if booking else "sms_move_hint"
    return [(intro, KEEP_HINT), ("\n".join(lines), KEEP_CONTENT),
            (flow.phrase(hint, lang, key=dialog.KEY_MORE), KEEP_LIST)] + wait


def phrase(flow: Flow, name: str, lang: str) -> str:
    """A fixed reply (help, opt-out, error) in the texter's language."""
    return fit([(flow.phrase(name, lang, name=flow.name(lang), phone=flow.line.clinic_phone), KEEP_NOTICE)])
