"""The flow source following a folder of files (a trial's origin, and `make run`'s development
convenience): a saved edit is served, a broken edit is refused while the last good flow keeps
serving, and /healthz says which is which. The database as origin: test_serving_versions.py."""
import logging
import os
import shutil
import threading

import pytest

from ivr.app import create_app
from ivr.flow.origins import FolderOrigin
from ivr.flow.source import CHECK_EVERY, FlowSource
from ivr.services import current_flow

from conftest import FLOWS, make_config

EMERGENCY = "Hang up and call 9 1 1."
EDITED = "Hang up now and call 9 1 1."


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def tick(self, seconds=CHECK_EVERY):
        self.now += seconds


@pytest.fixture
def flows(tmp_path):
    shutil.copytree(FLOWS, tmp_path / "flows")
    return tmp_path / "flows"


def save(path, old, new):
    """Save an edit the way an editor does, with a fresh modification time."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a coarse clock cannot hide it


def emergency(flow):
    return flow.phrase("call_emergency", "en")


def test_a_saved_edit_is_served_after_the_next_look(flows):
    clock = Clock()
    source = FlowSource(FolderOrigin(flows), clock).start()
    first = source.flow
    save(flows / "line.yaml", EMERGENCY, EDITED)
    clock.tick(CHECK_EVERY / 2)
    assert source.flow is first  # no look at the files yet
    clock.tick(CHECK_EVERY / 2)
    assert emergency(source.flow).endswith(EDITED)
    assert source.flow.version != first.version and source.rejected is None
    assert emergency(first).endswith(EMERGENCY)  # the old flow is untouched for whoever still has it


def errors_logged(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "ivr.flow" and r.levelno == logging.ERROR]


def test_a_broken_edit_is_refused_and_the_last_good_flow_keeps_serving(flows, caplog):
    caplog.set_level(logging.INFO, logger="ivr.flow")
    clock = Clock()
    source = FlowSource(FolderOrigin(flows), clock).start()
    save(flows / "line.yaml", EMERGENCY, EDITED)
    clock.tick()
    good = source.flow
    save(flows / "main.yaml", "goto: treatment\n", "goto: treatmnt\n")
    clock.tick()
    assert source.flow is good
    line = (flows / "main.yaml").read_text().splitlines().index("        goto: treatmnt") + 1
    first_error = (f"main.yaml:{line}: node 'main' option 3 goto: node 'treatmnt' is not defined "
                   "(did you mean 'treatment'?)")
    assert source.rejected.first_error == first_error and source.rejected.errors == 1
    assert errors_logged(caplog) == [
        f"flow edit refused (version {source.rejected.version}, 1 error); still serving version {good.version}",
        f"  {first_error}"]
    status = source.status()
    assert status["status"] == "edit_refused" and status["flow"]["version"] == good.version

    clock.tick()
    assert source.flow is good and len(errors_logged(caplog)) == 2  # refused once, not again at every look

    save(flows / "main.yaml", "goto: treatmnt\n", "goto: treatment\n")  # fixed
    clock.tick()
    assert source.flow.version != source.rejected.version
    assert source.status()["status"] == "ok" and source.status()["rejected"]["superseded"] is True


def test_saving_without_a_change_keeps_the_same_flow(flows):
    clock = Clock()
    source = FlowSource(FolderOrigin(flows), clock).start()
    first = source.flow
    save(flows / "line.yaml", EMERGENCY, EMERGENCY)
    clock.tick()
    assert source.flow is first


def test_a_request_keeps_the_flow_it_started_with(flows):
    clock = Clock()
    source = FlowSource(FolderOrigin(flows), clock).start()
    pinned = source.pin()
    save(flows / "line.yaml", EMERGENCY, EDITED)
    clock.tick()
    assert source.flow is pinned  # mid-request: the same flow throughout
    source.unpin()
    assert emergency(source.flow).endswith(EDITED)  # the next request gets the edit


def test_requests_are_not_held_up_while_another_thread_reloads(flows, monkeypatch):
    clock = Clock()
    source = FlowSource(FolderOrigin(flows), clock).start()
    first = source.flow
    reading, release = threading.Event(), threading.Event()
    from ivr.flow import source as source_module
    real_check = source_module.check_files

    def slow_check(*args):
        reading.set()
        release.wait(5)
        return real_check(*args)

    monkeypatch.setattr(source_module, "check_files", slow_check)
    save(flows / "line.yaml", EMERGENCY, EDITED)
    clock.tick()
    reloader = threading.Thread(target=lambda: source.flow)
    reloader.start()
    assert reading.wait(5)
    served = [source.flow for _ in range(100)]  # while the reload is under way
    release.set()
    reloader.join(5)
    assert all(flow is first for flow in served)
    assert emergency(source.flow).endswith(EDITED)


def test_a_folder_that_is_gone_is_refused_not_a_crash(flows):
    clock = Clock()
    source = FlowSource(FolderOrigin(flows), clock).start()
    first = source.flow
    shutil.rmtree(flows)
    clock.tick()
    assert source.flow is first
    assert source.rejected is not None and "no flow files" in source.rejected.first_error


def app_with_clock(tmp_path, flows):
    """In development (`make run`) an edit of the folder is published as a new version by `files`."""
    clock = Clock()
    app = create_app(make_config(tmp_path, FLOWS_DIR=str(flows), MONOTONIC_CLOCK=clock, FLOW_LOOK_WAIT=30,
                                 IVR_ENV="development"))
    return app, clock


def test_healthz_reports_the_version_serving_and_the_last_refused_edit(tmp_path, flows):
    app, clock = app_with_clock(tmp_path, flows)
    source = app.extensions["ivr"].flows
    client = app.test_client()
    healthy = client.get("/healthz").get_json()
    live = app.extensions["ivr"].versions.live()
    assert healthy == {"status": "ok", "worker": os.getpid(), "rejected": None, "database": "ok",
                       "flow": {"number": 1, "published_at": live.published_at.isoformat(timespec="seconds"),
                                "version": source.flow.version, "loaded_at": source.loaded_at,
                                "files": sorted(p.name for p in flows.glob("*.yaml"))}}

    save(flows / "main.yaml", "goto: treatment\n", "goto: treatmnt\n")
    clock.tick()
    refused = client.get("/healthz").get_json()  # looking also picks up the edit
    assert refused["status"] == "edit_refused"
    assert refused["flow"]["version"] == healthy["flow"]["version"]
    assert refused["rejected"]["first_error"].startswith("main.yaml:")
    assert "node 'treatmnt' is not defined" in refused["rejected"]["first_error"]
    assert refused["rejected"]["errors"] == 1 and refused["rejected"]["superseded"] is False


def test_within_a_request_the_flow_never_changes(tmp_path, flows):
    app, clock = app_with_clock(tmp_path, flows)

    @app.get("/probe")
    def probe():
        before = current_flow()
        save(flows / "line.yaml", EMERGENCY, EDITED)
        clock.tick()
        return {"same": current_flow() is before, "text": emergency(current_flow())}

    first = app.extensions["ivr"].flows.flow
    assert app.test_client().get("/probe").get_json() == {"same": True, "text": emergency(first)}
    assert emergency(app.extensions["ivr"].flows.flow).endswith(EDITED)  # after the request: the edit
