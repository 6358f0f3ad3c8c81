"""What an organisation running depa's side does: DPs, their API keys, vouchers, usage.

Used by the operator API, the ``saphan depa`` commands and the demo data alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from saphan.core.admin import (
    MAX_ROW_ID,
    AdminBadRequest,
    AdminConflict,
    AdminInvalid,
    AdminNotFound,
)
from saphan.core.clock import to_utc_naive, wire_datetime
from saphan.core.errors import describe_validation
from saphan.core.hashing import key_digest
from saphan.depa.admin_schemas import DPOut, KeyCreated, KeyOut, UsageOut, VoucherIn, VoucherOut
from saphan.depa.logic import ACTIVATED, BOUND, REVOKED, six_digits
from saphan.depa.models import ApiKey, DigitalProvider, Usage, Voucher

#: depa's binding lasts 90 days (the spec's example: bound 2025-11-07, revoking 2026-02-05).
BINDING_PERIOD = dt.timedelta(days=90)
_TRANSITIONS = {ACTIVATED: {BOUND}, REVOKED: {BOUND, ACTIVATED}}


def dp_out(dp: DigitalProvider) -> DPOut:
    return DPOut(
        id=dp.id,
        name=dp.name,
        createdAt=wire_datetime(dp.created_at),
        voucherCount=dp.voucher_count,
    )


def create_dp(session: Session, name: str, now: dt.datetime) -> DigitalProvider:
    dp = DigitalProvider(name=name, created_at=to_utc_naive(now), voucher_count=0)
    session.add(dp)
    session.flush()
    return dp


def get_dp(session: Session, dp_id: int) -> DigitalProvider:
    dp = session.get(DigitalProvider, dp_id) if 0 < dp_id <= MAX_ROW_ID else None
    if dp is None:
        raise AdminNotFound(f"No Digital Provider {dp_id}")
    return dp


def list_dps(session: Session) -> list[DigitalProvider]:
    return list(session.scalars(select(DigitalProvider).order_by(DigitalProvider.id)))


# -- API keys ----------------------------------------------------------------------------------


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        dpId=key.dp_id,
        prefix=key.prefix,
        label=key.label,
        createdAt=wire_datetime(key.created_at),
        revokedAt=wire_datetime(key.revoked_at),
    )


def issue_key(
    session: Session,
    secret: bytes,
    dp_id: int,
    now: dt.datetime,
    *,
    label: str = "",
    key: str | None = None,
) -> KeyCreated:
    """A new UUID v4 key for the DP. Only its keyed hash is stored; ``key`` fixes it (demo)."""
    get_dp(session, dp_id)
    plain = (key or str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))).lower()
    row = ApiKey(
        dp_id=dp_id,
        digest=key_digest(secret, plain),
        prefix=plain[:8],
        label=label,
        created_at=to_utc_naive(now),
    )
    session.add(row)
    session.flush()
    return KeyCreated(**key_out(row).model_dump(), key=plain)


def list_keys(session: Session, dp_id: int) -> list[ApiKey]:
    get_dp(session, dp_id)
    return list(session.scalars(select(ApiKey).where(ApiKey.dp_id == dp_id).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int, now: dt.datetime) -> ApiKey:
    key = session.get(ApiKey, key_id) if 0 < key_id <= MAX_ROW_ID else None
    if key is None:
        raise AdminNotFound(f"No API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = to_utc_naive(now)
    return key


def key_exists(session: Session, secret: bytes, plain: str) -> bool:
    digest = key_digest(secret, plain.lower())
    return session.scalar(select(ApiKey.id).where(ApiKey.digest == digest)) is not None


# -- vouchers ----------------------------------------------------------------------------------

_VOUCHERS = TypeAdapter(list[VoucherIn])


def parse_vouchers(data: bytes, fmt: str) -> list[VoucherIn]:
    """Vouchers from CSV (header row of GetDPVouchers field names) or JSON (a list, or an
    object with ``vouchers`` or ``data``). The error names the record (0-based)."""
    try:
        if fmt == "csv":
            text = data.decode("utf-8-sig")
            raw: Any = list(csv.DictReader(io.StringIO(text, newline="")))
        else:
            raw = orjson.loads(data)
            if isinstance(raw, dict):
                raw = raw.get("vouchers", raw.get("data"))
        return _VOUCHERS.validate_python(raw)
    except UnicodeDecodeError as exc:
        raise AdminBadRequest(f"File is not UTF-8: {exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise AdminBadRequest(f"Malformed JSON: {exc}") from exc
    except csv.Error as exc:  # a file the csv module cannot read (it was a 500)
        raise AdminBadRequest(f"Malformed CSV: {exc}") from exc
    except ValidationError as exc:
        raise AdminInvalid(
            describe_validation([{**e, "loc": ("records", *e["loc"])} for e in exc.errors()])
        ) from exc


def _voucher_row(dp_id: int, seq: int, v: VoucherIn, now: dt.datetime) -> dict[str, Any]:
    binding = v.bindingTime or now
    if v.status == ACTIVATED and v.activatedTime is None:
        raise AdminInvalid(f"Voucher {v.voucherCode} is Activated but has no activatedTime")
    if v.status == REVOKED and v.revokedTime is None:
        raise AdminInvalid(f"Voucher {v.voucherCode} is Revoked but has no revokedTime")

    def stored(value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else to_utc_naive(value)

    return {
        "dp_id": dp_id,
        "seq": seq,
        "voucher_code": v.voucherCode,
        "status": v.status,
        "binding_time": stored(binding),
        "revoking_time": stored(v.revokingTime or binding + BINDING_PERIOD),
        "activated_time": stored(v.activatedTime),
        "revoked_time": stored(v.revokedTime),
        "regist_id": v.registId,
        "regist_type": v.registType,
        "title": v.title,
        "first_name": v.firstName,
        "last_name": v.lastName,
        "id_card": v.idCard,
        "mobile_no": v.mobileNo,
        "email": v.email,
        "addr_no": v.addrNo,
        "moo": v.moo,
        "province_name": v.provinceName,
        "amphur_name": v.amphurName,
        "tambon_name": v.tambonName,
        "postcode": v.postcode,
        "product_name": v.productName,
    }


def create_vouchers(
    session: Session,
    dp_id: int,
    vouchers: Sequence[VoucherIn],
    now: dt.datetime,
    *,
    chunk: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Issue vouchers to a DP, all or nothing (the caller's transaction). A code that exists
    already, here or at another DP, is a conflict naming it."""
    get_dp(session, dp_id)
    codes = [v.voucherCode for v in vouchers]
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise AdminConflict(f"Voucher {code} appears twice in the input")
        seen.add(code)
    for part in _chunks(codes, 500):
        taken = session.scalars(
            select(Voucher.voucher_code).where(Voucher.voucher_code.in_(part))
        ).first()
        if taken is not None:
            raise AdminConflict(f"Voucher {taken} exists already")
    first = _reserve_seqs(session, dp_id, len(vouchers))
    for start in range(0, len(vouchers), chunk):
        rows = [
            _voucher_row(dp_id, first + start + i, v, now)
            for i, v in enumerate(vouchers[start : start + chunk])
        ]
        session.execute(insert(Voucher), rows)
        if on_progress is not None:
            on_progress(len(rows))
    return len(vouchers)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reserve_seqs(session: Session, dp_id: int, n: int) -> int:
    """Take ``n`` sequence numbers under the DP's row lock; returns the first."""
    new_count = session.execute(
        update(DigitalProvider)
        .where(DigitalProvider.id == dp_id)
        .values(voucher_count=DigitalProvider.voucher_count + n)
        .returning(DigitalProvider.voucher_count)
    ).scalar_one()
    return int(new_count) - n + 1


