"""A set of flow files checked as `ivr validate` checks a folder: the loader's errors and the
lint's warnings (ivr/lint), for every publish and every draft save. Remembered by content for a
while: the same files give the same result, and the lint's first run in a process is slow."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from ..flow.loader import content_hash
from ..flow.problems import Problem
from ..lint import lint
from ..storage.flow_versions import Checks

REMEMBERED = 16  # results kept per process


@dataclass(frozen=True)
class Validation:
    problems: tuple[Problem, ...]  # errors and warnings, with hints, files named as given
    version: str  # the content hash's first 12 digits, as the loader names a flow version

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def checks(self) -> Checks:
        """As stored with a version or a draft."""
        return Checks(len(self.errors), len(self.warnings), [as_json(p) for p in self.problems])


def located(problems, where: str) -> list[Problem]:
    """Problems with their files named as in the folder `where` (for `file:line` on a terminal)."""
    return [replace(p, file=str(Path(where) / p.file)) if where else p for p in problems]


def as_json(problem: Problem) -> dict:
    return {"file": problem.file, "line": problem.line, "severity": problem.severity,
            "message": problem.message, "hint": problem.hint}


def from_json(data: dict) -> Problem:
    return Problem(data["file"], data["line"], data["message"], data["severity"], data.get("hint", ""))


_results: OrderedDict[str, Validation] = OrderedDict()
_lock = threading.Lock()


def validate(files: Mapping[str, bytes]) -> Validation:
    key = content_hash(files)
    with _lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key]
    report = lint(dict(files), label="files")
    result = Validation(tuple(report.findings), report.checked.version)
    with _lock:
        _results[key] = result
        while len(_results) > REMEMBERED:
            _results.popitem(last=False)
    return result
