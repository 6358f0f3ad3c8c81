"""POST /v2/verify/bank and /v2/verify/truewallet once the slip's QR has been read: look the
transfer up, note the verification (``isDuplicate``), spend quota, answer.

Quota (reference, **Saphan:**): a duplicate re-check by the same application uses none, even
when the month is spent; every other successful verification uses 1 from the application's and
the branch's month; a failed verification uses none (its transaction rolls back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from saphan.core.clock import to_utc_naive
from saphan.core.statement import Statement
from saphan.easyslip.errors import SlipNotFound
from saphan.easyslip.ledger import BANK, TRUEWALLET, Ledger
from saphan.easyslip.logic import quota
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.matching import match_account
from saphan.easyslip.logic.rawslip import money, raw_slip, truewallet_slip
from saphan.easyslip.miniqr import BankSlipQR, TrueWalletQR
from saphan.easyslip.models import Verification

SATANG = Decimal("0.01")
_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


@dataclass(frozen=True, slots=True)
class Options:
    remark: str | None = None
    match_account: bool = False
    match_amount: Decimal | None = None


_FIRST = Statement(
    lambda name: (
        _DIALECTS[name]
        .insert(Verification)
        .values(
            application_id=bindparam("v_app_id"),
            transfer_id=bindparam("v_transfer_id"),
            branch_id=bindparam("v_branch_id"),
            trans_ref=bindparam("v_trans_ref"),
            count=1,
            first_at=bindparam("v_at"),
            last_at=bindparam("v_at"),
        )
        .on_conflict_do_nothing(index_elements=["application_id", "transfer_id"])
        .returning(Verification.id)
    )
)
_AGAIN = Statement(
    update(Verification)
    .where(
        Verification.application_id == bindparam("v_app_id"),
        Verification.transfer_id == bindparam("v_transfer_id"),
    )
    .values(count=Verification.count + 1, last_at=bindparam("v_at"))
)


def _first_time(conn: Connection, caller: Caller, row: Any, now: dt.datetime) -> bool:
    """Record this application's verification of the transfer; False when it had one already."""
    params = {
        "v_app_id": caller.application_id,
        "v_transfer_id": row.id,
        "v_branch_id": caller.branch_id,
        "v_trans_ref": row.trans_ref,
        "v_at": to_utc_naive(now),
    }
    if _FIRST.first(conn, **params) is not None:
        return True
    _AGAIN.run(conn, **params)
    return False


def _answer(
    conn: Connection,
    caller: Caller,
    row: Any,
    options: Options,
    now: dt.datetime,
    slip: dict[str, Any],
    message: str,
) -> dict[str, Any]:
    duplicate = not _first_time(conn, caller, row, now)
    if not duplicate:
        quota.spend(conn, caller, now)
    data: dict[str, Any] = {}
    if options.remark is not None:
        data["remark"] = options.remark
    data["isDuplicate"] = duplicate
    data["matchedAccount"] = (
        match_account(conn, caller.application_id, row) if options.match_account else None
    )
    amount = Decimal(row.amount)
    if options.match_amount is not None:
        data["amountInOrder"] = float(options.match_amount)
    data["amountInSlip"] = money(amount)
    if options.match_amount is not None:
        expected = options.match_amount.quantize(SATANG, rounding=ROUND_HALF_UP)
        data["isAmountMatched"] = expected == amount.quantize(SATANG)
    data["rawSlip"] = slip
    return {"success": True, "message": message, "data": data}


def verify_bank(
    conn: Connection,
    ledger: Ledger,
    caller: Caller,
    qr: BankSlipQR,
    options: Options,
    now: dt.datetime,
) -> dict[str, Any]:
    row = ledger.find(conn, BANK, qr.bank_code, qr.trans_ref)
    if row is None:
        raise SlipNotFound()
    slip = raw_slip(row, qr.payload)
    return _answer(conn, caller, row, options, now, slip, "Bank slip verified successfully")


def verify_truewallet(
    conn: Connection,
    ledger: Ledger,
    caller: Caller,
    qr: TrueWalletQR,
    options: Options,
    now: dt.datetime,
) -> dict[str, Any]:
    row = ledger.find(conn, TRUEWALLET, "", qr.transaction_id)
    if row is None:
        raise SlipNotFound()
    slip = truewallet_slip(row)
    return _answer(
        conn, caller, row, options, now, slip, "TrueMoney Wallet slip verified successfully"
    )
