"""A small closed-loop HTTP/1.1 load driver for loopback servers.

Each of `connections` connections sends a request, waits for the whole response, and sends the
next one at once (keep-alive; it reconnects when the server closes). Requests are pre-built bytes
(signed ahead of time), so the driver spends its CPU on sockets, not on HMACs: on a 2-core machine
it shares the CPU with the server, and the cheaper it is the more the numbers say about the server.

Bounded: it stops at `duration` seconds or when the request source runs out, whichever is first,
and each request has a timeout. It only connects to the host it is given; the harness passes
127.0.0.1 (and refuses anything else, see `check_loopback`).
"""
from __future__ import annotations

import asyncio
import ipaddress
import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator
from urllib.parse import urlencode

REQUEST_TIMEOUT = 10.0  # seconds: a request slower than this counts as an error
MAX_RESPONSE = 1 << 20


def check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the benchmark only talks to loopback addresses, not {host}")


def build_request(method: str, path: str, host: str, port: int, params: dict | None = None,
                  headers: dict | None = None) -> bytes:
    """One HTTP/1.1 request as bytes (a urlencoded form body when params are given)."""
    body = urlencode(params or {}).encode() if params is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: TwilioProxy/1.1",
             "Connection: keep-alive"]
    if params is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Response:
    status: int
    body: bytes
    close: bool


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `send` returns a future of the parsed response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._waiting: asyncio.Future | None = None
        self._head: tuple[int, int, bool, bool] | None = None  # status, header length, close, chunked
        self._length: int | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self._waiting is not None and not self._waiting.done():
            if self._head is not None and self._length is None and not self._head[3]:
                self._finish(len(self._buffer))  # a body delimited by the end of the connection
            else:
                self._waiting.set_exception(ConnectionError("the server closed the connection"))

    def send(self, request: bytes) -> asyncio.Future:
        self._buffer.clear()
        self._head, self._length = None, None
        self._waiting = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiting

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiting is None or self._waiting.done():
            return
        if self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_RESPONSE:
                    self._waiting.set_exception(ValueError("response head too long"))
                return
            lines = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            close = headers.get("connection") == "close" or lines[0].startswith("HTTP/1.0")
            chunked = "chunked" in headers.get("transfer-encoding", "")
            self._head = (status, end + 4, close, chunked)
            if "content-length" in headers:
                self._length = end + 4 + int(headers["content-length"])
        if self._length is not None:
            if len(self._buffer) >= self._length:
                self._finish(self._length)
        elif self._head[3] and self._buffer.endswith(b"0\r\n\r\n"):
            self._finish(len(self._buffer))
        elif len(self._buffer) > MAX_RESPONSE:
            self._waiting.set_exception(ValueError("response too long"))

    def _finish(self, end: int) -> None:
        status, start, close, chunked = self._head
        body = bytes(self._buffer[start:end])
        if chunked:
            body = _dechunk(body)
        self._waiting.set_result(Response(status, body, close))


