"""How complete each language is: of every text staff write (titles, what is said, what is
texted, option labels, shared sentences, the line's name), how many are written in it, and which
are not. Read from the files as they are, errors and all, so a draft shows it at every save."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from .diff import label
from .fields import read

NODE_TEXTS = ("title", "say", "sms")


@dataclass(frozen=True)
class Completeness:
    lang: str
    done: int
    total: int
    missing: tuple[str, ...]  # "node 'main' say", "phrase 'goodbye'"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def _texts(items: dict) -> Iterator[tuple[str, dict]]:
    for item, value in items.items():
        if not isinstance(value, dict):
            continue
        if item[0] == "phrases":
            yield label(item), value
        elif item == ("line",) and isinstance(value.get("name"), dict):
            yield "line name", value["name"]
        elif item[0] == "nodes":
            for name in NODE_TEXTS:
                if isinstance(value.get(name), dict):
                    yield f"{label(item)} {name}", value[name]
            for option in value.get("options") or []:
                if isinstance(option, dict) and isinstance(option.get("label"), dict):
                    yield f"{label(item)} option {option.get('key')} label", option["label"]


def completeness(files: Mapping[str, bytes]) -> dict[str, Completeness]:
    """Each language of the `languages:` section (and any other a text is written in)."""
    found = read(files)
    texts = list(_texts(found.items))
    languages = list(dict.fromkeys([*found.languages, *(str(code) for _, text in texts for code in text)]))
    result = {}
    for lang in languages:
        missing = tuple(name for name, text in texts if not (isinstance(text.get(lang), str) and text[lang].strip()))
        result[lang] = Completeness(lang, len(texts) - len(missing), len(texts), missing)
    return result
