"""SMS replies composed from an engine result: short, plain, at most 3 billed parts."""
from __future__ import annotations

from ..engine.step import Result
from ..flow import Flow
from .gsm import MAX_SEGMENTS, segments, to_gsm7

NOTICES = {"no_match": "sms_not_understood", "no_input": "sms_not_understood"}
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


def compose(flow: Flow, result: Result, welcome: bool = False) -> str:
    state, lang = result.state, result.state.lang
    node = flow.nodes[state.node]
    parts: list[tuple[str, int]] = [
        (flow.phrase(NOTICES[n], lang), KEEP_NOTICE) for n in result.notices if n in NOTICES
    ]
    if not result.present:
        # Not understood: the choices they can reply with, not the page again.
        menu = state.node if node.options else flow.back_of(state.node)
        parts.append((menu_lines(flow, menu, lang), KEEP_LIST))
        parts.append((flow.phrase("sms_menu_hint", lang), KEEP_HINT))
        return fit(parts)
    if welcome:
        parts.append((flow.phrase("sms_welcome", lang, name=flow.name(lang)), KEEP_WELCOME))
    else:
        parts.append(((node.sms or node.say or {}).get(lang, ""), KEEP_CONTENT))
    if node.options:
        parts.append((menu_lines(flow, state.node, lang), KEEP_LIST))
        parts.append((flow.phrase("sms_menu_hint", lang), KEEP_HINT))
    else:
        parts.append((flow.phrase("sms_page_footer", lang), KEEP_HINT))
    return fit(parts)


def phrase(flow: Flow, name: str, lang: str) -> str:
    """A fixed reply (help, opt-out, error) in the texter's language."""
    return fit([(flow.phrase(name, lang, name=flow.name(lang), phone=flow.line.clinic_phone), KEEP_NOTICE)])
