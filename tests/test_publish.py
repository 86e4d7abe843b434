"""Publishing on the real production server: gunicorn with 2 workers serves an edit saved
under it within 2 seconds in every worker, keeps the last good flow when an edit is broken,
and fails no request meanwhile.

Only 127.0.0.1 is contacted; every loop is bounded in count and time; the server is always
stopped.
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import gunicorn
import pytest
import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr.config import PROJECT_ROOT
from ivr.storage.db import Database
from ivr.storage.tables import events

from conftest import FLOWS

TOKEN = "publish-test-token-0123456789abcdef"
WORKERS = 2
EMERGENCY = "hang up and call 9 1 1."
EDITED = "hang up now and call 9 1 1."
SWITCH_SECONDS = 2.0
PR_SET_PDEATHSIG = 1
# gunicorn 27 opens a control socket in ~/.gunicorn; a test server needs none
NO_CONTROL_SOCKET = ["--no-control-socket"] if int(gunicorn.__version__.split(".")[0]) >= 27 else []


def _stop_with_parent():
    """On Linux, the server gets SIGTERM if the test run itself is killed (no stray servers)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Server:
    """A gunicorn subprocess and every request sent to it."""

    def __init__(self, flows, tmp_path, **settings):
        self.log = tmp_path / "gunicorn.log"
        env = {**os.environ, "IVR_ENV": "production", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "publish-secret",
               "FLOWS_DIR": str(flows), "DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
               "OUTBOX_WORKER": "0", "PUBLIC_BASE_URL": "", "TWILIO_VERIFY_SIGNATURES": "1", **settings}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "app:app", "--workers", str(WORKERS), "--bind", "127.0.0.1:0",
                 "--graceful-timeout", "5", *NO_CONTROL_SOCKET],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_stop_with_parent)
        try:
            self.base = self._wait_for_start()
        except BaseException:
            self.stop()  # never leave a server behind
            raise
        self.sent = self.failed = 0
        self.heard: list[str] = []  # every caller's first words, in order
        self.validator = RequestValidator(TOKEN)

    def _wait_for_start(self) -> str:
        """The address gunicorn bound, once every worker has loaded the app and answers."""
        deadline, base, workers = time.monotonic() + 30, None, set()
        while time.monotonic() < deadline and self.process.poll() is None and len(workers) < WORKERS:
            if base is None:
                bound = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.log.read_text(errors="replace"))
                base = bound and bound.group(1)
            else:
                try:
                    workers.add(requests.get(base + "/healthz", timeout=5).json()["worker"])
                except requests.RequestException:  # a worker still loading the app
                    pass
            time.sleep(0.02)
        if len(workers) < WORKERS:
            raise AssertionError(f"gunicorn did not start:\n{self.log.read_text(errors='replace')}")
        return base

    def _count(self, response):
        self.sent += 1
        if response.status_code != 200:
            self.failed += 1
        return response

    def call(self) -> str:
        """What a new caller hears first (a signed POST /voice, as Twilio sends it)."""
        params = {"CallSid": "CA" + "7" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15025550123",
                  "To": "+15025550100", "CallStatus": "ringing", "Direction": "inbound"}
        url = self.base + "/voice"
        response = self._count(requests.post(url, data=params, timeout=10, headers={
            "X-Twilio-Signature": self.validator.compute_signature(url, params)}))
        self.heard.append(response.text)
        return response.text

    def health(self) -> dict:
        return self._count(requests.get(self.base + "/healthz", timeout=10)).json()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def server(tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    running = Server(flows, tmp_path)
    try:
        yield running, flows
    finally:
        running.stop()


def save(path, old, new):
    """Save an edit whole (write a copy, then rename over the file), as a deploy does."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    partial = path.with_suffix(".saving")
    partial.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.replace(partial, path)


def until(condition, server, seconds, tries=2000):
    """Poll /healthz and /voice until `condition(health_by_worker, heard)` holds; the seconds taken."""
    started = time.monotonic()
    by_worker = {}
    for _ in range(tries):
        health = server.health()
        by_worker[health["worker"]] = health
        heard = server.call()
        if condition(by_worker, heard):
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            break
        time.sleep(0.01)
    raise AssertionError(f"not within {seconds} s; workers: {by_worker}")


def test_an_edit_is_published_to_every_worker_and_a_broken_one_never_is(server):
    server, flows = server
    # Both workers are up and serve the shipped sentence.
    until(lambda workers, heard: len(workers) == WORKERS and EMERGENCY in heard, server, 15)
    shipped = server.health()["flow"]["version"]

    # A good edit: every worker switches within 2 seconds.
    save(flows / "line.yaml", EMERGENCY, EDITED)
    took = until(lambda workers, heard: EDITED in heard and len(workers) == WORKERS and all(
        h["flow"]["version"] != shipped for h in workers.values()), server, SWITCH_SECONDS + 1)
    assert took <= SWITCH_SECONDS, took
    edited_version = server.health()["flow"]["version"]
    for _ in range(20):
        assert EDITED in server.call()  # every request now, whichever worker answers

    # A broken edit: refused by every worker; the last good text keeps serving.
    before_break = len(server.heard)
    save(flows / "main.yaml", "goto: treatment\n", "goto: treatmnt\n")
    until(lambda workers, heard: len(workers) == WORKERS and all(
        h["status"] == "edit_refused" for h in workers.values()), server, SWITCH_SECONDS + 1)
    for _ in range(40):
        assert EDITED in server.call()
        health = server.health()
        assert health["flow"]["version"] == edited_version
        assert "node 'treatmnt' is not defined" in health["rejected"]["first_error"]
    assert all(EDITED in heard for heard in server.heard[before_break:])  # also while it was refused
    assert server.failed == 0, f"{server.failed} of {server.sent} requests failed"
    log = server.log.read_text(errors="replace")
    assert log.count("flow edit refused") == WORKERS  # each worker logs it once
    print(f"\npublish: switched in {took:.2f} s; {server.sent} requests, {server.failed} failed")


def test_steps_queued_in_the_workers_are_written_when_gunicorn_stops(tmp_path):
    """Steps wait in each worker's memory (EVENTS_FLUSH_SECONDS); a normal stop writes them."""
    running = Server(FLOWS, tmp_path, EVENTS_FLUSH_SECONDS="3600")
    try:
        for _ in range(12):
            assert EMERGENCY in running.call()
    finally:
        running.stop()
    assert running.process.returncode == 0 and running.failed == 0
    with Database(f"sqlite:///{tmp_path / 'ivr.sqlite3'}").begin(durable=False) as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 12
