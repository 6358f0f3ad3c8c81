"""Test fixtures: the real app over HTTP, on a real database, SQLite always and PostgreSQL
when one is reachable (``SAPHAN_TEST_PG_URL``, default 127.0.0.1:5432/test).

Every test gets a fresh database: SQLite copies a migrated template file; PostgreSQL migrates
one database per test worker and empties it before each test (``PgReset``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from saphan.app import create_app
from saphan.config import Settings
from saphan.core import hashing, migrate
from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.db import Base, normalise_url
from saphan.core.runtime import Runtime

PG_URL = normalise_url(
    os.environ.get("SAPHAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
)
SECRET = "test-secret-key-for-saphan"
ADMIN_TOKEN = "test-admin-token"
#: Tests run at a fixed Bangkok time after the spec's examples (2025-11-16).
NOW = dt.datetime(2025, 11, 20, 10, 30, 0, tzinfo=BANGKOK)
BACKENDS = ["sqlite", "postgresql"]


def _pg_unreachable_reason() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()}: {first_line}"
    return None


_PG_SKIP = _pg_unreachable_reason()


def pytest_report_header(config: pytest.Config) -> str:
    return "PostgreSQL tests: " + ("SKIPPED, " + _PG_SKIP if _PG_SKIP else f"on, {PG_URL}")


#: The argon2 hasher Saphan hashes passwords with (64 MiB, 3 passes, 4 lanes).
PRODUCTION_PASSWORD_HASHER = hashing._passwords


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """In the test process, passwords are hashed with argon2id at its smallest cost. At the
    production cost one hash or verification is about 0.1 s idle and half a second on a loaded
    2-core machine, and the suite hashes and verifies some 1,700 (Rakmao accounts, logins, demo
    seeds): minutes of a run. Servers the suite starts as processes of their own keep the
    production cost, and tests/core/test_hashing.py checks it."""
    hashing._passwords = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    hashing._dummy_hash.cache_clear()
    yield
    hashing._passwords = PRODUCTION_PASSWORD_HASHER
    hashing._dummy_hash.cache_clear()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and _PG_SKIP:
        pytest.skip(_PG_SKIP)
    return str(request.param)


@pytest.fixture(scope="session")
def worker_id_safe(request: pytest.FixtureRequest) -> str:
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return str(worker)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


class PgReset:
    """Empties a migrated PostgreSQL database back to how the migrations left it, in one round
    trip on a connection kept for the whole run: a DELETE of every table (children before their
    parents; tables that triggers keep from others' rows, Rakmao's PO tallies, after the rows
    they count) and every used sequence back to its start, as ``TRUNCATE ... RESTART IDENTITY``
    did. TRUNCATE of 36 tables gives each table and index a new file and took 0.15 s idle, about
    1 s on a loaded 2-core machine, per test; a DELETE of tables holding a test's few rows takes
    a few milliseconds."""

    def __init__(self, url: str) -> None:
        tables = list(reversed(Base.metadata.sorted_tables))
        kept = [table for table in tables if table.info.get("kept_by_triggers")]
        deletes = "".join(
            f'DELETE FROM "{table.name}";' for table in [t for t in tables if t not in kept] + kept
        )
        # Several statements in one simple query run as one transaction.
        self.sql = deletes + (
            "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
            " FROM pg_sequences WHERE last_value IS NOT NULL"
        )
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)

    def __call__(self) -> None:
        with self.engine.connect() as conn:
            conn.connection.driver_connection.execute(self.sql)  # type: ignore[union-attr]

    def dispose(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def pg_database(worker_id_safe: str) -> Iterator[tuple[str, PgReset]]:
    """A migrated PostgreSQL database of this worker's own, and what empties it."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    # The process id keeps concurrent runs (and xdist workers) out of each other's database.
    name = f"saphan_test_{worker_id_safe}_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test never crashes PostgreSQL, so its commits need not wait for the WAL to reach
        # the disk (what a crash of the server would lose); everything else is as deployed.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    reset = PgReset(url)
    yield url, reset
    reset.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    if backend == "sqlite":
        path = tmp_path / "saphan.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url, reset = request.getfixturevalue("pg_database")
    reset()
    return str(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=False,
        log_json=True,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[FastAPI]:
    application = create_app(settings, clock=clock)
    yield application
    application.state.runtime.db.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app, in-process, over httpx's ASGI transport."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as http:
        yield http


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The operator API, with the operator token."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://saphan.test",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as http:
        yield http


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    """The app's own runtime: the same database and clock the requests see."""
    rt: Runtime = app.state.runtime
    return rt


# -- live server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """SIGTERM, as production stops it. Once the workers have shut down (granian's in about
        50 ms), what is left is granian's supervisor, which idles 0.6 s more before it exits and
        runs nothing of Saphan's: it is killed then (40 servers a run)."""
        had_workers = len(_group_pids(self.process.pid)) > 1
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while had_workers and self.process.poll() is None and time.monotonic() < deadline:
            if _group_pids(self.process.pid) == {self.process.pid}:  # no worker left
                self._signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
        if self.process.stderr is not None:
            self.process.stderr.close()

    def kill(self) -> None:
        """SIGKILL the server and its worker processes (granian serves from a child)."""
        self._signal(signal.SIGKILL)
        self.process.wait(10)

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)


