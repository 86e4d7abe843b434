"""Starting and always stopping the servers under test: the Procfile's command, on 127.0.0.1.

The command is taken from the Procfile's `web:` line exactly as production runs it
(`gunicorn app:app`); the benchmark's gunicorn settings go in GUNICORN_CMD_ARGS, which gunicorn
reads itself, so the command is not edited. The baseline runs the same command with the app
`app:app` replaced by `bench.baseline_app:app`.
"""
from __future__ import annotations

import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_TICKS = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT = 60.0  # seconds for the server to answer its first request
STOP_TIMEOUT = 15.0  # seconds for a graceful stop before the process group is killed

# Chosen for 2 cores (see bench/README.md): one process per core, one thread each (more threads
# measured slower: a request here mostly computes, and threads add switching), gthread for
# keep-alive connections, as Twilio's are.
WORKERS = 2
WORKER_CLASS = "gthread"
THREADS = 1

# Settings the app reads from the environment: the ones in the caller's shell must not leak in.
APP_VARIABLES = ("IVR_ENV", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER", "OUTBOX_WORKER",
                 "OUTBOX_POLL_SECONDS", "EVENTS_FLUSH_SECONDS", "PUBLIC_BASE_URL", "DATABASE_URL", "TRANSFER_NUMBER",
                 "SECRET_KEY",
                 "TWILIO_VERIFY_SIGNATURES", "FLOWS_DIR", "SMS_SESSION_MINUTES", "CLINIC_TIMEZONE",
                 "OFFICE_HOURS", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "PORT")


def _stop_with_parent() -> None:
    """In the server's process before gunicorn starts: SIGTERM it should the benchmark itself be
    killed (Linux's parent-death signal), so that not even `kill -9` leaves a server running."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def procfile_command(procfile: Path = ROOT / "Procfile") -> list[str]:
    """The `web:` command of the Procfile, with gunicorn taken from this Python's environment."""
    for line in procfile.read_text().splitlines():
        if line.startswith("web:"):
            argv = shlex.split(line.removeprefix("web:"))
            if argv and argv[0] == "gunicorn":
                local = Path(sys.executable).parent / "gunicorn"
                argv[0] = str(local) if local.exists() else "gunicorn"
            return argv
    raise RuntimeError(f"{procfile} has no web: line")


@dataclass
class GunicornSettings:
    workers: int = WORKERS
    worker_class: str = WORKER_CLASS
    threads: int = THREADS
    extra: list[str] = field(default_factory=list)

    def args(self, port: int) -> str:
        parts = [f"--bind {HOST}:{port}", f"--workers {self.workers}", f"--worker-class {self.worker_class}"]
        if self.worker_class == "gthread":
            parts.append(f"--threads {self.threads}")
        parts += ["--backlog 2048", "--graceful-timeout 5", "--log-level warning", *self.extra]
        return " ".join(parts)

    def describe(self) -> str:
        plural = "s" if self.threads != 1 else ""
        threads = f" x {self.threads} thread{plural}" if self.worker_class == "gthread" else ""
        return f"{self.workers} workers ({self.worker_class}{threads})"


class Server:
    """One gunicorn server on 127.0.0.1; a context manager that always stops it."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log_path: Path,
                 ready_path: str = "/healthz"):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log_path, self.ready_path = log_path, ready_path
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> "Server":
        """Start the server and wait until it answers."""
        return self.launch().wait_ready()

    def launch(self) -> "Server":
        """Start the server (in a process group of its own, so that stopping it stops its workers)."""
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=_stop_with_parent)
        return self

    def wait_ready(self) -> "Server":
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited with {self.process.returncode}:\n{self.log_tail()}")
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} server did not answer within {READY_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            connection.request("GET", self.ready_path)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (the master's children), for a profiler to attach to."""
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the master and its workers have used so far."""
        total = 0.0
        pids = ([self.process.pid] if self.process else []) + self.worker_pids()
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            total += (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
        return total

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # the master stops its workers
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # whatever is left of this server's group
            except ProcessLookupError:
                pass
            process.wait(STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> "Server":
        return self.launch()

    def __exit__(self, *exc) -> None:
        self.stop()


def machine_busy_seconds() -> float:
    """CPU time all the machine's cores have spent busy since boot (from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0.0
    ticks = [int(f) for f in fields]
    busy = sum(ticks[:3]) + sum(ticks[5:8])  # user nice system, irq softirq steal (not idle, iowait)
    return busy / _TICKS


def server_env(extra: dict, settings: GunicornSettings, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    env.update(extra)
    env["GUNICORN_CMD_ARGS"] = settings.args(port)
    env["PYTHONUNBUFFERED"] = "1"
    return env
