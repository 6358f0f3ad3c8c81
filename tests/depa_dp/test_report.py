"""Report against Saphan's depa service as a live server: yesterday (Bangkok) of voucher-linked
users whose voucher was active, batches of 100, nothing sent twice, changes sent again, records
depa refuses set aside, and a provider killed in the middle of a report."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from saphan.core.clock import FixedClock
from saphan.core.db import Database
from saphan.core.http_client import RetryPolicy
from saphan.depa.client import DepaClient
from saphan.depa.dp.models import PENDING, SENT, ReportBatch, ReportItem
from saphan.depa.dp.plan import plan
from saphan.depa.dp.report import ReportResult, date_range, report, yesterday
from saphan.depa.dp.send import send_pending
from saphan.depa.dp.sync import sync
from saphan.depa.dp.track import UsageEvent, record
from saphan.depa.dp.users import UserIn, upsert_users
from tests.conftest import start_live_server
from tests.depa_dp.conftest import (
    DP_NOW,
    SECRET_BYTES,
    DepaDP,
    Provider,
    bangkok,
    provider_database,
    register_dp,
    voucher,
)

DAY = dt.date(2025, 11, 19)  # the DP clock's yesterday


@dataclass
class Counter:
    """VoucherUsage requests a client sent (an httpx event hook: nothing is replaced)."""

    paths: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)

    @property
    def usage_calls(self) -> int:
        return sum(p.endswith("/VoucherUsage") for p in self.paths)


@contextmanager
def counted_client(
    dp: DepaDP, *hooks: Callable[[httpx.Request], None]
) -> Iterator[tuple[DepaClient, Counter]]:
    counter = Counter()
    with httpx.Client(event_hooks={"request": [counter, *hooks]}, timeout=30) as http:
        client = DepaClient(
            dp.key,
            base_url=dp.provider.depa_url,
            http_client=http,
            retry=RetryPolicy(max_retries=2, initial_delay=0.05),
        )
        yield client, counter


def link_users(dp: DepaDP, db: Database, count: int, **voucher_fields: Any) -> list[str]:
    """``count`` vouchers on the provider, one app user each (u0, u1, ...) matched by phone."""
    dp.issue([voucher(dp.code(n), mobileNo=f"08{n:08d}", **voucher_fields) for n in range(count)])
    with db.write() as session:
        upsert_users(
            session,
            SECRET_BYTES,
            [UserIn(appUserId=f"u{n}", phone=f"+668{n:08d}") for n in range(count)],
            DP_NOW,
        )
    with dp.client() as client:
        result = sync(db, client, SECRET_BYTES, lambda: DP_NOW)
    assert len(result.by_mobile) == count
    return [f"u{n}" for n in range(count)]


def run(
    db: Database, client: DepaClient, days: list[dt.date], at: dt.datetime = DP_NOW
) -> ReportResult:
    return report(db, client, days, False, FixedClock(at).now)


def held(dp: DepaDP) -> dict[tuple[str, str], dict[str, Any]]:
    """What depa holds for the DP (UAT), by (voucher, day)."""
    return {
        (row["voucherCode"], row["accessDate"]): row
        for row in dp.usage(isProduction="false", limit=10_000)
    }


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["appUserId"], row["accessCount"], row["accessTime"], row["lat"], row["lon"])


def test_yesterdays_usage_of_users_with_an_active_voucher(depa_dp: DepaDP, dp_db: Database) -> None:
    code = depa_dp.code
    link_users(depa_dp, dp_db, 3)  # u0..u2: activated 2025-11-01
    extra = [
        voucher(code(3), status="Bound", activatedTime="", mobileNo="0899000003"),
        voucher(
            code(4), status="Revoked", revokedTime="2025-11-18 23:59:00", mobileNo="0899000004"
        ),
        voucher(
            code(5), status="Revoked", revokedTime="2025-11-19 10:00:00", mobileNo="0899000005"
        ),
        voucher(code(6), activatedTime="2025-11-19 20:00:00", mobileNo="0899000006"),
    ]
    depa_dp.issue(extra)
    with dp_db.write() as session:
        upsert_users(
            session,
            SECRET_BYTES,
            [UserIn(appUserId=f"u{n}", phone=f"089900000{n}") for n in (3, 4, 5, 6)]
            + [UserIn(appUserId="no-voucher", phone="0811111111")],
            DP_NOW,
        )
    with depa_dp.client() as client:
        sync(dp_db, client, SECRET_BYTES, lambda: DP_NOW)
    events = [
        # u0: opened at 23:50 and used it 40 minutes, until 00:30 (Bangkok): 10 minutes on
        # the 19th, 30 on the 20th
        UsageEvent(appUserId="u0", at=bangkok("2025-11-19 23:50:00"), opens=1),
        UsageEvent(appUserId="u0", at=bangkok("2025-11-20 00:30:00"), minutes=40),
        # u1: only after midnight; the 19th has nothing of it
        UsageEvent(appUserId="u1", at=bangkok("2025-11-20 00:10:00"), opens=2, minutes=5),
        # u2: the 19th, with a position, in two sessions
        UsageEvent(
            appUserId="u2",
            at=bangkok("2025-11-19 09:00:00"),
            opens=1,
            seconds=600,
            lat=13.123456,
            lon=100.123456,
        ),
        UsageEvent(appUserId="u2", at=bangkok("2025-11-19 18:00:00"), opens=1, seconds=1250),
        *(
            UsageEvent(appUserId=f"u{n}", at=bangkok("2025-11-19 21:00:00"), opens=n, minutes=n)
            for n in (3, 4, 5, 6)
        ),
        UsageEvent(appUserId="no-voucher", at=bangkok("2025-11-19 12:00:00"), opens=9),
    ]
    record(dp_db, events, DP_NOW)

    with counted_client(depa_dp) as (client, counter):
        first = run(dp_db, client, [yesterday(DP_NOW)])

    assert yesterday(DP_NOW) == DAY
    assert (first.ok, first.sent.records, first.sent.batches, counter.usage_calls) == (
        True,
        4,
        1,
        1,
    )
    depa = held(depa_dp)
    assert {key: figures(row) for key, row in depa.items()} == {
        (code(0), "2025-11-19"): ("u0", 1, 10, 0, 0),
        (code(2), "2025-11-19"): ("u2", 2, 31, 13.1235, 100.123),  # 1850 s: 30.8 minutes
        (code(5), "2025-11-19"): ("u5", 5, 5, 0, 0),  # revoked that day: still active on it
        (code(6), "2025-11-19"): ("u6", 6, 6, 0, 0),  # activated that evening
    }

    # a day later the report covers the 20th: u0's 30 minutes after midnight, and u1
    later = DP_NOW + dt.timedelta(days=1)
    with counted_client(depa_dp) as (client, counter):
        second = run(dp_db, client, [yesterday(later)], later)
    assert (second.sent.records, counter.usage_calls) == (2, 1)
    depa = held(depa_dp)
    assert figures(depa[(code(0), "2025-11-20")]) == ("u0", 0, 30, 0, 0)
    assert figures(depa[(code(1), "2025-11-20")]) == ("u1", 2, 5, 0, 0)
    assert len(depa) == 6


def test_running_twice_sends_nothing_twice(depa_dp: DepaDP, dp_db: Database) -> None:
    users = link_users(depa_dp, dp_db, 5)
    record(
        dp_db,
        [UsageEvent(appUserId=u, at=bangkok("2025-11-19 12:00"), opens=1) for u in users],
        DP_NOW,
    )

    with counted_client(depa_dp) as (client, counter):
        first = run(dp_db, client, [DAY])
        before = held(depa_dp)
        second = run(dp_db, client, [DAY])

    assert (first.sent.records, second.sent.records, counter.usage_calls) == (5, 0, 1)
    assert [(p.new, p.unchanged) for p in second.planned] == [(0, 5)]
    assert held(depa_dp) == before  # createdTime included: nothing was written again


def test_usage_that_changes_after_it_was_sent_is_sent_again(
    depa_dp: DepaDP, dp_db: Database
) -> None:
    link_users(depa_dp, dp_db, 2)
    record(
        dp_db,
        [UsageEvent(appUserId=u, at=bangkok("2025-11-19 12:00"), opens=1) for u in ("u0", "u1")],
        DP_NOW,
    )
    with counted_client(depa_dp) as (client, counter):
        run(dp_db, client, [DAY])
        # a device that was offline reports its session of the 19th late
        record(
            dp_db, [UsageEvent(appUserId="u1", at=bangkok("2025-11-19 22:00"), minutes=90)], DP_NOW
        )
        again = run(dp_db, client, [DAY])

    assert (again.sent.records, counter.usage_calls) == (1, 2)
    depa = held(depa_dp)
    assert figures(depa[(depa_dp.code(1), "2025-11-19")]) == ("u1", 1, 90, 0, 0)
    assert figures(depa[(depa_dp.code(0), "2025-11-19")]) == ("u0", 1, 0, 0, 0)
    with dp_db.read() as session:
        revisions = session.execute(
            select(ReportItem.revision, ReportItem.access_time, ReportItem.state).order_by(
                ReportItem.id
            )
        ).all()
    assert [tuple(r) for r in revisions] == [(1, 0, SENT), (1, 0, SENT), (2, 90, SENT)]


def test_batches_of_100_and_a_backfill_over_days(depa_dp: DepaDP, dp_db: Database) -> None:
    users = link_users(depa_dp, dp_db, 250)
    days = date_range(dt.date(2025, 11, 17), DAY)
    record(
        dp_db,
        [
            UsageEvent(appUserId=u, at=bangkok(f"{day} 12:00"), opens=1, minutes=n % 60)
            for n, u in enumerate(users)
            for day in days
        ],
        DP_NOW,
    )

    with counted_client(depa_dp) as (client, counter):
        result = run(dp_db, client, days)

    assert [(p.day, p.new, p.batches) for p in result.planned] == [(d, 250, 3) for d in days]
    assert (result.sent.records, result.sent.batches, counter.usage_calls) == (750, 9, 9)
    depa = held(depa_dp)
    assert len(depa) == 750
    assert figures(depa[(depa_dp.code(137), "2025-11-18")]) == ("u137", 1, 17, 0, 0)
    with dp_db.read() as session:
        sizes = session.execute(
            select(ReportBatch.access_date, ReportBatch.state, ReportBatch.attempts).order_by(
                ReportBatch.id
            )
        ).all()
    assert [tuple(s) for s in sizes] == [(d, SENT, 1) for d in days for _ in range(3)]


def test_a_record_depa_refuses_is_set_aside_and_the_rest_are_sent(
    depa_dp: DepaDP, dp_db: Database
) -> None:
    users = link_users(depa_dp, dp_db, 4)
    record(
        dp_db,
        [UsageEvent(appUserId=u, at=bangkok("2025-11-19 12:00"), opens=1) for u in users],
        DP_NOW,
    )
    # depa revoked u2's voucher before the 19th; this DP has not synced since
    depa_dp.revoke(depa_dp.code(2), "2025-11-15 10:00:00")

    with counted_client(depa_dp) as (client, counter):
        result = run(dp_db, client, [DAY])

    assert not result.ok
    [rejected] = result.sent.rejected
    assert (rejected.voucher_code, rejected.app_user_id) == (depa_dp.code(2), "u2")
    assert rejected.error == (
        f"Voucher {depa_dp.code(2)} was not activated on 2025-11-19 (vouchers[2].accessDate)"
    )
    assert (result.sent.records, counter.usage_calls) == (3, 2)  # the batch, then the rest
    assert sorted(v for v, _ in held(depa_dp)) == [depa_dp.code(n) for n in (0, 1, 3)]
    with dp_db.read() as session:
        [batch] = session.scalars(select(ReportBatch)).all()
        states = session.scalars(select(ReportItem.state).order_by(ReportItem.id)).all()
    assert batch.state == SENT
    assert states == [SENT, SENT, "rejected", SENT]


def test_a_provider_killed_mid_report_loses_nothing_and_doubles_nothing(
    tmp_path: Path, sqlite_template: Path, dp_db: Database
) -> None:
    provider_url = provider_database(tmp_path, sqlite_template)
    server = start_live_server(provider_url)
    provider = Provider(server)
    try:
        dp = register_dp(provider)
        users = link_users(dp, dp_db, 1000)
        record(
            dp_db,
            [
                UsageEvent(appUserId=u, at=bangkok("2025-11-19 12:00"), opens=1, minutes=7)
                for u in users
            ],
            DP_NOW,
        )

        killed: list[int] = []

        usage_requests: list[str] = []

        def kill_at_the_fourth_batch(request: httpx.Request) -> None:
            if request.url.path.endswith("/VoucherUsage"):
                usage_requests.append(request.url.path)
            if len(usage_requests) == 4 and not killed:
                server.kill()  # the provider dies as the 4th batch goes out
                killed.append(4)

        with counted_client(dp, kill_at_the_fourth_batch) as (client, _counter):
            first = run(dp_db, client, [DAY])
        assert killed == [4]
        assert first.sent.batches == 3
        assert first.sent.pending == 7
        assert "Connection error" in first.sent.error
        with dp_db.read() as session:
            states = session.scalars(select(ReportBatch.state).order_by(ReportBatch.id)).all()
            attempts = session.scalars(select(ReportBatch.attempts).order_by(ReportBatch.id)).all()
        assert states == [SENT] * 3 + [PENDING] * 7
        assert attempts == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]  # the 4th failed after its retries

        provider.admin.close()
        server.stop()  # (already dead: this closes its pipe)
        server = start_live_server(provider_url)  # back, on the same database, another port
        provider = Provider(server)
        dp.provider = provider
        before = held(dp)
        assert len(before) == 300

        with counted_client(dp) as (client, counter):
            second = run(dp_db, client, [DAY])
            third = run(dp_db, client, [DAY])

        assert (second.ok, second.sent.batches, second.sent.records, second.sent.pending) == (
            True,
            7,
            700,
            0,
        )
        assert (third.sent.records, counter.usage_calls) == (0, 7)
        after = held(dp)
        assert len(after) == 1000
        assert {k: after[k] for k in before} == before  # the first 300 were not sent again
        assert all(figures(row)[1:] == (1, 7, 0, 0) for row in after.values())
        with dp_db.read() as session:
            items = session.execute(select(ReportItem.state, ReportItem.revision)).all()
        assert sorted(set(map(tuple, items))) == [(SENT, 1)]
        assert len(items) == 1000
    finally:
        provider.admin.close()
        server.stop()


def test_two_runs_at_once_send_each_batch_once(depa_dp: DepaDP, dp_db: Database) -> None:
    users = link_users(depa_dp, dp_db, 600)
    record(
        dp_db,
        [UsageEvent(appUserId=u, at=bangkok("2025-11-19 12:00"), opens=1) for u in users],
        DP_NOW,
    )
    with dp_db.write() as session:
        plan(session, DAY, False, DP_NOW)
    results: list[Any] = []

    def sender() -> None:
        with counted_client(depa_dp) as (client, counter):
            sent = send_pending(dp_db, client, False, FixedClock(DP_NOW).now)
            results.append((sent.batches, counter.usage_calls))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(batches for batches, _ in results) == 6
    assert sum(calls for _, calls in results) == 6  # no batch went out twice
    assert len(held(depa_dp)) == 600


def test_uat_and_production_are_reported_apart(depa_dp: DepaDP, dp_db: Database) -> None:
    link_users(depa_dp, dp_db, 2)
    record(dp_db, [UsageEvent(appUserId="u0", at=bangkok("2025-11-19 12:00"), opens=4)], DP_NOW)
    clock = FixedClock(DP_NOW)
    with depa_dp.client() as client:
        uat = report(dp_db, client, [DAY], False, clock.now)
        production = report(dp_db, client, [DAY], True, clock.now)
        again = report(dp_db, client, [DAY], True, clock.now)

    assert (uat.sent.records, production.sent.records, again.sent.records) == (1, 1, 0)
    [in_uat] = depa_dp.usage(isProduction="false")
    [in_production] = depa_dp.usage(isProduction="true")
    assert figures(in_uat) == figures(in_production) == ("u0", 4, 0, 0, 0)
