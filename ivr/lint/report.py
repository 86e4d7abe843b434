"""`ivr validate`: the errors that stop the line, and the warnings a careful editor wants.

Errors come from the same loader and checks as start-up (flow.loader.check_files). Warnings look at
the flow as callers and texters meet it: menu sizes, nodes no path reaches, words that choose
two things, text-message characters and lengths, how long prompts take to say, and how hard
the texts are to read. Every finding carries a hint on what to do about it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from ..flow.flow import Flow
from ..flow.loader import Checked, FlowFiles, Sources, check_files
from ..flow.problems import Problem
from .delivery import long_prompts, long_texts, non_gsm_characters, reminder_texts
from .reading import hard_texts
from .structure import big_menus, shared_words, unreachable_nodes, unsayable_labels
from .timing import late_answers, time_table

CHECK_HINTS = (  # for the loader's problems: (severity, what the message says, what to do)
    ("warning", "text is missing", "texters in that language get only the menu or footer: add it"),
    ("warning", "but not in", "add them in that language too, so texters writing in it can use them"),
    ("error", "YAML syntax", "check the indentation and the quotes on this line and the one above it; "
                             "a text with a colon in it needs \"quotes\""),
    ("error", "is not defined", "check the spelling of the node id, or add a node with that id"),
    ("error", "text is missing", "add the missing language under the text, indented like the others"),
    ("error", "unknown field {", "a {field} in a phrase must be one the line fills in; the message lists them"),
    ("error", "unknown field", "check the spelling of the field, or remove it"),
    ("error", "this field is required", "add the field; look at a similar node for the shape"),
    ("error", "is already used", "give each option its own key"),
    ("error", "must be one of", "use one of the allowed values the message names"),
    ("error", "is also used by", "a keyword must choose one thing: remove it from one of the two places"),
    ("error", "is reserved", "carriers handle that word themselves: pick another keyword"),
    ("error", "defined twice", "rename one of the two, or delete the one you do not want"),
    ("error", "is also in", "keep that section in one file only"),
    ("error", "not used by the line", "check the phrase name's spelling, or remove the phrase"),
    ("error", "is missing", "add it; the line needs it to work"),
    ("error", "words;", "add a line for that language with at least one word, like the other languages' lines"),
    ("error", "no flow files", "point the command at the flows/ folder"),
)


@dataclass(frozen=True)
class Report:
    path: str
    checked: Checked
    findings: list[Problem]
    files: int  # flow files found, read or not
    times: tuple[str, ...] = ()  # the seconds to each answer on a first call, as printed

    @property
    def errors(self) -> list[Problem]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [f for f in self.findings if f.severity == "warning"]

    def summary(self) -> str:
        counts = f"{_plural(len(self.errors), 'error')}, {_plural(len(self.warnings), 'warning')}"
        text = f"{self.path}: {counts} in {_plural(self.files, 'file')} (version {self.checked.version})"
        if self.checked.flow is None:
            text += "; the line cannot start with these files"
            if self.errors:
                text += " (the other checks run once the errors are fixed)"
        return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def check_hint(problem: Problem) -> str:
    return next((hint for severity, found, hint in CHECK_HINTS
                 if severity == problem.severity and found in problem.message), "")


def lint(path: str | Path | FlowFiles, where: str = "", label: str = "") -> Report:
    """Every error and warning in the flow files at `path` (a folder or one file), or in a set of
    files given as name -> bytes (named relative to `where`; `label` names them in the summary)."""
    checked = check_files(path, where)
    findings = [replace(p, hint=check_hint(p)) for p in checked.problems]
    if checked.flow is not None:
        for check in WARNINGS:
            findings += check(checked.flow, checked.sources)
    times = tuple(time_table(checked.flow)) if checked.flow is not None else ()
    return Report(label or str(path), checked, sorted(findings), checked.found, times)


WARNINGS: tuple[Callable[[Flow, Sources], Iterator[Problem]], ...] = (
    big_menus, unreachable_nodes, shared_words, unsayable_labels, non_gsm_characters, long_texts, long_prompts,
    late_answers, hard_texts, reminder_texts,
)
