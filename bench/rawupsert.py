"""The reference for depa-usage: the same kind of rows written straight into depa_usage with a
SQLAlchemy Core executemany upsert, batches of 100, one transaction per batch, one connection,
no HTTP, no validation, no voucher lookup. What VoucherUsage could at best approach."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from saphan.core.db import make_engine
from saphan.depa.models import Usage, Voucher

#: The columns a later record replaces: the same set as saphan.depa.logic.upsert_usage.
REPLACED = ("app_user_id", "access_count", "access_time", "lat", "lon", "created_time")


def upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (voucher_id, is_production, access_date) DO UPDATE."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Usage)
    return statement.on_conflict_do_update(
        index_elements=["voucher_id", "is_production", "access_date"],
        set_={name: statement.excluded[name] for name in REPLACED},
    )


@dataclass(frozen=True)
class RawResult:
    batches: int
    rows: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def _batch(
    rng: random.Random,
    dp_id: int,
    voucher_ids: list[int],
    days: list[dt.date],
    size: int,
) -> list[dict[str, Any]]:
    """Like one request of bench/lua/voucher_usage.lua: ``size`` distinct vouchers, each on a
    random day of the window, random counts, minutes and coordinates."""
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return [
        {
            "dp_id": dp_id,
            "voucher_id": voucher_id,
            "is_production": True,
            "access_date": rng.choice(days),
            "app_user_id": f"user-{voucher_id:06d}",
            "access_count": rng.randint(1, 200),
            "access_time": rng.randint(0, 1440),
            "lat": 5.6 + rng.random() * 15,
            "lon": 97.3 + rng.random() * 8.3,
            "created_time": created,
        }
        for voucher_id in rng.sample(voucher_ids, size)
    ]


def run(
    database_url: str,
    dp_id: int,
    today: dt.date,
    window_days: int,
    *,
    duration: float,
    warmup: float = 1.0,
    batch: int = 100,
) -> RawResult:
    engine: Engine = make_engine(database_url)
    writer = engine.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with engine.connect() as conn:
            voucher_ids = list(
                conn.scalars(select(Voucher.id).where(Voucher.dp_id == dp_id).order_by(Voucher.seq))
            )
        statement = upsert_statement(engine.dialect.name)
        days = [today - dt.timedelta(days=d) for d in range(1, window_days + 1)]
        rng = random.Random(20251116)

        def one() -> float:
            rows = _batch(rng, dp_id, voucher_ids, days, batch)
            started = time.perf_counter()
            with writer.begin() as conn:
                conn.execute(statement, rows)
            return time.perf_counter() - started

        end = time.perf_counter() + warmup
        while time.perf_counter() < end:
            one()
        # Time only the database work (row generation is the load generator's part).
        timings: list[float] = []
        end = time.perf_counter() + duration
        while time.perf_counter() < end:
            timings.append(one())
    finally:
        engine.dispose()
    quantiles = statistics.quantiles(timings, n=100, method="inclusive")
    return RawResult(
        batches=len(timings),
        rows=len(timings) * batch,
        seconds=sum(timings),
        p50_ms=quantiles[49] * 1000,
        p99_ms=quantiles[98] * 1000,
    )
