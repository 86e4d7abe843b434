"""YAML loading that remembers line numbers, so every problem can be reported as file:line."""
from __future__ import annotations

import re
from typing import Any

import yaml


class LineDict(dict):
    """A mapping that knows the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict


class LineList(list):
    """A sequence that knows the line it starts on and the line of each item."""

    line: int = 0
    item_lines: list


# libyaml's parser where PyYAML was built with it (about ten times faster: loading the flow was
# most of an app's start); the same safe constructors, resolvers and line marks either way.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.MarkedYAMLError(
                problem=f"'{key}' is given twice", problem_mark=key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


# YAML 1.1 reads yes, no, on and off as true/false; staff mean the words (a "no" answer, the
# Norwegian language code). Only true and false are booleans here, as in YAML 1.2.
_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(text: str) -> Any:
    """Parse YAML text; raises yaml.YAMLError with a mark on bad syntax."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def line_of(doc: Any, path: tuple) -> int:
    """The line of the deepest part of `path` that exists in `doc` (1 if none does)."""
    line = getattr(doc, "line", 1) or 1
    here = doc
    for part in path:
        if isinstance(here, LineDict) and part in here:
            line = here.key_lines[part]
            here = here[part]
        elif isinstance(here, LineList) and isinstance(part, int) and 0 <= part < len(here):
            line = here.item_lines[part]
            here = here[part]
        else:
            break
        if isinstance(here, (LineDict, LineList)) and not isinstance(part, str):
            line = here.line or line
    return line
