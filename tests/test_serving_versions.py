"""The running line serves the database's live version: a restart or a new server serves it,
not the files on disk; a publish made anywhere is served after the next look; each step records
the version that answered it; the database going away leaves the loaded version serving; a
version this code cannot serve is refused while the last good one keeps serving; and in
development an edit of the files is published by `files`."""
import logging
import shutil

import pytest

from ivr.app import create_app
from ivr.flow import FlowError
from ivr.flow.source import CHECK_EVERY
from ivr.services import current_flow
from ivr.simulate.phone import Phone, Signer
from ivr.storage.db import Database
from ivr.storage.flow_versions import FlowVersionStore
from ivr.storage.tables import events
from ivr.versions.publishing import FlowVersions

from conftest import AUTH_TOKEN, FLOWS, make_config
from versions_helpers import Clock as WallClock
from versions_helpers import broken, shipped, text_of, with_text

EMERGENCY = ("phrases", "call_emergency", "en")


class Ticks:
    """The flow source's monotonic clock: each tick is one look's worth of time."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def tick(self):
        self.now += CHECK_EVERY


@pytest.fixture
def flows(tmp_path):
    shutil.copytree(FLOWS, tmp_path / "flows")
    return tmp_path / "flows"


def make_app(tmp_path, flows, **overrides):
    ticks = Ticks()
    app = create_app(make_config(tmp_path, FLOWS_DIR=str(flows), MONOTONIC_CLOCK=ticks, FLOW_LOOK_WAIT=30,
                                 **overrides))
    return app, ticks


def another_server(app) -> FlowVersions:
    """Publishing as another server (or the release step) does: its own connections, same database."""
    return FlowVersions(FlowVersionStore(Database(app.config["DATABASE_URL"])), WallClock())


def first_words(app) -> str:
    return Phone(Signer(app.test_client(), AUTH_TOKEN)).call().text


def emergency_said(files) -> str:
    return text_of(files, "line.yaml", EMERGENCY)


def test_a_restart_serves_the_database_version_not_the_files_on_disk(tmp_path, flows):
    app, _ = make_app(tmp_path, flows)
    publisher = another_server(app)
    published = with_text(shipped(), "line.yaml", EMERGENCY, "Published: hang up and call 9 1 1.")
    publisher.publish(published, "cli", "new emergency wording")
    on_disk = with_text(shipped(), "line.yaml", EMERGENCY, "On disk only: call 9 1 1.")
    (flows / "line.yaml").write_bytes(on_disk["line.yaml"])  # a redeploy with other files

    restarted, _ = make_app(tmp_path, flows)
    assert restarted.extensions["ivr"].flows.flow.number == 2
    heard = first_words(restarted)
    assert "Published: hang up and call 9 1 1." in heard and "On disk only" not in heard
    assert [v.number for v in publisher.history()] == [2, 1]  # the restart published nothing


def test_a_publish_is_served_after_the_next_look_and_healthz_shows_it(tmp_path, flows):
    app, ticks = make_app(tmp_path, flows)
    client = app.test_client()
    health = client.get("/healthz").get_json()
    assert health["flow"]["number"] == 1 and health["status"] == "ok"
    edited = with_text(shipped(), "line.yaml", EMERGENCY, "Hang up now and call 9 1 1.")
    row = another_server(app).publish(edited, "cli", "edit").version
    assert "Hang up now" not in first_words(app)  # no look yet
    ticks.tick()
    assert "Hang up now and call 9 1 1." in first_words(app)
    health = client.get("/healthz").get_json()
    assert health["flow"]["number"] == 2
    assert health["flow"]["published_at"] == row.published_at.isoformat(timespec="seconds")
    assert health["flow"]["files"] == sorted(shipped())


def test_each_step_records_the_version_that_answered_it(tmp_path, flows):
    app, ticks = make_app(tmp_path, flows)
    first_words(app)
    another_server(app).publish(with_text(shipped(), "line.yaml", EMERGENCY, "Call 9 1 1 now."), "cli", "edit")
    ticks.tick()
    first_words(app)
    with app.extensions["ivr"].db.engine.connect() as conn:
        served = [row.flow_version for row in conn.execute(events.select().order_by(events.c.id))]
    assert served == [1, 2]


def test_a_request_is_answered_from_one_version_throughout(tmp_path, flows):
    app, ticks = make_app(tmp_path, flows)
    publisher = another_server(app)

    @app.get("/probe")
    def probe():
        before = current_flow()
        publisher.publish(with_text(shipped(), "line.yaml", EMERGENCY, "Call 9 1 1 now."), "cli", "mid-request")
        ticks.tick()
        return {"same": current_flow() is before, "number": current_flow().number}

    assert app.test_client().get("/probe").get_json() == {"same": True, "number": 1}
    assert app.extensions["ivr"].flows.flow.number == 2  # the next request gets it


def test_while_the_database_is_down_the_loaded_version_keeps_serving(tmp_path, flows, caplog):
    caplog.set_level(logging.INFO, logger="ivr.flow")
    (tmp_path / "db").mkdir()
    app, ticks = make_app(tmp_path, flows, DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'ivr.sqlite3'}",
                          DATABASE_BUSY_TIMEOUT_MS=200)
    shipped_words = emergency_said(shipped())
    app.extensions["ivr"].db.engine.dispose()
    shutil.move(tmp_path / "db", tmp_path / "away")
    try:
        for _ in range(3):
            ticks.tick()
            assert shipped_words in first_words(app)
        assert app.test_client().get("/healthz").get_json()["flow"]["number"] == 1
    finally:
        app.extensions["ivr"].db.engine.dispose()
        shutil.move(tmp_path / "away", tmp_path / "db")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "ivr.flow"]
    assert warned == ["cannot look for a new flow version (OperationalError); still serving version 1"]  # once

    another_server(app).publish(with_text(shipped(), "line.yaml", EMERGENCY, "Back: call 9 1 1."), "cli", "edit")
    ticks.tick()
    assert "Back: call 9 1 1." in first_words(app)


def test_a_version_this_code_cannot_serve_is_refused_and_the_last_good_one_keeps_serving(tmp_path, flows):
    app, ticks = make_app(tmp_path, flows)
    files, line = broken(shipped())
    store = FlowVersionStore(Database(app.config["DATABASE_URL"]))
    with store.publishing() as tx:  # as a newer release's version would look to this code
        from ivr.flow.loader import content_hash
        from ivr.storage.flow_versions import Checks
        tx.add(files, content_hash(files), WallClock()(), "cli", "from a newer release", 1, Checks(0, 0, []), {})
    ticks.tick()
    assert emergency_said(shipped()) in first_words(app)
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "edit_refused" and health["flow"]["number"] == 1
    assert health["rejected"]["number"] == 2 and health["rejected"]["first_error"].startswith(f"main.yaml:{line}: ")

    with pytest.raises(FlowError, match=f"main.yaml:{line}: "):
        make_app(tmp_path, flows)  # a new server does not start on it
    command_app, _ = make_app(tmp_path, flows, FLOW_REQUIRED=False)  # the command line does, to ship a fix
    assert command_app.extensions["ivr"].versions.publish(shipped(), "cli", "fix").version.number == 3


def test_in_development_an_edit_of_the_files_is_published_by_files(tmp_path, flows, caplog):
    caplog.set_level(logging.INFO, logger="ivr.flow")
    app, ticks = make_app(tmp_path, flows, IVR_ENV="development")
    versions = app.extensions["ivr"].versions
    edited = with_text(shipped(), "line.yaml", EMERGENCY, "Edited: call 9 1 1.")
    (flows / "line.yaml").write_bytes(edited["line.yaml"])
    ticks.tick()
    assert "Edited: call 9 1 1." in first_words(app)
    live = versions.live()
    assert (live.number, live.published_by) == (2, "files") and versions.files(2) == edited

    files, line = broken(edited)
    (flows / "main.yaml").write_bytes(files["main.yaml"])
    ticks.tick()
    assert "Edited: call 9 1 1." in first_words(app)  # the broken edit never reaches a caller
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "edit_refused" and health["rejected"]["first_error"].startswith(f"main.yaml:{line}: ")
    assert versions.live().number == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and r.name == "ivr.flow"]
    assert errors[0].startswith("flow edit refused (version ") and errors[0].endswith("still serving version 2")

    (flows / "main.yaml").write_bytes(shipped()["main.yaml"])  # fixed: the folder is version 2's again
    ticks.tick()
    assert app.test_client().get("/healthz").get_json()["rejected"]["superseded"] is True
    assert versions.live().number == 2

    again = with_text(edited, "line.yaml", EMERGENCY, "Edited while stopped: call 9 1 1.")
    (flows / "line.yaml").write_bytes(again["line.yaml"])
    restarted, _ = make_app(tmp_path, flows, IVR_ENV="development")
    assert restarted.extensions["ivr"].versions.live().number == 3  # the edit, published at start
    assert "Edited while stopped" in first_words(restarted)
    unchanged, _ = make_app(tmp_path, flows, IVR_ENV="development")
    assert unchanged.extensions["ivr"].versions.live().number == 3  # no edit since: nothing new


def test_outside_development_files_on_disk_are_never_published_by_themselves(tmp_path, flows):
    app, ticks = make_app(tmp_path, flows)
    (flows / "line.yaml").write_bytes(with_text(shipped(), "line.yaml", EMERGENCY, "Not this.")["line.yaml"])
    ticks.tick()
    assert "Not this." not in first_words(app)
    assert app.extensions["ivr"].versions.live().number == 1
