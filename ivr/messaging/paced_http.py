"""Twilio's HTTP client, waiting for the shared pace's turn (storage/send_pace.py) just before each
request goes out: the latest moment there is, after the REST client has built the request, so
that as little as possible falls between the turn and the send (a text that reaches Twilio late
for its turn can share a second with the ones after it). Every request Twilio counts takes a turn."""
from __future__ import annotations

from typing import Callable


class PacedHttpClient:
    def __init__(self, inner, wait_for_turn: Callable[[], None]):
        self._inner = inner
        self._wait_for_turn = wait_for_turn

    def request(self, *args, **kwargs):
        self._wait_for_turn()
        return self._inner.request(*args, **kwargs)

    def __getattr__(self, name: str):  # everything else is the inner client's (is_async, timeout ...)
        return getattr(self._inner, name)
