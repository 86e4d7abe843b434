"""The whole line as a picture: menus, their options (key, spoken words, SMS keywords), content
pages, and the emergency, transfer, booking and goodbye ends.

`mermaid()` gives Mermaid text (GitHub shows it as a picture in Markdown); `dot()` gives a
Graphviz graph, and `draw()` renders it as SVG or PNG with Graphviz's `dot` program.
"""
from __future__ import annotations

from dataclasses import dataclass

import graphviz

from .flow import Flow

MAX_WORDS = 6  # spoken words shown on an option; the rest are counted
ANYWHERE = "anywhere"
CALLER = "caller"
# Node types: (Mermaid shape opening, closing), Graphviz shape, fill colour.
STYLES = {
    "menu": (("(", ")"), "box", "#dbeafe"),
    "page": (("[", "]"), "note", "#f8fafc"),
    "emergency": (("{{", "}}"), "octagon", "#fecaca"),
    "transfer": (("([", "])"), "box3d", "#fde68a"),
    "booking": (("[[", "]]"), "component", "#bbf7d0"),
    "goodbye": (("((", "))"), "ellipse", "#e5e7eb"),
}
DEFAULT_STYLE = (("[", "]"), "box", "#ffffff")


class GraphvizMissing(RuntimeError):
    """Graphviz's `dot` program is not installed."""

    def __init__(self, fmt: str):
        super().__init__(
            f"drawing {fmt.upper()} needs Graphviz's `dot` program, which is not installed here.\n"
            "Install it with:  apt-get install graphviz   (on a Mac: brew install graphviz)\n"
            "or leave out --format to get Mermaid text, which needs nothing.")


@dataclass(frozen=True)
class Box:
    id: str
    title: str
    kind: str


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    lines: tuple[str, ...]
    anywhere: bool = False  # works from every menu (commands, red flags)


def _words(words: list[str]) -> str:
    shown = ", ".join(words[:MAX_WORDS])
    return shown + (f" (+{len(words) - MAX_WORDS} more)" if len(words) > MAX_WORDS else "")


def _choice(key: str | None, words: list[str], keywords: list[str]) -> tuple[str, ...]:
    lines = []
    if key:
        lines.append(f"press {key}")
    if words:
        lines.append(f"say: {_words(words)}")
    if keywords:
        lines.append(f"text: {', '.join(keywords)}")
    return tuple(lines)


def layout(flow: Flow, lang: str) -> tuple[list[Box], list[Arrow]]:
    """What to draw, the same for every format."""
    boxes = [Box(CALLER, flow.name(lang), "caller")]
    boxes += [Box(node_id, node.title[lang], node.type) for node_id, node in flow.nodes.items()]
    boxes.append(Box(ANYWHERE, "from any menu, or in any text", "anywhere"))
    arrows = [Arrow(CALLER, flow.line.start, ("call or text",))]
    for node_id, node in flow.nodes.items():
        for option in node.options:
            arrows.append(Arrow(node_id, option.goto, _choice(
                option.key, option.words.get(lang, []), option.keywords.get(lang, []))))
    arrows.append(Arrow(ANYWHERE, flow.line.emergency, ("red-flag words",), anywhere=True))
    ends = {"main": flow.line.start, "person": flow.line.person, "goodbye": flow.line.goodbye}
    for name, target in ends.items():
        command = getattr(flow.commands, name)
        arrows.append(Arrow(ANYWHERE, target, _choice(
            command.key, command.words.get(lang, []), command.keywords.get(lang, [])), anywhere=True))
    return boxes, arrows


# ---- Mermaid ----

def _mermaid_id(node_id: str) -> str:
    return "n_" + node_id.replace("-", "_")  # node ids are [a-z0-9-]: this cannot collide


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def mermaid(flow: Flow, lang: str) -> str:
    boxes, arrows = layout(flow, lang)
    out = ["flowchart LR"]
    for box in boxes:
        if box.kind == "caller":
            out.append(f"    {_mermaid_id(box.id)}[/{_mermaid_text(box.title)}/]")
        elif box.kind == "anywhere":
            out.append(f"    {_mermaid_id(box.id)}>{_mermaid_text(box.title)}]")
        else:
            (opening, closing), _, _ = STYLES.get(box.kind, DEFAULT_STYLE)
            label = _mermaid_text(f"{box.title}<br/>{box.kind}: {box.id}")
            out.append(f"    {_mermaid_id(box.id)}{opening}{label}{closing}")
    for arrow in arrows:
        link = "-.->" if arrow.anywhere else "-->"
        label = _mermaid_text("<br/>".join(arrow.lines))
        out.append(f"    {_mermaid_id(arrow.source)} {link}|{label}| {_mermaid_id(arrow.target)}")
    for kind, (_, _, colour) in STYLES.items():
        members = [_mermaid_id(b.id) for b in boxes if b.kind == kind]
        if members:
            out.append(f"    classDef {kind} fill:{colour},stroke:#334155")
            out.append(f"    class {','.join(members)} {kind}")
    return "\n".join(out) + "\n"


# ---- Graphviz ----

CHANGED_STYLE = {"color": "#b45309", "penwidth": "3"}  # a node a draft changes (the console's overview)


def dot(flow: Flow, lang: str, marked: frozenset[str] = frozenset()) -> graphviz.Digraph:
    """The line as a Graphviz graph; `marked` nodes (those a draft changes) get a thick border and
    "changed" in their label, so the mark does not rest on colour alone."""
    boxes, arrows = layout(flow, lang)
    graph = graphviz.Digraph("line", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                             node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "filled"},
                             edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    for box in boxes:
        if box.kind == "caller":
            graph.node(box.id, box.title, shape="parallelogram", fillcolor="#ffffff")
        elif box.kind == "anywhere":
            graph.node(box.id, box.title, shape="cds", fillcolor="#ffffff")
        else:
            _, shape, colour = STYLES.get(box.kind, DEFAULT_STYLE)
            changed = box.id in marked
            graph.node(box.id, f"{box.title}\\n{box.kind}: {box.id}" + ("\\n(changed)" if changed else ""),
                       shape=shape, fillcolor=colour, style="filled,rounded" if box.kind == "menu" else "filled",
                       **(CHANGED_STYLE if changed else {}))
    for arrow in arrows:
        graph.edge(arrow.source, arrow.target, "\\n".join(arrow.lines),
                   style="dashed" if arrow.anywhere else "solid")
    return graph


def draw(flow: Flow, lang: str, fmt: str, marked: frozenset[str] = frozenset()) -> bytes:
    """SVG or PNG, drawn by Graphviz; raises GraphvizMissing when `dot` is not installed."""
    try:
        return dot(flow, lang, marked).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(fmt) from None


def markdown_page(flow: Flow, lang: str, chart: str) -> str:
    """A Markdown page around the Mermaid text (GitHub shows the chart as a picture)."""
    return (f"# The line as a picture\n\n"
            f"Drawn from the flow files (version `{flow.version}`) by `ivr graph -o docs/line.md`; "
            f"`ivr graph --format svg -o docs/line.svg` draws the same with Graphviz. Solid arrows are "
            f"menu options (the key to press, words to say, keywords to text, in "
            f"{flow.languages[lang].name}); dashed arrows work from every menu and in any text.\n\n"
            f"```mermaid\n{chart}```\n")
