"""Seconds to the answer: how long a first-time caller listens before each answer begins.

A first call is walked as the voice channel renders it, step by step through the engine: the
greeting, the language chosen by its key, the main menu, each main-menu topic and each page
below. The caller hears every prompt to its end (they do not yet know what to press), at 160
words a minute. Figures are seconds of speech before an answer's first sentence starts, and
when each language's emergency guidance has been said.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterator

from ..engine.state import LANGUAGE, Input, Result
from ..engine.step import start_state, step
from ..flow.flow import Flow
from ..flow.loader import Sources
from ..flow.problems import Problem
from ..render.voice import render

WORDS_PER_MINUTE = 160
EMERGENCY_PHRASE = "call_emergency"
EMERGENCY_SECONDS = 10  # the guidance said, in the caller's language, by then
BUDGETS = {1: 30, 2: 45}  # seconds before the first sentence: a main-menu topic, a page one level below
LEVELS = {1: "main-menu topic", 2: "page one level below"}
HEADINGS = {1: "main-menu topics", 2: "pages one level below"}


def seconds(words: int) -> float:
    return words * 60 / WORDS_PER_MINUTE


def word_count(sentences: list[str]) -> int:
    return sum(len(sentence.split()) for sentence in sentences)


def heard(flow: Flow, result: Result) -> list[str]:
    """What a caller hears after a step, in order, until the call waits for them (a <Gather> ends,
    a <Dial> rings) or moves on by itself."""
    document = ET.fromstring(str(render(flow, result, "")))
    said = []
    for verb in document:
        if verb.tag == "Say":
            said.append((verb.text or "").strip())
        elif verb.tag == "Gather":
            return said + [(say.text or "").strip() for say in verb if say.tag == "Say"]
        elif verb.tag in ("Dial", "Hangup", "Redirect"):
            return said
    return said


@dataclass(frozen=True)
class Answer:
    node: str
    lang: str
    level: int  # 1: a main-menu topic, 2: a page one level below, ...
    seconds: float  # speech before its first sentence starts
    first: str  # that sentence

    @property
    def budget(self) -> int | None:
        return BUDGETS.get(self.level)

    @property
    def over(self) -> bool:
        return self.budget is not None and self.seconds > self.budget


def _greeting(flow: Flow) -> Result:
    return step(flow, start_state(flow), Input("start"))


def guidance_done(flow: Flow) -> dict[str, float]:
    """Seconds into a first call at which each language's emergency guidance has been said
    (inf where it is not said before the caller must answer)."""
    said = heard(flow, _greeting(flow))
    done = {}
    for lang in flow.languages:
        guidance = flow.phrase(EMERGENCY_PHRASE, lang)
        at = next((i for i, sentence in enumerate(said) if sentence == guidance), None)
        done[lang] = float("inf") if at is None else seconds(word_count(said[: at + 1]))
    return done


def answers(flow: Flow) -> list[Answer]:
    """Every node a first-time caller can reach from the main menu by keys, with the seconds
    of speech before its first sentence, for each language (by the shortest way there)."""
    found = []
    for lang in flow.languages:
        result = _greeting(flow)
        spent = word_count(heard(flow, result))
        if result.state.node == LANGUAGE:
            result = step(flow, result.state, Input("key", flow.languages[lang].key))
            spent += word_count(heard(flow, result))
        queue, seen = [(result, spent, 0)], {result.state.node}
        while queue:
            at, spent, level = queue.pop(0)
            for option in flow.nodes[at.state.node].options:
                if option.goto in seen:
                    continue
                seen.add(option.goto)
                arrived = step(flow, at.state, Input("key", option.key))
                said = heard(flow, arrived)
                found.append(Answer(option.goto, lang, level + 1, seconds(spent), said[0] if said else ""))
                queue.append((arrived, spent + word_count(said), level + 1))
    return found


# ---- What `ivr validate` says about it

def late_answers(flow: Flow, sources: Sources) -> Iterator[Problem]:
    """Warnings: emergency guidance said too late in a language, an answer over its budget."""
    for lang, done in guidance_done(flow).items():
        if done > EMERGENCY_SECONDS:
            yield sources.warning(("phrases", EMERGENCY_PHRASE, lang),
                                  f"phrase '{EMERGENCY_PHRASE}' ({lang}): on a first call this language's emergency "
                                  f"guidance is done {_said_at(done)} into the call; it must be done within "
                                  f"{EMERGENCY_SECONDS} s",
                                  "every language's guidance is said, one after the other, before the language is "
                                  "chosen: keep each to what to do (hang up and call 9 1 1)")
    for answer in answers(flow):
        if answer.over:
            node = flow.nodes[answer.node]
            yield sources.warning(("nodes", answer.node, "say", answer.lang) if node.say else ("nodes", answer.node),
                                  f"node '{answer.node}' ({answer.lang}): a first-time caller hears it begin "
                                  f"{answer.seconds:.1f} s into the call; a {LEVELS[answer.level]} should begin "
                                  f"within {answer.budget} s",
                                  "shorten what is said before it: the greeting and each menu on the way (its say, "
                                  "option labels and footer)")


def _said_at(seconds_in: float) -> str:
    return "never" if seconds_in == float("inf") else f"{seconds_in:.1f} s"


def time_table(flow: Flow) -> list[str]:
    """The seconds to every answer, for `ivr validate` to print: a row a node, a column a language."""
    langs = list(flow.languages)
    found: dict[int, dict[str, dict[str, Answer]]] = {}  # level -> node -> language -> answer
    for answer in answers(flow):
        found.setdefault(answer.level, {}).setdefault(answer.node, {})[answer.lang] = answer
    width = max([len(node) + 4 for nodes in found.values() for node in nodes] + [32])

    def row(name: str, cells=()) -> str:
        return (f"  {name:<{width}}" + "".join(f"{cell:>9}" for cell in cells)).rstrip()

    def cell(seconds_in: float, budget: float | None) -> str:
        late = budget is not None and seconds_in > budget
        return ("never" if seconds_in == float("inf") else f"{seconds_in:.1f}") + ("!" if late else " ")

    done = guidance_done(flow)
    lines = [f"Seconds to the answer on a first call, every prompt heard to its end at {WORDS_PER_MINUTE} words "
             "a minute (! over budget):", row("", langs),
             row(f"emergency guidance said ({EMERGENCY_SECONDS} s)",
                 [cell(done[lang], EMERGENCY_SECONDS) for lang in langs])]
    for level, nodes in sorted(found.items()):
        budget = BUDGETS.get(level)
        lines.append(row(HEADINGS.get(level, f"{level} levels down") + (f" ({budget} s)" if budget else "")))
        for node, of_node in nodes.items():
            lines.append(row(f"  {node}", [cell(of_node[lang].seconds, budget) if lang in of_node else "-"
                                           for lang in langs]))
    return lines
