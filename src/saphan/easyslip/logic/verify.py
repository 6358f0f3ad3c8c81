"""POST /v2/verify/bank and /v2/verify/truewallet once the slip's QR has been read: look the
transfer up, note the verification (``isDuplicate``), spend quota, answer.

Quota (reference, **Saphan:**): a duplicate re-check by the same application uses none, even
when the month is spent; every other successful verification uses 1 from the application's and
the branch's month; a failed verification uses none (its transaction rolls back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, text

from saphan.core.clock import to_utc_naive
from saphan.core.db import Database
from saphan.core.group_commit import Then
from saphan.core.statement import Statement, upsert_into
from saphan.easyslip.errors import SlipNotFound
from saphan.easyslip.ledger import BANK, TRUEWALLET, Ledger, TableLedger
from saphan.easyslip.logic import quota
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.matching import match_account
from saphan.easyslip.logic.rawslip import money, raw_slip, truewallet_slip
from saphan.easyslip.miniqr import BankSlipQR, TrueWalletQR
from saphan.easyslip.models import Transfer, Verification

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


def _spend_sql(note_rows: str) -> str:
    """PostgreSQL: the note and both months' spend as data-modifying CTEs (which SQLite has
    not), the note made from ``note_rows`` (a SELECT of the transfer's id and transRef). A
    month's row not made yet, or a month used up, leaves its count at 0: ``quota.spend`` then
    takes it the usual way."""
    return f"""
        note AS (
            INSERT INTO easyslip_verification
                (application_id, transfer_id, branch_id, trans_ref, count, first_at, last_at)
            SELECT :v_app_id, id, :v_branch_id, trans_ref, 1, :v_at, :v_at FROM ({note_rows}) AS t
            ON CONFLICT (application_id, transfer_id) DO UPDATE
                SET count = easyslip_verification.count + 1, last_at = excluded.last_at
            RETURNING count
        ), app AS (
            UPDATE easyslip_quota_usage SET used = used + 1
            WHERE kind = 'app' AND owner_id = :v_app_id AND month_start = :q_start
                AND (CAST(:app_limit AS INTEGER) IS NULL OR used - base < :app_limit)
                AND (SELECT count FROM note) = 1
            RETURNING used
        ), branch AS (
            UPDATE easyslip_quota_usage SET used = used + 1
            WHERE kind = 'branch' AND owner_id = :v_branch_id AND month_start = :q_start
                AND (CAST(:branch_limit AS INTEGER) IS NULL OR used - base < :branch_limit)
                AND (SELECT count FROM note) = 1
            RETURNING used
        )"""  # noqa: S608 (``note_rows`` is one of this module's constants)


_SPENT = """(SELECT count FROM note) AS note_count, (SELECT count(*) FROM app) AS app_taken,
    (SELECT count(*) FROM branch) AS branch_taken"""
_COUNTS = {"note_count": Integer, "app_taken": Integer, "branch_taken": Integer}

#: PostgreSQL: the note and the spend of a transfer read before, one round trip in the writer
#: instead of three.
_NOTE_AND_SPEND = Statement(
    text(
        "WITH"
        + _spend_sql(
            "SELECT CAST(:v_transfer_id AS INTEGER) AS id, CAST(:v_trans_ref AS TEXT) AS trans_ref"
        )
        + f" SELECT {_SPENT}"
    ).columns(**_COUNTS)
)

#: The transfer's columns by name (a text statement's result columns match by position).
_TRANSFER_COLUMNS = ", ".join(f"transfer.{column.name}" for column in Transfer.__table__.columns)

#: PostgreSQL, the ledger being the table: the transfer's lookup as well, so a verification
#: is one statement in the writer and no read before it. No row: no such transfer, nothing
#: written.
_FIND_NOTE_AND_SPEND = Statement(
    text(
        "WITH transfer AS (SELECT * FROM easyslip_transfer WHERE kind = :kind"  # noqa: S608
        " AND bank_code = :bank_code AND trans_ref = :trans_ref),"
        f"{_spend_sql('SELECT id, trans_ref FROM transfer')}"
        f" SELECT {_TRANSFER_COLUMNS}, {_SPENT} FROM transfer"
    ).columns(*Transfer.__table__.columns, **_COUNTS)
)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a slip's QR asks the ledger, and how its transfer is answered."""

    kind: str
    bank_code: str
    trans_ref: str
    #: The transfer's row -> ``rawSlip``.
    slip: Callable[[Any], dict[str, Any]]
    message: str


def bank_lookup(qr: BankSlipQR) -> Lookup:
    return Lookup(
        BANK, qr.bank_code, qr.trans_ref, lambda row: raw_slip(row, qr.payload), BANK_VERIFIED
    )


def truewallet_lookup(qr: TrueWalletQR) -> Lookup:
    return Lookup(TRUEWALLET, "", qr.transaction_id, truewallet_slip, TRUEWALLET_VERIFIED)


@dataclass(frozen=True, slots=True)
class Found:
    """What the read step found: the transfer, its slip as the answer shows it, and the
    matched account when ``matchAccount`` asked for one."""

    row: Any
    slip: dict[str, Any]
    message: str
    matched_account: dict[str, Any] | None


def find(
    conn: Connection, ledger: Ledger, caller: Caller, lookup: Lookup, options: Options
) -> Found:
    """The read step (outside the write transaction: the ledger's transfers never change);
    SLIP_NOT_FOUND when the ledger has no such transfer."""
    row = ledger.find(conn, lookup.kind, lookup.bank_code, lookup.trans_ref)
    if row is None:
        raise SlipNotFound()
    matched = match_account(conn, caller.application_id, row) if options.match_account else None
    return Found(row, lookup.slip(row), lookup.message, matched)


def in_one_statement(db: Database, ledger: Ledger, options: Options) -> bool:
    """Whether ``find_and_record`` can do the whole verification: on PostgreSQL, with the
    ledger in its table and no account to match (a read of its own)."""
    return not db.sqlite and isinstance(ledger, TableLedger) and not options.match_account


def find_and_record(
    caller: Caller, lookup: Lookup, options: Options, now: dt.datetime
) -> Then[dict[str, Any] | None]:
    """``find`` then ``record`` as one statement for the writer (see ``in_one_statement``);
    its answer None when the ledger has no such transfer. (Not SLIP_NOT_FOUND raised there: in
    the writer's shared transaction an exception costs the other requests' writes a second
    pass.)"""

    def answer(conn: Connection, rows: list[Any]) -> dict[str, Any] | None:
        if not rows:
            return None
        row = rows[0]
        found = Found(row, lookup.slip(row), lookup.message, None)
        return _answer(conn, caller, found, options, now, *row[-3:])

    params = {
        "kind": lookup.kind,
        "bank_code": lookup.bank_code,
        "trans_ref": lookup.trans_ref,
        **_spend_params(caller, now),
    }
    return Then(_FIND_NOTE_AND_SPEND, params, answer)


def _spend_params(caller: Caller, now: dt.datetime) -> dict[str, Any]:
    return {
        "v_app_id": caller.application_id,
        "v_branch_id": caller.branch_id,
        "v_at": to_utc_naive(now),
        "q_start": quota.billing_start(caller, now),
        "app_limit": caller.app_quota_max,
        "branch_limit": caller.branch_quota_max,
    }


def record(
    conn: Connection, caller: Caller, found: Found, options: Options, now: dt.datetime
) -> dict[str, Any]:
    """The write step, in one transaction: note the verification (``isDuplicate`` when the
    application had verified the transfer before), spend quota on a first one, answer."""
    row = found.row
    if conn.dialect.name == "postgresql":
        counts = _NOTE_AND_SPEND.rows(
            conn, v_transfer_id=row.id, v_trans_ref=row.trans_ref, **_spend_params(caller, now)
        )[0]
        return _answer(conn, caller, found, options, now, *counts)
    note = {
        "v_app_id": caller.application_id,
        "v_transfer_id": row.id,
        "v_branch_id": caller.branch_id,
        "v_trans_ref": row.trans_ref,
        "v_at": to_utc_naive(now),
    }
    return _answer(conn, caller, found, options, now, _NOTE.scalar(conn, **note), 0, 0)


def _answer(
    conn: Connection,
    caller: Caller,
    found: Found,
    options: Options,
    now: dt.datetime,
    count: int,
    app_taken: int,
    branch_taken: int,
) -> dict[str, Any]:
    """The rest of the write step once the verification is noted (``count``, its count) and
    the months' rows spent where they could be (``*_taken``); the answer."""
    duplicate = count != 1
    if not duplicate:
        quota.spend(conn, caller, now, app_taken=app_taken > 0, branch_taken=branch_taken > 0)
    row = found.row
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
