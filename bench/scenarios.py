"""The named scenarios. Each prepares a fresh database, seeds it, measures the floor and
Saphan under the same wrk settings in the same run, and returns a report."""

from __future__ import annotations

import calendar
import datetime as dt
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bench import harness, rawupsert, seed
from bench.harness import BenchError, WrkResult
from saphan.core.clock import BANGKOK
from saphan.core.db import normalise_url

PAGE_SIZE = 100
USAGE_BATCH = 100
GET_DP_VOUCHERS = "/depa/api/dp/GetDPVouchers"
VOUCHER_USAGE = "/depa/api/dp/VoucherUsage"


@dataclass(frozen=True)
class Options:
    duration: float = 10.0
    warmup: float = 2.0
    connections: int = 16
    threads: int = 1
    vouchers: int = 100_000
    #: Seconds to wait, before each measurement, for other programs' load to go away.
    quiet_wait: float = 60.0
    #: ``speed`` only: the fraction of the full seed sizes to load (1.0: full size).
    scale: float = 1.0


@dataclass(frozen=True)
class Row:
    """One line of a scenario's table."""

    name: str
    run: WrkResult
    floor: WrkResult | None  # None: this row is the floor itself

    @property
    def ratio(self) -> float:
        return 1.0 if self.floor is None else self.run.rps / self.floor.rps


@dataclass(frozen=True)
class Target:
    what: str
    measured: str
    goal: str
    met: bool


