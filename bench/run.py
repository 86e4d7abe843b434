"""The load benchmark: `make bench`, or `python -m bench.run --help`.

Starts the production server (the Procfile command, production settings, a temporary SQLite
database) and the baseline app under the same gunicorn command and settings, both on 127.0.0.1,
prepares the callers' and texters' state, then drives each scenario from this process with
pre-signed requests, in rounds: baseline, then every scenario, then again. Each scenario's
throughput is divided by the baseline's from the same round; the table shows medians over the
rounds. Writes the results section of bench/README.md. Bounded: each scenario runs a fixed number
of seconds (the booking ones at most a fixed number of requests), and the servers are always stopped.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from twilio.request_validator import RequestValidator

from . import loadgen
from .loadgen import Run, Source, build_request, drive, exchange
from .servers import (
    HOST,
    ROOT,
    GunicornSettings,
    Server,
    free_port,
    machine_busy_seconds,
    procfile_command,
    server_env,
)

AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
SECRET_KEY = secrets.token_hex(32)  # production refuses a published key; a run makes its own
TRANSFER_NUMBER = "+15025550199"
LINE_NUMBER = "+15025550100"
README = ROOT / "bench" / "README.md"
RESULTS_START, RESULTS_END = "<!-- results:start -->", "<!-- results:end -->"

# Targets on 2 cores (the issue "Ready for a real number").
TARGET_RATIO = {"voice": 0.7, "sms": 0.5, "booking": 0.5}
TARGET_P99_MS = 50.0


class Signer:
    """Builds requests signed as Twilio signs them, for one server."""

    def __init__(self, port: int, token: str = AUTH_TOKEN):
        self.port = port
        self.base_url = f"http://{HOST}:{port}"
        self.validator = RequestValidator(token)

    def post(self, path: str, params: dict) -> bytes:
        signature = self.validator.compute_signature(self.base_url + path, params)
        return build_request("POST", path, HOST, self.port, params, {"X-Twilio-Signature": signature})


def call_params(i: int, **extra) -> dict:
    return {"CallSid": f"CA{i:032d}", "AccountSid": "AC" + "0" * 32, "From": f"+1502{i % 10_000_000:07d}",
            "To": LINE_NUMBER, "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


def sms_params(i: int, number: int, body: str) -> dict:
    return {"MessageSid": f"SM{i:032d}", "AccountSid": "AC" + "0" * 32, "From": f"+1606{number % 10_000_000:07d}",
            "To": LINE_NUMBER, "Body": body, "NumMedia": "0"}


@dataclass
class Scenario:
    name: str  # short id
    title: str  # what the table says
    kind: str  # baseline, voice, sms or booking: which target applies
    target: str  # "baseline" or "app": which server
    expect: bytes  # a part of every good answer
    requests: Callable[[int], list[bytes]] | None = None  # run number -> requests to send round and round
    prepare: Callable[[int], list[bytes]] | None = None  # count -> requests each sent once (bookings)
    sized_like: str = ""  # prepare about as many as this scenario answered in the same round


@dataclass
class Options:
    duration: float = 3.0
    warmup: float = 0.5
    rounds: int = 3
    connections: int = 50
    bookings: int = 2000  # at most this many booking confirmations prepared for one run
    settings: GunicornSettings = field(default_factory=GunicornSettings)
    only: tuple[str, ...] = ()
    profile_dir: Path | None = None  # py-spy each scenario into this folder (an extra, untimed pass)
    paced_share: float = 0.5  # then again at this share of the closed loop's req/s (0: not)


# ---- preparing state ------------------------------------------------------------------------------

class Preparer:
    """Opens slots in the database and walks callers and texters up to the booking confirmation."""

    def __init__(self, app_signer: Signer, database_url: str):
        from ivr.storage.db import Database
        from ivr.storage.slots import SlotStore

        self.signer = app_signer
        self.db = Database(database_url)
        self.store = SlotStore(self.db)
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        self.sms_latest = now + timedelta(days=400)  # texters' slots count down from here
        self.voice_from = now + timedelta(days=500)  # callers' slots count up from here, after all of those
        self.sms_batches = 0
        self.voice_slots = 0
        self.serial = 10_000_000  # CallSids and MessageSids of prepared requests
        self.texters = 1_000_000  # the From numbers of texters who book (the keyword scenario uses lower ones)
        self.calls = 50_000_000  # CallSids of callers who book
        self.seconds = 0.0  # spent preparing

    def close(self) -> None:
        self.db.dispose()

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def sms_confirmations(self, count: int) -> list[bytes]:
        """`count` texters at the readback stage (BOOK -> pick -> name), each on a slot of their
        own; returns each one's signed YES. A texter picks from the 3 soonest open slots, so the
        slots are opened 3 at a time, each three sooner than all before them."""
        started = time.monotonic()
        yes, numbers = [], list(range(self.texters, self.texters + count))
        self.texters += count
        step = timedelta(minutes=30)
        for batch_start in range(0, count, 3):
            batch = numbers[batch_start:batch_start + 3]
            self.sms_batches += 1
            start = self.sms_latest - self.sms_batches * 3 * step
            if start <= datetime.now(timezone.utc) + timedelta(days=1):
                raise RuntimeError("too many texters for the slot calendar: lower --bookings")
            added = self.store.add_slots(start, step, 3, "Bench", 30)
            if len(added) != 3:
                raise RuntimeError("could not open the benchmark's slots")
            answers = exchange(HOST, self.signer.port,
                               [self.signer.post("/sms", sms_params(self._next(), n, "BOOK")) for n in batch], 3)
            _expect(answers, b"\n3 ", "BOOK")  # a list of (at least) 3 times
        picks = [self.signer.post("/sms", sms_params(self._next(), n, str(i % 3 + 1))) for i, n in enumerate(numbers)]
        _expect(exchange(HOST, self.signer.port, picks, 16), b"<Message>", "a slot number")
        names = [self.signer.post("/sms", sms_params(self._next(), n, f"Pat Doe {n}")) for n in numbers]
        _expect(exchange(HOST, self.signer.port, names, 16), b"<Message>", "a name")
        self._check_readback(numbers)
        for n in numbers:
            yes.append(self.signer.post("/sms", sms_params(self._next(), n, "YES")))
        self.seconds += time.monotonic() - started
        return yes

    def _check_readback(self, numbers: list[int]) -> None:
        """Every texter waits at the readback with a name, each on a different slot."""
        from ivr.privacy import phone_hash
        from ivr.storage.sms_store import SmsStore

        store, now, slots = SmsStore(self.db, 60), datetime.now(timezone.utc), set()
        for n in numbers:
            place = store.load_place(phone_hash(sms_params(0, n, "")["From"], SECRET_KEY), now)
            booking = (place.data or {}) if place else {}
            if booking.get("stage") != "readback" or not booking.get("name") or booking.get("slot") in slots:
                raise RuntimeError(f"preparing: texter {n} is not at a readback of a slot of their own: {booking}")
            slots.add(booking["slot"])

    def voice_confirmations(self, count: int) -> list[bytes]:
        """`count` calls at the readback stage, each on a slot of its own: the caller said their
        name (kept in the database under the call), and the answer's <Gather action> is the
        readback URL; returns each call's signed press of 1 (yes) on it."""
        started = time.monotonic()
        slot_ids = []
        while len(slot_ids) < count:
            n = min(1000, count - len(slot_ids))
            start = self.voice_from + self.voice_slots * timedelta(minutes=30)
            slot_ids += [s.id for s in self.store.add_slots(start, timedelta(minutes=30), n, "Bench", 30)]
            self.voice_slots += n
        calls = list(range(self.calls, self.calls + count))
        self.calls += count
        named = [self.signer.post(f"/voice/step?node=appointments&lang=en&miss=0&stage=name&slot={slot}",
                                  call_params(call, SpeechResult="Maria Gonzalez", Confidence="0.9",
                                              CallStatus="in-progress"))
                 for call, slot in zip(calls, slot_ids)]
        answers = exchange(HOST, self.signer.port, named, 16)
        _expect(answers, b"I heard Maria Gonzalez", "a name")
        presses = []
        for call, slot, answer in zip(calls, slot_ids, answers):
            action = ET.fromstring(answer.body).find("Gather").get("action")
            if "stage=readback" not in action or f"slot={slot}" not in action:
                raise RuntimeError(f"unexpected readback URL {action!r}")
            presses.append(self.signer.post(action, call_params(call, Digits="1", CallStatus="in-progress")))
        self.seconds += time.monotonic() - started
        return presses


