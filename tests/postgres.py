"""A throwaway PostgreSQL server for the tests: a real cluster made from the machine's server
binaries in a temporary folder, on a free loopback port, removed at the end of the session.

PostgreSQL refuses to run as root, and the tests run as root here and in CI: then the cluster's
folder belongs to an unprivileged user (`postgres`, else `nobody`, else one made with useradd)
and initdb and pg_ctl run as that user through runuser (or su). Without the binaries the tests
that need the server skip, unless IVR_REQUIRE_POSTGRES=1 (CI), where they fail.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

SEARCH = ["/usr/lib/postgresql/*/bin"]  # Debian's layout, beside whatever is on PATH
USERS = ("postgres", "nobody")
MADE_USER = "ivr-pg"
SUPERUSER = "ivr"
DATABASE = "ivr_test"
# Not UTC on purpose: nothing may depend on the server's time zone.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=America/Chicago"


def find_bin_dir() -> Path | None:
    """A folder holding initdb, pg_ctl and postgres: from PATH first, else the newest version."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    for pattern in SEARCH:
        numbered = sorted(Path("/").glob(pattern.lstrip("/")), key=lambda p: _version(p.parent.name), reverse=True)
        candidates += numbered
    for folder in candidates:
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _unprivileged_user() -> str:
    for name in (*USERS, MADE_USER):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", MADE_USER],
                   check=True, capture_output=True)
    return MADE_USER


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """initdb, pg_ctl start and stop, as an unprivileged user when we are root."""

    def __init__(self, bin_dir: Path, root: Path):
        self.bin_dir, self.root = bin_dir, root
        self.data, self.log = root / "data", root / "server.log"
        self.user = _unprivileged_user() if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        self.port = 0

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.user and shutil.which("runuser"):
            command = ["runuser", "-u", self.user, "--", *command]
        elif self.user:
            command = ["su", "-s", "/bin/sh", self.user, "-c", shlex.join(command)]
        done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "LC_ALL": "C"})
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{tool} {' '.join(args[:1])} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}{log}")

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                 "--locale=C", "--no-sync")
        for attempt in itertools.count(1):  # a free port can be taken between the probe and the start
            self.port = _free_port()
            options = f"-h 127.0.0.1 -p {self.port} -k {self.root} {SERVER_OPTIONS}"
            try:
                self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                         "-o", options, "start")
                return
            except RuntimeError:
                if attempt == 3:
                    raise

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"


def _admin(url: str):
    import psycopg

    parts = make_url(url)
    return psycopg.connect(host=parts.host, port=parts.port, user=parts.username, dbname="postgres",
                           autocommit=True)


@contextlib.contextmanager
def fresh_database(url: str, name: str) -> Iterator[str]:
    """A new empty database on the server of `url` for one test; dropped afterwards."""
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a database on a real PostgreSQL server started for this session."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin"
        if os.environ.get("IVR_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="ivr-pg-"))
    cluster = Cluster(bin_dir, root)
    try:
        cluster.start()
        with _admin(cluster.url("postgres")) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        yield cluster.url(DATABASE)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database: a SQLite file, and once more on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    with fresh_database(request.getfixturevalue("postgres_url"), f"test_{os.getpid()}_{next(_databases)}") as url:
        yield url


@pytest.fixture
def db(db_url):
    """That database with the line's schema, migrated."""
    from ivr.storage import migrate
    from ivr.storage.db import Database

    database = Database(db_url)
    migrate.upgrade(database)
    yield database
    database.dispose()
