"""``rawSlip``: a ledger transfer as EasySlip shows it, account numbers and proxies masked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from saphan.core.clock import to_bangkok
from saphan.easyslip.banks import BY_CODE


def mask_account(number: str) -> str:
    """Only four digits show, the way Thai bank slips print them: a 10-digit account
    ``1234567890`` -> ``xxx-x-x6789-x``; other lengths keep the same four (before the last)."""
    digits = "".join(c for c in number if c.isdigit())
    n = len(digits)
    if n < 6:
        return "x" * n
    shown = digits[n - 5 : n - 1]
    if n == 10:
        return f"xxx-x-x{shown}-x"
    return "x" * (n - 5) + shown + "x"


def mask_proxy(kind: str, value: str) -> str:
    """Phone ``0812345678`` -> ``xxx-xxx-5678``; national ID -> ``x-xxxx-xxxx4-56-7``; e-mail
    ``somchai@example.com`` -> ``s******@example.com``; others show their last 4 characters."""
    if kind == "EMAIL" and "@" in value:
        local, _, domain = value.partition("@")
        return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain
    digits = "".join(c for c in value if c.isdigit())
    if kind == "MSISDN" and len(digits) == 10:
        return f"xxx-xxx-{digits[6:]}"
    if kind == "NATID" and len(digits) == 13:
        return f"x-xxxx-xxxx{digits[9]}-{digits[10:12]}-{digits[12]}"
    return "x" * max(len(value) - 4, 0) + value[-4:]


def money(value: Decimal) -> float:
    return float(value)


def _party(row: Any, side: str) -> dict[str, Any]:
    code = getattr(row, f"{side}_bank_code")
    bank = BY_CODE.get(code)
    name: dict[str, str] = {}
    if getattr(row, f"{side}_name_th"):
        name["th"] = getattr(row, f"{side}_name_th")
    if getattr(row, f"{side}_name_en"):
        name["en"] = getattr(row, f"{side}_name_en")
    account: dict[str, Any] = {"name": name}
    number = getattr(row, f"{side}_account")
    if number:
        account["bank"] = {
            "type": getattr(row, f"{side}_account_type") or "BANKAC",
            "account": mask_account(number),
        }
    proxy = getattr(row, f"{side}_proxy")
    if proxy:
        kind = getattr(row, f"{side}_proxy_type") or "MSISDN"
        account["proxy"] = {"type": kind, "account": mask_proxy(kind, proxy)}
    out: dict[str, Any] = {"bank": {"id": code}, "account": account}
    if bank is not None:
        out["bank"] = {"id": code, "name": bank.name_th, "short": bank.short}
    return out


#: ``amount.local`` of a transfer in baht only, as the published examples show it.
NO_FOREIGN_AMOUNT = {"amount": 0, "currency": ""}


def raw_slip(row: Any, payload: str) -> dict[str, Any]:
    """A bank transfer's ``rawSlip``."""
    slip: dict[str, Any] = {
        "payload": payload,
        "transRef": row.trans_ref,
        "date": to_bangkok(row.occurred_at).isoformat(timespec="seconds"),
        "countryCode": "TH",
        # Every field of the published examples, always: 0 / "" where the ledger has none
        # (typed clients generated from the examples read them as present; issue 17).
        "amount": {"amount": money(row.amount), "local": dict(NO_FOREIGN_AMOUNT)},
        "fee": 0 if row.fee is None else money(row.fee),
        "ref1": row.ref1 or "",
        "ref2": row.ref2 or "",
        "ref3": row.ref3 or "",
        "sender": _party(row, "sender"),
        "receiver": _party(row, "receiver"),
    }
    if row.receiver_merchant_id:
        slip["receiver"]["merchantId"] = row.receiver_merchant_id
    return slip


def truewallet_slip(row: Any) -> dict[str, Any]:
    """A TrueMoney transfer's ``rawSlip``: the receiver's phone masked."""
    phone = row.receiver_proxy or ""
    return {
        "transactionId": row.trans_ref,
        "date": to_bangkok(row.occurred_at).isoformat(timespec="seconds"),
        "amount": money(row.amount),
        "sender": {"name": row.sender_name_th or row.sender_name_en or ""},
        "receiver": {
            "name": row.receiver_name_th or row.receiver_name_en or "",
            "phone": mask_proxy("MSISDN", phone) if phone else "",
        },
    }
