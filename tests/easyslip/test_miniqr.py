"""The slip mini QR: the reference's published vectors, short CRCs, what is not a slip, and an
independent CRC implementation (crccheck) agreeing on every payload Saphan writes."""

from __future__ import annotations

import datetime as dt

import pytest
from crccheck.crc import Crc16CcittFalse

from saphan.easyslip import demo, miniqr
from saphan.easyslip.models import Transfer
from saphan.easyslip.operator import payload_of

VECTOR_1 = "004000060000010103002021900021231231212000115102TH91049C30"
VECTOR_2 = "004100060000010103014022000111222233344ABCD125102TH910417DF"


def test_the_first_published_vector_is_written_exactly() -> None:
    assert miniqr.bank_payload("002", "0002123123121200011") == VECTOR_1


def test_the_published_vectors_read_back() -> None:
    first = miniqr.parse_bank(VECTOR_1)
    second = miniqr.parse_bank(VECTOR_2)
    assert (first.bank_code, first.trans_ref) == ("002", "0002123123121200011")
    assert (second.bank_code, second.trans_ref) == ("014", "00111222233344ABCD12")


def test_the_crc_is_ccitt_false() -> None:
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert miniqr.crc16(b"123456789") == 0x29B1


def _with_crc(body: str, crc: int, width: int) -> str:
    printed = f"{crc:X}"
    assert len(printed) == width
    return f"{body}91{width:02d}{printed}"


def _body_with_short_crc(width: int) -> tuple[str, int]:
    """A slip body whose CRC has ``4 - width`` leading zeros (searching transRefs)."""
    for n in range(200_000):
        ref = f"REF{n:08d}"
        inner = f"0006000001010300402{len(ref):02d}{ref}"
        body = f"00{len(inner):02d}{inner}5102TH"
        crc = miniqr.crc16((body + "9104").encode())
        if len(f"{crc:X}") == width:
            return body, crc
    raise AssertionError("no such CRC found")


@pytest.mark.parametrize("width", [3, 2])
def test_a_crc_printed_without_its_leading_zeros_is_read_left_padded(width: int) -> None:
    body, crc = _body_with_short_crc(width)
    short = _with_crc(body, crc, width)
    assert miniqr.parse_bank(short).bank_code == "004"
    # ...and the padded form is what Saphan itself writes
    assert miniqr.bank_payload("004", miniqr.parse_bank(short).trans_ref) == f"{body}9104{crc:04X}"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (VECTOR_1[:-1] + "1", "CRC mismatch"),
        (VECTOR_1.replace("5102TH", "5102US"), "CRC mismatch"),
        (VECTOR_1[:-8], "no CRC"),
        (VECTOR_1[:-4], "shorter than its length"),
        (VECTOR_1 + "00", "bad TLV header"),
        ("", "not a short ASCII"),
        ("x" * 129, "not a short ASCII"),
        ("0041000600000101030140220001112222333ก4ABCD125102TH910417DF", "not a short ASCII"),
    ],
)
def test_broken_payloads_are_not_slips(text: str, why: str) -> None:
    with pytest.raises(miniqr.NotASlip, match=why):
        miniqr.parse_bank(text)


def test_a_promptpay_payment_qr_is_not_a_slip() -> None:
    body = "00020101021129370016A000000677010111011300668123456785802TH530376454061000.006304"
    promptpay = body + f"{miniqr.crc16(body.encode()):04X}"
    with pytest.raises(miniqr.NotASlip):
        miniqr.parse_bank(promptpay)
    with pytest.raises(miniqr.NotASlip):
        miniqr.parse_truewallet(promptpay)


def test_a_bank_slip_with_a_valid_crc_but_wrong_tags_is_not_a_slip() -> None:
    inner = "00060000020103004" + "0205ABCDE"
    body = f"00{len(inner):02d}{inner}5102TH9104"
    text = body + f"{miniqr.crc16(body.encode()):04X}"
    with pytest.raises(miniqr.NotASlip, match="000001"):
        miniqr.parse_bank(text)


def test_truewallet_payloads_round_trip_with_a_lowercase_crc() -> None:
    text = miniqr.truewallet_payload("P2P", "50012345678901", dt.date(2025, 11, 28))
    assert text[-4:] == text[-4:].lower()
    parsed = miniqr.parse_truewallet(text)
    assert (parsed.event_type, parsed.transaction_id, parsed.date) == (
        "P2P",
        "50012345678901",
        dt.date(2025, 11, 28),
    )
    with pytest.raises(miniqr.NotASlip):
        miniqr.parse_bank(text)  # no tag 51
    with pytest.raises(miniqr.NotASlip):
        miniqr.parse_truewallet(VECTOR_1)


def _payloads() -> list[tuple[str, str]]:
    out = []
    for t in demo.ledger():
        row = Transfer(
            kind=t.kind,
            bank_code="" if t.kind == "truewallet" else t.bankCode,
            trans_ref=t.transRef,
            occurred_at=t.date.replace(tzinfo=None) if t.date else dt.datetime(2025, 1, 1),
            event_type=t.eventType,
        )
        out.append((t.kind, payload_of(row)))
    return out


def test_crccheck_agrees_on_every_payload_saphan_writes() -> None:
    """An independent CRC-16/CCITT-FALSE (crccheck) over every demo slip's payload."""
    payloads = _payloads()
    assert len(payloads) > 300
    for kind, text in payloads:
        body, printed = text[:-4], text[-4:]
        assert body.endswith("9104")
        assert int(printed, 16) == Crc16CcittFalse.calc(body.encode()), text
        assert printed == (printed.lower() if kind == "truewallet" else printed.upper())
