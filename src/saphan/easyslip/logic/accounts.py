"""The application's registered bank accounts (what ``matchAccount`` matches), each query
scoped to the caller's application: another application's account is 404. ``extraVerify`` is
kept as one of the account's bank's options (``banks.Bank.checks``) or None."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from saphan.core.clock import to_utc_naive
from saphan.easyslip.banks import BY_CODE, PROXY_BY_LENGTH, ExtraVerify
from saphan.easyslip.errors import AccountExists, NotFound, ValidationFailed
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.info import iso
from saphan.easyslip.logic.matching import account_json
from saphan.easyslip.models import BankAccount
from saphan.easyslip.schemas import ACCOUNT_TYPES, BankAccountCreate, BankAccountUpdate

_TABLE = BankAccount.__table__


def extra_verify_option(
    bank_code: str, bank_number: str, value: str | bool | None
) -> ExtraVerify | None:
    """The option ``value`` stands for at this bank, or ValidationFailed naming the field.

    The older documents' booleans: false is no option; true is the stricter check, at a bank
    the name beside the number (NAME_NUMBER, what ``true`` has always meant there) and at
    PromptPay the proxy type the number's length tells (10 digits a phone, 13 a national ID,
    15 an e-wallet ID); a bank that offers nothing (KShop) takes only false or null.
    """
    bank = BY_CODE[bank_code]
    offered = bank.check_values
    if value is None or value is False:
        return None
    if value is True:
        meant = "NAME_NUMBER" if "NAME_NUMBER" in offered else PROXY_BY_LENGTH.get(len(bank_number))
        if meant in offered:
            return meant
        if offered:
            raise ValidationFailed(
                f"true names no option for this {len(bank_number)}-digit {bank.short} number: "
                f"send one of {', '.join(offered)} (extraVerify)"
            )
    for option in offered:
        if option == value:
            return option
    if not offered:
        raise ValidationFailed(f"{bank.short} offers no option: send null (extraVerify)")
    raise ValidationFailed(
        f"{value} is not an option of {bank.short}: send one of {', '.join(offered)} "
        "or null (extraVerify)"
    )


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
    option = extra_verify_option(body.bankCode, body.bankNumber, body.extraVerify)
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
            type=ACCOUNT_TYPES[body.type],
            extra_verify=option,
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
    row = _one(conn, caller, account_id)
    option = extra_verify_option(row.bank_code, row.bank_number, body.extraVerify)
    conn.execute(
        update(BankAccount).where(BankAccount.id == account_id).values(extra_verify=option)
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