def _expect(answers: list, part: bytes, what: str) -> None:
    for answer in answers:
        if answer.status != 200 or part not in answer.body:
            raise RuntimeError(f"preparing: the answer to {what} was {answer.status} {answer.body[:300]!r}")


# ---- the scenarios --------------------------------------------------------------------------------

def scenarios(baseline: Signer, app: Signer, preparer: Preparer) -> list[Scenario]:
    """The baseline and the app's scenarios. Texters' numbers differ from run to run, so the
    SMS rate limit (texts per number per minute) never answers for the line."""
    sids = iter(range(1, 10**9))
    step = "/voice/step?node=main&lang=en&miss=0"

    def same(make: Callable[[int], bytes], count: int = 500) -> Callable[[int], list[bytes]]:
        return lambda _run: [make(next(sids)) for _ in range(count)]

    def texts(run: int) -> list[bytes]:  # 500 texters new to this run, texting round and round
        return [app.post("/sms", sms_params(next(sids), 1000 * run + n, "TREATMENT")) for n in range(500)]

    return [
        Scenario("baseline", "baseline: bare Flask, constant TwiML", "baseline", "baseline", b"<Gather",
                 same(lambda i: baseline.post("/twiml", call_params(i, CallStatus="ringing")), 200)),
        Scenario("voice_call", "voice: new call `POST /voice`", "voice", "app", b"<Gather",
                 same(lambda i: app.post("/voice", call_params(i, CallStatus="ringing")))),
        Scenario("voice_digits", "voice: menu step, Digits=3", "voice", "app", b"node=treatment",
                 same(lambda i: app.post(step, call_params(i, Digits="3", CallStatus="in-progress")))),
        Scenario("voice_speech", "voice: menu step, speech", "voice", "app", b"node=treatment",
                 same(lambda i: app.post(step, call_params(i, SpeechResult="um I want to hear about treatments",
                                                           Confidence="0.87", CallStatus="in-progress")))),
        Scenario("sms_keyword", "SMS: TREATMENT, state saved", "sms", "app", b"<Message>", texts),
        Scenario("sms_booking", "booking: SMS YES at readback", "booking", "app", b"Booked:",
                 prepare=preparer.sms_confirmations, sized_like="sms_keyword"),
        Scenario("voice_booking", "booking: voice readback, press 1", "booking", "app", b"You are booked",
                 prepare=preparer.voice_confirmations, sized_like="voice_speech"),
    ]


