"""``depa-dp-report``: the Digital Provider's daily report of N usage rows (default 100,000, so
1,000 VoucherUsage batches) against Saphan's own depa service on the same machine, next to two
references measured in the same run on the same provider: the typed client sending the same
records batch by batch (HTTP only: no DP store, no plan, no batch states), and the raw
executemany upsert of depa-usage (the provider's database only)."""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import make_url

from bench import harness, rawupsert, seed
from bench.harness import BenchError
from bench.scenarios import Options, Report, Target, _log, _settle
from saphan.core import migrate
from saphan.core.clock import BANGKOK, Clock, to_utc_naive
from saphan.core.db import Database
from saphan.core.http_client import RetryPolicy
from saphan.depa.client import DepaClient
from saphan.depa.dp.models import AppUser, DailyUsage, ReportBatch, SyncedVoucher
from saphan.depa.dp.report import report
from saphan.depa.dp.sync import sync

SECRET = b"bench-dp-store-secret"


def _dp_store(db: str) -> str:
    """The DP's own database, apart from the provider's: a SQLite file, or on PostgreSQL a
    second database on the bench server (``<bench database>_dp``)."""
    if db == "sqlite":
        return harness.fresh_sqlite("depa-dp-report-store")
    provider = make_url(harness.pg_bench_url()).database or "saphan_bench"
    return harness.fresh_postgresql(f"{provider}_dp")


def _load_dp(store: Database, client: DepaClient, count: int, day: dt.date) -> float:
    """Users u-000001.. with the vouchers' phones, a real sync (pages of 500, linking by
    mobileNo), then one day of usage per user. Returns the sync's seconds."""
    at = to_utc_naive(dt.datetime.now(BANGKOK))
    started = time.perf_counter()
    result = sync(store, client, SECRET, lambda: dt.datetime.now(BANGKOK))
    synced = time.perf_counter() - started
    if result.vouchers != count:
        raise BenchError(f"sync saw {result.vouchers} vouchers, expected {count}")
    with store.begin() as conn:
        codes = conn.execute(select(SyncedVoucher.id, SyncedVoucher.voucher_code)).all()
        conn.execute(
            insert(AppUser),
            [
                {"app_user_id": f"u-{code[3:]}", "phone": None, "id_card_digest": None,
                 "created_at": at, "updated_at": at}
                for _, code in codes
            ],
        )  # fmt: skip
        users = dict(conn.execute(select(AppUser.app_user_id, AppUser.id)).all())
        conn.execute(
            update(SyncedVoucher)
            .where(SyncedVoucher.id == bindparam("voucher"))
            .values(user_id=bindparam("user"), link_method="manual", linked_at=at),
            [{"voucher": v_id, "user": users[f"u-{code[3:]}"]} for v_id, code in codes],
        )
        conn.execute(
            insert(DailyUsage),
            [
                {"user_id": user_id, "access_date": day, "access_count": 1 + n % 50,
                 "seconds": (n * 37) % 90_000, "lat": 13.0 + (n % 1000) / 1000,
                 "lon": 100.0 + (n % 997) / 1000, "updated_at": at}
                for n, user_id in enumerate(users.values())
            ],
        )  # fmt: skip
    return synced


def _timed(callback: Callable[[], Any], timings: list[float]) -> Callable[[int, int], None]:
    last = [time.perf_counter()]

    def on_batch(_done: int, _total: int) -> None:
        now = time.perf_counter()
        timings.append(now - last[0])
        last[0] = now
        callback()

    return on_batch


