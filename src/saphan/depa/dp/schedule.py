"""The daily run (spec 4.1: "Report Usage (Daily at 00:30)"): at 00:30 Asia/Bangkok, sync the
vouchers, then report the last days' usage up to yesterday (and whatever earlier runs left
pending), on APScheduler's cron trigger. The same as a crontab line (cron's own clock in
Bangkok time):

    CRON_TZ=Asia/Bangkok
    30 0 * * *  cd /srv/dp && saphan depa-dp sync && saphan depa-dp report
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from saphan.core.clock import BANGKOK, Clock
from saphan.core.db import Database
from saphan.depa.dp.report import ReportResult, recent_days, report
from saphan.depa.dp.settings import DPSettings
from saphan.depa.dp.sync import SyncResult, sync

log = logging.getLogger("saphan.depa.dp")

JOB_ID = "depa-dp-daily"


def daily_trigger(hour: int = 0, minute: int = 30) -> CronTrigger:
    return CronTrigger(hour=hour, minute=minute, timezone=BANGKOK)


def build_scheduler(
    job: Callable[[], None], *, hour: int = 0, minute: int = 30
) -> BlockingScheduler:
    """A scheduler running ``job`` daily at ``hour:minute`` Bangkok time. A run that starts late
    (the process was busy or suspended, up to an hour) still happens, once; runs never overlap.
    (A run missed while the process was down is caught up by the next run's window of days.)"""
    scheduler = BlockingScheduler(timezone=BANGKOK)
    scheduler.add_job(
        job,
        daily_trigger(hour, minute),
        id=JOB_ID,
        name="depa sync + report",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    return scheduler


def daily_run(
    db: Database, settings: DPSettings, secret: bytes, clock: Clock
) -> tuple[SyncResult, ReportResult]:
    """What runs at 00:30: sync, so the report sees today's links and statuses, then report the
    last ``dp_catch_up_days`` days up to yesterday (Bangkok) and whatever earlier runs left
    pending."""
    with settings.client() as client:
        synced = sync(db, client, secret, clock.now)
        reported = report(
            db,
            client,
            recent_days(clock.now(), settings.dp_catch_up_days),
            settings.is_production,
            clock.now,
            batch_size=settings.dp_batch_size,
        )
    log.info(
        "depa-dp daily run: %d vouchers synced, %d unmatched, %d conflicts; %d records sent, "
        "%d rejected, %d batches pending",
        synced.vouchers,
        len(synced.unmatched),
        len(synced.conflicts),
        reported.sent.records,
        len(reported.sent.rejected),
        reported.sent.pending,
    )
    return synced, reported
