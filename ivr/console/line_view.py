"""The line in the order callers meet it, for staff: each node once, breadth-first from the main
menu (then any the menus do not reach), with its texts per language and what is missing."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..flow.flow import Flow

TEXT_FIELDS = ("title", "say", "sms")


@dataclass(frozen=True)
class NodeOutline:
    id: str
    type: str
    depth: int  # 0: the main menu; 1: a topic; 2: a page below a topic
    texts: dict  # field -> {lang: text}
    options: list  # (key, label per language, goto)
    missing: list  # (field, lang) with no text


@dataclass(frozen=True)
class Outline:
    nodes: list[NodeOutline]
    languages: list[str]
    completeness: dict  # lang -> share of the texts that have it (0..1)


def line_outline(flow: Flow) -> Outline:
    langs = list(flow.languages)
    order, depth = _caller_order(flow)
    nodes, have, wanted = [], dict.fromkeys(langs, 0), 0
    for node_id in order:
        node = flow.nodes[node_id]
        texts = {f: getattr(node, f) for f in TEXT_FIELDS if getattr(node, f) is not None}
        missing = [(f, lang) for f, text in texts.items() for lang in langs if not (text.get(lang) or "").strip()]
        options = [(o.key, o.label, o.goto) for o in node.options]
        for text in list(texts.values()) + [o.label for o in node.options]:
            wanted += 1
            for lang in langs:
                have[lang] += bool((text.get(lang) or "").strip())
        nodes.append(NodeOutline(node_id, node.type, depth.get(node_id, 0), texts, options, missing))
    completeness = {lang: (have[lang] / wanted if wanted else 1.0) for lang in langs}
    return Outline(nodes, langs, completeness)


def _caller_order(flow: Flow) -> tuple[list[str], dict[str, int]]:
    start = flow.line.start
    seen, depth, queue = [start], {start: 0}, deque([start])
    while queue:
        node_id = queue.popleft()
        for option in flow.nodes[node_id].options:
            if option.goto in flow.nodes and option.goto not in depth:
                depth[option.goto] = depth[node_id] + 1
                seen.append(option.goto)
                queue.append(option.goto)
    return seen + [n for n in flow.nodes if n not in depth], depth
