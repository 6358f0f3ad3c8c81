"""Verify (spec 4.1 step 4): read back with GetVoucherUsage what this DP sent, and list every
record depa does not hold, or holds with other figures; and records depa holds for those
vouchers and days that this store never sent."""

from __future__ import annotations

import datetime as dt
import struct
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from saphan.core.db import Database
from saphan.depa.client import DepaClient, UsageRow
from saphan.depa.dp.models import SENT, AppUser, ReportItem, SyncedVoucher

MISSING, DIFFERENT, UNEXPECTED = "missing", "different", "unexpected"


def as_depa_reads(value: float) -> float:
    """depa stores lat/lon in single precision and reads them back to 6 significant digits
    (13.123456 -> 13.1235): compare ours the same way."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    return float(f"{single:.6g}")


@dataclass(frozen=True)
class Expected:
    voucher_code: str
    access_date: dt.date
    app_user_id: str
    access_count: int
    access_time: int
    lat: float
    lon: float

    def wire(self) -> dict[str, object]:
        return {
            "appUserId": self.app_user_id,
            "accessCount": self.access_count,
            "accessTime": self.access_time,
            "lat": as_depa_reads(self.lat),
            "lon": as_depa_reads(self.lon),
        }


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    voucher_code: str
    access_date: str
    #: field -> (what this DP sent, what depa holds); for ``missing``/``unexpected`` the record.
    fields: dict[str, tuple[object, object]]


@dataclass
class VerifyResult:
    checked: int = 0
    vouchers: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies


def sent_records(
    db: Database, first: dt.date, last: dt.date, is_production: bool
) -> list[Expected]:
    """The latest sent revision of each (voucher, day) between ``first`` and ``last``."""
    newest = (
        select(
            ReportItem.voucher_id,
            ReportItem.access_date,
            func.max(ReportItem.revision).label("revision"),
        )
        .where(
            ReportItem.state == SENT,
            ReportItem.is_production == is_production,
            ReportItem.access_date >= first,
            ReportItem.access_date <= last,
        )
        .group_by(ReportItem.voucher_id, ReportItem.access_date)
        .subquery()
    )
    with db.read() as session:
        rows = session.execute(
            select(
                SyncedVoucher.voucher_code,
                ReportItem.access_date,
                AppUser.app_user_id,
                ReportItem.access_count,
                ReportItem.access_time,
                ReportItem.lat,
                ReportItem.lon,
            )
            .join(
                newest,
                (newest.c.voucher_id == ReportItem.voucher_id)
                & (newest.c.access_date == ReportItem.access_date)
                & (newest.c.revision == ReportItem.revision),
            )
            .join(SyncedVoucher, SyncedVoucher.id == ReportItem.voucher_id)
            .join(AppUser, AppUser.id == ReportItem.user_id)
            .where(ReportItem.is_production == is_production, ReportItem.state == SENT)
            .order_by(SyncedVoucher.voucher_code, ReportItem.access_date)
        ).all()
    return [Expected(*row) for row in rows]


def _held(row: UsageRow) -> dict[str, object]:
    return {
        "appUserId": row.appUserId,
        "accessCount": row.accessCount,
        "accessTime": row.accessTime,
        "lat": row.lat,
        "lon": row.lon,
    }


def verify(
    db: Database, client: DepaClient, first: dt.date, last: dt.date, is_production: bool
) -> VerifyResult:
    """One GetVoucherUsage per voucher over the range."""
    by_code: dict[str, dict[str, Expected]] = defaultdict(dict)
    for record in sent_records(db, first, last, is_production):
        by_code[record.voucher_code][record.access_date.isoformat()] = record
    result = VerifyResult(vouchers=len(by_code))
    for code, expected in by_code.items():
        answer = client.get_voucher_usage(code, first, last, is_production=is_production)
        held = {row.accessDate: row for row in answer.data}
        for day, record in expected.items():
            result.checked += 1
            ours = record.wire()
            row = held.get(day)
            if row is None:
                fields: dict[str, tuple[object, object]] = {k: (v, None) for k, v in ours.items()}
                result.discrepancies.append(Discrepancy(MISSING, code, day, fields))
                continue
            theirs = _held(row)
            differ = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
            if differ:
                result.discrepancies.append(Discrepancy(DIFFERENT, code, day, differ))
        for day, row in held.items():
            if day not in expected:
                extra: dict[str, tuple[object, object]] = {
                    k: (None, v) for k, v in _held(row).items()
                }
                result.discrepancies.append(Discrepancy(UNEXPECTED, code, day, extra))
    return result
