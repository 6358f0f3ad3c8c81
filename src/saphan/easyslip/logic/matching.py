"""``matchAccount``: the slip's receiver against the application's registered accounts, seeing
only what a slip shows (the masked number)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from saphan.easyslip.banks import BY_CODE
from saphan.easyslip.logic.rawslip import mask_account, mask_proxy
from saphan.easyslip.models import BankAccount


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit() or c.lower() == "x")


def masked_equal(masked: str, number: str) -> bool:
    """``xxx-x-x6789-x`` matches ``1234567890``: same length in digits, every shown digit the
    same; dashes and other separators are ignored."""
    pattern, digits = _digits(masked).lower(), "".join(c for c in number if c.isdigit())
    if len(pattern) != len(digits):
        return False
    return all(p == "x" or p == d for p, d in zip(pattern, digits, strict=True))


def _same_name(row: Any, account: Any) -> bool:
    def norm(text: str | None) -> str:
        return " ".join((text or "").split()).casefold()

    names = {norm(row.receiver_name_th), norm(row.receiver_name_en)} - {""}
    return bool(names & {norm(account.name_th), norm(account.name_en)})


def _matches(row: Any, account: Any) -> bool:
    """The receiver against one account, as its ``extraVerify`` asks: at a bank the number
    (NUMBER, or none given), the name (NAME) or both (NAME_NUMBER), always at the same bank;
    at PromptPay the proxy, of the given type when one is given."""
    check = account.extra_verify
    if account.bank_code == "PROMPTPAY":
        kind = row.receiver_proxy_type or "MSISDN"
        if not row.receiver_proxy or check not in (None, kind):
            return False
        return masked_equal(mask_proxy(kind, row.receiver_proxy), account.bank_number)
    if account.bank_code != row.receiver_bank_code:
        return False
    if check != "NAME":
        number = row.receiver_account
        if not number or not masked_equal(mask_account(number), account.bank_number):
            return False
    return check not in ("NAME", "NAME_NUMBER") or _same_name(row, account)


def account_json(account: Any) -> dict[str, Any]:
    bank = BY_CODE[account.bank_code]
    return {
        "bank": {
            "nameTh": bank.name_th,
            "nameEn": bank.name_en,
            "code": bank.code,
            "shortCode": bank.short,
        },
        "nameTh": account.name_th,
        "nameEn": account.name_en,
        "type": account.type,
        "bankNumber": account.bank_number,
    }


def match_account(conn: Connection, application_id: int, row: Any) -> dict[str, Any] | None:
    """The first registered account (oldest first) the receiver matches, or None."""
    accounts = conn.execute(
        select(BankAccount.__table__)
        .where(BankAccount.application_id == application_id)
        .order_by(BankAccount.id)
    ).all()
    for account in accounts:
        if _matches(row, account):
            return account_json(account)
    return None
