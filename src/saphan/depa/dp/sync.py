"""Sync (spec 4.1 step 1, 4.2): fetch every voucher depa approved for this DP, a page of 500 at a
time, keep it and its status history, and link each voucher to an app user: by ``mobileNo``
first, then ``idCard``; what matches nobody, or more than one user, waits for a manual link."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.core.db import Database
from saphan.depa.client import MAX_PAGE_SIZE, DepaClient, Voucher
from saphan.depa.dp.errors import DPConflict, DPNotFound
from saphan.depa.dp.models import AppUser, SyncedVoucher, VoucherStatusChange
from saphan.depa.dp.users import id_card_digest, normalise_phone

BOUND, ACTIVATED, REVOKED = "Bound", "Activated", "Revoked"
BY_MOBILE, BY_ID_CARD, MANUAL = "mobileNo", "idCard", "manual"


@dataclass(frozen=True)
class Conflict:
    voucher_code: str
    #: ``mobileNo`` or ``idCard``: which key more than one user holds.
    key: str
    app_user_ids: tuple[str, ...]


@dataclass
class SyncResult:
    pages: int = 0
    vouchers: int = 0
    new: int = 0
    #: Vouchers whose status changed since the last sync.
    changed: int = 0
    already_linked: int = 0
    by_mobile: list[str] = field(default_factory=list)
    by_id_card: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def wire_time(value: str) -> dt.datetime | None:
    """depa's ``"YYYY-MM-DD HH:MM:SS"`` (Bangkok) as stored (naive UTC); ``""`` is none, and
    so is what is no time. (ISO 8601 is accepted too.)"""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return to_utc_naive(parsed if parsed.tzinfo else parsed.replace(tzinfo=BANGKOK))


def _history(fields: dict[str, Any]) -> list[tuple[str, dt.datetime | None]]:
    """The statuses a voucher has been through, as far as its times tell, in order."""
    status = fields["status"]
    steps: list[tuple[str, dt.datetime | None]] = [(BOUND, fields["binding_time"])]
    if fields["activated_time"] is not None or status == ACTIVATED:
        steps.append((ACTIVATED, fields["activated_time"]))
    if fields["revoked_time"] is not None or status == REVOKED:
        steps.append((REVOKED, fields["revoked_time"]))
    if status not in (BOUND, ACTIVATED, REVOKED):
        steps.append((status, None))  # a status the spec's "etc." may hold
    return steps


def _fields(voucher: Voucher, secret: bytes, at: dt.datetime) -> dict[str, Any]:
    """The columns a voucher's GetDPVouchers record sets."""
    return {
        "status": voucher.status[:16],
        "binding_time": wire_time(voucher.bindingTime),
        "revoking_time": wire_time(voucher.revokingTime),
        "activated_time": wire_time(voucher.activatedTime),
        "revoked_time": wire_time(voucher.revokedTime),
        "regist_id": voucher.registId[:50],
        "regist_type": voucher.registType[:50],
        "first_name": voucher.firstName[:200],
        "last_name": voucher.lastName[:200],
        "product_name": voucher.productName[:200],
        "mobile_no": (normalise_phone(voucher.mobileNo) or voucher.mobileNo)[:30],
        "id_card_digest": id_card_digest(secret, voucher.idCard),
        "last_synced_at": at,
    }


_COLUMNS = (
    "status",
    "binding_time",
    "revoking_time",
    "activated_time",
    "revoked_time",
    "regist_id",
    "regist_type",
    "first_name",
    "last_name",
    "product_name",
    "mobile_no",
    "id_card_digest",
    "last_synced_at",
)
_UPDATE = (
    update(SyncedVoucher)
    .where(SyncedVoucher.id == bindparam("_id"))
    .values({name: bindparam(name) for name in _COLUMNS})
)


def store_page(
    session: Session, page: Sequence[Voucher], secret: bytes, now: dt.datetime
) -> tuple[int, int]:
    """Upsert one page of vouchers and add what their history lacks: (new, changed). Core
    statements, a few per page (one per row would be 1,500 round trips a page)."""
    conn = session.connection()
    at = to_utc_naive(now)
    fields = {v.voucherCode: _fields(v, secret, at) for v in page}
    codes = list(fields)
    existing = {
        code: (id_, status)
        for id_, code, status in conn.execute(
            select(SyncedVoucher.id, SyncedVoucher.voucher_code, SyncedVoucher.status).where(
                SyncedVoucher.voucher_code.in_(codes)
            )
        )
    }
    fresh = [
        {"voucher_code": code, "first_synced_at": at, **values}
        for code, values in fields.items()
        if code not in existing
    ]
    if fresh:
        conn.execute(insert(SyncedVoucher), fresh)
    known = [{"_id": existing[code][0], **fields[code]} for code in codes if code in existing]
    if known:
        conn.execute(_UPDATE, known)
    changed = sum(fields[code]["status"] != status for code, (_, status) in existing.items())
    ids = dict(
        conn.execute(
            select(SyncedVoucher.voucher_code, SyncedVoucher.id).where(
                SyncedVoucher.voucher_code.in_(codes)
            )
        ).all()
    )
    seen: dict[int, set[str]] = defaultdict(set)
    for voucher_id, status in conn.execute(
        select(VoucherStatusChange.voucher_id, VoucherStatusChange.status).where(
            VoucherStatusChange.voucher_id.in_(list(ids.values()))
        )
    ):
        seen[voucher_id].add(status)
    history = [
        {"voucher_id": ids[code], "status": status, "at": when, "seen_at": at}
        for code, values in fields.items()
        for status, when in _history(values)
        if status not in seen[ids[code]]
    ]
    if history:
        conn.execute(insert(VoucherStatusChange), history)
    return len(fresh), changed


