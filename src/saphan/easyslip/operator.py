"""What an organisation running EasySlip's side does: applications (plan, quota, credit),
branches and their keys, and the transaction ledger (one transfer, or a CSV/JSON import).

Used by the operator API, the ``saphan easyslip`` commands, ``make-slip`` and the demo data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from saphan.core.admin import (
    MAX_ROW_ID,
    AdminBadRequest,
    AdminConflict,
    AdminInvalid,
    AdminNotFound,
)
from saphan.core.clock import BANGKOK, bangkok_date, to_utc_naive, wire_datetime
from saphan.core.errors import describe_validation
from saphan.core.hashing import key_digest
from saphan.easyslip import miniqr
from saphan.easyslip.admin_schemas import (
    INT_MAX,
    ApplicationCreate,
    ApplicationOut,
    ApplicationUpdate,
    BranchCreate,
    BranchCreated,
    BranchOut,
    BranchUpdate,
    TransferIn,
    TransferOut,
)
from saphan.easyslip.ledger import TRUEWALLET
from saphan.easyslip.logic.quota import APP, BRANCH, month_start, usage
from saphan.easyslip.models import Application, Branch, Transfer

YEAR = dt.timedelta(days=365)


# -- applications ------------------------------------------------------------------------------


def get_application(session: Session, app_id: int) -> Application:
    # Past the id column's range there is no such row (SQLite cannot even compare it).
    app = session.get(Application, app_id) if 0 < app_id <= MAX_ROW_ID else None
    if app is None:
        raise AdminNotFound(f"No application {app_id}")
    return app


def _month(app: Application, now: dt.datetime) -> dt.date:
    return month_start(bangkok_date(app.created_at), now.date())


def application_out(session: Session, app: Application, now: dt.datetime) -> ApplicationOut:
    use = usage(session.connection(), APP, app.id, _month(app, now))
    return ApplicationOut(
        id=app.id,
        name=app.name,
        email=app.email,
        productName=app.product_name,
        quotaMax=app.quota_max,
        used=use.used,
        totalUsed=use.total,
        autoRenewExpired=app.auto_renew_expired,
        autoRenewQuota=app.auto_renew_quota,
        credit=app.credit,
        renewPrice=app.renew_price,
        renewMonths=app.renew_months,
        status=app.status,
        allowedIps=app.allowed_ips,
        createdAt=wire_datetime(app.created_at),
        expiresAt=wire_datetime(app.expires_at),
    )


def create_application(session: Session, body: ApplicationCreate, now: dt.datetime) -> Application:
    app = Application(
        name=body.name,
        email=body.email,
        product_name=body.productName,
        quota_max=body.quotaMax,
        auto_renew_expired=body.autoRenewExpired,
        auto_renew_quota=body.autoRenewQuota,
        credit=body.credit,
        renew_price=body.renewPrice,
        renew_months=body.renewMonths,
        status="active",
        allowed_ips=body.allowedIps,
        created_at=to_utc_naive(now),
        expires_at=to_utc_naive(body.expiresAt or now + YEAR),
    )
    session.add(app)
    session.flush()
    return app


def update_application(session: Session, app_id: int, body: ApplicationUpdate) -> Application:
    app = get_application(session, app_id)
    given = body.model_fields_set
    columns = {
        "name": "name",
        "email": "email",
        "productName": "product_name",
        "quotaMax": "quota_max",
        "autoRenewExpired": "auto_renew_expired",
        "autoRenewQuota": "auto_renew_quota",
        "renewPrice": "renew_price",
        "renewMonths": "renew_months",
        "status": "status",
        "allowedIps": "allowed_ips",
    }
    for field, column in columns.items():
        if field in given:
            value = getattr(body, field)
            if value is None and field != "quotaMax":
                raise AdminInvalid(f"{field} cannot be null")
            setattr(app, column, value)
    if "expiresAt" in given:
        if body.expiresAt is None:
            raise AdminInvalid("expiresAt cannot be null")
        app.expires_at = to_utc_naive(body.expiresAt)
    return app


def change_credit(session: Session, app_id: int, amount: int) -> Application:
    app = get_application(session, app_id)
    # Between 0 and the Integer column's largest value (past it: a 500, "integer out of range").
    app.credit = min(INT_MAX, max(0, app.credit + amount))
    return app


def list_applications(session: Session) -> list[Application]:
    return list(session.scalars(select(Application).order_by(Application.id)))


# -- branches ----------------------------------------------------------------------------------


def branch_out(session: Session, branch: Branch, now: dt.datetime) -> BranchOut:
    app = get_application(session, branch.application_id)
    use = usage(session.connection(), BRANCH, branch.id, _month(app, now))
    return BranchOut(
        id=branch.id,
        applicationId=branch.application_id,
        name=branch.name,
        prefix=branch.prefix,
        isActive=branch.is_active,
        quotaMax=branch.quota_max,
        used=use.used,
        totalUsed=use.total,
        createdAt=wire_datetime(branch.created_at),
    )


def create_branch(
    session: Session,
    secret: bytes,
    app_id: int,
    body: BranchCreate,
    now: dt.datetime,
    *,
    key: str | None = None,
) -> BranchCreated:
    """A branch with a new UUID v4 key, shown once; ``key`` fixes it (demo)."""
    get_application(session, app_id)
    plain = (key or str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))).lower()
    branch = Branch(
        application_id=app_id,
        name=body.name,
        digest=key_digest(secret, plain),
        prefix=plain[:8],
        is_active=body.isActive,
        quota_max=body.quotaMax,
        created_at=to_utc_naive(now),
    )
    session.add(branch)
    session.flush()
    return BranchCreated(**branch_out(session, branch, now).model_dump(), key=plain)


def get_branch(session: Session, branch_id: int) -> Branch:
    branch = session.get(Branch, branch_id) if 0 < branch_id <= MAX_ROW_ID else None
    if branch is None:
        raise AdminNotFound(f"No branch {branch_id}")
    return branch


def update_branch(session: Session, branch_id: int, body: BranchUpdate) -> Branch:
    branch = get_branch(session, branch_id)
    given = body.model_fields_set
    if "name" in given and body.name is not None:
        branch.name = body.name
    if "isActive" in given and body.isActive is not None:
        branch.is_active = body.isActive
    if "quotaMax" in given:
        branch.quota_max = body.quotaMax
    return branch


def list_branches(session: Session, app_id: int) -> list[Branch]:
    get_application(session, app_id)
    return list(
        session.scalars(select(Branch).where(Branch.application_id == app_id).order_by(Branch.id))
    )


def key_exists(session: Session, secret: bytes, plain: str) -> bool:
    digest = key_digest(secret, plain.lower())
    return session.scalar(select(Branch.id).where(Branch.digest == digest)) is not None


# -- the ledger --------------------------------------------------------------------------------

_TRANSFERS = TypeAdapter(list[TransferIn])


def payload_of(transfer: Transfer) -> str:
    """The mini QR text on this transfer's slip."""
    if transfer.kind == TRUEWALLET:
        return miniqr.truewallet_payload(
            transfer.event_type or "P2P", transfer.trans_ref, bangkok_date(transfer.occurred_at)
        )
    return miniqr.bank_payload(transfer.bank_code, transfer.trans_ref)


