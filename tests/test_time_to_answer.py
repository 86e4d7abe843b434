"""Faster to the answer: the shipped flows held to their budgets, measured two ways that must
agree. `ivr validate`'s figures (ivr/lint/timing.py, the engine and the voice renderer) and a
first-time caller through the real webhooks, TwiML followed verb by verb, who hears every prompt
to its end before pressing a key: the emergency guidance done within 10 s in English and in
Spanish, every main-menu topic begun within 30 s, every page one level below within 45 s.
"""
import re

import pytest
from test_voice import said_option

from ivr.lint.timing import BUDGETS, EMERGENCY_SECONDS, answers, guidance_done, time_table
from ivr.simulate.phone import Phone

WORDS_PER_SECOND = 160 / 60


def seconds(sentences) -> float:
    return sum(len(s.split()) for s in sentences) / WORDS_PER_SECOND


def heard(turn) -> list[str]:
    return [text for text, _ in turn.said]


def first_call(phone, flow, lang):
    """A new caller: the greeting to its end, then their language's key to the main menu's end."""
    greeting = phone.call()
    main = phone.press(flow.languages[lang].key)
    return heard(greeting) + heard(main)


def routes(flow):
    """(language, level, node, keys from the main menu) for every topic and every page below."""
    found = []
    for lang in flow.languages:
        for option in flow.nodes[flow.line.start].options:
            found.append((lang, 1, option.goto, (option.key,)))
            for below in flow.nodes[option.goto].options:
                found.append((lang, 2, below.goto, (option.key, below.key)))
    return found


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_emergency_guidance_is_done_within_ten_seconds_in_each_language(phone, flow, lang):
    said = heard(phone.call())
    at = said.index(flow.phrase("call_emergency", lang))
    assert said[0] == flow.phrase("call_emergency", flow.default_language)  # before anything else
    assert seconds(said[: at + 1]) <= EMERGENCY_SECONDS
    assert seconds(said[: at + 1]) == pytest.approx(guidance_done(flow)[lang])


def test_every_topic_and_page_below_begins_within_its_budget_for_a_first_time_caller(signer, flow):
    figures = {(a.lang, a.node): a for a in answers(flow)}
    checked = 0
    for lang, level, node, keys in routes(flow):
        phone = Phone(signer)
        before = first_call(phone, flow, lang)
        for key in keys[:-1]:
            before += heard(phone.press(key))
        arrived = heard(phone.press(keys[-1]))
        waited = seconds(before)
        assert waited <= BUDGETS[level], (lang, node, waited)
        assert waited == pytest.approx(figures[(lang, node)].seconds)  # ivr validate counts what callers hear
        assert arrived[0] == figures[(lang, node)].first
        checked += 1
    assert checked == len(figures) >= 2 * (5 + 7)  # every topic and page, in both languages


def test_validate_prints_the_seconds_for_every_page(flow):
    table = "\n".join(time_table(flow))
    for answer in answers(flow):
        assert re.search(rf"^\s+{re.escape(answer.node)}\s", table, re.M), answer.node
    assert "main-menu topics (30 s)" in table and "pages one level below (45 s)" in table
    assert not re.search(r"\d!", table)  # nothing marked over budget


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_menu_keeps_its_promises(signer, flow, lang):
    """At most 5 choices, each said function first, every one taking keys and speech, and repeat,
    back (below the top) and a person announced: on every menu, in both languages."""
    star = {"en": "star", "es": "asterisco"}[lang]
    for node_id in (node_id for node_id, node in flow.nodes.items() if node.type == "menu"):
        text = signer.post(f"/voice/node?node={node_id}&lang={lang}", {"CallSid": "CA1"}).get_data(as_text=True)
        options = flow.nodes[node_id].options
        assert len(options) <= 5
        for option in options:
            assert said_option(flow, node_id, option.key, lang) in text
        footer = flow.phrase("footer_main" if node_id == flow.line.start else "footer", lang)
        assert footer in text and star in footer and " 0" in footer
        assert (" 9" in footer) == (node_id != flow.line.start)
        assert 'input="dtmf speech"' in text and 'bargeIn="false"' not in text