def match_unlinked(session: Session, now: dt.datetime, result: SyncResult) -> None:
    """Link every voucher without a user: one user with its mobile number, else one user with
    its national ID; otherwise note it as unmatched or as a conflict."""
    at = to_utc_naive(now)
    by_phone: dict[str, list[AppUser]] = defaultdict(list)
    by_id_card: dict[str, list[AppUser]] = defaultdict(list)
    for user in session.scalars(select(AppUser).order_by(AppUser.app_user_id)):
        if user.phone:
            by_phone[user.phone].append(user)
        if user.id_card_digest:
            by_id_card[user.id_card_digest].append(user)
    unlinked = session.scalars(
        select(SyncedVoucher).where(SyncedVoucher.user_id.is_(None)).order_by(SyncedVoucher.id)
    )
    for voucher in unlinked:
        phone_users = by_phone.get(voucher.mobile_no, []) if voucher.mobile_no else []
        card_users = by_id_card.get(voucher.id_card_digest or "", [])
        if len(phone_users) == 1:
            user, method = phone_users[0], BY_MOBILE
        elif len(card_users) == 1:
            # the secondary key: also what settles two users holding one phone
            user, method = card_users[0], BY_ID_CARD
        else:
            clash = phone_users if len(phone_users) > 1 else card_users
            if len(clash) > 1:
                key = BY_MOBILE if clash is phone_users else BY_ID_CARD
                result.conflicts.append(
                    Conflict(voucher.voucher_code, key, tuple(u.app_user_id for u in clash))
                )
            else:
                result.unmatched.append(voucher.voucher_code)
            continue
        voucher.user_id, voucher.link_method, voucher.linked_at = user.id, method, at
        (result.by_mobile if method == BY_MOBILE else result.by_id_card).append(
            voucher.voucher_code
        )


def sync(
    db: Database,
    client: DepaClient,
    secret: bytes,
    now: Callable[[], dt.datetime],
    *,
    page_size: int = MAX_PAGE_SIZE,
    on_page: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Fetch every page (each stored in its own transaction, so an interrupted sync keeps what
    it got), then match. ``on_page(vouchers_so_far, total_records)`` after each page."""
    result = SyncResult()
    for page in client.iter_voucher_pages(page_size):
        with db.write() as session:
            new, changed = store_page(session, page.data, secret, now())
        result.pages += 1
        result.vouchers += len(page.data)
        result.new += new
        result.changed += changed
        if on_page is not None:
            on_page(result.vouchers, page.totalRecords)
    with db.write() as session:
        linked = select(func.count()).where(SyncedVoucher.user_id.is_not(None))
        result.already_linked = session.scalar(linked) or 0
        match_unlinked(session, now(), result)
    return result


def link(
    session: Session, voucher_code: str, app_user_id: str, now: dt.datetime, *, force: bool = False
) -> SyncedVoucher:
    """Link a voucher to a user by hand (the spec's "manual admin linking"). A voucher linked to
    another user is relinked only with ``force``."""
    voucher = session.scalars(
        select(SyncedVoucher).where(SyncedVoucher.voucher_code == voucher_code)
    ).one_or_none()
    if voucher is None:
        raise DPNotFound(f"No synced voucher {voucher_code} (run saphan depa-dp sync first)")
    user = session.scalars(select(AppUser).where(AppUser.app_user_id == app_user_id)).one_or_none()
    if user is None:
        raise DPNotFound(f"No app user {app_user_id}")
    if voucher.user_id not in (None, user.id) and not force:
        current = session.get(AppUser, voucher.user_id)
        held = current.app_user_id if current is not None else "?"
        raise DPConflict(
            f"{voucher_code} is linked to {held} ({voucher.link_method}); use --force to relink"
        )
    voucher.user_id, voucher.link_method, voucher.linked_at = user.id, MANUAL, to_utc_naive(now)
    return voucher


def unlink(session: Session, voucher_code: str) -> SyncedVoucher:
    voucher = session.scalars(
        select(SyncedVoucher).where(SyncedVoucher.voucher_code == voucher_code)
    ).one_or_none()
    if voucher is None:
        raise DPNotFound(f"No synced voucher {voucher_code}")
    voucher.user_id = voucher.link_method = voucher.linked_at = None
    return voucher