def transfer_out(transfer: Transfer) -> TransferOut:
    return TransferOut(
        id=transfer.id,
        kind=transfer.kind,
        bankCode=transfer.bank_code,
        transRef=transfer.trans_ref,
        date=wire_datetime(transfer.occurred_at),
        amount=transfer.amount,
        payload=payload_of(transfer),
        senderNameEn=transfer.sender_name_en,
        receiverNameEn=transfer.receiver_name_en,
        receiverBankCode=transfer.receiver_bank_code,
    )


def new_trans_ref(kind: str, at: dt.datetime) -> str:
    """A reference the way banks write them: the Bangkok time, then random letters/digits."""
    if kind == TRUEWALLET:
        return "5" + "".join(secrets.choice("0123456789") for _ in range(13))
    tail = "".join(secrets.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6))
    return f"{at.astimezone(BANGKOK):%Y%m%d%H%M%S}{tail}"


def _transfer_row(t: TransferIn, now: dt.datetime) -> Transfer:
    at = t.date or now
    kind = t.kind
    bank = "" if kind == TRUEWALLET else t.bankCode
    return Transfer(
        kind=kind,
        bank_code=bank,
        trans_ref=t.transRef or new_trans_ref(kind, at),
        occurred_at=to_utc_naive(at),
        amount=t.amount,
        fee=t.fee,
        ref1=t.ref1,
        ref2=t.ref2,
        ref3=t.ref3,
        event_type=t.eventType if kind == TRUEWALLET else None,
        sender_bank_code=t.senderBankCode or bank,
        sender_name_th=t.senderNameTh,
        sender_name_en=t.senderNameEn,
        sender_account_type=t.senderAccountType or ("BANKAC" if t.senderAccount else None),
        sender_account=t.senderAccount,
        sender_proxy_type=t.senderProxyType or ("MSISDN" if t.senderProxy else None),
        sender_proxy=t.senderProxy,
        receiver_bank_code=t.receiverBankCode or bank,
        receiver_name_th=t.receiverNameTh,
        receiver_name_en=t.receiverNameEn,
        receiver_account_type=t.receiverAccountType or ("BANKAC" if t.receiverAccount else None),
        receiver_account=t.receiverAccount,
        receiver_proxy_type=t.receiverProxyType or ("MSISDN" if t.receiverProxy else None),
        receiver_proxy=t.receiverProxy,
        receiver_merchant_id=t.receiverMerchantId,
        created_at=to_utc_naive(now),
    )


