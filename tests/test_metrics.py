"""GET /metrics in Prometheus's text format after real webhook requests: requests and latency by
webhook, step outcomes by node, emergency guidance served, the outbox depth; labels from bounded
sets and never a phone number. Multiprocess mode adds up the counts of several processes.
GET /healthz says whether the database answers."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ivr.config import PROJECT_ROOT
from ivr.observability.db_check import database_ok
from ivr.simulate.phone import Texter
from ivr.storage.db import Database

from conftest import make_config

CALLER = "+15025550123"
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
NUMBERS = (CALLER, "5025550123", "555-0123", "+15025550177", "5025550177")


def samples(client) -> dict[tuple, float]:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    body = response.get_data(as_text=True)
    for number in NUMBERS:
        assert number not in body
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def grew(before: dict, after: dict, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_call_and_a_text_show_in_the_metrics(client, phone, texter, flow):
    before = samples(client)
    phone.call()
    phone.press("1")
    phone.say("my legs gave out")
    phone.press("0")
    texter.send("symptoms")
    texter.send("purple elephants")
    after = samples(client)

    requests = "ivr_webhook_requests_total"
    assert grew(before, after, requests, endpoint="voice.incoming_call", status="200") == 1
    assert grew(before, after, requests, endpoint="voice.gathered", status="200") == 3
    assert grew(before, after, requests, endpoint="sms.incoming_message", status="200") == 2
    assert grew(before, after, "ivr_webhook_seconds_count", endpoint="voice.gathered") == 3
    assert grew(before, after, "ivr_webhook_seconds_bucket", endpoint="voice.gathered", le="+Inf") == 3
    assert grew(before, after, "ivr_webhook_seconds_sum", endpoint="sms.incoming_message") > 0

    outcomes = "ivr_step_outcomes_total"
    assert grew(before, after, outcomes, channel="voice", node="_language", event="start") == 1
    assert grew(before, after, outcomes, channel="voice", node="main", event="language") == 1
    assert grew(before, after, outcomes, channel="voice", node=flow.line.emergency, event="emergency") == 1
    assert grew(before, after, outcomes, channel="voice", node=flow.line.person, event="person") == 1
    assert grew(before, after, outcomes, channel="sms", node="symptoms", event="option") == 1
    assert grew(before, after, outcomes, channel="sms", node="symptoms", event="no_match") == 1

    guidance = "ivr_emergency_guidance_total"
    assert grew(before, after, guidance, channel="voice", reason="greeting") == 1
    assert grew(before, after, guidance, channel="voice", reason="red_flag") == 1
    assert grew(before, after, guidance, channel="sms", reason="red_flag") == 0


def test_every_label_value_comes_from_a_bounded_set(client, signer, flow):
    # A forged place in the URL (a number where a node should be) is answered at the main menu.
    forged = f"/voice/step?node={quote(CALLER)}&lang={quote(CALLER)}"
    assert signer.post(forged, {"CallSid": "CA" + "1" * 32, "From": CALLER, "Digits": "7"}).status_code == 200
    text = {"MessageSid": "SM" + "1" * 32, "From": "+15025550177", "Body": CALLER}
    assert signer.post("/sms", text).status_code == 200
    scrape = samples(client)

    known_nodes = set(flow.nodes) | {"_language", "none", "other"}
    endpoints = {"voice.incoming_call", "voice.gathered", "voice.show_node", "voice.dial_done", "sms.incoming_message"}
    for (name, labels), _ in scrape.items():
        labels = dict(labels)
        if name.startswith("ivr_step_outcomes"):
            assert labels["channel"] in ("voice", "sms") and labels["node"] in known_nodes
            assert labels["event"].replace("_", "").isalpha()
        if name.startswith("ivr_webhook"):
            assert labels["endpoint"] in endpoints
    assert value(scrape, "ivr_step_outcomes_total", channel="voice", node="main", event="no_match") >= 1


def test_a_refused_signature_is_counted_by_its_status(client):
    before = samples(client)
    assert client.post("/sms", data={"From": CALLER, "Body": "hi"}).status_code == 403
    after = samples(client)
    assert grew(before, after, "ivr_webhook_requests_total", endpoint="sms.incoming_message", status="403") == 1
    assert grew(before, after, "ivr_webhook_requests_total", endpoint="sms.incoming_message", status="200") == 0


def test_only_webhooks_are_timed(client, phone):
    phone.call()
    client.get("/healthz")
    scrape = samples(client)
    timed = {dict(labels)["endpoint"] for (name, labels) in scrape if name == "ivr_webhook_seconds_count"}
    assert "voice.incoming_call" in timed
    assert all(endpoint.startswith(("voice.", "sms.")) for endpoint in timed)


def test_outbox_depth_is_read_at_each_scrape(app, client):
    assert value(samples(client), "ivr_outbox_depth") == 0
    outbox = app.extensions["ivr"].outbox
    outbox.enqueue(CALLER, "Your appointment is confirmed.", "booking_confirmation", NOW)
    outbox.enqueue("+15025550177", "The page you asked for.", "content", NOW)
    assert value(samples(client), "ivr_outbox_depth") == 2


def test_metrics_still_answer_without_the_database(app, client, texter, tmp_path):
    texter.send("symptoms")
    app.extensions["ivr"].outbox.db = Database(f"sqlite:///{tmp_path / 'missing' / 'no.sqlite3'}")
    scrape = samples(client)
    assert ("ivr_outbox_depth", ()) not in scrape  # unknown now: left out, not reported as 0
    assert value(scrape, "ivr_webhook_requests_total", endpoint="sms.incoming_message", status="200") >= 1


# ---- several processes (gunicorn workers) in multiprocess mode --------------------------------

WORKER = textwrap.dedent("""
    import json, sys
    from ivr.app import create_app
    from ivr.simulate.phone import Phone, Signer, Texter
    config, calls, texts = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    client = create_app(config).test_client()
    signer = Signer(client, config["TWILIO_AUTH_TOKEN"])
    for _ in range(calls):
        Phone(signer).call()
    for _ in range(texts):
        Texter(signer).send("symptoms")
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
""")


def test_multiprocess_mode_adds_up_every_workers_counts(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    config = json.dumps(make_config(tmp_path))

    def worker(calls: int, texts: int) -> str:
        done = subprocess.run([sys.executable, "-c", WORKER, config, str(calls), str(texts)], cwd=PROJECT_ROOT,
                              env={"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(folder)},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker(2, 1)
    scrape = worker(1, 0)  # the last worker's scrape counts the first one's requests too
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for family in text_string_to_metric_families(scrape) for s in family.samples}
    assert value(found, "ivr_webhook_requests_total", endpoint="voice.incoming_call", status="200") == 3
    assert value(found, "ivr_webhook_requests_total", endpoint="sms.incoming_message", status="200") == 1
    assert value(found, "ivr_emergency_guidance_total", channel="voice", reason="greeting") == 3
    assert value(found, "ivr_outbox_depth") == 0
    assert any(folder.glob("*.db"))  # each worker's counts, on disk


# ---- /healthz: the database --------------------------------------------------------------------

def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_is_503_while_the_database_is_down(app, client, tmp_path):
    app.extensions["ivr"].db = Database(f"sqlite:///{tmp_path / 'missing' / 'no.sqlite3'}")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "error: OperationalError" and body["status"] == "database_unavailable"
    assert body["flow"]["version"]  # what the flow check says is still there


@pytest.fixture
def silent_server():
    """A TCP port that takes connections and never says a word (a hung database server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def test_the_database_check_gives_up_quickly_on_a_hung_server(silent_server):
    db = Database(f"postgresql+psycopg://ivr@127.0.0.1:{silent_server}/ivr")
    started = time.monotonic()
    ok, why = database_ok(db, timeout=0.5)
    assert (ok, why) == (False, "no answer within 0.5 s")
    assert time.monotonic() - started < 2
    assert database_ok(db, timeout=0.2) == (False, "no answer within 0.2 s")  # the same probe, still waiting
    assert sum(t.name == "healthz-db" and t.is_alive() for t in threading.enumerate()) == 1


def test_the_database_check_on_a_real_postgresql_server(postgres_url):
    db = Database(postgres_url)
    try:
        assert database_ok(db) == (True, "ok")
    finally:
        db.dispose()


def test_a_texter_who_stops_first_is_counted_without_their_number(client, signer):
    before = samples(client)
    Texter(signer, number="+15025550177").send("STOP")  # samples() checks no number is in the text
    assert grew(before, samples(client), "ivr_step_outcomes_total", channel="sms", node="none", event="opt_out") == 1
