"""Sending pending report batches to VoucherUsage.

Every pending batch of the environment goes, oldest day first, each claimed for a while so two
runs never send the same batch at once, and its state committed as soon as depa answers: a batch
is marked sent only on a 2xx. A record depa refuses (400/403 naming ``vouchers[i]``) is marked
rejected and the rest of its batch is sent again at once. A batch that still fails after the
client's retries (connection errors, timeouts, 429, 5xx: backoff 0.5 s doubling to 8 s) stays
pending and the run stops there: the next run sends it and everything after it. A batch whose
2xx was lost (the connection broke after depa saved it) is sent again; depa keeps the latest
record per voucher and day, so that stores nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, update

from saphan.core.clock import to_utc_naive
from saphan.core.db import Database
from saphan.depa.client import DepaClient, DepaError, DepaStatusError
from saphan.depa.dp.models import (
    PENDING,
    REJECTED,
    SENT,
    AppUser,
    ReportBatch,
    ReportItem,
    SyncedVoucher,
)

#: How long a run holds a batch it is sending (longer than the client's worst case for one
#: batch: 90 s timeouts and up to 10 retries).
CLAIM = dt.timedelta(minutes=20)
_RECORD_INDEX = re.compile(r"vouchers\[(\d+)\]")


@dataclass(frozen=True)
class Rejected:
    voucher_code: str
    access_date: dt.date
    app_user_id: str
    error: str


@dataclass
class Sent:
    batches: int = 0
    records: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    #: Pending batches left for the next run, and why the run stopped (``""``: it did not).
    pending: int = 0
    error: str = ""


Records = list[tuple[int, dict[str, Any]]]

_NEXT = (
    select(ReportBatch.id)
    .where(
        ReportBatch.state == PENDING,
        ReportBatch.is_production == bindparam("production"),
        or_(ReportBatch.claimed_until.is_(None), ReportBatch.claimed_until < bindparam("at")),
    )
    .order_by(ReportBatch.access_date, ReportBatch.id)
    .limit(1)
)
_TAKE = (
    update(ReportBatch)
    .where(
        ReportBatch.id == bindparam("batch"),
        ReportBatch.state == PENDING,
        or_(ReportBatch.claimed_until.is_(None), ReportBatch.claimed_until < bindparam("at")),
    )
    .values(claimed_until=bindparam("until"))
)
_RECORDS = (
    select(
        ReportItem.id,
        ReportItem.access_date,
        SyncedVoucher.voucher_code,
        AppUser.app_user_id,
        ReportItem.access_count,
        ReportItem.access_time,
        ReportItem.lat,
        ReportItem.lon,
    )
    .join(SyncedVoucher, SyncedVoucher.id == ReportItem.voucher_id)
    .join(AppUser, AppUser.id == ReportItem.user_id)
    .where(ReportItem.batch_id == bindparam("batch"), ReportItem.state == PENDING)
    .order_by(ReportItem.id)
)


def _claim(db: Database, is_production: bool, now: dt.datetime) -> tuple[int, Records] | None:
    """Take the next pending batch no other run holds, with its pending records; ``None`` when
    there is none. (The conditional update makes two runs racing for one batch take it once.)"""
    at = to_utc_naive(now)
    while True:
        with db.begin() as conn:
            batch_id = conn.execute(_NEXT, {"production": is_production, "at": at}).scalar()
            if batch_id is None:
                return None
            taken = conn.execute(_TAKE, {"batch": batch_id, "at": at, "until": at + CLAIM})
            if taken.rowcount == 1:
                return batch_id, _records(conn, batch_id)


def _records(conn: Connection, batch_id: int) -> Records:
    return [
        (
            item_id,
            {
                "accessDate": day.isoformat(),
                "voucherCode": code,
                "appUserId": user,
                "accessCount": count,
                "accessTime": minutes,
                "lat": lat,
                "lon": lon,
            },
        )
        for item_id, day, code, user, count, minutes, lat, lon in conn.execute(
            _RECORDS, {"batch": batch_id}
        )
    ]


def _finish(
    db: Database, batch_id: int, now: dt.datetime, *, sent: Iterable[int] = (), error: str = ""
) -> None:
    """After an answer, in one transaction: the items depa took are sent; a batch whose items
    are all settled is sent (or rejected, if none was accepted), otherwise it stays pending
    with the error. The claim is released."""
    with db.begin() as conn:
        taken = list(sent)
        if taken:
            conn.execute(
                update(ReportItem).where(ReportItem.id.in_(taken)).values(state=SENT, error="")
            )
        states = set(
            conn.execute(
                select(ReportItem.state).where(ReportItem.batch_id == batch_id).distinct()
            ).scalars()
        )
        values: dict[str, Any] = {
            "attempts": ReportBatch.attempts + 1,
            "claimed_until": None,
            "last_error": error[:500],
        }
        if PENDING not in states:
            values["state"] = SENT if SENT in states else REJECTED
            values["sent_at"] = to_utc_naive(now)
        conn.execute(update(ReportBatch).where(ReportBatch.id == batch_id).values(**values))


def _reject(db: Database, item_ids: Iterable[int], error: str) -> None:
    with db.write() as session:
        session.execute(
            update(ReportItem)
            .where(ReportItem.id.in_(list(item_ids)))
            .values(state=REJECTED, error=error[:500])
        )


def _refused_index(exc: DepaStatusError, count: int) -> int | None:
    """The record depa's 400/403 names (``vouchers[3].accessDate``), if it names one."""
    if exc.status_code not in (400, 403):
        return None
    found = _RECORD_INDEX.search(exc.errorMessage)
    index = int(found.group(1)) if found else None
    return index if index is not None and index < count else None


