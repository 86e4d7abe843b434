"""Warnings about the shape of the line: menus too big, nodes no path reaches, words that
choose two things, and labels that saying does not choose."""
from __future__ import annotations

from typing import Iterator

from ..engine.state import Input, State
from ..engine.step import understand
from ..flow.flow import Flow
from ..flow.loader import Sources
from ..flow.problems import Problem
from ..words import normalize_keyword

MAX_OPTIONS = 5


def big_menus(flow: Flow, sources: Sources) -> Iterator[Problem]:
    for node_id, node in flow.nodes.items():
        if len(node.options) > MAX_OPTIONS:
            yield sources.warning(("nodes", node_id, "options"),
                              f"node '{node_id}': {len(node.options)} options; a menu should have at most "
                              f"{MAX_OPTIONS}",
                              "callers keep about five choices in mind: move some under a new menu")


def reachable(flow: Flow) -> set[str]:
    """Nodes a caller can get to: the line's own ends, then every option and 'back' from them."""
    line = flow.line
    seen = {getattr(line, name) for name in type(line).model_fields
            if isinstance(getattr(line, name), str) and getattr(line, name) in flow.nodes}
    queue = list(seen)
    while queue:
        node = flow.nodes[queue.pop()]
        for target in [o.goto for o in node.options] + [node.back]:
            if target in flow.nodes and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def unreachable_nodes(flow: Flow, sources: Sources) -> Iterator[Problem]:
    found = reachable(flow)
    for node_id in flow.nodes:
        if node_id not in found:
            yield sources.warning(("nodes", node_id),
                              f"node '{node_id}': no path reaches it (no menu option goes to it)",
                              "add an option that goes to it, or delete the node")


def _choosers(flow: Flow, lang: str) -> Iterator[tuple[str, str, list, list]]:
    """Everything a word can choose, in one language: (who, where it leads, [(path, spoken
    word)], [(path, SMS keyword)]). Two options that lead to the same node do not compete."""
    def listed(path: tuple, words: list) -> list:
        return [(path + (i,), word) for i, word in enumerate(words)]

    for code, language in flow.languages.items():  # said or texted in any language
        path = ("languages", code)
        yield (f"language '{code}'", f"language:{code}", listed(path + ("words",), language.words),
               listed(path + ("keywords",), language.keywords))
    for name in type(flow.commands).model_fields:  # before options: a clash is the option's to fix
        command = getattr(flow.commands, name)
        path = ("commands", name)
        yield (f"command '{name}'", f"command:{name}", listed(path + ("words", lang), command.words.get(lang, [])),
               listed(path + ("keywords", lang), command.keywords.get(lang, [])))
    for node_id, node in flow.nodes.items():
        for n, option in enumerate(node.options):
            path = ("nodes", node_id, "options", n)
            yield (f"node '{node_id}' option {n + 1}", option.goto,
                   listed(path + ("words", lang), option.words.get(lang, [])),
                   listed(path + ("keywords", lang), option.keywords.get(lang, [])))


def shared_words(flow: Flow, sources: Sources) -> Iterator[Problem]:
    """A spoken word that two choices share, or an SMS keyword that is another choice's spoken
    word (texts are matched against both). Two choices sharing a keyword is an error already."""
    for lang in flow.languages:
        spoken: dict[str, tuple[str, str]] = {}  # word as compared -> (where it leads, who and where)
        keywords = []
        for who, target, words, their_keywords in _choosers(flow, lang):
            for path, word in words:
                owner = spoken.setdefault(normalize_keyword(word), (target, f"{who} ({sources.place(path)})"))
                if owner[0] != target:
                    yield sources.warning(path,
                                      f"{who} words ({lang}): '{word}' is also a spoken word of {owner[1]}",
                                      "a word should choose one thing; when two match equally the caller "
                                      "is asked again: remove it from one of them")
            keywords += [(who, target, path, word) for path, word in their_keywords]
        for who, target, path, word in keywords:
            owner = spoken.get(normalize_keyword(word))
            if owner and owner[0] != target:
                yield sources.warning(path,
                                  f"{who} keywords ({lang}): SMS keyword '{word}' is a spoken word of {owner[1]}",
                                  "texts are matched against keywords and spoken words alike: remove it "
                                  "from one of them")


def unsayable_labels(flow: Flow, sources: Sources) -> Iterator[Problem]:
    """Callers hear "For treatment, press 3" and may say "treatment": saying a label must choose
    its option at that menu."""
    for lang in flow.languages:
        for node_id, node in flow.nodes.items():
            for n, option in enumerate(node.options):
                label = option.label.get(lang, "")
                target, _ = understand(flow, State(node_id, lang), Input("speech", label))
                if label and target != ("option", option.goto):
                    yield sources.warning(("nodes", node_id, "options", n, "label", lang),
                                          f"node '{node_id}' option {n + 1} label ({lang}): saying '{label}' does not "
                                          "choose this option",
                                          "callers say what they hear: add the label's words to the option's words, "
                                          "or word the label like them")
