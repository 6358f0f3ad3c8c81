"""The application's registered bank accounts (what ``matchAccount`` matches), each query
scoped to the caller's application: another application's account is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from saphan.core.clock import to_utc_naive
from saphan.easyslip.errors import AccountExists, NotFound
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.info import iso
from saphan.easyslip.logic.matching import account_json
from saphan.easyslip.models import BankAccount
from saphan.easyslip.schemas import BankAccountCreate, BankAccountUpdate

_TABLE = BankAccount.__table__


def account_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "bankCode": row.bank_code,
        **account_json(row),
        "extraVerify": row.extra_verify,
        "createdAt": iso(row.created_at),
    }


def _one(conn: Connection, caller: Caller, account_id: int) -> Any:
    row = conn.execute(
        select(_TABLE).where(
            BankAccount.id == account_id, BankAccount.application_id == caller.application_id
        )
    ).first()
    if row is None:
        raise NotFound("Bank account not found")
    return row


def list_accounts(conn: Connection, caller: Caller) -> dict[str, Any]:
    rows = conn.execute(
        select(_TABLE)
        .where(BankAccount.application_id == caller.application_id)
        .order_by(BankAccount.id)
    ).all()
    return {
        "success": True,
        "message": "Bank accounts retrieved successfully",
        "data": [account_out(r) for r in rows],
    }


def create_account(
    conn: Connection, caller: Caller, body: BankAccountCreate, now: dt.datetime
) -> dict[str, Any]:
    taken = conn.execute(
        select(BankAccount.id).where(
            BankAccount.application_id == caller.application_id,
            BankAccount.bank_code == body.bankCode,
            BankAccount.bank_number == body.bankNumber,
        )
    ).first()
    if taken is not None:
        raise AccountExists()
    new_id = conn.execute(
        insert(BankAccount)
        .values(
            application_id=caller.application_id,
            bank_code=body.bankCode,
            bank_number=body.bankNumber,
            name_th=body.nameTh,
            name_en=body.nameEn,
            type=body.type,
            extra_verify=body.extraVerify,
            created_at=to_utc_naive(now),
        )
        .returning(BankAccount.id)
    ).scalar_one()
    return {
        "success": True,
        "message": "Bank account created successfully",
        "data": account_out(_one(conn, caller, new_id)),
    }


def update_account(
    conn: Connection, caller: Caller, account_id: int, body: BankAccountUpdate
) -> dict[str, Any]:
    _one(conn, caller, account_id)
    conn.execute(
        update(BankAccount)
        .where(BankAccount.id == account_id)
        .values(extra_verify=body.extraVerify)
    )
    return {
        "success": True,
        "message": "Bank account updated successfully",
        "data": account_out(_one(conn, caller, account_id)),
    }


def delete_account(conn: Connection, caller: Caller, account_id: int) -> dict[str, Any]:
    row = _one(conn, caller, account_id)
    conn.execute(delete(BankAccount).where(BankAccount.id == account_id))
    return {
        "success": True,
        "message": "Bank account deleted successfully",
        "data": account_out(row),
    }