def voucher_out(v: Voucher) -> VoucherOut:
    return VoucherOut(
        dpId=v.dp_id,
        voucherCode=v.voucher_code,
        status=v.status,
        bindingTime=wire_datetime(v.binding_time),
        revokingTime=wire_datetime(v.revoking_time),
        activatedTime=wire_datetime(v.activated_time),
        revokedTime=wire_datetime(v.revoked_time),
    )


def get_voucher(session: Session, code: str) -> Voucher:
    voucher = session.scalar(select(Voucher).where(Voucher.voucher_code == code))
    if voucher is None:
        raise AdminNotFound(f"No voucher {code}")
    return voucher


def move_voucher(session: Session, code: str, target: str, at: dt.datetime) -> Voucher:
    """Bound -> Activated -> Revoked (or Bound -> Revoked), recording when."""
    voucher = get_voucher(session, code)
    if voucher.status not in _TRANSITIONS.get(target, set()):
        raise AdminConflict(f"Voucher {code} is {voucher.status}; it cannot become {target}")
    voucher.status = target
    if target == ACTIVATED:
        voucher.activated_time = to_utc_naive(at)
    else:
        voucher.revoked_time = to_utc_naive(at)
    return voucher


def list_vouchers(
    session: Session, dp_id: int, *, status: str | None, page: int, per_page: int
) -> tuple[int, list[Voucher]]:
    get_dp(session, dp_id)
    query = select(Voucher).where(Voucher.dp_id == dp_id)
    if status:
        query = query.where(Voucher.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Voucher.seq).offset((page - 1) * per_page).limit(per_page)
    )
    return int(total), list(rows)


# -- usage -------------------------------------------------------------------------------------


def list_usage(
    session: Session,
    dp_id: int,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    is_production: bool | None = None,
    voucher_code: str | None = None,
    limit: int = 1000,
) -> list[UsageOut]:
    get_dp(session, dp_id)
    query = (
        select(Usage, Voucher.voucher_code)
        .join(Voucher, Voucher.id == Usage.voucher_id)
        .where(Usage.dp_id == dp_id)
    )
    if date_from:
        query = query.where(Usage.access_date >= date_from)
    if date_to:
        query = query.where(Usage.access_date <= date_to)
    if is_production is not None:
        query = query.where(Usage.is_production == is_production)
    if voucher_code:
        query = query.where(Voucher.voucher_code == voucher_code)
    query = query.order_by(Usage.access_date, Voucher.voucher_code, Usage.is_production).limit(
        limit
    )
    return [
        UsageOut(
            voucherCode=code,
            isProduction=u.is_production,
            accessDate=u.access_date.isoformat(),
            appUserId=u.app_user_id,
            accessCount=u.access_count,
            accessTime=u.access_time,
            lat=six_digits(u.lat),
            lon=six_digits(u.lon),
            createdTime=wire_datetime(u.created_time),
        )
        for u, code in session.execute(query)
    ]
