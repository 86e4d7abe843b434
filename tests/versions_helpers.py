"""What the flow-version tests share: the shipped flow files as name -> bytes, edited copies of
them (never the shipped wording itself: it changes under the tests), and a clock."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from conftest import FLOWS

START = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)


def shipped() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(FLOWS.glob("*.yaml"))}


def text_of(files: dict[str, bytes], name: str, path: tuple) -> str:
    """The text at ("nodes", "main", "say", "en") in one file, read with the loader's YAML."""
    from ivr.flow.yaml_lines import load_yaml

    value = load_yaml(files[name].decode())
    for part in path:
        value = value[part]
    return value


def with_text(files: dict[str, bytes], name: str, path: tuple, new: str) -> dict[str, bytes]:
    """A copy of `files` where the one-line text at `path` (e.g. ("nodes", "main", "say", "es"))
    says `new`: the line that holds the current text is rewritten, nothing else."""
    old = text_of(files, name, path)
    content = files[name].decode()
    pattern = re.compile(rf"^(\s*{re.escape(path[-1])}: )(\"?){re.escape(old)}\2$", re.M)
    assert len(pattern.findall(content)) >= 1, (name, path, old)
    edited = {**files, name: pattern.sub(lambda m: f'{m.group(1)}"{new}"', content, count=1).encode()}
    assert text_of(edited, name, path) == new, (name, path)  # the line edited was that text's
    return edited


def broken(files: dict[str, bytes]) -> tuple[dict[str, bytes], int]:
    """A copy with one option going to a node that is not there, and the line of that mistake."""
    content = files["main.yaml"].decode()
    line = next(i for i, text in enumerate(content.splitlines(), 1) if text.strip().startswith("goto: "))
    lines = content.splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace("goto: ", "goto: nowhere-", 1)
    return {**files, "main.yaml": "".join(lines).encode()}, line


class Clock:
    def __init__(self, start: datetime = START):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: float = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now