def record_transfers(
    session: Session, transfers: Sequence[TransferIn], now: dt.datetime
) -> list[Transfer]:
    """Add transfers to the ledger, all or nothing; a (kind, bank, transRef) that exists
    already, here or in the input, is a conflict naming it."""
    rows = [_transfer_row(t, now) for t in transfers]
    keys = [(r.kind, r.bank_code, r.trans_ref) for r in rows]
    if len(set(keys)) != len(keys):
        seen: set[tuple[str, str, str]] = set()
        for key in keys:
            if key in seen:
                raise AdminConflict(f"Transfer {key[1]}/{key[2]} appears twice in the input")
            seen.add(key)
    for r in rows:
        taken = session.scalar(
            select(Transfer.id).where(
                Transfer.kind == r.kind,
                Transfer.bank_code == r.bank_code,
                Transfer.trans_ref == r.trans_ref,
            )
        )
        if taken is not None:
            raise AdminConflict(f"Transfer {r.bank_code}/{r.trans_ref} is in the ledger already")
    session.add_all(rows)
    session.flush()
    return rows


def parse_transfers(data: bytes, fmt: str) -> list[TransferIn]:
    """Transfers from CSV (a header row of TransferIn's field names; empty cells are absent) or
    JSON (a list, or an object with ``transfers``). The error names the record (0-based)."""
    try:
        if fmt == "csv":
            text = data.decode("utf-8-sig")
            raw: Any = [
                {k: v for k, v in row.items() if k and v not in ("", None)}
                for row in csv.DictReader(io.StringIO(text, newline=""))
            ]
        else:
            raw = orjson.loads(data)
            if isinstance(raw, dict):
                raw = raw.get("transfers", [raw])
        return _TRANSFERS.validate_python(raw)
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


def list_transfers(session: Session, *, limit: int = 100, offset: int = 0) -> list[Transfer]:
    return list(
        session.scalars(select(Transfer).order_by(Transfer.id.desc()).limit(limit).offset(offset))
    )


def find_transfer(session: Session, kind: str, bank_code: str, trans_ref: str) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(
            Transfer.kind == kind,
            Transfer.bank_code == bank_code,
            Transfer.trans_ref == trans_ref,
        )
    )
