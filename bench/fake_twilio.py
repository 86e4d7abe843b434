"""The project's own fake of Twilio's Messages API, on 127.0.0.1, for the sending benchmark.

It answers `POST /2010-04-01/Accounts/<sid>/Messages.json` as Twilio does (201, the message's
JSON), after ANSWER_SECONDS (Twilio's answer time), and records when each request arrived (and
when the client sent it) to which number with which text, so the benchmark can count texts per
second and find any sent twice. Nothing leaves the machine. A REST client is pointed at it with `LocalTwilioHttpClient`.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from twilio.http.http_client import TwilioHttpClient

TWILIO_API = "https://api.twilio.com"
ANSWER_SECONDS = 0.2
SENT_AT = "X-Bench-Sent-At"  # when the client handed the request to its HTTP library (bench only)


@dataclass
class Received:
    """What the fake was sent: (arrival, To, Body, when the client sent it) per request."""
    requests: list[tuple[float, str, str, float | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, to: str, body: str, sent_at: float | None) -> int:
        with self.lock:
            self.requests.append((time.time(), to, body, sent_at))
            return len(self.requests)


class FakeTwilio:
    """The fake on a free port of 127.0.0.1, in threads of this process: `with FakeTwilio() as fake:`."""

    def __init__(self, answer_seconds: float = ANSWER_SECONDS):
        self.received = Received()
        received, delay = self.received, answer_seconds

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's API

            def do_POST(self):  # noqa: N802 - http.server's name
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                if not self.path.endswith("/Messages.json"):
                    return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                sent_at = self.headers.get(SENT_AT)
                number = received.add(form.get("To", [""])[0], form.get("Body", [""])[0],
                                      float(sent_at) if sent_at else None)
                time.sleep(delay)
                return self._answer(201, {"sid": f"SM{number:032d}", "status": "queued"})

            def _answer(self, status: int, document: dict) -> None:
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # numbers and texts stay out of the output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-twilio", daemon=True)

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class LocalTwilioHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to the fake instead of api.twilio.com."""

    def __init__(self, base_url: str, timeout: float = 10):
        super().__init__(timeout=timeout)
        self.base_url = base_url

    def request(self, method, url, params=None, data=None, headers=None, *args, **kwargs):
        headers = {**(headers or {}), SENT_AT: repr(time.time())}
        return super().request(method, url.replace(TWILIO_API, self.base_url, 1), params, data, headers,
                               *args, **kwargs)