#: How long ``saphan serve`` may take to answer /healthz: on an idle machine 2-5 s (migrations,
#: demo seeding), but beside ``make demo`` or another suite on 2 cores 30 s was not enough.
LIVE_START_SECONDS = 120


def start_live_server(
    database_url: str,
    *,
    demo: bool = False,
    extra_env: dict[str, str | None] | None = None,
    cwd: Path | None = None,
) -> LiveServer:
    """``saphan serve`` in a subprocess, the way production runs it; waits for /healthz.
    ``extra_env``: variables to set, or with None to leave unset.

    The port is a free one when chosen, but another process (another suite in another clone,
    ``make demo``) may take it before the server binds it: then the server exits, or, worse,
    the other server answers /healthz. Either way this starts again on another port."""
    env: dict[str, str | None] = {
        **os.environ,
        "SAPHAN_DATABASE_URL": database_url,
        "SAPHAN_SECRET_KEY": SECRET,
        "SAPHAN_ADMIN_TOKEN": ADMIN_TOKEN,
        "SAPHAN_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    deadline = time.monotonic() + LIVE_START_SECONDS
    for _attempt in range(3):
        port = free_port()
        args = [sys.executable, "-m", "saphan", "serve", "--port", str(port)]
        if demo:
            args.append("--demo")
        process = subprocess.Popen(
            args,
            env={name: value for name, value in env.items() if value is not None},
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        server = LiveServer(f"http://127.0.0.1:{port}", database_url, process)
        if _wait_healthy(server, port, deadline):
            return server
    raise RuntimeError("saphan serve found no port of its own in 3 tries")


def _wait_healthy(server: LiveServer, port: int, deadline: float) -> bool:
    """True once the server answers /healthz on ``port``; False when the port turned out to be
    another process's (start again elsewhere); raises when the server fails otherwise."""
    process = server.process
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = ""
            if process.stderr is not None:
                err = process.stderr.read().decode()
                process.stderr.close()  # else a ResourceWarning fails some later test
            if "address already in use" in err.lower():
                return False
            raise RuntimeError(f"saphan serve exited with {process.returncode}: {err}")
        try:
            healthy = httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if healthy and _listens_on(process.pid, port) is not False:
            return True
        if healthy:  # someone else's server: ours cannot bind the port
            server.stop()
            return False
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"saphan serve did not become healthy in {LIVE_START_SECONDS} s")


def _group_pids(group: int) -> set[int]:
    """The live processes of process group ``group`` (zombies are done: not counted); an empty
    set where /proc cannot tell."""
    found = set()
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if fields[0] != "Z" and int(fields[2]) == group:
                found.add(int(name))
    return found


def _listens_on(group: int, port: int) -> bool | None:
    """Whether a process of process group ``group`` (the server and the granian worker that
    holds its socket) listens on TCP ``port``; None where /proc cannot tell."""
    listening = set()
    try:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        listening.add(f"socket:[{fields[9]}]")
    except OSError:
        return None
    pids = _group_pids(group)
    if not pids:
        return None
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in listening for fd in fds):
                return True
        except OSError:
            continue  # gone meanwhile
    return False


@pytest.fixture
def live_server(database_url: str) -> Iterator[LiveServer]:
    server = start_live_server(database_url)
    yield server
    server.stop()