def _dechunk(data: bytes) -> bytes:
    out, at = bytearray(), 0
    while True:
        eol = data.index(b"\r\n", at)
        size = int(data[at:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[eol + 2:eol + 2 + size]
        at = eol + 2 + size + 2


@dataclass
class Run:
    """What one timed run measured (only requests completed inside the measuring window)."""

    name: str
    connections: int
    window: float = 0.0  # seconds measured (after the warm-up)
    latencies: list[float] = field(default_factory=list)  # seconds, of the successful ones measured
    errors: int = 0  # measured requests that failed: status, unexpected body, timeout, connection
    statuses: Counter = field(default_factory=Counter)
    total: int = 0  # every request completed, warm-up included
    first_error: str = ""
    rate: float | None = None  # paced at this many requests a second; None: closed loop
    driver_cpu: float = 0.0  # CPU seconds this process spent driving, warm-up included
    server_cpu: float = 0.0  # CPU seconds the server's workers spent meanwhile (set by the harness)
    others_cores: float = 0.0  # cores kept busy meanwhile by everything else on the machine (set by the harness)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.ok / self.window if self.window > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Latency at percentile p (0-100), in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[rank] * 1000


class Source:
    """The requests to send: cycled round and round, or each sent once (`once=True`)."""

    def __init__(self, requests: Iterable[bytes], once: bool = False):
        self.requests = list(requests)
        if not self.requests:
            raise ValueError("no requests to send")
        self._next: Iterator[bytes] = iter(self.requests) if once else itertools.cycle(self.requests)
        self.sent = 0
        # Requests sent once may go at most a quarter to the warm-up, so a fast server cannot
        # use them all up before the measuring starts.
        self.warmup_limit = max(1, len(self.requests) // 4) if once else None

    def next(self) -> bytes | None:
        request = next(self._next, None)
        self.sent += request is not None
        return request

    @property
    def warmup_spent(self) -> bool:
        return self.warmup_limit is not None and self.sent >= self.warmup_limit


async def _drive(host: str, port: int, source: Source, connections: int, duration: float, warmup: float,
                 expect: bytes | None, run: Run, rate: float | None) -> None:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    window = [started + warmup, started + warmup + duration]  # measured from, deadline
    last_done = [window[0]]
    schedule = itertools.count()  # paced: request i is due at started + i / rate

    async def next_start() -> float:
        """When the next request counts from: now (closed loop), or its due time (paced; a
        request sent late because every connection was busy still counts from when it was due,
        so a server falling behind shows in the latencies)."""
        if rate is None:
            return time.perf_counter()
        due = started + next(schedule) / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        return due

    def failed(reason: str, t0: float) -> None:
        if t0 >= window[0]:
            run.errors += 1
            run.first_error = run.first_error or reason

    async def one_connection() -> None:
        conn: _Connection | None = None
        try:
            while time.perf_counter() < window[1]:
                t0 = await next_start()
                if t0 >= window[1]:
                    return
                request = source.next()
                if request is None:
                    return
                if source.warmup_spent and t0 < window[0]:  # the warm-up ends here
                    window[:] = [t0, t0 + duration]
                    last_done[0] = t0
                try:
                    if conn is None or conn.closed:
                        _, conn = await asyncio.wait_for(
                            loop.create_connection(_Connection, host, port), REQUEST_TIMEOUT)
                    response = await asyncio.wait_for(conn.send(request), REQUEST_TIMEOUT)
                except (OSError, asyncio.TimeoutError, ValueError) as error:
                    failed(f"{type(error).__name__}: {error}", t0)
                    if conn is not None and conn.transport is not None:
                        conn.transport.close()
                    conn = None
                    continue
                t1 = time.perf_counter()
                run.total += 1
                if response.close:  # the server ends the connection (gunicorn's sync workers do)
                    conn.transport.close()
                    conn = None
                if t0 < window[0] or t1 > window[1]:
                    continue  # warm-up, or finished after the window closed
                run.statuses[response.status] += 1
                last_done[0] = max(last_done[0], t1)
                if response.status != 200:
                    failed(f"HTTP {response.status}: {response.body[:200]!r}", t0)
                elif expect is not None and expect not in response.body:
                    failed(f"unexpected answer: {response.body[:300]!r}", t0)
                else:
                    run.latencies.append(t1 - t0)
        finally:
            if conn is not None and conn.transport is not None:
                conn.transport.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    # The window ends at the deadline, or at the last answer when the requests ran out first.
    ran_out = time.perf_counter() < window[1]
    run.window = max(0.0, (last_done[0] if ran_out else window[1]) - window[0])


def drive(name: str, host: str, port: int, source: Source, connections: int, duration: float,
          warmup: float = 0.0, expect: bytes | None = None, rate: float | None = None) -> Run:
    """Drive the server for `warmup` + `duration` seconds (or until the source runs out): as fast
    as it answers (closed loop), or at `rate` requests a second spread over the connections."""
    check_loopback(host)
    if rate is not None and rate <= 0:
        raise ValueError("rate must be more than zero")
    run = Run(name, connections, rate=rate)
    cpu = time.process_time()
    asyncio.run(_drive(host, port, source, connections, duration, warmup, expect, run, rate))
    run.driver_cpu = time.process_time() - cpu
    return run


async def _exchange_all(host: str, port: int, requests: list[bytes], connections: int) -> list[Response]:
    loop = asyncio.get_running_loop()
    answers: list[Response | None] = [None] * len(requests)
    queue = iter(range(len(requests)))

    async def worker() -> None:
        conn: _Connection | None = None
        try:
            for i in queue:
                if conn is None or conn.closed:
                    _, conn = await asyncio.wait_for(loop.create_connection(_Connection, host, port), REQUEST_TIMEOUT)
                answers[i] = await asyncio.wait_for(conn.send(requests[i]), REQUEST_TIMEOUT)
                if answers[i].close:
                    conn.transport.close()
                    conn = None
        finally:
            if conn is not None:
                conn.transport.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(connections, len(requests))))))
    return answers  # type: ignore[return-value]


def exchange(host: str, port: int, requests: list[bytes], connections: int = 8) -> list[Response]:
    """Send each request once (untimed, for preparing state) and return the answers in order."""
    check_loopback(host)
    return asyncio.run(_exchange_all(host, port, requests, connections)) if requests else []
