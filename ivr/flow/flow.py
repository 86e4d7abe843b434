"""A loaded, checked flow: everything the line says, in every language."""
from __future__ import annotations

from dataclasses import dataclass, field

from .model import Answers, Commands, Language, LineSettings, Node, RedFlagWords, Text


@dataclass(frozen=True, eq=False)  # compared and cached by identity
class Flow:
    line: LineSettings
    languages: dict[str, Language]
    commands: Commands
    answers: Answers
    red_flags: dict[str, RedFlagWords]  # each language's words for warning signs
    phrases: dict[str, Text]
    nodes: dict[str, Node]
    parents: dict[str, str]  # where "go back" leads from each node
    version: str  # hash of the files' content
    files: tuple[str, ...] = field(default=())
    number: int | None = None  # the published version it is, when it came from the database

    @property
    def default_language(self) -> str:
        return next(iter(self.languages))

    def phrase(self, key: str, lang: str, /, **fields) -> str:
        return self.phrases[key][lang].format(**fields)

    def name(self, lang: str) -> str:
        return self.line.name[lang]

    def back_of(self, node_id: str) -> str:
        node = self.nodes[node_id]
        return node.back or self.parents.get(node_id, self.line.start)

    def language_by_key(self, key: str) -> str | None:
        return next((code for code, lang in self.languages.items() if lang.key == key), None)
