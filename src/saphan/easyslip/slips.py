"""A ledger transfer -> its slip: the text it shows (masked, as on a real slip) and the image."""

from __future__ import annotations

from decimal import Decimal

from saphan.core.clock import to_bangkok
from saphan.easyslip.banks import BY_CODE
from saphan.easyslip.ledger import TRUEWALLET
from saphan.easyslip.logic.rawslip import mask_account, mask_proxy
from saphan.easyslip.models import Transfer
from saphan.easyslip.operator import payload_of
from saphan.easyslip.slipimage import SlipText, encode, render


def _line(bank_code: str, account: str | None, proxy_type: str | None, proxy: str | None) -> str:
    bank = BY_CODE.get(bank_code)
    short = bank.short if bank else ""
    if account:
        return f"{short} {mask_account(account)}".strip()
    if proxy:
        return f"{short} {mask_proxy(proxy_type or 'MSISDN', proxy)}".strip()
    return short


def slip_text(t: Transfer) -> SlipText:
    truewallet = t.kind == TRUEWALLET
    return SlipText(
        payload=payload_of(t),
        bank_code=t.bank_code,
        title="Money sent" if truewallet else "Transfer successful",
        date=to_bangkok(t.occurred_at).strftime("%d %b %Y %H:%M"),
        amount=Decimal(t.amount),
        sender_name=t.sender_name_en or t.sender_name_th or "-",
        sender_line=_line(
            t.sender_bank_code, t.sender_account, t.sender_proxy_type, t.sender_proxy
        ),
        receiver_name=t.receiver_name_en or t.receiver_name_th or "-",
        receiver_line=(
            mask_proxy("MSISDN", t.receiver_proxy or "")
            if truewallet
            else _line(
                t.receiver_bank_code, t.receiver_account, t.receiver_proxy_type, t.receiver_proxy
            )
        ),
        reference=t.trans_ref,
    )


def slip_image(t: Transfer, fmt: str = "PNG") -> bytes:
    """The slip image of ``t`` in ``fmt`` (PNG, JPEG, WEBP, GIF)."""
    return encode(render(slip_text(t)), fmt)
