"""Read flows/*.yaml into a checked Flow, or fail with every problem as file:line: message."""
from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml
from pydantic import ValidationError

from .checks import check_flow
from .flow import Flow
from .model import FlowFile
from .problems import FlowError, Problem, describe
from .yaml_lines import LineDict, line_of, load_yaml

FILE_SUFFIXES = (".yaml", ".yml")
SINGLE_SECTIONS = ("line", "languages", "commands", "answers", "red_flags")
MERGED_SECTIONS = ("phrases", "nodes")


class Sources:
    """Finds the file and line behind any part of the merged flow, for problem reports."""

    def __init__(self):
        self._docs: dict[tuple, tuple[str, LineDict]] = {}

    def add(self, key: tuple, file: str, doc: LineDict) -> None:
        self._docs[key] = (file, doc)

    def has(self, key: tuple) -> bool:
        return key in self._docs

    def file_of(self, key: tuple) -> str:
        return self._docs[key][0]

    def at(self, *path) -> tuple[str, int]:
        for size in (2, 1):
            if tuple(path[:size]) in self._docs:
                file, doc = self._docs[tuple(path[:size])]
                return file, line_of(doc, tuple(path))
        return "flows", 1

    def problem(self, path: tuple, message: str, severity: str = "error", hint: str = "") -> Problem:
        file, line = self.at(*path)
        return Problem(file, line, message, severity, hint)

    def warning(self, path: tuple, message: str, hint: str) -> Problem:
        """A warning about the part of the flow at `path`, with what to do about it."""
        return self.problem(path, message, "warning", hint)

    def place(self, path: tuple) -> str:
        """file:line of the part of the flow at `path`."""
        file, line = self.at(*path)
        return f"{file}:{line}"


def _pydantic_problems(file: str, doc, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not str(p).startswith("function-"))
        if item["type"] == "extra_forbidden":
            message = f"{describe(loc)}: unknown field '{loc[-1]}'"
        elif item["type"] == "missing":
            message = f"{describe(loc)}: this field is required"
        else:
            message = f"{describe(loc)}: {item['msg']}"
        problems.append(Problem(file, line_of(doc, loc), message))
    return problems


def flow_files(path: str | Path) -> list[Path]:
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.suffix in FILE_SUFFIXES and p.is_file())


FlowFiles = Mapping[str, bytes]  # a set of flow files: name (e.g. "main.yaml") -> its bytes


def read_folder(path: str | Path) -> tuple[dict[str, bytes], str]:
    """The flow files at `path` (a folder, or one file) as name -> bytes, and the folder the names
    are relative to ("" for the current one), for problem reports."""
    path = Path(path)
    files = flow_files(path) if path.exists() else []
    folder = path if path.is_dir() or not path.exists() else path.parent
    return {f.name: f.read_bytes() for f in files}, "" if str(folder) == "." else str(folder)


def content_hash(files: FlowFiles) -> str:
    """What a set of flow files holds, as a hex digest: the same files give the same hash from
    any folder or from the database."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def _read(files: FlowFiles, where: str) -> tuple[dict[str, FlowFile], Sources, list[Problem]]:
    """Parse and type-check each file on its own; nothing cross-file yet."""
    parsed: dict[str, FlowFile] = {}
    sources = Sources()
    problems: list[Problem] = []
    if not files:
        problems.append(Problem(where or "flows", 1, "no flow files (*.yaml) found here"))
    for bare in sorted(files):
        name = str(Path(where) / bare) if where else bare
        raw = files[bare]
        try:
            doc = load_yaml(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, 1, f"the file is not UTF-8 text ({exc.reason})"))
            continue
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            problems.append(Problem(name, line, f"YAML syntax: {exc.problem or exc.context}"))
            continue
        if doc is None:
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(name, 1, "a flow file must be a mapping of sections"))
            continue
        try:
            parsed[name] = FlowFile.model_validate(doc)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(name, doc, exc))
            continue
        for section in SINGLE_SECTIONS:
            if section in doc:
                if sources.has((section,)):
                    other, other_line = sources.file_of((section,)), sources.at(section)[1]
                    problems.append(Problem(
                        name, doc.key_lines[section],
                        f"section '{section}' is also in {other}:{other_line}; keep one",
                    ))
                sources.add((section,), name, doc)
        for section in MERGED_SECTIONS:
            for key in doc.get(section) or {}:
                if sources.has((section, key)):
                    other = sources.file_of((section, key))
                    kind = section[:-1]
                    problems.append(Problem(
                        name, line_of(doc, (section, key)),
                        f"{kind} '{key}' is defined twice (also at {other}:{sources.at(section, key)[1]})",
                    ))
                    continue
                sources.add((section, key), name, doc)
    return parsed, sources, problems


def parents_of(start: str, nodes: dict) -> dict[str, str]:
    """Breadth-first from the start: a node's parent is the first menu that leads to it."""
    parents = {start: start}
    queue = deque([start])
    while queue:
        node_id = queue.popleft()
        for option in nodes[node_id].options:
            if option.goto in nodes and option.goto not in parents:
                parents[option.goto] = node_id
                queue.append(option.goto)
    return parents


@dataclass(frozen=True)
class Checked:
    """What the flow files hold: every problem found, and the flow when it can be served."""

    problems: list[Problem]  # errors and warnings, sorted by file and line
    version: str  # hash of the files' content, also for a version that was refused
    files: tuple[str, ...]  # the files read, named as in the problems
    sources: Sources  # the file and line behind any part of the flow
    flow: Flow | None  # None when there is an error
    found: int = 0  # flow files given, read or not

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def check_files(path: str | Path | FlowFiles, where: str = "") -> Checked:
    """Read and check a set of flow files: a folder (or one file) on disk, or name -> bytes (a
    version or draft from the database, named relative to `where` in problems). The one path
    that start-up, reloads, publishing and `ivr validate` share."""
    files, where = (dict(path), where) if isinstance(path, Mapping) else read_folder(path)
    parsed, sources, problems = _read(files, where)
    version = content_hash(files)[:12]
    merged: dict = {"phrases": {}, "nodes": {}}
    for file_model in parsed.values():
        for section in SINGLE_SECTIONS:
            if getattr(file_model, section) is not None:
                merged.setdefault(section, getattr(file_model, section))
        for section in MERGED_SECTIONS:
            for key, value in getattr(file_model, section).items():
                merged[section].setdefault(key, value)
    for section in SINGLE_SECTIONS:
        if section not in merged and not problems:
            problems.append(Problem(where or "flows", 1, f"section '{section}' is missing from every flow file"))
    if not problems:  # cross-file checks need every file read and every section present
        problems = check_flow(merged, sources)
    flow = None
    if not any(p.severity == "error" for p in problems):
        flow = Flow(
            line=merged["line"],
            languages=merged["languages"],
            commands=merged["commands"],
            answers=merged["answers"],
            red_flags=merged["red_flags"],
            phrases=merged["phrases"],
            nodes=merged["nodes"],
            parents=parents_of(merged["line"].start, merged["nodes"]),
            version=version,
            files=tuple(parsed),
        )
    return Checked(sorted(problems), version, tuple(parsed), sources, flow, len(files))


def load_flow(path: str | Path | FlowFiles, where: str = "") -> Flow:
    """The flow to serve; raises FlowError with every error when the files cannot be served."""
    checked = check_files(path, where)
    if checked.flow is None:
        raise FlowError(checked.errors)
    return checked.flow