def send_batch(
    db: Database,
    client: DepaClient,
    batch_id: int,
    records: Records,
    is_production: bool,
    now: Callable[[], dt.datetime],
    result: Sent,
) -> bool:
    """Send one claimed batch until depa has taken or refused each record; ``False`` when it
    failed and stays pending."""
    while True:
        if not records:
            _finish(db, batch_id, now())
            return True
        try:
            client.voucher_usage([r for _, r in records], is_production=is_production)
        except DepaStatusError as exc:
            index = _refused_index(exc, len(records))
            if index is None and exc.status_code in (400, 403):
                refused = records  # depa refused the batch without naming a record
            elif index is not None:
                refused = [records[index]]
            else:
                _finish(db, batch_id, now(), error=str(exc))
                result.error = str(exc)
                return False
            _reject(db, (item_id for item_id, _ in refused), exc.errorMessage or str(exc))
            result.rejected.extend(
                Rejected(
                    r["voucherCode"],
                    dt.date.fromisoformat(r["accessDate"]),
                    r["appUserId"],
                    exc.errorMessage or str(exc),
                )
                for _, r in refused
            )
            records = [r for r in records if r not in refused]
            continue
        except DepaError as exc:
            _finish(db, batch_id, now(), error=str(exc))
            result.error = str(exc)
            return False
        _finish(db, batch_id, now(), sent=(item_id for item_id, _ in records))
        result.batches += 1
        result.records += len(records)
        return True


def pending_batches(db: Database, is_production: bool) -> int:
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ReportBatch)
                .where(ReportBatch.state == PENDING, ReportBatch.is_production == is_production)
            )
            or 0
        )


def send_pending(
    db: Database,
    client: DepaClient,
    is_production: bool,
    now: Callable[[], dt.datetime],
    *,
    on_batch: Callable[[int, int], None] | None = None,
) -> Sent:
    """Send every pending batch of the environment (see the module's docstring).
    ``on_batch(done, total)`` after each batch."""
    result = Sent()
    total = pending_batches(db, is_production)
    done = 0
    while (claimed := _claim(db, is_production, now())) is not None:
        ok = send_batch(db, client, *claimed, is_production, now, result)
        done += 1
        if on_batch is not None:
            on_batch(done, total)
        if not ok:
            break
    result.pending = pending_batches(db, is_production)
    return result