# ---- the run --------------------------------------------------------------------------------------

@dataclass
class Measured:
    scenario: Scenario
    runs: list[Run] = field(default_factory=list)  # closed loop, one a round
    ratios: list[float] = field(default_factory=list)  # req/s over the baseline's in the same round
    cpu_ratios: list[float] = field(default_factory=list)  # the baseline's server CPU a request over this one's
    paced: list[Run] = field(default_factory=list)  # at a share of the closed loop's req/s, one a round

    def median(self, value: Callable[[Run], float], paced: bool = False) -> float:
        values = [value(r) for r in (self.paced if paced else self.runs)]
        return statistics.median(values) if values else float("nan")


def run_benchmark(options: Options, log: Callable[[str], None] = print) -> dict:
    loadgen.check_loopback(HOST)
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        tmp_path = Path(tmp)
        database_url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        app_port, baseline_port = free_port(), free_port()
        argv = procfile_command()
        app_env = server_env({
            "IVR_ENV": "production", "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SECRET_KEY": SECRET_KEY,
            "PUBLIC_BASE_URL": f"http://{HOST}:{app_port}", "DATABASE_URL": database_url,
            "TRANSFER_NUMBER": TRANSFER_NUMBER, "OUTBOX_WORKER": "0",
        }, options.settings, app_port)
        baseline_argv = [("bench.baseline_app:app" if a == "app:app" else a) for a in argv]
        baseline_env = server_env({}, options.settings, baseline_port)
        app_server = Server("app", argv, app_env, app_port, tmp_path / "app.log")
        baseline_server = Server("baseline", baseline_argv, baseline_env, baseline_port, tmp_path / "baseline.log")
        previous = _stop_on_signals()
        pids: list[int] = []
        try:
            with app_server, baseline_server:  # both start at once; leaving the block stops both
                for server in (app_server, baseline_server):
                    server.wait_ready()
                    pids += [server.process.pid, *server.worker_pids()]
                log(f"servers up: app :{app_port}, baseline :{baseline_port} ({options.settings.describe()})")
                result = _measure(options, Signer(baseline_port), Signer(app_port), database_url,
                                  {"app": app_server, "baseline": baseline_server}, log)
        except Exception:
            for server in (app_server, baseline_server):
                tail = server.log_tail()
                if tail:
                    log(f"--- {server.name} server log (last lines) ---\n{tail}")
            raise
        finally:
            _restore_signals(previous)
    result["command"] = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))
    result["pids"] = pids  # the servers' processes, all stopped by now
    return result


