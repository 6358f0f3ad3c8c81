"""depa's three operations (spec 001, section 3) and the API-key check in front of them.

Every query is scoped to the caller's Digital Provider. Answers are the wire's dicts.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    LargeBinary,
    Select,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from saphan.core.clock import bangkok_date, to_utc_naive, wire_datetime
from saphan.core.hashing import digests_equal, key_digest
from saphan.core.statement import Statement, upsert_into
from saphan.depa.errors import BadRequest, Forbidden, InvalidApiKey, MissingApiKey
from saphan.depa.models import ApiKey, DigitalProvider, Usage, Voucher
from saphan.depa.schemas import (
    GetDPVouchersRequest,
    GetVoucherUsageRequest,
    VoucherUsageRecord,
    VoucherUsageRequest,
)

BOUND, ACTIVATED, REVOKED = "Bound", "Activated", "Revoked"


@dataclass(frozen=True, slots=True)
class Caller:
    dp_id: int
    #: The DP's voucher count as of this request (GetDPVouchers' ``totalRecords``).
    voucher_count: int
    #: Changes with every write to the DP's vouchers (migration 0014): with the count, the
    #: version GetDPVouchers pages are kept under (``page_version``).
    revision: int


_KEY_LOOKUP = (
    select(
        ApiKey.digest, DigitalProvider.id, DigitalProvider.voucher_count, DigitalProvider.revision
    )
    .join(DigitalProvider, DigitalProvider.id == ApiKey.dp_id)
    .where(ApiKey.digest == bindparam("digest"), ApiKey.revoked_at.is_(None))
)


def key_of(secret: bytes, api_key: str | None) -> str:
    """The stored digest of ``x-api-key``'s value; MissingApiKey without one."""
    if not api_key or not api_key.strip():
        raise MissingApiKey()
    return key_digest(secret, api_key.strip().lower())


def find_caller(conn: Connection, digest: str) -> Caller | None:
    """The DP whose live key has ``digest``, or None."""
    row = conn.execute(_KEY_LOOKUP, {"digest": digest}).first()
    if row is None or not digests_equal(row[0], digest):
        return None
    return Caller(dp_id=row[1], voucher_count=row[2], revision=row[3])


def authenticate(conn: Connection, secret: bytes, api_key: str | None) -> Caller:
    caller = find_caller(conn, key_of(secret, api_key))
    if caller is None:
        raise InvalidApiKey()
    return caller


# -- GetDPVouchers -----------------------------------------------------------------------------


def _page(dialect: str) -> Select[Any]:
    """A page of stored records, as bytes: the driver hands them over without decoding them
    into ``str`` (half of sqlite3's time for a page of 100), and orjson copies bytes as is.
    PostgreSQL joins them itself, into one value of one row (NULL past the end): psycopg's
    work per row cost more than the rest of the request's database work (100 rows: ~400 ->
    ~250 us of CPU per page, measured)."""
    where = (
        Voucher.dp_id == bindparam("dp_id"),
        Voucher.seq > bindparam("after"),
        Voucher.seq <= bindparam("last"),
    )
    if dialect == "postgresql":
        joined = func.string_agg(Voucher.wire, aggregate_order_by(literal(","), Voucher.seq))
        return select(func.convert_to(joined, "UTF8", type_=LargeBinary)).where(*where)
    return select(cast(Voucher.wire, LargeBinary)).where(*where).order_by(Voucher.seq)


_PAGE = Statement(_page)


def page_key(caller: Caller, request: GetDPVouchersRequest) -> tuple[int, int, int]:
    """What a kept GetDPVouchers answer is found by (``core.answer_cache``)."""
    return (caller.dp_id, request.pageNumber, request.pageSize)


def page_version(caller: Caller) -> tuple[int, int]:
    """What a kept answer must have been made at to be served: any write to the DP's
    vouchers changes the revision; the count is the answer's ``totalRecords``."""
    return (caller.revision, caller.voucher_count)


def get_dp_vouchers(
    conn: Connection, caller: Caller, request: GetDPVouchersRequest
) -> dict[str, Any]:
    """One page in issue order. ``seq`` is dense per DP (1..voucher_count, vouchers are never
    deleted), so any page is an index range rather than an OFFSET scan. ``data`` is the
    records as the database stored them (``Voucher.wire``), joined into an ``orjson.Fragment``."""
    after = (request.pageNumber - 1) * request.pageSize
    params = {
        "dp_id": caller.dp_id,
        "after": after,
        "last": after + request.pageSize,
    }
    records: list[bytes | None] = (
        _PAGE.column(conn, **params)
        if after < caller.voucher_count  # past the end: no query (nor a bound past INTEGER)
        else []
    )
    return {
        "success": True,
        "errorMessage": "",
        "totalRecords": caller.voucher_count,
        "pageSize": request.pageSize,
        "pageNumber": request.pageNumber,
        # SQLite: a record per row; PostgreSQL: one row, the page joined (or NULL).
        "data": orjson.Fragment(b"[" + b",".join(r for r in records if r is not None) + b"]"),
    }


# -- VoucherUsage ------------------------------------------------------------------------------


