"""Problems found in flow files, reported the way an editor can jump to them.

The loader's errors and `ivr validate`'s warnings are the same type: a place (file and line),
a severity, what is wrong, and a hint on what to do about it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str
    severity: str = "error"  # or "warning"
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def labelled(self) -> str:
        """As `ivr validate` prints it: file:line: error|warning: message."""
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


class FlowError(Exception):
    """The flow files cannot be served; `problems` says exactly where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def describe(loc: tuple) -> str:
    """('nodes', 'treatment', 'options', 2, 'goto') -> "node 'treatment' option 3 goto"."""
    words: list[str] = []
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if part == "nodes" and parts:
            words.append(f"node '{parts.pop(0)}'")
        elif part == "phrases" and parts:
            words.append(f"phrase '{parts.pop(0)}'")
        elif part == "options" and parts and isinstance(parts[0], int):
            words.append(f"option {parts.pop(0) + 1}")
        elif isinstance(part, int):
            words.append(f"item {part + 1}")
        else:
            words.append(str(part))
    return " ".join(words)