def _measure(options: Options, baseline_signer: Signer, app_signer: Signer, database_url: str,
             servers: dict[str, Server], log: Callable[[str], None]) -> dict:
    wanted = set(options.only)
    preparer = Preparer(app_signer, database_url)
    try:
        chosen = [s for s in scenarios(baseline_signer, app_signer, preparer)
                  if s.name == "baseline" or not wanted or s.name in wanted]
        measured = {s.name: Measured(s) for s in chosen}
        runs = iter(range(1, 10**6))
        for round_ in range(options.rounds):
            baseline: Run | None = None
            for scenario in chosen:
                server, entry = servers[scenario.target], measured[scenario.name]
                like = measured.get(scenario.sized_like)
                estimate = like.runs[-1].rps if like and len(like.runs) > round_ else None
                run = _timed(scenario, server, _source(scenario, next(runs), options, estimate), options, None)
                entry.runs.append(run)
                if scenario.name == "baseline":
                    baseline = run
                elif baseline is not None and baseline.rps:
                    entry.ratios.append(run.rps / baseline.rps)
                    if run.server_cpu and baseline.server_cpu:
                        entry.cpu_ratios.append(_per_request(baseline.server_cpu, baseline.total)
                                                / _per_request(run.server_cpu, run.total))
                _log_run(log, round_, options, run)
                if options.paced_share and run.rps:
                    rate = run.rps * options.paced_share
                    paced = _timed(scenario, server, _source(scenario, next(runs), options, rate, exact=True),
                                   options, rate)
                    entry.paced.append(paced)
                    _log_run(log, round_, options, paced)
        if preparer.seconds:
            log(f"preparing the booking confirmations took {preparer.seconds:.1f} s (untimed)")
        profiles = _profile(options, chosen, measured, servers, log) if options.profile_dir else {}
    finally:
        preparer.close()
    return {"measured": measured, "profiles": profiles, "options": options}


def _source(scenario: Scenario, run: int, options: Options, rate: float | None, exact: bool = False) -> Source:
    """The requests for one run: cycled, or (bookings) prepared now, each to be sent once:
    as many as `rate` a second gives in the run, with a margin (at most --bookings)."""
    if scenario.prepare is None:
        return Source(scenario.requests(run))
    seconds = options.warmup + options.duration
    wanted = rate * seconds * (1.05 if exact else 1.5) + 20 if rate else options.bookings
    return Source(scenario.prepare(max(1, min(options.bookings, int(wanted)))), once=True)


def _timed(scenario: Scenario, server: Server, source: Source, options: Options, rate: float | None) -> Run:
    cpu, busy, started = server.cpu_seconds(), machine_busy_seconds(), time.perf_counter()
    run = drive(scenario.name, HOST, server.port, source, options.connections, options.duration,
                options.warmup, scenario.expect, rate)
    run.server_cpu = server.cpu_seconds() - cpu
    others = machine_busy_seconds() - busy - run.server_cpu - run.driver_cpu
    run.others_cores = max(0.0, others / (time.perf_counter() - started))
    return run


def _log_run(log: Callable[[str], None], round_: int, options: Options, run: Run) -> None:
    how = f"paced {run.rate:6.0f}/s" if run.rate else "closed loop"
    log(f"round {round_ + 1}/{options.rounds} {run.name:14} {how:14} {run.rps:7.0f} req/s  "
        f"p50 {run.percentile(50):6.1f} ms  p99 {run.percentile(99):6.1f} ms  "
        f"server CPU {_per_request(run.server_cpu, run.total):5.2f} ms/req  "
        f"driver CPU {_per_request(run.driver_cpu, run.total):5.2f} ms/req  others {run.others_cores:4.2f} cores  "
        f"({run.ok} ok, {run.errors} errors{': ' + run.first_error if run.errors else ''})")


def _per_request(seconds: float, requests: int) -> float:
    return seconds * 1000 / requests if requests else float("nan")


