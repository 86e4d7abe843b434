"""Bringing a draft up to date with what was published since it started: a three-way merge of
the draft's files (mine) and the live version's (theirs) against the version the draft started
from (base), item by item and field by field (fields.py).

A field changed on one side only takes that side's value. A field changed on both sides to
different values is a conflict: the draft keeps its own value, and the conflict is kept with
the draft (base, mine and theirs) until the person chooses; a draft with conflicts cannot be
published. A file only the live version changed is taken byte for byte; files where both sides
changed things are edited field by field (yaml_edit.py), keeping the draft's comments and layout.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

from . import yaml_edit
from .diff import field_label, label
from .fields import ORDER, FileSet, Item, read

Files = Mapping[str, bytes]


class MergeError(ValueError):
    """The draft cannot be merged as it is (a file of it is not readable YAML)."""


@dataclass(frozen=True)
class Conflict:
    item: tuple
    field: tuple  # () when the whole item was removed on one side and changed on the other
    file: str
    label: str  # "node 'main' say [es]"
    base: object  # the values as plain data; None where it is not there
    mine: object
    theirs: object

    def as_json(self) -> dict:
        return {**asdict(self), "item": list(self.item), "field": list(self.field)}

    @classmethod
    def from_json(cls, data: dict) -> "Conflict":
        return cls(**{**data, "item": tuple(data["item"]), "field": tuple(data["field"])})


@dataclass(frozen=True)
class Merged:
    files: dict[str, bytes]
    conflicts: tuple[Conflict, ...]
    taken: int  # items or fields taken from the live version


def merge(base: Files, mine: Files, theirs: Files) -> Merged:
    if dict(mine) == dict(base) or dict(theirs) == dict(mine):
        return Merged(dict(theirs), (), 0 if dict(theirs) == dict(mine) else 1)
    if dict(theirs) == dict(base):
        return Merged(dict(mine), (), 0)
    b, m, t = read(base), read(mine), read(theirs)
    if m.unreadable:
        name, why = next(iter(m.unreadable.items()))
        raise MergeError(f"{name}: cannot be read ({why}); fix it, then bring the draft up to date")
    writes: list[tuple[Item, tuple]] = []  # (item, field) to take from theirs; field () is the whole item
    conflicts: list[Conflict] = []
    languages = set(b.languages) | set(m.languages) | set(t.languages)
    for item in {**t.items, **m.items, **b.items}:
        bf, mf, tf = b.fields(item), m.fields(item), t.fields(item)
        if mf == tf or tf == bf:
            continue
        if mf == bf:
            writes.append((item, ()))
            continue
        if mf is None or tf is None:  # removed on one side, changed on the other
            conflicts.append(_conflict(item, (), b, m, t, languages))
            continue
        for path in {**tf, **mf, **bf}:
            base_value, mine_value, their_value = bf.get(path), mf.get(path), tf.get(path)
            if mine_value == their_value or their_value == base_value:
                continue
            if mine_value == base_value:
                writes.append((item, path))
            else:
                conflicts.append(_conflict(item, path, b, m, t, languages))
    files = _write(dict(base), dict(mine), dict(theirs), m, t, writes, conflicts)
    return Merged(files, tuple(conflicts), len(writes))


def _conflict(item, path, b: FileSet, m: FileSet, t: FileSet, languages) -> Conflict:
    where = m.where.get(item) or t.where.get(item) or b.where.get(item, "")
    text = label(item) + (f" {field_label(path, languages)}" if path else " (removed on one side)")
    return Conflict(item, tuple(path), where, text, *(plain_at(side, item, path) for side in (b, m, t)))


def plain_at(side: FileSet, item: Item, path: tuple):
    """The value at item/path as plain data (dicts, lists, text), or None."""
    value = side.items.get(item)
    for part in path:
        if value is None:
            return None
        if part == ORDER:
            return [str(v.get("key")) for v in value] if isinstance(value, list) else None
        value = yaml_edit.get(value, (part,))
        if value is yaml_edit.MISSING:
            return None
    return _plain(value)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _write(base: dict, mine: dict, theirs: dict, m: FileSet, t: FileSet, writes, conflicts) -> dict[str, bytes]:
    """The draft's files with the writes taken from the live version, checked item by item."""
    whole = {item for item, path in writes if not path}
    conflicted = {c.file for c in conflicts}
    result = dict(mine)
    for name in set(theirs) | set(mine):  # files the draft never touched, taken whole where that is all they need
        if name in conflicted or (name in mine and mine[name] != base.get(name)):
            continue
        here = {i for i, f in m.where.items() if f == name} | {i for i, f in t.where.items() if f == name}
        if all(i in whole or m.fields(i) == t.fields(i) for i in here):
            if name in theirs:
                result[name] = theirs[name]
            else:
                del result[name]
    taken = read(result)
    docs: dict[str, object] = {}
    their_docs: dict[str, object] = {}
    for item, path in sorted(writes, key=lambda w: bool(w[1]) and w[1][-1] == ORDER):  # reorder once all are in
        if not path and taken.fields(item) == t.fields(item):
            continue  # its file was taken whole
        home = m.where.get(item) if m.where.get(item) in result else t.where.get(item)
        if home is None:
            continue
        if home not in docs:
            docs[home] = yaml_edit.load(result[home]) if home in result else yaml_edit.CommentedMap()
        value = yaml_edit.MISSING
        if item in t.items:
            name = t.where[item]
            if name not in their_docs:
                their_docs[name] = yaml_edit.load(theirs[name])
            value = yaml_edit.get(their_docs[name], (*item, *path))
        if value is yaml_edit.MISSING:
            yaml_edit.remove(docs[home], (*item, *path))
        else:
            yaml_edit.put(docs[home], (*item, *path), value)
    for name, edited in docs.items():
        result[name] = yaml_edit.dump(edited)
    _check(read(result), m, t, writes)
    return result


def _check(merged: FileSet, m: FileSet, t: FileSet, writes) -> None:
    """Every item is what the merge decided: mine, with what it takes from theirs. Nothing is lost
    quietly: where the files could not be written so, the merge is refused."""
    expected = {item: m.fields(item) for item in m.items}
    for item, path in writes:
        if not path:
            expected[item] = t.fields(item)
            continue
        fields = dict(expected.get(item) or {})
        their_value = (t.fields(item) or {}).get(path)
        if their_value is None:
            fields.pop(path, None)
        else:
            fields[path] = their_value
        expected[item] = fields
    for item, fields in expected.items():
        if merged.fields(item) != fields:
            raise MergeError(f"{label(item)} could not be brought up to date automatically; "
                             "start a new draft from the live version and make the change again")
