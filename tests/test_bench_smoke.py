"""The load benchmark's harness works: it starts the production server and the baseline on
127.0.0.1, prepares bookings, drives every scenario for a fraction of a second with signed
requests that all succeed, writes its report, and stops every server process. No timings are
asserted: speed is measured by `make bench` (bench/README.md), not by the tests."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import loadgen  # noqa: E402
from bench.run import (  # noqa: E402
    RESULTS_END,
    RESULTS_START,
    Options,
    report,
    run_benchmark,
    write_report,
)
from bench.servers import GunicornSettings  # noqa: E402

# The benchmark brings its own SQLite database: the PostgreSQL run of the suite has nothing to add.
pytestmark = pytest.mark.skipif(os.environ.get("IVR_TEST_DATABASE") == "postgresql",
                                reason="the benchmark harness always runs on its own SQLite file")

SCENARIOS = {"baseline", "voice_call", "voice_digits", "voice_speech", "sms_keyword", "sms_booking",
             "voice_booking"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def test_the_benchmark_drives_every_scenario_and_stops_its_servers(tmp_path):
    options = Options(duration=0.3, warmup=0.1, rounds=1, connections=4, bookings=40,
                      settings=GunicornSettings(workers=1, threads=2))
    lines: list[str] = []
    result = run_benchmark(options, log=lines.append)

    measured = result["measured"]
    assert set(measured) == SCENARIOS
    for name, entry in measured.items():
        for run in entry.runs + entry.paced:
            assert run.errors == 0, f"{name}: {run.first_error}"
            assert run.ok > 0 and run.statuses == {200: run.ok}, name
        assert len(entry.paced) == 1, name
        assert entry.ratios or name == "baseline"

    assert result["pids"] and not [pid for pid in result["pids"] if _alive(pid)]

    text = report(result)
    for entry in measured.values():
        assert f"| {entry.scenario.title} |" in text
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nHand-written intro.\n")
    write_report(text, readme)
    write_report(text, readme)  # a second run replaces its section, and keeps the intro
    written = readme.read_text()
    assert written.startswith("# Benchmarks\n\nHand-written intro.\n")
    assert written.count(RESULTS_START) == 1 and written.count(RESULTS_END) == 1


def test_the_driver_talks_to_loopback_only():
    loadgen.check_loopback("127.0.0.1")
    for address in ("10.0.0.1", "192.168.1.10", "8.8.8.8"):
        with pytest.raises(ValueError):
            loadgen.check_loopback(address)


def test_requests_sent_once_keep_three_quarters_for_the_measured_window():
    """A fast server must not use up a booking scenario's prepared requests in the warm-up: the
    warm-up ends once a quarter of them are sent, and the rest are measured."""
    import asyncio
    import threading

    async def answer(reader, writer):
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()  # the driver is done

    ready, stop = threading.Event(), threading.Event()
    port = []

    def serve():
        async def main():
            server = await asyncio.start_server(answer, "127.0.0.1", 0)
            port.append(server.sockets[0].getsockname()[1])
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            server.close()
        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(5)
    try:
        request = loadgen.build_request("GET", "/", "127.0.0.1", port[0], None, {})
        source = loadgen.Source([request] * 200, once=True)
        run = loadgen.drive("once", "127.0.0.1", port[0], source, 2, duration=5.0, warmup=5.0)
    finally:
        stop.set()
        thread.join(5)
    assert source.sent == 200
    assert run.total == 200 and len(run.latencies) >= 150  # at most a quarter warmed up
    assert run.errors == 0 and run.window > 0