def _profile(options: Options, chosen: list[Scenario], measured: dict, servers: dict[str, Server],
             log: Callable[[str], None]) -> dict:
    """An extra, untimed pass: py-spy samples the server's workers while each scenario runs."""
    from . import profiling

    out = {}
    options.profile_dir.mkdir(parents=True, exist_ok=True)
    for scenario in chosen:
        server = servers[scenario.target]
        source = _source(scenario, 10**6 + len(out), options, measured[scenario.name].runs[-1].rps)
        with profiling.Recorder(server.process.pid, options.profile_dir / scenario.name,
                                seconds=options.duration) as recorder:
            drive(scenario.name, HOST, server.port, source, options.connections, options.duration + 0.5)
        out[scenario.name] = recorder.summary()
        log(f"profile of {scenario.name} ({recorder.path}):\n{out[scenario.name]}")
    return out


def _stop_on_signals():
    """SIGTERM/SIGHUP end the run like Ctrl-C, so the `with` blocks stop the servers."""
    def interrupt(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}


def _restore_signals(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


# ---- the report -----------------------------------------------------------------------------------

def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import gunicorn

        gunicorn_version = gunicorn.__version__
    except ImportError:
        gunicorn_version = "?"
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": model or platform.processor() or "unknown",
            "python": platform.python_version(), "gunicorn": gunicorn_version,
            "system": f"{platform.system()} {platform.release()}"}


def _fmt(value: float, digits: int = 0) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"


def report(result: dict) -> str:
    options: Options = result["options"]
    info = machine()
    share = f"{options.paced_share:.0%}"
    lines = [
        RESULTS_START,
        "## Results",
        "",
        "_Written by `make bench` (`python -m bench.run`); edit the text above the marker, not this section._",
        "",
        f"- when: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {info['nproc']} cores (nproc), {info['cpu']}, {info['system']}",
        f"- Python {info['python']}, gunicorn {info['gunicorn']}: `{result['command']}` with "
        f"`GUNICORN_CMD_ARGS=\"{options.settings.args(0).replace(':0', ':PORT')}\"`, that is "
        f"{options.settings.describe()}; the baseline is `gunicorn bench.baseline_app:app` with the same settings",
        f"- load: {options.connections} connections, keep-alive, from one driver process on 127.0.0.1; "
        f"{options.rounds} rounds, each scenario {options.warmup:g} s warm-up + {options.duration:g} s measured "
        "(a booking scenario stops early when its prepared confirmations run out: each is sent once)",
        "- each figure is the median over the rounds; each ratio divides by the baseline measured just "
        "before it, in the same round",
        f"- other work on the machine meanwhile (not the servers, not the driver): {_background(result)}",
        "",
        f"Closed loop (every connection sends its next request as soon as the answer is in), then paced at "
        f"{share} of that throughput (open loop: latency counted from when each request was due):",
        "",
        "| scenario | req/s | × baseline | target | p50 ms | p99 ms | server CPU ms/req | CPU × baseline | "
        "paced req/s | paced p50 ms | paced p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    misses = []
    for name, entry in result["measured"].items():
        scenario = entry.scenario
        rps = entry.median(lambda r: r.rps)
        p50, p99 = entry.median(lambda r: r.percentile(50)), entry.median(lambda r: r.percentile(99))
        cpu = entry.median(lambda r: _per_request(r.server_cpu, r.total))
        paced_rps = entry.median(lambda r: r.rps, paced=True)
        paced_p50 = entry.median(lambda r: r.percentile(50), paced=True)
        paced_p99 = entry.median(lambda r: r.percentile(99), paced=True)
        errors = sum(r.errors for r in entry.runs + entry.paced)
        cpu_ratio = _fmt(statistics.median(entry.cpu_ratios), 2) if entry.cpu_ratios else "-"
        if scenario.kind == "baseline":
            ratio_text, target_text, cpu_ratio = "1.00", "", "1.00"
        else:
            ratio = statistics.median(entry.ratios) if entry.ratios else float("nan")
            target = TARGET_RATIO[scenario.kind]
            ratio_text, target_text = _fmt(ratio, 2), f"≥ {target:g}"
            if not ratio >= target:
                misses.append(f"{name}: {ratio:.2f} × baseline (target {target:g})")
            if not p99 < TARGET_P99_MS:
                misses.append(f"{name}: p99 {p99:.1f} ms in the closed loop (target < {TARGET_P99_MS:g} ms)")
        if errors:
            first = next(r.first_error for r in entry.runs + entry.paced if r.errors)
            misses.append(f"{name}: {errors} errors (first: {first})")
        lines.append(f"| {scenario.title} | {_fmt(rps)} | {ratio_text} | {target_text} | {_fmt(p50, 1)} | "
                     f"{_fmt(p99, 1)} | {_fmt(cpu, 2)} | {cpu_ratio} | {_fmt(paced_rps)} | {_fmt(paced_p50, 1)} | "
                     f"{_fmt(paced_p99, 1)} | {errors} |")
    lines += [
        "",
        f"Targets: voice ≥ {TARGET_RATIO['voice']:g} × baseline, SMS and booking ≥ {TARGET_RATIO['sms']:g} × "
        f"baseline, p99 < {TARGET_P99_MS:g} ms at {options.connections} connections. In a closed loop the mean "
        f"latency is connections ÷ throughput, so at {options.connections} connections a p99 under "
        f"{TARGET_P99_MS:g} ms needs well over {options.connections / TARGET_P99_MS * 1000:,.0f} req/s; the paced "
        "columns show the latency when the server is not saturated. *CPU × baseline* divides the baseline's "
        "server CPU time a request by the scenario's: what the throughput ratio comes to when the server is "
        "CPU-bound, and steadier than req/s on a shared machine.",
        "",
    ]
    lines += (["Missed:", ""] + [f"- {m}" for m in misses]) if misses else ["All targets met."]
    lines += ["", RESULTS_END, ""]
    return "\n".join(lines)


def _background(result: dict) -> str:
    cores = sorted(r.others_cores for e in result["measured"].values() for r in e.runs + e.paced)
    if not cores:
        return "not measured"
    text = f"{statistics.median(cores):.2f} cores on average (at most {cores[-1]:.2f})"
    if statistics.median(cores) > 0.2:
        text += " — **a busy machine: these numbers are lower and noisier than on a quiet one**"
    return text


def write_report(text: str, path: Path = README) -> None:
    """Replace the results section of the file, keeping the hand-written text above it."""
    old = path.read_text() if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(re.escape(RESULTS_START) + r".*?" + re.escape(RESULTS_END) + r"\n?", re.DOTALL)
    if pattern.search(old):
        new = pattern.sub(lambda _m: text, old)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)


