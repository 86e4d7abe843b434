"""A phone and a texter that reach the app through its real webhooks, signed as Twilio signs.

The phone follows TwiML verb by verb as Twilio would: it speaks <Say>, waits at <Gather>,
on silence goes on to the verbs after it, follows <Redirect>, stops at <Dial> and <Hangup>.
"""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

BASE_URL = "https://ivr.example.org"
MAX_REDIRECTS = 10  # a loop of redirects with no input is a bug, not a call
_sids = itertools.count(1)


class Signer:
    """Posts to the app with X-Twilio-Signature, as Twilio does."""

    def __init__(self, client, auth_token: str, base_url: str = BASE_URL):
        self.client = client
        self.validator = RequestValidator(auth_token)
        self.base_url = base_url.rstrip("/")

    def post(self, url: str, params: dict):
        url = urljoin(self.base_url + "/", url)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(url, params)
        return self.client.post(path, data=params, base_url=f"{parts.scheme}://{parts.netloc}",
                                headers={"X-Twilio-Signature": signature})


@dataclass
class Turn:
    """What the caller heard since their last input, and what the call waits for now."""

    said: list[tuple[str, str]] = field(default_factory=list)  # (text, language)
    documents: list[bytes] = field(default_factory=list)
    waiting: str = "gather"  # gather, dial, hangup (call over)
    gather: dict = field(default_factory=dict)
    dialed: str = ""

    @property
    def text(self) -> str:
        return " ".join(text for text, _ in self.said)


class Phone:
    def __init__(self, signer: Signer, caller: str = "+15025550123", to: str = "+15025550100"):
        self.signer = signer
        self.params = {"CallSid": f"CA{next(_sids):032d}", "AccountSid": "AC" + "0" * 32,
                       "From": caller, "To": to, "Direction": "inbound", "ApiVersion": "2010-04-01"}
        self._after_gather: list[ET.Element] = []
        self._url = ""
        self._gather_action = ""
        self._dial_action = ""
        self.turn = Turn(waiting="hangup")

    def call(self, **first: str) -> Turn:
        """Ring the line. `first`: parameters Twilio sends only on this first request (StirVerstat)."""
        return self._request("/voice", {"CallStatus": "ringing", **first})

    def press(self, key: str) -> Turn:
        self._expect("gather")
        return self._request(self._gather_action, {"Digits": key, "CallStatus": "in-progress"})

    def say(self, words: str, confidence: float = 0.9) -> Turn:
        self._expect("gather")
        return self._request(self._gather_action, {"SpeechResult": words, "Confidence": str(confidence),
                                                   "CallStatus": "in-progress"})

    def silence(self) -> Turn:
        """The gather times out: Twilio goes on with the verbs after it."""
        self._expect("gather")
        turn = Turn()
        self._run(self._after_gather, turn)
        self.turn = turn
        return turn

    def dial_ends(self, status: str = "no-answer") -> Turn:
        """The transfer ends with Twilio's DialCallStatus (completed, busy, no-answer, failed)."""
        self._expect("dial")
        if not self._dial_action:
            turn = Turn()
            self._run(self._after_gather, turn)
            self.turn = turn
            return turn
        return self._request(self._dial_action, {"DialCallStatus": status, "CallStatus": "in-progress"})

    def _expect(self, waiting: str) -> None:
        if self.turn.waiting != waiting:
            raise AssertionError(f"the call is at {self.turn.waiting}, not at {waiting}")

    def _request(self, url: str, extra: dict) -> Turn:
        turn = Turn()
        self._fetch(url, extra, turn, redirects=0)
        self.turn = turn
        return turn

    def _fetch(self, url: str, extra: dict, turn: Turn, redirects: int) -> None:
        if redirects > MAX_REDIRECTS:
            raise AssertionError(f"more than {MAX_REDIRECTS} redirects without input")
        response = self.signer.post(url, {**self.params, **extra})
        if response.status_code != 200:
            raise AssertionError(f"POST {url} answered {response.status_code}")
        turn.documents.append(response.data)
        self._url = urljoin(self.signer.base_url + "/", url)
        self._run(list(ET.fromstring(response.data)), turn, redirects)

    def _run(self, verbs: list[ET.Element], turn: Turn, redirects: int = 0) -> None:
        for i, verb in enumerate(verbs):
            if verb.tag == "Say":
                turn.said.append(((verb.text or "").strip(), verb.get("language", "")))
            elif verb.tag == "Gather":
                turn.said += [((s.text or "").strip(), s.get("language", "")) for s in verb if s.tag == "Say"]
                turn.waiting, turn.gather = "gather", dict(verb.attrib)
                self._gather_action = urljoin(self._url, verb.get("action", self._url))
                self._after_gather = verbs[i + 1:]
                return
            elif verb.tag == "Redirect":
                self._fetch(urljoin(self._url, (verb.text or "").strip()), {"CallStatus": "in-progress"},
                            turn, redirects + 1)
                return
            elif verb.tag == "Dial":
                turn.waiting = "dial"
                turn.dialed = "".join(verb.itertext()).strip()
                self._dial_action = urljoin(self._url, verb.get("action")) if verb.get("action") else ""
                self._after_gather = verbs[i + 1:]
                return
            elif verb.tag == "Hangup":
                turn.waiting = "hangup"
                return
        turn.waiting = "hangup"  # Twilio ends the call when the verbs run out


class Texter:
    def __init__(self, signer: Signer, number: str = "+15025550123", to: str = "+15025550100"):
        self.signer = signer
        self.number, self.to = number, to
        self.documents: list[bytes] = []

    def send(self, body: str) -> str | None:
        """Text the line; returns its reply, or None when it sends nothing."""
        response = self.signer.post("/sms", {
            "MessageSid": f"SM{next(_sids):032d}", "AccountSid": "AC" + "0" * 32,
            "From": self.number, "To": self.to, "Body": body, "NumMedia": "0",
        })
        if response.status_code != 200:
            raise AssertionError(f"POST /sms answered {response.status_code}")
        self.documents.append(response.data)
        messages = [m for m in ET.fromstring(response.data) if m.tag == "Message"]
        return "\n".join("".join(m.itertext()) for m in messages) if messages else None
