"""Publishing on the real production server: gunicorn servers with 2 workers each, on one
database, and `ivr flows publish` run as a deployer runs it. Every worker of every server serves
a published version within 2 seconds, no request fails meanwhile, each request is answered from
one version throughout, a broken version is refused with file:line and never served, and while
the database is down the loaded version keeps serving and publishing fails with a clear message.

Only 127.0.0.1 is contacted; every loop is bounded in count and time; servers are always stopped.
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import gunicorn
import pytest
import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr.config import PROJECT_ROOT
from ivr.storage.db import Database
from ivr.storage.flow_versions import FlowVersionStore
from ivr.storage.tables import events

from conftest import FLOWS
from postgres import Cluster, find_bin_dir, fresh_database
from versions_helpers import broken, shipped, text_of, with_text

TOKEN = "publish-test-token-0123456789abcdef"
PUBLIC = "https://ivr.publish-test.example"  # what Twilio would call; signatures are made for it
SECRET = "publish-test-secret-5f1c0e9a7d3b2a8e"
WORKERS = 2
SWITCH_SECONDS = 2.0
EMERGENCY = [("phrases", "call_emergency", lang) for lang in ("en", "es")]
PR_SET_PDEATHSIG = 1
IVR = str(Path(sys.executable).parent / "ivr")
# gunicorn 27 opens a control socket in ~/.gunicorn; a test server needs none
NO_CONTROL_SOCKET = ["--no-control-socket"] if int(gunicorn.__version__.split(".")[0]) >= 27 else []


def _stop_with_parent():
    """On Linux, the server gets SIGTERM if the test run itself is killed (no stray servers)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def line_env(flows, database_url, **settings) -> dict:
    return {**os.environ, "IVR_ENV": "production", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET,
            "FLOWS_DIR": str(flows), "DATABASE_URL": database_url, "OUTBOX_WORKER": "0", "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_VERIFY_SIGNATURES": "1", **settings}


class Server:
    """A gunicorn subprocess and every request sent to it."""

    def __init__(self, flows, folder, database_url, **settings):
        self.log = folder / "gunicorn.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "app:app", "--workers", str(WORKERS), "--bind", "127.0.0.1:0",
                 "--graceful-timeout", "5", *NO_CONTROL_SOCKET],
                cwd=PROJECT_ROOT, env=line_env(flows, database_url, **settings), stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=_stop_with_parent)
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
        deadline, base, workers = time.monotonic() + 60, None, set()
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
        response = self._count(requests.post(self.base + "/voice", data=params, timeout=10, headers={
            "X-Twilio-Signature": self.validator.compute_signature(PUBLIC + "/voice", params)}))
        self.heard.append(response.text)
        return response.text

    def health(self) -> dict:
        response = requests.get(self.base + "/healthz", timeout=10)
        self.sent += 1
        return response.json()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def publish(folder, files, env: dict, note: str, wait: bool = True):
    """`ivr flows publish FOLDER --note NOTE`, as a deployer's release step runs it (wait=False:
    the running process, its output in .out and .err beside the folder)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    command = [IVR, "flows", "publish", str(folder), "--note", note]
    if wait:
        return subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    return subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=open(f"{folder}.out", "wb"),
                            stderr=open(f"{folder}.err", "wb"))


def said(files) -> list[str]:
    return [text_of(files, "line.yaml", path) for path in EMERGENCY]


def one_version(heard: str, versions: list[list[str]]) -> int:
    """Which version a caller's first words came from: every emergency sentence of that one, and
    none of another's (a request answered half from one version, half from another fails here)."""
    matches = [i for i, texts in enumerate(versions) if all(t in heard for t in texts)]
    others = [i for i, texts in enumerate(versions) if any(t in heard for t in texts)]
    assert len(matches) == 1 and others == matches, heard
    return matches[0]


def until_all_serve(servers, number, seconds):
    """Poll every server's /healthz and /voice until each of its workers serves version `number`."""
    started, seen = time.monotonic(), {}
    while time.monotonic() - started < seconds:
        for server in servers:
            health = server.health()
            seen[(server.base, health["worker"])] = health["flow"]["number"]
            server.call()
        if len(seen) == WORKERS * len(servers) and all(n == number for n in seen.values()):
            return datetime.now(timezone.utc)
        time.sleep(0.01)
    raise AssertionError(f"not every worker serves version {number} within {seconds} s: {seen}")


def published_at(database_url, number) -> datetime:
    db = Database(database_url)
    try:
        return FlowVersionStore(db).version(number).published_at
    finally:
        db.dispose()


def last_old_answer(servers, versions, publishing, database_url, seconds: float) -> float:
    """Poll every server (/healthz and /voice, as fast as they answer) while `publishing` (a
    running `ivr flows publish`) runs and for `seconds` after; how long after the publish the last
    request answered from an older version was sent. Every worker must be seen serving the new
    version too. A worker looks when a request comes, so what counts is what callers get."""
    newest, answers, serving, ended = len(versions), [], {}, None
    while ended is None or time.monotonic() - ended < seconds:
        if ended is None and publishing.poll() is not None:
            ended = time.monotonic()
        for server in servers:
            sent = datetime.now(timezone.utc)
            health = server.health()
            serving[(server.base, health["worker"])] = health["flow"]["number"]
            heard = one_version(server.call(), versions) + 1
            answers.append((sent, min(health["flow"]["number"], heard) < newest))
    assert publishing.wait(60) == 0
    assert len(serving) == WORKERS * len(servers) and set(serving.values()) == {newest}, serving
    published = published_at(database_url, newest)
    return max([(sent - published).total_seconds() for sent, old in answers if old and sent > published], default=0)