def as_json(result: dict) -> dict:
    return {"machine": machine(), "command": result["command"],
            "settings": result["options"].settings.describe(),
            "scenarios": {name: {"rps": [r.rps for r in e.runs], "ratios": e.ratios, "cpu_ratios": e.cpu_ratios,
                                 "others_cores": [r.others_cores for r in e.runs + e.paced],
                                 "server_cpu_ms": [_per_request(r.server_cpu, r.total) for r in e.runs],
                                 "driver_cpu_ms": [_per_request(r.driver_cpu, r.total) for r in e.runs],
                                 "paced_rps": [r.rps for r in e.paced],
                                 "paced_p99_ms": [r.percentile(99) for r in e.paced],
                                 "p50_ms": [r.percentile(50) for r in e.runs],
                                 "p99_ms": [r.percentile(99) for r in e.runs],
                                 "errors": [r.errors for r in e.runs], "statuses": [dict(r.statuses) for r in e.runs]}
                          for name, e in result["measured"].items()},
            "profiles": result["profiles"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=Options.duration, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=float, default=Options.warmup, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=Options.rounds)
    parser.add_argument("--connections", type=int, default=Options.connections)
    parser.add_argument("--bookings", type=int, default=Options.bookings,
                        help="at most this many booking confirmations prepared for one run")
    parser.add_argument("--workers", type=int, default=GunicornSettings.workers)
    parser.add_argument("--worker-class", default=GunicornSettings.worker_class)
    parser.add_argument("--threads", type=int, default=GunicornSettings.threads)
    parser.add_argument("--only", nargs="*", default=(), help="scenario names (the baseline always runs)")
    parser.add_argument("--results", type=Path, default=README, help="the file whose results section to write")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--paced-share", type=float, default=Options.paced_share,
                        help="then drive each scenario at this share of its closed-loop req/s (0: skip)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="after the timed rounds, record each scenario with py-spy into DIR")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.duration > 120 or args.rounds < 1 or args.rounds > 20:
        parser.error("keep it bounded: 0 < --duration <= 120, 1 <= --rounds <= 20")
    options = Options(args.duration, args.warmup, args.rounds, args.connections, args.bookings,
                      GunicornSettings(args.workers, args.worker_class, args.threads), tuple(args.only),
                      args.profile, args.paced_share)
    result = run_benchmark(options)
    text = report(result)
    print(text)
    if not args.no_write:
        write_report(text, args.results)
        print(f"wrote {args.results}")
    if args.json:
        args.json.write_text(json.dumps(as_json(result), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
