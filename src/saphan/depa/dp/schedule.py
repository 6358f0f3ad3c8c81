"""The daily run (spec 4.1: "Report Usage (Daily at 00:30)"): at 00:30 Asia/Bangkok, sync the
vouchers, then report yesterday's usage (and whatever earlier runs left pending), on
APScheduler's cron trigger. The same as a crontab line (cron's own clock in Bangkok time):

    CRON_TZ=Asia/Bangkok
    30 0 * * *  cd /srv/dp && saphan depa-dp sync && saphan depa-dp report
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from saphan.core.clock import BANGKOK

log = logging.getLogger("saphan.depa.dp")

JOB_ID = "depa-dp-daily"


def daily_trigger(hour: int = 0, minute: int = 30) -> CronTrigger:
    return CronTrigger(hour=hour, minute=minute, timezone=BANGKOK)


def build_scheduler(
    job: Callable[[], None], *, hour: int = 0, minute: int = 30
) -> BlockingScheduler:
    """A scheduler running ``job`` daily at ``hour:minute`` Bangkok time. A run missed while the
    process was down (up to an hour late) still happens once; runs never overlap."""
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
