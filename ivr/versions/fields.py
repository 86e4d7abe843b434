"""A set of flow files seen as items and fields, the unit that diffs and merges compare.

An item is one thing staff name: a node, a phrase, or a whole single section (line, languages,
commands, answers, red_flags). Node ids and phrase names are unique across files (the loader
checks it), so an item is the same wherever it lives. A field is one value inside an item, down
to one language of one text: ("say", "es"), ("options", "key=3", "label", "en"). Options are
known by their key (what a caller presses) rather than their place, and their order is a field
of its own, so moving an option and changing its label are separate changes.

Files that cannot be read as YAML are listed as unreadable; their items are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from ..flow.loader import MERGED_SECTIONS, SINGLE_SECTIONS
from ..flow.yaml_lines import load_yaml

ORDER = "#order"  # the field holding the order of a keyed list's entries
Item = tuple  # ("nodes", "main"), ("phrases", "goodbye"), ("line",)
Field = tuple  # ("say", "en")


@dataclass
class FileSet:
    """What a set of flow files holds, item by item."""

    items: dict[Item, Any] = field(default_factory=dict)  # item -> its value as loaded
    where: dict[Item, str] = field(default_factory=dict)  # item -> the file it is in
    unreadable: dict[str, str] = field(default_factory=dict)  # file -> why it cannot be read
    languages: tuple[str, ...] = ()  # the codes under `languages:`, in order

    def fields(self, item: Item) -> dict[Field, Any] | None:
        return flatten(self.items[item]) if item in self.items else None


def read(files: Mapping[str, bytes]) -> FileSet:
    found = FileSet()
    for name in sorted(files):
        try:
            doc = load_yaml(files[name].decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as error:
            found.unreadable[name] = _why(error)
            continue
        if not isinstance(doc, dict):
            if doc is not None:
                found.unreadable[name] = "a flow file must be a mapping of sections"
            continue
        for item, value in items_of(doc):
            if item not in found.items:  # a second definition is the loader's error to report
                found.items[item], found.where[item] = value, name
    languages = found.items.get(("languages",))
    found.languages = tuple(str(code) for code in languages) if isinstance(languages, dict) else ()
    return found


def items_of(doc: dict):
    """(item, value) for every item of one file's sections."""
    for section, value in doc.items():
        if section in MERGED_SECTIONS and isinstance(value, dict):
            for key, item_value in value.items():
                yield (section, str(key)), item_value
        elif section in SINGLE_SECTIONS or section in MERGED_SECTIONS:
            yield (section,), value
        else:
            yield (str(section),), value  # an unknown section: the loader reports it; a diff still shows it


def _why(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"the file is not UTF-8 text ({error.reason})"
    mark = getattr(error, "problem_mark", None)
    return f"YAML syntax at line {mark.line + 1}" if mark else "YAML syntax"


def keyed(value) -> bool:
    """A list of mappings each with its own `key` (a menu's options)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) and "key" in v for v in value):
        return False
    keys = [str(v["key"]) for v in value]
    return len(set(keys)) == len(keys)


def entry(key) -> str:
    return f"key={key}"


def flatten(value, prefix: Field = ()) -> dict[Field, Any]:
    """Every field of a value, with lists as tuples (comparable); an empty mapping is one field."""
    if isinstance(value, dict) and value:
        out: dict[Field, Any] = {}
        for key, sub in value.items():
            out.update(flatten(sub, prefix + (str(key),)))
        return out
    if keyed(value):
        out = {prefix + (ORDER,): tuple(str(v["key"]) for v in value)}
        for sub in value:
            out.update(flatten(sub, prefix + (entry(sub["key"]),)))
        return out
    return {prefix: freeze(value)}


def freeze(value):
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    return value
