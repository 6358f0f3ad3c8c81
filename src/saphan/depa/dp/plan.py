"""Planning a day's report: the records its usage calls for, grouped into pending batches.

A (voucher, day, environment) already planned with the same figures is left alone, so planning
again plans nothing; one whose figures changed after it was sent gets a new revision in a new
batch (depa keeps the latest record per voucher and day); a pending one is updated in place; one
depa rejected is tried again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.core.db import Database
from saphan.depa.dp.models import PENDING, SENT, DailyUsage, ReportBatch, ReportItem, SyncedVoucher

MAX_ACCESS_TIME = 1440


def access_minutes(seconds: int) -> int:
    """A day's session seconds as VoucherUsage's ``accessTime``: minutes, rounded, at most 1440."""
    return min(MAX_ACCESS_TIME, (seconds + 30) // 60)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Bangkok day as stored times (naive UTC): [start, end)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=BANGKOK)
    return to_utc_naive(start), to_utc_naive(start + dt.timedelta(days=1))


@dataclass(frozen=True)
class Due:
    """One record the day's usage calls for."""

    voucher_id: int
    user_id: int
    access_count: int
    access_time: int
    lat: float
    lon: float

    def same_as(self, item: ReportItem) -> bool:
        return (item.user_id, item.access_count, item.access_time, item.lat, item.lon) == (
            self.user_id,
            self.access_count,
            self.access_time,
            self.lat,
            self.lon,
        )


def due(session: Session, day: dt.date) -> list[Due]:
    """Usage on ``day`` of users linked to a voucher that was active on it: activated before
    the day ended, and not revoked before it began (the day of revocation counts)."""
    start, end = day_bounds(day)
    rows = session.execute(
        select(
            SyncedVoucher.id,
            DailyUsage.user_id,
            DailyUsage.access_count,
            DailyUsage.seconds,
            DailyUsage.lat,
            DailyUsage.lon,
        )
        .join(DailyUsage, DailyUsage.user_id == SyncedVoucher.user_id)
        .where(
            DailyUsage.access_date == day,
            SyncedVoucher.activated_time.is_not(None),
            SyncedVoucher.activated_time < end,
            or_(SyncedVoucher.revoked_time.is_(None), SyncedVoucher.revoked_time >= start),
            or_(DailyUsage.access_count > 0, DailyUsage.seconds > 0),
        )
        .order_by(SyncedVoucher.id)
    ).all()
    return [
        Due(
            voucher_id=v_id,
            user_id=u_id,
            access_count=count,
            access_time=access_minutes(seconds),
            lat=lat if lat is not None else 0.0,
            lon=lon if lon is not None else 0.0,
        )
        for v_id, u_id, count, seconds, lat, lon in rows
    ]


@dataclass
class Planned:
    day: dt.date
    #: Records put into new batches (first time, changed since sent, or rejected before).
    new: int = 0
    #: Pending records whose figures were brought up to date.
    updated: int = 0
    #: Records planned before with the same figures: nothing to do.
    unchanged: int = 0
    batches: int = 0


def _latest_items(session: Session, day: dt.date, is_production: bool) -> dict[int, ReportItem]:
    newest = (
        select(ReportItem.voucher_id, func.max(ReportItem.revision).label("revision"))
        .where(ReportItem.access_date == day, ReportItem.is_production == is_production)
        .group_by(ReportItem.voucher_id)
        .subquery()
    )
    items = session.scalars(
        select(ReportItem).join(
            newest,
            and_(
                ReportItem.voucher_id == newest.c.voucher_id,
                ReportItem.revision == newest.c.revision,
                ReportItem.access_date == day,
                ReportItem.is_production == is_production,
            ),
        )
    )
    return {item.voucher_id: item for item in items}


def plan(
    session: Session, day: dt.date, is_production: bool, now: dt.datetime, batch_size: int = 100
) -> Planned:
    """Turn ``day``'s usage into pending batches (see the module's docstring)."""
    result = Planned(day)
    latest = _latest_items(session, day, is_production)
    fresh: list[tuple[Due, int]] = []
    for record in due(session, day):
        item = latest.get(record.voucher_id)
        if item is None:
            fresh.append((record, 1))
        elif item.state == PENDING:
            if record.same_as(item):
                result.unchanged += 1
            else:
                item.user_id, item.access_count, item.access_time = (
                    record.user_id,
                    record.access_count,
                    record.access_time,
                )
                item.lat, item.lon = record.lat, record.lon
                result.updated += 1
        elif item.state == SENT and record.same_as(item):
            result.unchanged += 1
        else:  # sent with other figures, or rejected: a new revision
            fresh.append((record, item.revision + 1))
    at = to_utc_naive(now)
    conn = session.connection()
    items: list[dict[str, Any]] = []
    for start in range(0, len(fresh), batch_size):
        batch_id = conn.execute(
            insert(ReportBatch)
            .values(
                is_production=is_production,
                access_date=day,
                state=PENDING,
                attempts=0,
                last_error="",
                created_at=at,
            )
            .returning(ReportBatch.id)
        ).scalar_one()
        items.extend(
            {
                "batch_id": batch_id,
                "is_production": is_production,
                "voucher_id": record.voucher_id,
                "user_id": record.user_id,
                "access_date": day,
                "revision": revision,
                "access_count": record.access_count,
                "access_time": record.access_time,
                "lat": record.lat,
                "lon": record.lon,
                "state": PENDING,
                "error": "",
            }
            for record, revision in fresh[start : start + batch_size]
        )
        result.batches += 1
    if items:
        conn.execute(insert(ReportItem), items)
    result.new = len(fresh)
    session.flush()
    return result


def plan_day(
    db: Database, day: dt.date, is_production: bool, now: dt.datetime, batch_size: int = 100
) -> Planned:
    """``plan`` in a transaction of its own; a concurrent run planning the same day makes the
    revision constraint fail, and planning again then finds its items."""
    for attempt in range(3):
        try:
            with db.write() as session:
                return plan(session, day, is_production, now, batch_size)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
