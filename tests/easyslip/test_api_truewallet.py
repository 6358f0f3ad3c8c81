"""POST /v2/verify/truewallet: the TrueMoney slip QR variant and its rawSlip shape."""

from __future__ import annotations

import base64
import datetime as dt

import httpx

from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime
from saphan.easyslip import miniqr
from tests.easyslip.conftest import PREFIX, Record, Tenant, error, state, used
from tests.easyslip.slips import image_of, opencv_texts

VERIFY = f"{PREFIX}/verify/truewallet"


def _wallet(record: Record) -> object:
    return record(
        kind="truewallet",
        transRef="50098765432101",
        date=dt.datetime(2025, 11, 18, 20, 15, tzinfo=BANGKOK),
        amount="120.50",
        senderNameTh="สมหญิง รักไทย",
        senderNameEn="SOMYING R",
        receiverNameTh="ร้านทดสอบ",
        receiverNameEn="TEST SHOP",
        receiverAccount=None,
        receiverProxy="0812345678",
    )


async def test_the_whole_answer_from_an_image(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    slip = _wallet(record)
    data = image_of(runtime, slip, "JPEG")
    assert opencv_texts(data) == [slip.payload]  # type: ignore[attr-defined]
    response = await client.post(
        VERIFY,
        files={"image": ("tmn.jpg", data, "image/jpeg")},
        data={"matchAmount": "120.5", "remark": "tip"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "message": "TrueMoney Wallet slip verified successfully",
        "data": {
            "remark": "tip",
            "isDuplicate": False,
            "matchedAccount": None,
            "amountInOrder": 120.5,
            "amountInSlip": 120.5,
            "isAmountMatched": True,
            "rawSlip": {
                "transactionId": "50098765432101",
                "date": "2025-11-18T20:15:00+07:00",
                "amount": 120.5,
                "sender": {"name": "สมหญิง รักไทย"},
                "receiver": {"name": "ร้านทดสอบ", "phone": "xxx-xxx-5678"},
            },
        },
    }
    assert used(runtime, "app", tenant.app_id) == 1


async def test_base64_and_duplicates(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    slip = _wallet(record)
    text = "data:image/png;base64," + base64.b64encode(image_of(runtime, slip)).decode()
    first = await client.post(VERIFY, json={"base64": text}, headers=tenant.headers)
    again = await client.post(VERIFY, json={"base64": text}, headers=tenant.headers)
    assert first.json()["data"]["isDuplicate"] is False
    assert again.json()["data"]["isDuplicate"] is True
    assert used(runtime, "app", tenant.app_id) == 1


async def test_a_bank_slip_is_not_a_truewallet_slip_and_back(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    bank = record()
    wallet = _wallet(record)
    before = state(runtime)
    bank_image = base64.b64encode(image_of(runtime, bank)).decode()
    error(
        await client.post(VERIFY, json={"base64": bank_image}, headers=tenant.headers),
        404,
        "SLIP_NOT_FOUND",
    )
    error(
        await client.post(
            f"{PREFIX}/verify/bank",
            json={"payload": wallet.payload},  # type: ignore[attr-defined]
            headers=tenant.headers,
        ),
        404,
        "SLIP_NOT_FOUND",
    )
    assert state(runtime) == before


async def test_a_wallet_slip_not_in_the_ledger(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    from saphan.easyslip.models import Transfer
    from saphan.easyslip.slips import slip_image

    ghost = Transfer(
        kind="truewallet",
        bank_code="",
        trans_ref="50000000000000",
        occurred_at=dt.datetime(2025, 11, 1),
        amount=1,
        event_type="P2P",
        sender_bank_code="",
        receiver_bank_code="",
        receiver_proxy="0800000000",
    )
    data = base64.b64encode(slip_image(ghost)).decode()
    before = state(runtime)
    error(
        await client.post(VERIFY, json={"base64": data}, headers=tenant.headers),
        404,
        "SLIP_NOT_FOUND",
    )
    assert state(runtime) == before
    assert (
        miniqr.parse_truewallet(opencv_texts(base64.b64decode(data))[0]).transaction_id
        == "50000000000000"
    )


async def test_payload_is_not_an_input_here(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    wallet = _wallet(record)
    before = state(runtime)
    message = error(
        await client.post(
            VERIFY,
            json={"payload": wallet.payload},  # type: ignore[attr-defined]
            headers=tenant.headers,
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert message == "You must provide exactly one of: image, base64, or url"
    assert state(runtime) == before
