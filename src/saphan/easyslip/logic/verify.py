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

from sqlalchemy import Connection, Integer, bindparam, text

from saphan.core.clock import to_utc_naive
from saphan.core.statement import Statement, upsert_into
from saphan.easyslip.errors import SlipNotFound
from saphan.easyslip.ledger import BANK, TRUEWALLET, Ledger
from saphan.easyslip.logic import quota
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.matching import match_account
from saphan.easyslip.logic.rawslip import money, raw_slip, truewallet_slip
from saphan.easyslip.miniqr import BankSlipQR, TrueWalletQR
from saphan.easyslip.models import Verification

SATANG = Decimal("0.01")
BANK_VERIFIED = "Bank slip verified successfully"
TRUEWALLET_VERIFIED = "TrueMoney Wallet slip verified successfully"


@dataclass(frozen=True, slots=True)
class Options:
    remark: str | None = None
    match_account: bool = False
    match_amount: Decimal | None = None


#: The application's verification of the transfer: its first (count 1), or one more.
_NOTE = Statement(
    lambda name: (
        upsert_into(name, Verification)
        .values(
            application_id=bindparam("v_app_id"),
            transfer_id=bindparam("v_transfer_id"),
            branch_id=bindparam("v_branch_id"),
            trans_ref=bindparam("v_trans_ref"),
            count=1,
            first_at=bindparam("v_at"),
            last_at=bindparam("v_at"),
        )
        .on_conflict_do_update(
            index_elements=["application_id", "transfer_id"],
            set_={"count": Verification.count + 1, "last_at": bindparam("v_at")},
        )
        .returning(Verification.count)
    )
)


#: PostgreSQL: the note and both months' spend as one statement, one round trip in the writer
#: instead of three (data-modifying CTEs, which SQLite has not). A month's row not made yet, or
#: a month used up, leaves its count at 0: ``quota.spend`` then takes it the usual way.
_NOTE_AND_SPEND = Statement(
    text(
        """
        WITH note AS (
            INSERT INTO easyslip_verification
                (application_id, transfer_id, branch_id, trans_ref, count, first_at, last_at)
            VALUES (:v_app_id, :v_transfer_id, :v_branch_id, :v_trans_ref, 1, :v_at, :v_at)
            ON CONFLICT (application_id, transfer_id) DO UPDATE
                SET count = easyslip_verification.count + 1, last_at = excluded.last_at
            RETURNING count
        ), app AS (
            UPDATE easyslip_quota_usage SET used = used + 1
            WHERE kind = 'app' AND owner_id = :v_app_id AND month_start = :q_start
                AND (CAST(:app_limit AS INTEGER) IS NULL OR used < :app_limit)
                AND (SELECT count FROM note) = 1
            RETURNING used
        ), branch AS (
            UPDATE easyslip_quota_usage SET used = used + 1
            WHERE kind = 'branch' AND owner_id = :v_branch_id AND month_start = :q_start
                AND (CAST(:branch_limit AS INTEGER) IS NULL OR used < :branch_limit)
                AND (SELECT count FROM note) = 1
            RETURNING used
        )
        SELECT (SELECT count FROM note) AS count, (SELECT count(*) FROM app) AS app,
            (SELECT count(*) FROM branch) AS branch
        """
    ).columns(count=Integer, app=Integer, branch=Integer)
)


@dataclass(frozen=True, slots=True)
class Found:
    """What the read step found: the transfer, its slip as the answer shows it, and the
    matched account when ``matchAccount`` asked for one."""

    row: Any
    slip: dict[str, Any]
    message: str
    matched_account: dict[str, Any] | None


def find_bank(
    conn: Connection, ledger: Ledger, caller: Caller, qr: BankSlipQR, options: Options
) -> Found:
    """The read step of /v2/verify/bank (outside the write transaction: the ledger's
    transfers never change); SLIP_NOT_FOUND when the ledger has no such transfer."""
    row = ledger.find(conn, BANK, qr.bank_code, qr.trans_ref)
    if row is None:
        raise SlipNotFound()
    return _found(conn, caller, row, options, raw_slip(row, qr.payload), BANK_VERIFIED)


def find_truewallet(
    conn: Connection, ledger: Ledger, caller: Caller, qr: TrueWalletQR, options: Options
) -> Found:
    """The read step of /v2/verify/truewallet."""
    row = ledger.find(conn, TRUEWALLET, "", qr.transaction_id)
    if row is None:
        raise SlipNotFound()
    return _found(conn, caller, row, options, truewallet_slip(row), TRUEWALLET_VERIFIED)


def _found(
    conn: Connection, caller: Caller, row: Any, options: Options, slip: dict[str, Any], message: str
) -> Found:
    matched = match_account(conn, caller.application_id, row) if options.match_account else None
    return Found(row, slip, message, matched)


def record(
    conn: Connection, caller: Caller, found: Found, options: Options, now: dt.datetime
) -> dict[str, Any]:
    """The write step, in one transaction: note the verification (``isDuplicate`` when the
    application had verified the transfer before), spend quota on a first one, answer."""
    row = found.row
    note = {
        "v_app_id": caller.application_id,
        "v_transfer_id": row.id,
        "v_branch_id": caller.branch_id,
        "v_trans_ref": row.trans_ref,
        "v_at": to_utc_naive(now),
    }
    if conn.dialect.name == "postgresql":
        count, app_taken, branch_taken = _NOTE_AND_SPEND.rows(
            conn,
            **note,
            q_start=quota.billing_start(caller, now),
            app_limit=caller.app_quota_max,
            branch_limit=caller.branch_quota_max,
        )[0]
    else:
        count, app_taken, branch_taken = _NOTE.scalar(conn, **note), 0, 0
    duplicate = count != 1
    if not duplicate:
        quota.spend(conn, caller, now, app_taken=app_taken > 0, branch_taken=branch_taken > 0)
    data: dict[str, Any] = {}
    if options.remark is not None:
        data["remark"] = options.remark
    data["isDuplicate"] = duplicate
    data["matchedAccount"] = found.matched_account
    amount = Decimal(row.amount)
    if options.match_amount is not None:
        data["amountInOrder"] = float(options.match_amount)
    data["amountInSlip"] = money(amount)
    if options.match_amount is not None:
        expected = options.match_amount.quantize(SATANG, rounding=ROUND_HALF_UP)
        data["isAmountMatched"] = expected == amount.quantize(SATANG)
    data["rawSlip"] = found.slip
    return {"success": True, "message": found.message, "data": data}