@dataclass
class Report:
    scenario: str
    database: str
    rows: list[Row] = field(default_factory=list)
    #: (label, rows/s, p50 ms, p99 ms, ratio to raw) for depa-usage
    throughput: list[tuple[str, float, float, float, float]] = field(default_factory=list)
    #: (what, seconds, items, item name) for steps timed as a whole, such as an import
    timings: list[tuple[str, float, int, str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    #: A scenario's own table: the header, then one list of cells per line (``speed``).
    table: list[list[str]] = field(default_factory=list)
    #: Why the run was not clean although the scenario ran to its end (``speed`` reports
    #: non-2xx answers, socket errors and routes it could not measure, then goes on); any
    #: entry makes ``python -m bench`` exit 1.
    failed: list[str] = field(default_factory=list)
    #: The scenario's figures, structured, for the JSON file.
    data: dict[str, Any] = field(default_factory=dict)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _prepare(
    db: str, scenario: str, opts: Options, *, all_active: bool
) -> tuple[str, str, seed.Seeded]:
    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, scenario)
    _log(f"{scenario}/{db}: fresh database {_safe(url)}; seeding {opts.vouchers:,} vouchers")
    seeded = seed.seed(url, secret_key, opts.vouchers, all_active=all_active)
    _settle(url, db)
    _log(f"{scenario}/{db}: seeded in {seeded.seconds:.1f}s")
    return url, secret_key, seeded


def _settle(url: str, db: str) -> None:
    """Leave the bulk load behind before measuring: statistics (what autovacuum would have
    gathered minutes after the load; a running system has them) and a checkpoint, so that
    flushing the load's pages doesn't land in a measured run."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            if db == "postgresql":
                auto = conn.execution_options(isolation_level="AUTOCOMMIT")
                auto.execute(text("VACUUM ANALYZE"))
                try:
                    auto.execute(text("CHECKPOINT"))
                except DBAPIError:  # needs superuser or pg_checkpoint; not essential
                    _log("CHECKPOINT not permitted for this user; measuring without it")
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _measure(
    label: str,
    url: str,
    script: str,
    opts: Options,
    connections: int,
    *,
    headers: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    hide: tuple[str, ...] = (),
    server_pid: int | None = None,
) -> WrkResult:
    if opts.quiet_wait > 0:
        harness.wait_until_quiet(opts.quiet_wait)
    if opts.warmup > 0:
        harness.run_wrk(
            label + " (warm-up)",
            url,
            script,
            connections=connections,
            duration=opts.warmup,
            threads=opts.threads,
            headers=headers,
            args=args,
            hide=hide,
        )
    result = harness.run_wrk(
        label,
        url,
        script,
        connections=connections,
        duration=opts.duration,
        threads=opts.threads,
        headers=headers,
        args=args,
        hide=hide,
        server_pid=server_pid,
    )
    _log(
        f"{label} c={connections}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms ({result.requests:,} requests; {_cpu(result)})"
    )
    return result


def _cpu(run: WrkResult) -> str:
    c = run.cpu
    return (
        f"cores used: server {c.server:.2f}, postgres {c.postgres:.2f}, wrk {c.wrk:.2f}, "
        f"other {c.other:.2f}"
    )


def _floor(scenario: str, opts: Options, connections: list[int]) -> dict[int, WrkResult]:
    with harness.floor_server(f"{scenario}-floor") as server:
        return {
            c: _measure(
                "floor",
                server.base_url + "/",
                "floor.lua",
                opts,
                c,
                server_pid=server.process.pid,
            )
            for c in connections
        }


def _check_answer(
    status: int, body: bytes, what: str, ok: Callable[[dict[str, Any]], bool]
) -> None:
    if status != 200:
        raise BenchError(f"{what}: expected 200, got {status}: {body[:500]!r}")
    answer = orjson.loads(body)
    if not answer.get("success") or not ok(answer):
        raise BenchError(f"{what}: unexpected answer {body[:500]!r}")


# -- depa-vouchers -----------------------------------------------------------------------------


def depa_vouchers(db: str, opts: Options) -> Report:
    """GetDPVouchers, pageSize 100, a random page of the DP's 100,000 vouchers each time."""
    scenario = "depa-vouchers"
    report = Report(scenario, db)
    url, secret_key, seeded = _prepare(db, scenario, opts, all_active=False)
    pages = max(1, seeded.vouchers // PAGE_SIZE)
    floors = _floor(scenario, opts, [opts.connections])
    with harness.saphan_server(url, secret_key, f"{scenario}-{db}-saphan") as server:
        headers = {"x-api-key": seeded.api_key}
        target = server.base_url + GET_DP_VOUCHERS
        status, body = harness.post_json(
            target, orjson.dumps({"pageNumber": pages, "pageSize": PAGE_SIZE}), headers
        )
        _check_answer(
            status,
            body,
            "GetDPVouchers (last page)",
            lambda a: (
                a.get("totalRecords") == seeded.vouchers
                and isinstance(a.get("data"), list)
                and len(a["data"]) == PAGE_SIZE
            ),
        )
        run = _measure(
            "GetDPVouchers",
            target,
            "get_dp_vouchers.lua",
            opts,
            opts.connections,
            headers=headers,
            args=(str(pages), str(PAGE_SIZE)),
            hide=(seeded.api_key,),
            server_pid=server.process.pid,
        )
    floor = floors[opts.connections]
    report.rows = [Row("GetDPVouchers", run, floor), Row("floor", floor, None)]
    report.commands = [run.command, floor.command]
    ratio = run.rps / floor.rps
    report.targets.append(
        Target(
            "GetDPVouchers req/s vs floor",
            f"{ratio:.3f}x",
            ">= 0.15x",
            ratio >= 0.15,
        )
    )
    report.notes.append(
        f"{seeded.vouchers:,} vouchers, pageSize {PAGE_SIZE}, pageNumber uniform over 1..{pages}; "
        f"mean response {run.response_bytes / 1024:.0f} KiB"
    )
    return report


# -- depa-usage --------------------------------------------------------------------------------


def _usage_body(rng: random.Random, vouchers: int, today: dt.date, window: int) -> bytes:
    """One request as bench/lua/voucher_usage.lua builds it."""
    return orjson.dumps(
        {
            "isProduction": True,
            "vouchers": [
                {
                    "accessDate": (today - dt.timedelta(days=rng.randint(1, window))).isoformat(),
                    "voucherCode": f"{seed.CODE_PREFIX}{v:06d}",
                    "appUserId": f"user-{v:06d}",
                    "accessCount": rng.randint(1, 200),
                    "accessTime": rng.randint(0, 1440),
                    "lat": round(5.6 + rng.random() * 15, 6),
                    "lon": round(97.3 + rng.random() * 8.3, 6),
                }
                for v in rng.sample(range(1, vouchers + 1), USAGE_BATCH)
            ],
        }
    )


def depa_usage(db: str, opts: Options) -> Report:
    """VoucherUsage, 100 records a request: p50/p99 at concurrency 1, req/s at 16, and a raw
    executemany upsert of the same kind of rows into the same database."""
    scenario = "depa-usage"
    report = Report(scenario, db)
    url, secret_key, seeded = _prepare(db, scenario, opts, all_active=True)
    today = dt.datetime.now(BANGKOK).date()
    window = seed.USAGE_WINDOW_DAYS
    levels = sorted({1, opts.connections})
    floors = _floor(scenario, opts, levels)
    runs: dict[int, WrkResult] = {}
    with harness.saphan_server(url, secret_key, f"{scenario}-{db}-saphan") as server:
        headers = {"x-api-key": seeded.api_key}
        target = server.base_url + VOUCHER_USAGE
        status, body = harness.post_json(
            target, _usage_body(random.Random(1), seeded.vouchers, today, window), headers
        )
        _check_answer(
            status,
            body,
            "VoucherUsage (100 records)",
            lambda a: a.get("data") == {"received": USAGE_BATCH, "saved": USAGE_BATCH},
        )
        args = (
            str(seeded.vouchers),
            seed.CODE_PREFIX,
            str(calendar.timegm(today.timetuple())),
            str(window),
            str(USAGE_BATCH),
        )
        for connections in levels:
            runs[connections] = _measure(
                "VoucherUsage",
                target,
                "voucher_usage.lua",
                opts,
                connections,
                headers=headers,
                args=args,
                hide=(seeded.api_key,),
                server_pid=server.process.pid,
            )
    _log(f"{scenario}/{db}: raw executemany upsert for {opts.duration:.0f}s")
    raw = rawupsert.run(
        url, seeded.dp_id, today, window, duration=opts.duration, warmup=opts.warmup / 2
    )
    _log(f"raw upsert: {raw.rows_per_s:,.0f} rows/s, p50 {raw.p50_ms:.2f} ms/batch")
    stored = _count_usage(url)

    for connections in levels:
        report.rows.append(Row("VoucherUsage", runs[connections], floors[connections]))
    for connections in levels:
        report.rows.append(Row("floor", floors[connections], None))
    for connections in levels:
        run = runs[connections]
        rows_per_s = run.rps * USAGE_BATCH
        report.throughput.append(
            (
                f"VoucherUsage, {connections} connection{'s' if connections > 1 else ''}",
                rows_per_s,
                run.p50_ms,
                run.p99_ms,
                rows_per_s / raw.rows_per_s,
            )
        )
    report.throughput.append(
        ("raw executemany upsert, 1 connection", raw.rows_per_s, raw.p50_ms, raw.p99_ms, 1.0)
    )
    one, many = runs[1], runs[max(levels)]
    report.targets.append(
        Target(
            "VoucherUsage p99 at concurrency 1",
            f"{one.p99_ms:.2f} ms",
            "<= 10 ms",
            one.p99_ms <= 10,
        )
    )
    ratio = many.rps * USAGE_BATCH / raw.rows_per_s
    report.targets.append(
        Target(
            f"VoucherUsage rows/s at concurrency {max(levels)} vs raw upsert",
            f"{ratio:.3f}x",
            ">= 0.5x",
            ratio >= 0.5,
        )
    )
    report.commands = [runs[c].command for c in levels] + [floors[c].command for c in levels]
    report.notes.append(
        f"{seeded.vouchers:,} vouchers, all Activated; each request: {USAGE_BATCH} distinct "
        f"vouchers, each on a random day of the {window} before {today} (Bangkok)"
    )
    report.notes.append(
        f"raw upsert: {raw.batches:,} batches of {USAGE_BATCH}; rows/s counts database time only"
    )
    report.notes.append(f"depa_usage rows stored at the end: {stored:,}")
    return report


def _count_usage(url: str) -> int:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM depa_usage")).scalar_one())
    finally:
        engine.dispose()


SCENARIOS: dict[str, Callable[[str, Options], Report]] = {
    "depa-vouchers": depa_vouchers,
    "depa-usage": depa_usage,
}
