"""Walks every node of the shipped flows, in every language, by voice.

Each node is reachable from the main menu, each option leads somewhere, each document ends
properly (a re-prompt, a transfer with a way back, or a goodbye and hang-up), and every
TwiML document is valid against Twilio's schema when ../shared/twiml is present.
"""
import xml.etree.ElementTree as ET
from collections import deque
from urllib.parse import urlencode

import pytest

from conftest import TWIML_SCHEMA


def reachable(flow) -> set[str]:
    seen, queue = {flow.line.start}, deque([flow.line.start])
    while queue:
        for option in flow.nodes[queue.popleft()].options:
            if option.goto not in seen:
                seen.add(option.goto)
                queue.append(option.goto)
    return seen | {flow.line.person, flow.line.goodbye, flow.line.emergency}


def test_every_node_is_reachable_and_every_option_leads_to_a_node(flow):
    assert reachable(flow) == set(flow.nodes)
    for node in flow.nodes.values():
        for option in node.options:
            assert option.goto in flow.nodes


def ends_properly(document: bytes) -> bool:
    top = list(ET.fromstring(document))
    last = top[-1]
    if last.tag == "Dial":
        return bool(last.get("action"))  # a failed transfer comes back to the line
    return last.tag in ("Hangup", "Redirect")


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """Every voice TwiML document the line can produce from its nodes and their inputs."""
    from ivr.app import create_app
    from ivr.simulate.phone import Signer

    from conftest import AUTH_TOKEN, make_config

    app = create_app(make_config(tmp_path_factory.mktemp("walk")))
    signer = Signer(app.test_client(), AUTH_TOKEN)
    flow = app.extensions["ivr"].flows.flow
    documents = {}

    def post(url, **form):
        response = signer.post(url, {"CallSid": "CA" + "1" * 32, **form})
        assert response.status_code == 200, url
        documents[f"{url} {form}"] = response.data

    post("/voice")
    for lang in flow.languages:
        for node_id in ["_language", *flow.nodes]:
            post("/voice/node?" + urlencode({"node": node_id, "lang": lang}))
            step = "/voice/step?" + urlencode({"node": node_id, "lang": lang, "miss": 0})
            for key in ["1", "2", "3", "4", "5", "9", "0", "*", "8"]:
                post(step, Digits=key)
            post(step)  # silence
            post(step, SpeechResult="purple elephants")
            post(step.replace("miss=0", "miss=2"), SpeechResult="purple elephants")
        for status in ("completed", "busy", "no-answer", "failed"):
            post("/voice/dial-done?" + urlencode({"lang": lang}), DialCallStatus=status)
    return documents


def test_every_voice_document_ends_properly(walked):
    bad = [name for name, document in walked.items() if not ends_properly(document)]
    assert not bad, bad


def test_every_voice_document_says_something(walked):
    silent = [name for name, doc in walked.items() if next(ET.fromstring(doc).iter("Say"), None) is None]
    assert not silent


def test_every_voice_document_is_valid_twiml(walked):
    if not TWIML_SCHEMA.exists():
        pytest.skip(f"Twilio's TwiML schema is not at {TWIML_SCHEMA} (it is in CI)")
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(TWIML_SCHEMA)))
    invalid = {}
    for name, document in walked.items():
        if not schema.validate(etree.fromstring(document)):
            invalid[name] = str(schema.error_log.last_error)
    assert not invalid, invalid


def test_the_walk_covers_every_node_in_every_language(walked, flow):
    for lang in flow.languages:
        for node_id in flow.nodes:
            assert f"/voice/node?node={node_id}&lang={lang} {{}}" in walked
