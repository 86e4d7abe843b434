"""What changed between two sets of flow files, node by node and language by language, for
staff to read: `ivr flows diff`, the history's one-line summaries, and the console's review before
publishing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .fields import ORDER, FileSet, Item, read


@dataclass(frozen=True)
class FieldChange:
    field: tuple  # ("say", "en"), ("options", "key=3", "label", "es")
    before: object  # None: not there before
    after: object  # None: not there now


@dataclass(frozen=True)
class ItemChange:
    item: Item
    kind: str  # added, removed or changed
    file: str  # where it is now (where it was, when removed)
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Diff:
    items: tuple[ItemChange, ...]
    languages: tuple[str, ...]  # the languages whose texts or words changed
    unreadable: dict = field(default_factory=dict)  # "before: main.yaml" -> why; those items are not compared
    known_languages: tuple[str, ...] = ()  # every language of either side

    @property
    def empty(self) -> bool:
        return not self.items and not self.unreadable

    def summary(self) -> dict:
        """For the history: node ids added, removed and changed; other items changed; languages."""
        nodes = {kind: [c.item[1] for c in self.items if c.item[0] == "nodes" and c.kind == kind]
                 for kind in ("added", "removed", "changed")}
        other = [label(c.item) for c in self.items if c.item[0] != "nodes"]
        return {**nodes, "other": other, "languages": list(self.languages)}


def compare(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> Diff:
    old, new = read(before), read(after)
    skip = _unreadable_items(old, new)
    languages = set(old.languages) | set(new.languages)
    changes, touched = [], set()
    for item in _in_order(old, new):
        if item in skip:
            continue
        was, now = old.fields(item), new.fields(item)
        if was == now:
            continue
        kind = "added" if was is None else "removed" if now is None else "changed"
        was, now = was or {}, now or {}
        fields = tuple(FieldChange(f, was.get(f), now.get(f)) for f in _field_order(was, now)
                       if was.get(f) != now.get(f))
        touched.update(f.field[-1] for f in fields if f.field and f.field[-1] in languages)
        changes.append(ItemChange(item, kind, new.where.get(item) or old.where[item], fields))
    unreadable = {**{f"before: {n}": why for n, why in old.unreadable.items()},
                  **{f"after: {n}": why for n, why in new.unreadable.items()}}
    order = [*new.languages, *old.languages]
    return Diff(tuple(changes), tuple(sorted(touched, key=lambda c: order.index(c) if c in order else 99)),
                unreadable, tuple(dict.fromkeys(order)))


def _unreadable_items(old: FileSet, new: FileSet) -> set:
    """Items of a file unreadable on either side: they would look removed (or added) otherwise."""
    bad = set(old.unreadable) | set(new.unreadable)
    return {item for side in (old, new) for item, file in side.where.items() if file in bad}


def _in_order(old: FileSet, new: FileSet) -> list[Item]:
    """Items as the files list them: the new files' order, then what only the old ones had."""
    seen = dict.fromkeys(new.items)
    seen.update(dict.fromkeys(old.items))
    return list(seen)


def _field_order(was: dict, now: dict) -> list:
    seen = dict.fromkeys(now)
    seen.update(dict.fromkeys(was))
    return list(seen)


def label(item: Item) -> str:
    """("nodes", "main") -> "node 'main'"; ("line",) -> "line"."""
    if len(item) == 2:
        return f"{item[0][:-1]} '{item[1]}'"
    return item[0]


def field_label(path: tuple, languages) -> str:
    """("options", "key=3", "label", "en") -> "option 3 label [en]"."""
    words, lang = [], None
    parts = list(path)
    if parts and parts[-1] in languages:
        lang = parts.pop()
    while parts:
        part = parts.pop(0)
        if part == "options" and parts and str(parts[0]).startswith("key="):
            words.append(f"option {parts.pop(0)[4:]}")
        elif part == ORDER:
            words.append("order")
        elif part == "options" and parts and parts[0] == ORDER:
            words.append("options' order")
            parts.pop(0)
        else:
            words.append(str(part))
    text = " ".join(words)
    return f"{text} [{lang}]".strip() if lang else text or "the whole of it"


def _shown(value) -> str:
    if isinstance(value, tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def render(diff: Diff, title_before: str, title_after: str) -> str:
    """The diff as text for a terminal: each item, then each field with the old and new value."""
    lines = [f"--- {title_before}", f"+++ {title_after}"]
    if diff.empty:
        return "\n".join(lines + ["no changes"]) + "\n"
    languages = set(diff.known_languages)
    for change in diff.items:
        lines.append(f"{label(change.item)} ({change.file}): {change.kind}")
        for f in change.fields:
            lines.append(f"  {field_label(f.field, languages)}")
            if f.before is not None:
                lines.append(f"    - {_shown(f.before)}")
            if f.after is not None:
                lines.append(f"    + {_shown(f.after)}")
    for where, why in diff.unreadable.items():
        lines.append(f"{where}: cannot be read ({why}); its contents are not compared")
    return "\n".join(lines) + "\n"


def one_line(summary: dict) -> str:
    """A history row's summary: "changed main, hours; added x (en, es)"."""
    if not summary:
        return ""
    parts = [f"{kind} {', '.join(summary[kind])}" for kind in ("changed", "added", "removed") if summary.get(kind)]
    if summary.get("other"):
        parts.append(f"changed {', '.join(summary['other'])}")
    text = "; ".join(parts) or "no changes"
    if summary.get("first"):
        text = "first version"
    if summary.get("restores") is not None:
        text = f"back to version {summary['restores']}: {text}"
    return text + (f" ({', '.join(summary['languages'])})" if summary.get("languages") else "")
