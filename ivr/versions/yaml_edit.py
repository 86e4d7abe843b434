"""Changing one field of a flow file and keeping the rest of it as staff wrote it.

The loader reads flow files with PyYAML (fast, with line numbers) and never writes them. Edits
made field by field (the console's, a merge's) go through ruamel.yaml's round trip instead, which
keeps comments, key order, quoting and flow-style lists; a file no edit touches keeps its bytes.

Paths are as in fields.py: an item (("nodes", "main"), ("line",)) then a field (("say", "en"),
("options", "key=3", "label", "en"), or an option by its place, ("options", 2)).
"""
from __future__ import annotations

import copy
import io

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .fields import ORDER

MISSING = object()


class EditError(ValueError):
    """The path does not lead anywhere in this file (e.g. an option key that is not there)."""


def _yaml() -> YAML:
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long sentence over lines
    yaml.indent(mapping=2, sequence=4, offset=2)  # the flow files' layout: "  - key: 1" under "options:"
    return yaml


def load(content: bytes) -> CommentedMap:
    doc = _yaml().load(content.decode("utf-8"))
    return doc if doc is not None else CommentedMap()


def dump(doc) -> bytes:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue().encode("utf-8")


def _key_in(mapping, part: str):
    """The mapping's own key for `part` (YAML may have read `1:` as a number)."""
    for key in mapping:
        if str(key) == part:
            return key
    if part.isdigit() and any(isinstance(k, int) for k in mapping):
        return int(part)
    return part


def _step(container, part, create: bool):
    """The child of `container` at `part`; with create, an empty mapping where none is."""
    if isinstance(container, dict):
        key = _key_in(container, str(part))
        if key not in container:
            if not create:
                return MISSING
            container[key] = CommentedMap()
        return container[key]
    if isinstance(container, list):
        index = _index(container, part)
        if index is None:
            if not create or not str(part).startswith("key="):
                return MISSING
            container.append(CommentedMap(key=_option_key(part)))
            index = len(container) - 1
        return container[index]
    return MISSING


def _option_key(part: str):
    key = part[4:]
    return int(key) if key.isdigit() else key


def _index(seq: list, part) -> int | None:
    if isinstance(part, int):
        return part if 0 <= part < len(seq) else None
    if str(part).startswith("key="):
        wanted = str(part)[4:]
        return next((i for i, v in enumerate(seq) if isinstance(v, dict) and str(v.get("key")) == wanted), None)
    return None


def get(doc, path: tuple):
    """The value at path, or MISSING."""
    here = doc
    for part in path:
        here = _step(here, part, create=False)
        if here is MISSING:
            return MISSING
    return here


def put(doc, path: tuple, value) -> None:
    """Set the value at path, making the mappings on the way; a keyed list's ORDER reorders it."""
    *parents, last = path
    if last == ORDER:
        seq = get(doc, tuple(parents))
        if not isinstance(seq, list):
            raise EditError(f"{'/'.join(map(str, parents))} is not a list of options")
        _reorder(seq, [str(k) for k in value])
        return
    here = doc
    for part in parents:
        here = _step(here, part, create=True)
        if here is MISSING:
            raise EditError(f"nothing at {part!r} in {'/'.join(map(str, path))}")
    if isinstance(here, dict):
        key = _key_in(here, str(last))
        here[key] = _styled(value, here.get(key))
    elif isinstance(here, list):
        index = _index(here, last)
        if index is None:
            if not str(last).startswith("key="):
                raise EditError(f"no entry {last!r} in {'/'.join(map(str, parents))}")
            here.append(_styled(value, None))
        else:
            here[index] = _styled(value, here[index])
    else:
        raise EditError(f"{'/'.join(map(str, parents))} is a value, not a mapping")


def remove(doc, path: tuple) -> None:
    """Delete the value at path (nothing when it is not there)."""
    *parents, last = path
    here = get(doc, tuple(parents))
    if isinstance(here, dict):
        key = _key_in(here, str(last))
        if key in here:
            del here[key]
    elif isinstance(here, list):
        index = _index(here, last)
        if index is not None:
            del here[index]


def _reorder(seq: CommentedSeq, keys: list[str]) -> None:
    by_key = {str(v.get("key")): v for v in seq if isinstance(v, dict)}
    ordered = [by_key[k] for k in keys if k in by_key]
    seq[:] = ordered


def _styled(value, old):
    """A plain value in the style of the one it replaces (flow-style lists stay on one line)."""
    if isinstance(value, (CommentedMap, CommentedSeq)):
        return copy.deepcopy(value)
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq(_styled(v, None) for v in value)
        if old is None or (isinstance(old, CommentedSeq) and old.fa.flow_style()):
            if all(not isinstance(v, (dict, list, tuple)) for v in value):
                seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, sub in value.items():
            mapping[key] = _styled(sub, old.get(key) if isinstance(old, dict) else None)
        return mapping
    return value