def single_precision(value: float) -> float:
    """The nearest float32, as a single-precision column holds it."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


def six_digits(value: float) -> float:
    """How depa reads a float32 back: 6 significant digits (13.123456 -> 13.1235)."""
    return float(f"{value:.6g}")


def active_on(status_row: Any, day: dt.date) -> bool:
    """Activated on or before ``day`` (Bangkok) and not revoked before it."""
    activated, revoked = status_row.activated_time, status_row.revoked_time
    if activated is None or bangkok_date(activated) > day:
        return False
    return revoked is None or bangkok_date(revoked) >= day


def _check_record(
    index: int,
    record: VoucherUsageRecord,
    day: dt.date,
    vouchers: dict[str, Any],
    caller: Caller,
    today: dt.date,
) -> int:
    """The voucher id the record may be stored under, or the error naming the record."""
    where = f"vouchers[{index}]"
    found = vouchers.get(record.voucherCode)
    if found is None:
        raise BadRequest(f"Unknown voucher code {record.voucherCode} ({where}.voucherCode)")
    if found.dp_id != caller.dp_id:
        raise Forbidden(
            f"Voucher {record.voucherCode} does not belong to this Digital Provider "
            f"({where}.voucherCode)"
        )
    if day > today:
        raise BadRequest(f"accessDate {record.accessDate} is in the future ({where}.accessDate)")
    if not active_on(found, day):
        raise BadRequest(
            f"Voucher {record.voucherCode} was not activated on {record.accessDate} "
            f"({where}.accessDate)"
        )
    return int(found.id)


def voucher_usage(
    conn: Connection, caller: Caller, request: VoucherUsageRequest, now: dt.datetime
) -> dict[str, Any]:
    """Store a batch all-or-nothing; one row per voucher and day, the latest record winning."""
    records = request.vouchers
    codes = {r.voucherCode for r in records}
    postgres = conn.dialect.name == "postgresql"
    vouchers = {
        row.voucher_code: row
        for row in conn.execute(
            vouchers_by_code(conn.dialect.name),
            {"codes": list(codes) if postgres else orjson.dumps(list(codes)).decode()},
        ).all()
    }
    today = bangkok_date(now)
    created = to_utc_naive(now)
    latest: dict[tuple[int, dt.date], dict[str, Any]] = {}
    for index, record in enumerate(records):
        day = dt.date.fromisoformat(record.accessDate)
        voucher_id = _check_record(index, record, day, vouchers, caller, today)
        latest[(voucher_id, day)] = {
            "dp_id": caller.dp_id,
            "voucher_id": voucher_id,
            "is_production": request.isProduction,
            "access_date": day,
            "app_user_id": record.appUserId,
            "access_count": record.accessCount,
            "access_time": record.accessTime,
            "lat": single_precision(record.lat),
            "lon": single_precision(record.lon),
            "created_time": created,
        }
    # In (voucher, day) order: concurrent batches then lock their rows in the same order, so
    # two batches of the same vouchers in opposite orders cannot deadlock on PostgreSQL.
    rows = [latest[key] for key in sorted(latest)]
    conn.execute(upsert_usage(conn.dialect.name), rows)
    return {
        "success": True,
        "errorMessage": "",
        "data": {"received": len(records), "saved": len(rows)},
    }


@cache
def vouchers_by_code(dialect: str) -> Any:
    """The batch's vouchers, with all its codes bound as one parameter (a PostgreSQL array or
    a SQLite JSON array): a hundred separate parameters cost a millisecond to bind."""
    if dialect == "postgresql":
        wanted: Any = Voucher.voucher_code == any_(bindparam("codes", type_=ARRAY(String)))
    else:
        listed = func.json_each(bindparam("codes")).table_valued("value")
        wanted = Voucher.voucher_code.in_(select(listed.c.value))
    return select(
        Voucher.id,
        Voucher.dp_id,
        Voucher.voucher_code,
        Voucher.activated_time,
        Voucher.revoked_time,
    ).where(wanted)


@cache
def upsert_usage(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (voucher, environment, day) DO UPDATE, for either database."""
    statement = upsert_into(dialect, Usage)
    replaced = {
        name: statement.excluded[name]
        for name in ("app_user_id", "access_count", "access_time", "lat", "lon", "created_time")
    }
    return statement.on_conflict_do_update(
        index_elements=["voucher_id", "is_production", "access_date"], set_=replaced
    )


# -- GetVoucherUsage ---------------------------------------------------------------------------


def usage_query(dp_id: int) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Voucher.voucher_code,
            Usage.access_date,
            Usage.app_user_id,
            Usage.access_count,
            Usage.access_time,
            Usage.lat,
            Usage.lon,
            Usage.created_time,
        )
        .join(Voucher, Voucher.id == Usage.voucher_id)
        .where(Usage.dp_id == dp_id)
    )


def usage_to_wire(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "voucherCode": row[0],
        "accessDate": row[1].isoformat(),
        "appUserId": row[2],
        "accessCount": row[3],
        "accessTime": row[4],
        "lat": six_digits(row[5]),
        "lon": six_digits(row[6]),
        "createdTime": wire_datetime(row[7]),
    }


def get_voucher_usage(
    conn: Connection, caller: Caller, request: GetVoucherUsageRequest
) -> dict[str, Any]:
    if request.fromDate > request.toDate:
        raise BadRequest("fromDate must not be after toDate (fromDate)")
    owner = conn.execute(
        select(Voucher.dp_id).where(Voucher.voucher_code == request.voucherCode)
    ).scalar_one_or_none()
    if owner is not None and owner != caller.dp_id:
        raise Forbidden(
            f"Voucher {request.voucherCode} does not belong to this Digital Provider (voucherCode)"
        )
    rows = conn.execute(
        usage_query(caller.dp_id)
        .where(
            Voucher.voucher_code == request.voucherCode,
            Usage.is_production == request.isProduction,
            Usage.access_date >= dt.date.fromisoformat(request.fromDate),
            Usage.access_date <= dt.date.fromisoformat(request.toDate),
        )
        .order_by(Usage.access_date)
    ).all()
    return {"success": True, "errorMessage": "", "data": [usage_to_wire(r) for r in rows]}
