"""What `ivr validate` reports: a finding at a file and line, with a hint on what to do."""
from __future__ import annotations

from dataclasses import dataclass

from .loader import Sources


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    severity: str  # "error" or "warning"
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


def warning_at(sources: Sources, path: tuple, message: str, hint: str) -> Finding:
    """A warning about the part of the flow at `path` (as in the loader's problems)."""
    where = sources.problem(path, message, "warning")
    return Finding(where.file, where.line, "warning", message, hint)


def located(sources: Sources, path: tuple) -> str:
    file, line = sources.at(*path)
    return f"{file}:{line}"