def _quantiles(timings: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(timings, n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


def depa_dp_report(db: str, opts: Options) -> Report:
    scenario = "depa-dp-report"
    result = Report(scenario, db)
    count = opts.vouchers
    provider_url = harness.fresh_database(db, scenario)
    secret_key = secrets.token_urlsafe(32)
    _log(f"{scenario}/{db}: seeding the provider with {count:,} active vouchers")
    seeded = seed.seed(provider_url, secret_key, count, all_active=True)
    store_url = _dp_store(db)
    migrate.upgrade(store_url)
    day = dt.datetime.now(BANGKOK).date() - dt.timedelta(days=1)
    retry = RetryPolicy(max_retries=4)
    store = Database(store_url)
    try:
        with harness.saphan_server(provider_url, secret_key, f"{scenario}-{db}-saphan") as server:
            base = server.base_url + "/depa"
            with DepaClient(seeded.api_key, base_url=base, retry=retry) as client:
                _log(f"{scenario}/{db}: DP store: sync {count:,} vouchers, {count:,} users")
                synced = _load_dp(store, client, count, day)
                _settle(provider_url, db)
                _settle(store_url, db)
                if opts.quiet_wait > 0:
                    harness.wait_until_quiet(opts.quiet_wait)
                _log(f"{scenario}/{db}: saphan depa-dp report for {day}, UAT")
                timings: list[float] = []
                started = time.perf_counter()
                done = report(
                    store, client, [day], False, Clock().now, on_batch=_timed(lambda: None, timings)
                )
                wall = time.perf_counter() - started
                if not done.ok or done.sent.records != count:
                    raise BenchError(
                        f"report sent {done.sent.records} of {count} records: {done.sent.error} "
                        f"{done.sent.rejected[:3]}"
                    )
                with store.connect() as conn:
                    batches = len(conn.execute(select(ReportBatch.id)).all())
                again_started = time.perf_counter()
                again = report(store, client, [day], False, Clock().now)
                again_wall = time.perf_counter() - again_started
                if again.sent.records:
                    raise BenchError(f"the second run sent {again.sent.records} records")

                _log(f"{scenario}/{db}: the client alone, the same records, production")
                records = _records(store, day)
                client_timings: list[float] = []
                client_started = time.perf_counter()
                for start in range(0, len(records), 100):
                    one = time.perf_counter()
                    client.voucher_usage(records[start : start + 100], is_production=True)
                    client_timings.append(time.perf_counter() - one)
                client_wall = time.perf_counter() - client_started
    finally:
        store.dispose()
    _log(f"{scenario}/{db}: raw executemany upsert for {opts.duration:.0f}s")
    raw = rawupsert.run(
        provider_url, seeded.dp_id, day + dt.timedelta(days=1), seed.USAGE_WINDOW_DAYS,
        duration=opts.duration, warmup=opts.warmup / 2,
    )  # fmt: skip

    rate = count / wall
    client_rate = count / client_wall
    p50, p99 = _quantiles(timings)
    c50, c99 = _quantiles(client_timings)
    result.throughput = [
        (f"saphan depa-dp report ({batches:,} batches)", rate, p50, p99, rate / raw.rows_per_s),
        ("DepaClient.voucher_usage alone", client_rate, c50, c99, client_rate / raw.rows_per_s),
        ("raw executemany upsert (depa-usage's)", raw.rows_per_s, raw.p50_ms, raw.p99_ms, 1.0),
    ]
    result.targets.append(
        Target(
            "report rows/s vs the client alone",
            f"{rate / client_rate:.2f}x",
            "(report, not a target)",
            True,
        )
    )
    result.notes += [
        f"{count:,} usage rows of {day} (one per user, each linked to an active voucher), "
        f"reported in {wall:.1f} s wall ({rate:,.0f} rows/s): plan + {batches:,} VoucherUsage "
        f"batches + their states; p50/p99 are per batch",
        f"a second report of the same day: {again_wall:.2f} s, nothing sent",
        f"sync of {count:,} vouchers before it ({count // 500} pages of 500): {synced:.1f} s",
        f"DP store: its own {'SQLite file' if db == 'sqlite' else 'PostgreSQL database'}; "
        "provider: saphan serve --workers 1; everything on one machine",
        f"raw upsert: {raw.batches:,} batches of 100 into the provider's database, database "
        "time only",
    ]
    return result


def _records(store: Database, day: dt.date) -> list[dict[str, Any]]:
    """The day's records as the report sent them, for the client-only reference."""
    from saphan.depa.dp.models import ReportItem

    with store.connect() as conn:
        rows = conn.execute(
            select(
                SyncedVoucher.voucher_code,
                AppUser.app_user_id,
                ReportItem.access_count,
                ReportItem.access_time,
                ReportItem.lat,
                ReportItem.lon,
            )
            .join(SyncedVoucher, SyncedVoucher.id == ReportItem.voucher_id)
            .join(AppUser, AppUser.id == ReportItem.user_id)
            .where(ReportItem.access_date == day)
            .order_by(ReportItem.id)
        ).all()
    return [
        {"accessDate": day.isoformat(), "voucherCode": code, "appUserId": user,
         "accessCount": count, "accessTime": minutes, "lat": lat, "lon": lon}
        for code, user, count, minutes, lat, lon in rows
    ]  # fmt: skip


SCENARIOS = {"depa-dp-report": depa_dp_report}
