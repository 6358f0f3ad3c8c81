"""Report (spec 4.1 step 3): a day's usage of voucher-linked users whose voucher was active that
day (Bangkok), sent to VoucherUsage in batches of 100, each marked sent only on a 2xx.

Two steps, each safe to repeat: ``plan.plan_day`` turns each day's usage into pending batches
(a record planned before with the same figures is not planned again), then
``send.send_pending`` sends every pending batch of the environment, this run's and whatever
earlier runs left. So running a report twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from saphan.core.clock import BANGKOK
from saphan.core.db import Database
from saphan.depa.client import DepaClient
from saphan.depa.dp.plan import Planned, access_minutes, plan_day
from saphan.depa.dp.send import Sent, send_pending

__all__ = ["ReportResult", "access_minutes", "date_range", "recent_days", "report", "yesterday"]


@dataclass
class ReportResult:
    planned: list[Planned]
    sent: Sent

    @property
    def ok(self) -> bool:
        return not self.sent.error and not self.sent.rejected


def report(
    db: Database,
    client: DepaClient,
    days: Iterable[dt.date],
    is_production: bool,
    now: Callable[[], dt.datetime],
    *,
    batch_size: int = 100,
    on_batch: Callable[[int, int], None] | None = None,
) -> ReportResult:
    """Plan each day, then send everything pending (this run's batches and earlier runs')."""
    planned = [plan_day(db, day, is_production, now(), batch_size) for day in days]
    return ReportResult(planned, send_pending(db, client, is_production, now, on_batch=on_batch))


def yesterday(now: dt.datetime) -> dt.date:
    """The Bangkok day before ``now``'s."""
    return now.astimezone(BANGKOK).date() - dt.timedelta(days=1)


def date_range(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def recent_days(now: dt.datetime, count: int) -> list[dt.date]:
    """The ``count`` Bangkok days up to yesterday, oldest first: what a daily run reports, so
    that a run missed (the host was down) is caught up by the next, and usage that arrived late
    for those days goes out as a new revision."""
    last = yesterday(now)
    return date_range(last - dt.timedelta(days=count - 1), last)
