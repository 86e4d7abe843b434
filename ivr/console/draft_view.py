"""A draft's files as staff edit them: each node once, in the order callers meet it (breadth-first
from the main menu, then any the menus do not reach), with its texts per language, its options
and the problems the checks found in it. Read from the files as they are, errors and all, so a
draft that does not load still opens in the editor."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..flow.problems import Problem
from ..flow.yaml_lines import LineDict, load_yaml
from ..versions.fields import read

TEXT_FIELDS = ("title", "say", "sms")
FIELD_NAMES = {"title": "Title", "say": "Spoken", "sms": "Texted"}


@dataclass
class OptionView:
    key: str
    goto: str
    label: dict
    words: dict
    keywords: dict


@dataclass
class NodeView:
    id: str
    type: str
    file: str
    depth: int | None  # 0: the main menu; None: no menu leads here
    texts: dict  # field -> {lang: text}, for the fields this node type has
    options: list[OptionView]
    problems: list[Problem] = field(default_factory=list)
    parent: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def missing(self, lang: str) -> list[str]:
        """The texts callers need that this node lacks in `lang` (a texted version is optional)."""
        needed = [f for f in ("title", "say") if f != "say" or self.type != "menu" or any(self.texts["say"].values())]
        return [f for f in needed if not self.texts[f].get(lang)] + [
            f"option {o.key} label" for o in self.options if not o.label.get(lang)]


@dataclass
class DraftView:
    nodes: list[NodeView]
    languages: list[str]
    language_names: dict
    other_problems: list[Problem]  # in files or sections outside any node
    unreadable: dict  # file -> why it cannot be read

    def node(self, node_id: str) -> NodeView | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    @property
    def node_ids(self) -> list[str]:
        return [n.id for n in self.nodes]


def draft_view(files: dict[str, bytes], problems: list[Problem]) -> DraftView:
    found = read(files)
    languages = list(found.languages) or ["en", "es"]
    names = {code: (value or {}).get("name", code) if isinstance(value, dict) else code
             for code, value in (found.items.get(("languages",)) or {}).items()}
    line = found.items.get(("line",)) if isinstance(found.items.get(("line",)), dict) else {}
    nodes = {item[1]: value for item, value in found.items.items()
             if item[0] == "nodes" and isinstance(value, dict)}
    order, depth, parents = _caller_order(nodes, str(line.get("start", "")))
    views = [_node_view(node_id, nodes[node_id], found.where[("nodes", node_id)], depth.get(node_id),
                        parents.get(node_id), languages) for node_id in order]
    placed = _place_problems(files, problems, {v.id: v for v in views})
    return DraftView(views, languages, names, placed, dict(found.unreadable))


def _node_view(node_id: str, node: dict, file: str, depth, parent, languages) -> NodeView:
    kind = str(node.get("type", ""))
    texts = {f: _texts(node.get(f)) for f in TEXT_FIELDS}  # an empty one can be written in
    options = [OptionView(str(o.get("key", "")), str(o.get("goto", "")), _texts(o.get("label")),
                          _words(o.get("words")), _words(o.get("keywords")))
               for o in node.get("options") or [] if isinstance(o, dict)]
    return NodeView(node_id, kind, file, depth, texts, options, parent=parent)


def _texts(value) -> dict:
    return {str(k): "" if v is None else str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _words(value) -> dict:
    if not isinstance(value, dict):
        return {}
    return {str(k): [str(w) for w in v] if isinstance(v, list) else [] for k, v in value.items()}


def _caller_order(nodes: dict, start: str) -> tuple[list[str], dict, dict]:
    depth, parents, order = {}, {}, []
    if start in nodes:
        depth[start], queue = 0, deque([start])
        order.append(start)
        while queue:
            here = queue.popleft()
            for option in nodes[here].get("options") or []:
                goto = str(option.get("goto", "")) if isinstance(option, dict) else ""
                if goto in nodes and goto not in depth:
                    depth[goto], parents[goto] = depth[here] + 1, here
                    order.append(goto)
                    queue.append(goto)
    return order + [n for n in nodes if n not in depth], depth, parents


def _place_problems(files: dict[str, bytes], problems: list[Problem], views: dict[str, NodeView]) -> list[Problem]:
    """Give each problem to the node whose lines hold it; the rest are returned."""
    starts: dict[str, list[tuple[int, str]]] = {}
    ends: dict[str, int] = {}  # the line where the file's next section after `nodes:` begins
    for name, content in files.items():
        try:
            doc = load_yaml(content.decode("utf-8"))
        except Exception:  # noqa: BLE001 - an unreadable file's problems stay with the file
            continue
        section = doc.get("nodes") if isinstance(doc, LineDict) else None
        if isinstance(section, LineDict):
            starts[name] = sorted((line, node_id) for node_id, line in section.key_lines.items())
            after = [line for line in doc.key_lines.values() if line > doc.key_lines["nodes"]]
            ends[name] = min(after, default=10**9)
    rest = []
    for problem in problems:
        owner, name = None, _file_name(problem.file, files)
        for line, node_id in starts.get(name, []):
            if line <= problem.line < ends[name]:
                owner = node_id
        if owner in views:
            views[owner].problems.append(problem)
        else:
            rest.append(problem)
    return rest


def _file_name(file: str, files: dict) -> str:
    """A problem names its file as given, or with a folder before it."""
    return file if file in files else next((name for name in files if file.endswith("/" + name)), file)
