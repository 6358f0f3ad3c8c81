"""The slip "mini QR": EMVCo-style TLV (2-digit tag, 2-digit decimal length, value) ending in a
CRC-16/CCITT-FALSE (reference "The slip mini QR").

Bank slips: tag ``00`` nested (``00`` = ``000001``, ``01`` = sending bank code, ``02`` =
transRef), tag ``51`` = ``TH``, tag ``91`` = CRC, 4 uppercase hex digits. TrueMoney slips: tag
``00`` nested (``00`` = ``01``, ``01`` = ``01``, ``02`` = event type, ``03`` = transaction id,
``04`` = date ``DDMMYYYY``), no tag ``51``, lowercase CRC. The CRC covers everything up to and
including ``9104``; a CRC printed with its leading zeros dropped (``9103ABC``) is read left-padded
(``0ABC``) and checked the same way. A PromptPay payment QR (``000201...6304XXXX``) is not a slip.
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
from dataclasses import dataclass

_TRANS_REF = re.compile(r"[0-9A-Za-z]{1,64}")
_BANK_CODE = re.compile(r"[0-9]{3}")
_HEX = re.compile(r"[0-9A-Fa-f]{1,4}")
_CRC_TAG = "91"


class NotASlip(ValueError):
    """The text is not a well-formed slip mini QR (or its CRC is wrong)."""


@dataclass(frozen=True, slots=True)
class BankSlipQR:
    payload: str
    bank_code: str
    trans_ref: str


@dataclass(frozen=True, slots=True)
class TrueWalletQR:
    payload: str
    event_type: str
    transaction_id: str
    date: dt.date


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR."""
    return binascii.crc_hqx(data, 0xFFFF)


def tlv(text: str) -> list[tuple[str, str]]:
    """``"0002AB5102TH"`` -> ``[("00", "AB"), ("51", "TH")]``; raises ``NotASlip`` on any slip."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        head = text[i : i + 4]
        if len(head) < 4 or not head.isascii() or not head.isdigit():
            raise NotASlip(f"bad TLV header at {i}")
        length = int(head[2:])
        value = text[i + 4 : i + 4 + length]
        if len(value) != length:
            raise NotASlip(f"tag {head[:2]} is shorter than its length")
        out.append((head[:2], value))
        i += 4 + length
    return out


def _checked(text: str) -> list[tuple[str, str]]:
    """The TLV fields before the CRC, once the CRC (the last field, tag 91) checks out. The
    CRC is read in either case; writers use each variant's own."""
    if not text.isascii() or not 1 <= len(text) <= 128:
        raise NotASlip("not a short ASCII text")
    fields = tlv(text)
    if not fields or fields[-1][0] != _CRC_TAG or not _HEX.fullmatch(fields[-1][1]):
        raise NotASlip("no CRC (tag 91) at the end")
    printed = fields[-1][1]
    covered = text[: len(text) - len(printed) - 4] + _CRC_TAG + "04"
    if int(printed, 16) != crc16(covered.encode()):
        raise NotASlip("CRC mismatch")
    if any(tag == _CRC_TAG for tag, _ in fields[:-1]):
        raise NotASlip("more than one CRC")
    return fields[:-1]


def parse_bank(text: str) -> BankSlipQR:
    fields = dict(_checked(text))
    if fields.get("51") != "TH" or "00" not in fields:
        raise NotASlip("not a bank slip QR (tag 51 TH, tag 00)")
    inner = dict(tlv(fields["00"]))
    code, ref = inner.get("01", ""), inner.get("02", "")
    if inner.get("00") != "000001" or not _BANK_CODE.fullmatch(code):
        raise NotASlip("not a bank slip QR (tag 00.00 000001, tag 00.01 bank code)")
    if not _TRANS_REF.fullmatch(ref):
        raise NotASlip("bad transRef")
    return BankSlipQR(payload=text, bank_code=code, trans_ref=ref)


def parse_truewallet(text: str) -> TrueWalletQR:
    fields = dict(_checked(text))
    if "51" in fields or "00" not in fields:
        raise NotASlip("not a TrueMoney slip QR")
    inner = dict(tlv(fields["00"]))
    if inner.get("00") != "01" or inner.get("01") != "01":
        raise NotASlip("not a TrueMoney slip QR (tag 00.00 01, 00.01 01)")
    event, txid, day = inner.get("02", ""), inner.get("03", ""), inner.get("04", "")
    if not event or not _TRANS_REF.fullmatch(txid):
        raise NotASlip("bad TrueMoney event type or transaction id")
    try:
        date = dt.datetime.strptime(day, "%d%m%Y").date()
    except ValueError as exc:
        raise NotASlip("bad TrueMoney date") from exc
    return TrueWalletQR(payload=text, event_type=event, transaction_id=txid, date=date)


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"tag {tag} value longer than 99")
    return f"{tag}{len(value):02d}{value}"


def bank_payload(bank_code: str, trans_ref: str) -> str:
    """The mini QR text a bank prints on the slip of ``(bank_code, trans_ref)``."""
    if not _BANK_CODE.fullmatch(bank_code) or not _TRANS_REF.fullmatch(trans_ref):
        raise ValueError("bank code must be 3 digits and transRef 1-64 letters or digits")
    inner = _field("00", "000001") + _field("01", bank_code) + _field("02", trans_ref)
    body = _field("00", inner) + _field("51", "TH") + _CRC_TAG + "04"
    return body + f"{crc16(body.encode()):04X}"


def truewallet_payload(event_type: str, transaction_id: str, date: dt.date) -> str:
    """The mini QR text of a TrueMoney slip (lowercase CRC, no tag 51)."""
    if not _TRANS_REF.fullmatch(transaction_id) or not event_type:
        raise ValueError("bad TrueMoney event type or transaction id")
    inner = (
        _field("00", "01")
        + _field("01", "01")
        + _field("02", event_type)
        + _field("03", transaction_id)
        + _field("04", date.strftime("%d%m%Y"))
    )
    body = _field("00", inner) + _CRC_TAG + "04"
    return body + f"{crc16(body.encode()):04x}"