def edited_versions():
    first = shipped()
    second = first
    for path, text in zip(EMERGENCY, ("Hang up now and call 9 1 1.", "Cuelgue ahora y llame al 9 1 1.")):
        second = with_text(second, "line.yaml", path, text)
    return first, second


def check_publish_reaches_every_worker(servers, tmp_path, database_url):
    first, second = edited_versions()
    env = line_env(tmp_path / "flows", database_url)
    until_all_serve(servers, 1, 15)

    running = publish(tmp_path / "release", second, env, "emergency wording", wait=False)
    took = last_old_answer(servers, [said(first), said(second)], running, database_url, SWITCH_SECONDS + 1)
    assert "Published version 2" in (tmp_path / "release.out").read_text()
    assert took <= SWITCH_SECONDS, took
    for server in servers:
        for _ in range(10):
            assert one_version(server.call(), [said(first), said(second)]) == 1

    files, line = broken(second)
    refused = publish(tmp_path / "broken", files, env, "typo")
    assert refused.returncode == 1
    assert f"{tmp_path / 'broken' / 'main.yaml'}:{line}: error: " in refused.stdout
    assert "Error: 1 error: nothing published" in refused.stderr
    for server in servers:
        for _ in range(10):
            assert one_version(server.call(), [said(first), said(second)]) == 1
        assert server.health()["flow"]["number"] == 2
    for server in servers:
        assert all(one_version(h, [said(first), said(second)]) in (0, 1) for h in server.heard)
        assert server.failed == 0, f"{server.failed} of {server.sent} requests failed"
    return took


def test_a_published_version_reaches_every_worker_and_a_broken_one_never_does(tmp_path):
    shutil.copytree(FLOWS, tmp_path / "flows")
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    server = Server(tmp_path / "flows", tmp_path, url)
    try:
        took = check_publish_reaches_every_worker([server], tmp_path, url)
    finally:
        server.stop()
    print(f"\npublish (SQLite): the last answer from the old version {took:.2f} s after publishing; "
          f"{server.sent} requests, none failed")


def test_two_servers_on_one_postgresql_serve_a_publish_within_two_seconds(tmp_path, postgres_url):
    shutil.copytree(FLOWS, tmp_path / "flows")
    with fresh_database(postgres_url, f"publish_{os.getpid()}") as url:
        folders = [tmp_path / "a", tmp_path / "b"]
        for folder in folders:
            folder.mkdir()
        servers = []
        try:
            servers = [Server(tmp_path / "flows", folder, url) for folder in folders]  # both start on an empty database
            took = check_publish_reaches_every_worker(servers, tmp_path, url)
            db = Database(url)
            try:
                assert [v.number for v in FlowVersionStore(db).versions()] == [2, 1]  # version 1 made once
            finally:
                db.dispose()
        finally:
            for server in servers:
                server.stop()
    print(f"\npublish (2 servers, PostgreSQL): the last answer from the old version {took:.2f} s after publishing")


@pytest.fixture
def own_cluster():
    """A PostgreSQL server of this test's own, to stop and start again."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("IVR_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries not found")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found")
    root = Path(tempfile.mkdtemp(prefix="ivr-pg-down-"))
    cluster = Cluster(bin_dir, root)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_while_postgresql_is_down_the_line_serves_and_publishing_fails_clearly(tmp_path, own_cluster):
    shutil.copytree(FLOWS, tmp_path / "flows")
    url = own_cluster.url("postgres")
    env = line_env(tmp_path / "flows", url)
    first, second = edited_versions()
    server = Server(tmp_path / "flows", tmp_path, url)
    try:
        until_all_serve([server], 1, 15)
        own_cluster.run("pg_ctl", "-D", str(own_cluster.data), "-m", "fast", "-w", "stop")
        for _ in range(3 * WORKERS):  # each worker looks, fails, and keeps serving
            assert one_version(server.call(), [said(first)]) == 0
            time.sleep(0.3)
        refused = publish(tmp_path / "release", second, env, "while down")
        assert refused.returncode == 1
        assert "the database cannot be reached" in refused.stderr + refused.stdout, refused.stderr
        assert TOKEN not in refused.stderr and SECRET not in refused.stderr

        options = f"-h 127.0.0.1 -p {own_cluster.port} -k {own_cluster.root}"
        own_cluster.run("pg_ctl", "-D", str(own_cluster.data), "-l", str(own_cluster.log), "-w", "-o", options, "start")
        done = publish(tmp_path / "release", second, env, "after")
        assert done.returncode == 0 and "Published version 2" in done.stdout, done.stderr
        until_all_serve([server], 2, SWITCH_SECONDS + 3)
        assert server.failed == 0, f"{server.failed} of {server.sent} requests failed"
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "cannot look for a new flow version (OperationalError); still serving version 1" in log


def test_steps_queued_in_the_workers_are_written_when_gunicorn_stops(tmp_path):
    """Steps wait in each worker's memory (EVENTS_FLUSH_SECONDS); a normal stop writes them."""
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    running = Server(FLOWS, tmp_path, url, EVENTS_FLUSH_SECONDS="3600")
    try:
        for _ in range(12):
            running.call()
    finally:
        running.stop()
    assert running.process.returncode == 0 and running.failed == 0
    with Database(url).begin(durable=False) as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 12
        assert set(conn.execute(select(events.c.flow_version)).scalars()) == {1}
