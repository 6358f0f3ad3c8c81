"""The daily run: APScheduler's cron trigger fires at 00:30 Asia/Bangkok whatever the host's
zone, and the run itself syncs then reports yesterday against a live provider."""

from __future__ import annotations

import datetime as dt

from pydantic import SecretStr
from sqlalchemy import select

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.db import Database
from saphan.depa.dp.models import SyncedVoucher
from saphan.depa.dp.schedule import JOB_ID, build_scheduler, daily_run
from saphan.depa.dp.settings import DPSettings
from saphan.depa.dp.track import UsageEvent, record
from saphan.depa.dp.users import UserIn, upsert_users
from tests.depa_dp.conftest import DP_NOW, SECRET_BYTES, DepaDP, bangkok, voucher


def test_the_job_fires_daily_at_0030_bangkok() -> None:
    scheduler = build_scheduler(lambda: None)
    job = scheduler.get_job(JOB_ID)
    assert job is not None
    trigger = job.trigger
    utc = dt.UTC

    before = dt.datetime(2025, 11, 19, 17, 0, tzinfo=utc)  # 00:00 Bangkok on the 20th
    after = dt.datetime(2025, 11, 19, 17, 31, tzinfo=utc)  # 00:31 Bangkok
    assert trigger.get_next_fire_time(None, before) == dt.datetime(
        2025, 11, 20, 0, 30, tzinfo=BANGKOK
    )
    assert trigger.get_next_fire_time(None, after) == dt.datetime(
        2025, 11, 21, 0, 30, tzinfo=BANGKOK
    )
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)


def test_another_time_can_be_chosen() -> None:
    job = build_scheduler(lambda: None, hour=2, minute=5).get_job(JOB_ID)
    assert job is not None
    start = dt.datetime(2025, 11, 20, 0, 0, tzinfo=BANGKOK)
    assert job.trigger.get_next_fire_time(None, start) == dt.datetime(
        2025, 11, 20, 2, 5, tzinfo=BANGKOK
    )


def test_the_daily_run_syncs_then_reports_yesterday(depa_dp: DepaDP, dp_db: Database) -> None:
    depa_dp.issue([voucher(depa_dp.code(0), mobileNo="0812345678")])
    with dp_db.write() as session:
        upsert_users(session, SECRET_BYTES, [UserIn(appUserId="u0", phone="0812345678")], DP_NOW)
    record(
        dp_db,
        [
            UsageEvent(appUserId="u0", at=bangkok("2025-11-19 08:00"), opens=3, minutes=25),
            UsageEvent(appUserId="u0", at=bangkok("2025-11-20 00:10"), opens=1),  # today
            # the run of the 18th was missed (the host was down): caught up now
            UsageEvent(appUserId="u0", at=bangkok("2025-11-17 09:00"), opens=2),
            UsageEvent(appUserId="u0", at=bangkok("2025-11-16 09:00"), opens=9),  # too long ago
        ],
        DP_NOW,
    )
    settings = DPSettings(
        api_key=SecretStr(depa_dp.key), base_url=depa_dp.provider.depa_url, is_production=False
    )

    synced, reported = daily_run(dp_db, settings, SECRET_BYTES, FixedClock(DP_NOW))

    assert synced.by_mobile == [depa_dp.code(0)]
    assert (reported.ok, reported.sent.records) == (True, 2)
    assert [p.day for p in reported.planned] == [
        dt.date(2025, 11, 17),
        dt.date(2025, 11, 18),
        dt.date(2025, 11, 19),
    ]
    rows = [(r["accessDate"], r["accessCount"], r["accessTime"]) for r in depa_dp.usage()]
    assert rows == [("2025-11-17", 2, 0), ("2025-11-19", 3, 25)]

    # the next night: nothing new for those days, so nothing is sent again
    _, again = daily_run(dp_db, settings, SECRET_BYTES, FixedClock(DP_NOW))
    assert (again.sent.records, sum(p.unchanged for p in again.planned)) == (0, 2)
    with dp_db.read() as session:
        assert session.scalars(select(SyncedVoucher.voucher_code)).all() == [depa_dp.code(0)]
