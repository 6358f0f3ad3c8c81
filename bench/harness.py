"""The machinery every scenario shares: fresh databases, servers in subprocesses, wrk runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
LUA = BENCH / "lua"

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/saphan_bench"


class BenchError(RuntimeError):
    """A scenario could not run or its run was not clean (errors, non-2xx answers)."""


# -- databases ---------------------------------------------------------------------------------


def pg_bench_url() -> str:
    return os.environ.get("SAPHAN_BENCH_PG_URL", DEFAULT_PG_URL)


def fresh_sqlite(name: str) -> str:
    """An empty SQLite file under bench/out/ (the server puts it in WAL mode)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgresql(database: str | None = None) -> str:
    """Drop and create the bench database (SAPHAN_BENCH_PG_URL, default ``saphan_bench`` on
    127.0.0.1:5432), or ``database`` on the same server, connecting to the server's
    ``postgres`` database to do it."""
    import psycopg
    from psycopg import sql

    url = make_url(pg_bench_url())
    if database:
        url = url.set(database=database)
    name = url.database
    if not name:
        raise BenchError("SAPHAN_BENCH_PG_URL names no database")
    params: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "password": url.password,
        "connect_timeout": 5,
    }
    last: Exception | None = None
    for maintenance in ("postgres", "template1"):
        try:
            conn = psycopg.connect(dbname=maintenance, autocommit=True, **params)
        except psycopg.OperationalError as exc:
            last = exc
            continue
        with conn:
            ident = sql.Identifier(name)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise BenchError(f"PostgreSQL at {params['host']}:{params['port']} is not reachable: {last}")


def postgresql_reachable() -> bool:
    url = make_url(pg_bench_url())
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def fresh_database(db: str, name: str) -> str:
    return fresh_sqlite(name) if db == "sqlite" else fresh_postgresql()


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def saphan_command() -> list[str]:
    """The installed ``saphan`` console script, as an operator would run it."""
    beside = Path(sys.executable).with_name("saphan")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("saphan")
    return [found] if found else [sys.executable, "-m", "saphan"]


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without any SAPHAN_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPHAN_")}
    env.update(extra)
    return env


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@contextmanager
def serve(
    name: str,
    command: Sequence[str],
    port: int,
    *,
    env: Mapping[str, str],
    ready_path: str,
    timeout: float = 120.0,
) -> Iterator[Server]:
    """Run a server in its own process group until the block ends; wait until ``ready_path``
    answers 200. Its output goes to bench/out/<name>.log."""
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"{name}.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            cwd=OUT,  # no stray .env is read from the caller's directory
            env=dict(env),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise BenchError(
                        f"{name} exited with {process.returncode} before it was ready; "
                        f"see {log}:\n{tail(log)}"
                    )
                try:
                    if _get(base + ready_path) == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"{name} was not ready after {timeout:.0f}s; see {log}")
                time.sleep(0.1)
            yield Server(name=name, base_url=base, process=process, log=log)
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def saphan_server(
    database_url: str, secret_key: str, name: str, settings: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """``saphan serve --host 127.0.0.1 --port P --workers 1`` with SAPHAN_LOG_LEVEL=WARNING and
    any other ``SAPHAN_*`` ``settings``."""
    port = free_port()
    command = [
        *saphan_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    env = clean_env(
        {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": secret_key,
            "SAPHAN_LOG_LEVEL": "WARNING",
            **(settings or {}),
        }
    )
    with serve(name, command, port, env=env, ready_path="/healthz") as server:
        yield server


def _floor_env() -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return clean_env({"PYTHONPATH": pythonpath})


@contextmanager
def floor_server(name: str = "floor") -> Iterator[Server]:
    """bench/floor.py under the same uvicorn arguments as ``saphan serve``."""
    port = free_port()
    command = [sys.executable, "-m", "bench.floor", "--host", "127.0.0.1", "--port", str(port)]
    with serve(name, command, port, env=_floor_env(), ready_path="/") as server:
        yield server


#: How the ``speed`` scenario serves its floor (issue 12): granian, one worker, uvloop, HTTP/1.
GRANIAN_FLOOR_ARGS = ("--interface", "asgi", "--loop", "uvloop", "--http", "1", "--workers", "1")


def granian_command() -> list[str]:
    """The venv's ``granian`` console script (``python -m granian`` when there is none)."""
    beside = Path(sys.executable).with_name("granian")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("granian")
    return [found] if found else [sys.executable, "-m", "granian"]


@contextmanager
def granian_floor_server(name: str = "floor-granian") -> Iterator[Server]:
    """bench/floor.py's app served by granian (GRANIAN_FLOOR_ARGS): the floor of issue 12.
    Granian runs its worker in a child process; the CPU accounting counts the whole process
    group."""
    port = free_port()
    command = [
        *granian_command(),
        *GRANIAN_FLOOR_ARGS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--factory",
        "bench.floor:create_app",
    ]
    with serve(name, command, port, env=_floor_env(), ready_path="/") as server:
        yield server


# -- CPU accounting ----------------------------------------------------------------------------
# wrk, the server and the database share the machine's cores; these readings say how much
# each used during a run, and how much went to anything else (another program's load makes
# a run's figures lower than the code deserves).

_TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent not idle, since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / _TICK


def _process_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _group_cpu(pgid: int) -> float:
    """CPU seconds of every live process in process group ``pgid``: a server started by
    ``serve`` leads its own group, so this counts its worker processes too (granian's worker,
    uvicorn's with --workers > 1)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _postgres_cpu() -> float:
    """CPU seconds of every process named ``postgres`` (server, backends, background)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", encoding="ascii", errors="replace") as comm:
                    if comm.read().strip() != "postgres":
                        continue
            except OSError:
                continue
            total += _process_cpu(int(entry))
    return total


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


@dataclass(frozen=True)
class CpuReading:
    machine: float
    server: float
    postgres: float
    children: float
    wall: float

    @classmethod
    def now(cls, server_pid: int | None) -> CpuReading:
        return cls(
            machine=_machine_busy(),
            server=_group_cpu(server_pid) if server_pid else 0.0,
            postgres=_postgres_cpu(),
            children=_children_cpu(),
            wall=time.monotonic(),
        )


@dataclass(frozen=True)
class CpuUse:
    """Cores (CPU seconds per second) used during a run."""

    server: float
    postgres: float
    wrk: float
    other: float

    @classmethod
    def between(cls, before: CpuReading, after: CpuReading) -> CpuUse:
        wall = max(after.wall - before.wall, 1e-9)
        server = (after.server - before.server) / wall
        # Backends that exit during the run take their CPU seconds with them: never below 0.
        postgres = max(0.0, after.postgres - before.postgres) / wall
        wrk = (after.children - before.children) / wall
        machine = (after.machine - before.machine) / wall
        return cls(server, postgres, wrk, max(0.0, machine - server - postgres - wrk))


def wait_until_quiet(limit: float, *, threshold: float = 0.25) -> float:
    """Wait (up to ``limit`` seconds) until the machine's busy cores stay under ``threshold``
    for a second; returns the busy cores last seen. Other programs' load would otherwise land
    in the figures."""
    deadline = time.monotonic() + limit
    warned = False
    while True:
        start, started = _machine_busy(), time.monotonic()
        time.sleep(1.0)
        busy = (_machine_busy() - start) / (time.monotonic() - started)
        if busy < threshold or time.monotonic() > deadline:
            return busy
        if not warned:
            print(
                f"[bench] the machine is busy ({busy:.2f} cores in use by other programs); "
                f"waiting up to {limit:.0f}s for it to quiet down",
                flush=True,
            )
            warned = True


# -- wrk ---------------------------------------------------------------------------------------


def require_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        raise BenchError(
            "wrk, the load generator, is not installed. Install it with `make bench-deps` "
            "(Debian/Ubuntu: apt-get install -y wrk), then run the benchmark again."
        )
    return found


@dataclass(frozen=True)
class WrkResult:
    label: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    command: str
    cpu: CpuUse
    #: Mean bytes read per response, headers included.
    response_bytes: float
    #: Requests wrk gave up on after its --timeout (also counted in socket_errors).
    timeouts: int = 0

    @property
    def clean(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0 and self.socket_errors == 0


_RESULT = re.compile(r"^WRK_RESULT (.*)$", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")


def run_wrk(
    label: str,
    url: str,
    script: str,
    *,
    connections: int,
    duration: float,
    threads: int = 1,
    headers: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    check: bool = True,
    hide: Sequence[str] = (),
    server_pid: int | None = None,
    timeout: str = "30s",
) -> WrkResult:
    """One wrk run; raises BenchError when any answer was not 2xx or any socket failed
    (unless ``check`` is false). ``timeout``: wrk's --timeout; a request slower than it is
    counted as a timeout and left out of the latencies."""
    command = [
        require_wrk(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        timeout,
        "-s",
        str((LUA / script).relative_to(REPO)),  # wrk runs in the repository root
    ]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    command.append(url)
    if args:
        command += ["--", *args]
    before = CpuReading.now(server_pid)
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    cpu = CpuUse.between(before, CpuReading.now(server_pid))
    shown = " ".join(_shell_quote(part) for part in ["wrk", *command[1:]])
    for secret in hide:  # the printed command shows $KEY, not the run's API key
        shown = shown.replace(secret, "$KEY")
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {shown}\n{done.stdout}{done.stderr}")
    match = _RESULT.search(done.stdout)
    if match is None:
        raise BenchError(f"wrk printed no WRK_RESULT line: {shown}\n{done.stdout}{done.stderr}")
    fields = {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    non_2xx = _NON_2XX.search(done.stdout)
    socket_errors = sum(
        int(fields[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeout_errors")
    )
    result = WrkResult(
        label=label,
        connections=connections,
        requests=int(fields["requests"]),
        seconds=fields["duration_us"] / 1e6,
        rps=fields["rps"],
        p50_ms=fields["p50_us"] / 1000,
        p90_ms=fields["p90_us"] / 1000,
        p99_ms=fields["p99_us"] / 1000,
        max_ms=fields["max_us"] / 1000,
        non_2xx=max(int(non_2xx.group(1)) if non_2xx else 0, int(fields["status_errors"])),
        socket_errors=socket_errors,
        command=shown,
        cpu=cpu,
        response_bytes=fields["bytes"] / max(1.0, fields["requests"]),
        timeouts=int(fields["timeout_errors"]),
    )
    if check and not result.clean:
        raise BenchError(
            f"{label}: {result.requests} requests, {result.non_2xx} not 2xx, "
            f"{result.socket_errors} socket errors; the run is not valid.\n{shown}\n"
            f"{done.stdout}"
        )
    return result


def _shell_quote(part: str) -> str:
    return part if re.fullmatch(r"[\w@%+=:,./-]+", part) else "'" + part.replace("'", "'\\''") + "'"


def post_json(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
