"""POST /v2/verify/bank with a payload: the whole answer, the ledger lookup, duplicates and
quota, matchAmount and matchAccount, and every bad input 4xx with nothing changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from saphan.easyslip import miniqr, operator
from saphan.easyslip.admin_schemas import BranchCreate
from tests.easyslip.conftest import PREFIX, MakeTenant, Record, Tenant, error, state, used

VERIFY = f"{PREFIX}/verify/bank"


async def verify(
    client: httpx.AsyncClient, who: Tenant, body: Any, **kwargs: Any
) -> httpx.Response:
    return await client.post(VERIFY, json=body, headers=who.headers, **kwargs)


async def test_the_whole_answer(client: httpx.AsyncClient, tenant: Tenant, record: Record) -> None:
    slip = record(transRef="2025111914050912ABCD", fee="0.00", ref1="INV-1")
    response = await verify(client, tenant, {"payload": slip.payload, "remark": "order 7"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "message": "Bank slip verified successfully",
        "data": {
            "remark": "order 7",
            "isDuplicate": False,
            "matchedAccount": None,
            "amountInSlip": 250.0,
            "rawSlip": {
                "payload": slip.payload,
                "transRef": "2025111914050912ABCD",
                "date": "2025-11-19T14:05:09+07:00",
                "countryCode": "TH",
                "amount": {"amount": 250.0, "local": {"amount": 0, "currency": ""}},
                "fee": 0.0,
                "ref1": "INV-1",
                "ref2": "",
                "ref3": "",
                "sender": {
                    "bank": {"id": "014", "name": "ธนาคารไทยพาณิชย์", "short": "SCB"},
                    "account": {
                        "name": {"th": "นาย สมชาย ใจดี", "en": "SOMCHAI J"},
                        "bank": {"type": "BANKAC", "account": "xxx-x-x2333-x"},
                    },
                },
                "receiver": {
                    "bank": {"id": "004", "name": "ธนาคารกสิกรไทย", "short": "KBANK"},
                    "account": {
                        "name": {"th": "ร้านทดสอบ", "en": "TEST SHOP"},
                        "bank": {"type": "BANKAC", "account": "xxx-x-x6789-x"},
                    },
                },
            },
        },
    }


async def test_proxies_are_masked(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    slip = record(
        receiverAccount=None,
        receiverProxyType="MSISDN",
        receiverProxy="0812345678",
        senderProxyType="NATID",
        senderProxy="1101700203451",
        receiverMerchantId="KB000001234567",
    )
    data = (await verify(client, tenant, {"payload": slip.payload})).json()["data"]
    assert data["rawSlip"]["receiver"]["account"]["proxy"] == {
        "type": "MSISDN",
        "account": "xxx-xxx-5678",
    }
    assert "bank" not in data["rawSlip"]["receiver"]["account"]
    assert data["rawSlip"]["receiver"]["merchantId"] == "KB000001234567"
    assert data["rawSlip"]["sender"]["account"]["proxy"] == {
        "type": "NATID",
        "account": "x-xxxx-xxxx3-45-1",
    }


async def test_a_slip_not_in_the_ledger(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    record()
    before = state(runtime)
    unknown = miniqr.bank_payload("014", "NOSUCHTRANSFER1")
    error(await verify(client, tenant, {"payload": unknown}), 404, "SLIP_NOT_FOUND")
    # the same transRef at another bank is another transfer
    other_bank = record(transRef="SAMEREF0001")
    moved = miniqr.bank_payload("002", "SAMEREF0001")
    assert moved != other_bank.payload
    error(await verify(client, tenant, {"payload": moved}), 404, "SLIP_NOT_FOUND")
    assert state(runtime) == before


@pytest.mark.parametrize(
    "payload",
    [
        "004000060000010103002021900021231231212000115102TH91049C31",  # CRC off by one
        "00020101021129370016A000000677010111011300668123456785802TH530376454061000.0063041234",
        "hello",
        "0" * 128,
    ],
)
async def test_a_payload_that_is_not_a_slip(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, payload: str
) -> None:
    before = state(runtime)
    error(await verify(client, tenant, {"payload": payload}), 404, "SLIP_NOT_FOUND")
    assert state(runtime) == before


async def test_a_duplicate_is_reported_and_uses_no_quota(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    who = make_tenant(quota=1)
    slip = record()
    first = await verify(client, who, {"payload": slip.payload, "checkDuplicate": True})
    assert first.json()["data"]["isDuplicate"] is False
    assert used(runtime, "app", who.app_id) == 1
    for _ in range(2):
        again = await verify(client, who, {"payload": slip.payload, "checkDuplicate": True})
        assert again.status_code == 200, again.text  # the month is spent, but a re-check is free
        assert again.json()["data"]["isDuplicate"] is True
    assert used(runtime, "app", who.app_id) == 1
    assert used(runtime, "branch", who.branch_id) == 1


async def test_another_application_verifying_the_same_slip_is_not_a_duplicate(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    first, second = make_tenant(name="A"), make_tenant(name="B")
    slip = record()
    assert (await verify(client, first, {"payload": slip.payload})).json()["data"][
        "isDuplicate"
    ] is False
    answer = (await verify(client, second, {"payload": slip.payload})).json()["data"]
    assert answer["isDuplicate"] is False
    assert used(runtime, "app", second.app_id) == 1


async def test_another_branch_of_the_same_application_sees_the_duplicate(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    with runtime.db.write() as session:
        other = operator.create_branch(
            session, runtime.secret, tenant.app_id, BranchCreate(name="Two"), runtime.clock.now()
        )
    slip = record()
    await verify(client, tenant, {"payload": slip.payload})
    response = await client.post(
        VERIFY, json={"payload": slip.payload}, headers={"Authorization": f"Bearer {other.key}"}
    )
    assert response.json()["data"]["isDuplicate"] is True
    assert used(runtime, "branch", other.id) == 0


async def test_a_new_branchs_first_verification_in_a_month_the_application_has_used(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    """The application's month row exists, the branch's not yet: on PostgreSQL the one
    statement takes the application's and leaves the branch's to be made and taken after."""
    with runtime.db.write() as session:
        other = operator.create_branch(
            session, runtime.secret, tenant.app_id, BranchCreate(name="Two"), runtime.clock.now()
        )
    assert (await verify(client, tenant, {"payload": record().payload})).status_code == 200
    response = await client.post(
        VERIFY, json={"payload": record().payload}, headers={"Authorization": f"Bearer {other.key}"}
    )
    assert (response.status_code, response.json()["data"]["isDuplicate"]) == (200, False)
    assert used(runtime, "app", tenant.app_id) == 2
    assert used(runtime, "branch", tenant.branch_id) == 1
    assert used(runtime, "branch", other.id) == 1


async def test_the_application_quota(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    who = make_tenant(quota=2)
    slips = [record() for _ in range(3)]
    for slip in slips[:2]:
        assert (await verify(client, who, {"payload": slip.payload})).status_code == 200
    before = state(runtime)
    message = error(await verify(client, who, {"payload": slips[2].payload}), 403, "QUOTA_EXCEEDED")
    assert message == "Your API quota has been exceeded"
    assert state(runtime) == before  # not recorded as verified either
    info = (await client.get(f"{PREFIX}/info", headers=who.headers)).json()["data"]
    assert info["application"]["quota"] == {"used": 2, "max": 2, "remaining": 0, "totalUsed": 2}


async def test_the_branch_quota(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    who = make_tenant(quota=10, branch_quota=1)
    one, two = record(), record()
    assert (await verify(client, who, {"payload": one.payload})).status_code == 200
    before = state(runtime)
    error(await verify(client, who, {"payload": two.payload}), 403, "QUOTA_EXCEEDED")
    assert state(runtime) == before
    assert used(runtime, "app", who.app_id) == 1


async def test_a_zero_quota(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    who = make_tenant(quota=0)
    error(await verify(client, who, {"payload": record().payload}), 403, "QUOTA_EXCEEDED")


@pytest.mark.parametrize(
    ("amount", "matched"),
    [
        (250, True),
        (250.0, True),
        ("250.00", True),
        (249.99, False),
        (250.01, False),
        (250.004, True),
        (250.005, False),
        (0.1 + 0.2 + 249.7, True),
    ],
)
async def test_match_amount(
    client: httpx.AsyncClient, tenant: Tenant, record: Record, amount: Any, matched: bool
) -> None:
    slip = record()
    body = f'{{"payload": "{slip.payload}", "matchAmount": {amount}}}'
    response = await client.post(
        VERIFY, content=body, headers={**tenant.headers, "Content-Type": "application/json"}
    )
    data = response.json()["data"]
    assert data["isAmountMatched"] is matched
    assert data["amountInSlip"] == 250.0
    assert data["amountInOrder"] == pytest.approx(float(amount))


async def test_no_match_amount_no_fields(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    data = (await verify(client, tenant, {"payload": record().payload})).json()["data"]
    assert "amountInOrder" not in data
    assert "isAmountMatched" not in data
    assert "remark" not in data


def _account(bank: str, number: str, **extra: Any) -> dict[str, Any]:
    return {
        "bankCode": bank,
        "bankNumber": number,
        "nameTh": "ร้านทดสอบ",
        "nameEn": "TEST SHOP",
        "type": "JURISTIC",
        **extra,
    }


@pytest.mark.parametrize(
    ("registered", "matched"),
    [
        (("004", "1234567890"), True),
        (("004", "9994567899"), True),  # only xxx-x-x6789-x shows on the slip
        (("004", "1234567880"), False),
        (("014", "1234567890"), False),  # another bank
        (("004", "123456789012"), False),  # another length
    ],
)
async def test_match_account_honours_the_mask(
    client: httpx.AsyncClient,
    tenant: Tenant,
    record: Record,
    registered: tuple[str, str],
    matched: bool,
) -> None:
    created = await client.post(
        f"{PREFIX}/bank-accounts", json=_account(*registered), headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    slip = record()
    data = (await verify(client, tenant, {"payload": slip.payload, "matchAccount": True})).json()[
        "data"
    ]
    if matched:
        assert data["matchedAccount"] == {
            "bank": {
                "nameTh": "ธนาคารกสิกรไทย",
                "nameEn": "Kasikornbank",
                "code": "004",
                "shortCode": "KBANK",
            },
            "nameTh": "ร้านทดสอบ",
            "nameEn": "TEST SHOP",
            "type": "JURISTIC",
            "bankNumber": registered[1],
        }
    else:
        assert data["matchedAccount"] is None


async def test_match_account_off_gives_null(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    await client.post(
        f"{PREFIX}/bank-accounts", json=_account("004", "1234567890"), headers=tenant.headers
    )
    slip = record()
    for body in ({"payload": slip.payload}, {"payload": slip.payload, "matchAccount": False}):
        assert (await verify(client, tenant, body)).json()["data"]["matchedAccount"] is None


async def test_extra_verify_also_needs_the_name(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    await client.post(
        f"{PREFIX}/bank-accounts",
        json=_account("004", "1234567890", extraVerify=True, nameEn="ANOTHER NAME", nameTh="อื่น"),
        headers=tenant.headers,
    )
    slip = record()
    body = {"payload": slip.payload, "matchAccount": True}
    assert (await verify(client, tenant, body)).json()["data"]["matchedAccount"] is None
    named = record(receiverNameEn="another  name")
    answer = await verify(client, tenant, {"payload": named.payload, "matchAccount": True})
    assert answer.json()["data"]["matchedAccount"]["nameEn"] == "ANOTHER NAME"


async def test_a_promptpay_account_matches_a_phone_receiver(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    await client.post(
        f"{PREFIX}/bank-accounts",
        json=_account("PROMPTPAY", "0899995678", type="PERSONAL"),
        headers=tenant.headers,
    )
    phone = record(receiverAccount=None, receiverProxyType="MSISDN", receiverProxy="0812345678")
    data = (await verify(client, tenant, {"payload": phone.payload, "matchAccount": True})).json()[
        "data"
    ]
    assert data["matchedAccount"]["bank"]["code"] == "PROMPTPAY"
    account = record()
    data = (
        await verify(client, tenant, {"payload": account.payload, "matchAccount": True})
    ).json()["data"]
    assert data["matchedAccount"] is None


async def test_another_applications_accounts_are_not_matched(
    client: httpx.AsyncClient, make_tenant: MakeTenant, record: Record
) -> None:
    mine, theirs = make_tenant(name="mine"), make_tenant(name="theirs")
    await client.post(
        f"{PREFIX}/bank-accounts", json=_account("004", "1234567890"), headers=theirs.headers
    )
    data = (await verify(client, mine, {"payload": record().payload, "matchAccount": True})).json()
    assert data["data"]["matchedAccount"] is None


EXACTLY_ONE = "You must provide exactly one of: payload, image, base64, or url"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, EXACTLY_ONE),
        ({"remark": "x"}, EXACTLY_ONE),
        ({"payload": "A", "url": "https://example.com/a.png"}, EXACTLY_ONE),
        ({"payload": "A", "base64": "AAAA"}, EXACTLY_ONE),
        ({"payload": ""}, "payload"),
        ({"payload": "A" * 129}, "payload"),
        ({"payload": 12345}, "payload"),
        ({"url": ""}, "url"),
        ({"url": "https://example.com/" + "a" * 240}, "url"),
        ({"payload": "A", "remark": ""}, "remark"),
        ({"payload": "A", "remark": "r" * 256}, "remark"),
        ({"payload": "A", "matchAmount": "lots"}, "matchAmount"),
        ({"payload": "A", "matchAmount": -1}, "matchAmount"),
        ({"payload": "A", "matchAmount": 0}, "matchAmount"),
        ({"payload": "A", "matchAccount": "maybe"}, "matchAccount"),
        ({"payload": "A", "checkDuplicate": [1]}, "checkDuplicate"),
        ([], "Input should be"),
        ("payload", "Input should be"),
    ],
)
async def test_bad_bodies(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    record: Record,
    body: Any,
    message: str,
) -> None:
    record()
    before = state(runtime)
    assert message in error(await verify(client, tenant, body), 400, "VALIDATION_ERROR")
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b'{"payload": ', "application/json", "Malformed JSON"),
        (b"", "application/json", "Request body is required"),
        (b"payload=abc", "application/x-www-form-urlencoded", "Content-Type"),
        (b"abc", "text/plain", "Content-Type"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", ""),
    ],
)
async def test_bad_encodings(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    content: bytes,
    content_type: str,
    message: str,
) -> None:
    before = state(runtime)
    response = await client.post(
        VERIFY, content=content, headers={**tenant.headers, "Content-Type": content_type}
    )
    assert message in error(response, 400, "VALIDATION_ERROR")
    assert state(runtime) == before


async def test_the_key_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    error(await client.post(VERIFY, content=b"{not json"), 401, "MISSING_API_KEY")
    error(
        await client.post(VERIFY, content=b"{not json", headers={"Authorization": "Bearer nope"}),
        401,
        "INVALID_API_KEY",
    )


async def test_an_inactive_branch_cannot_verify(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    from saphan.easyslip.admin_schemas import BranchUpdate

    with runtime.db.write() as session:
        operator.update_branch(session, tenant.branch_id, BranchUpdate(isActive=False))
    before = state(runtime)
    error(await verify(client, tenant, {"payload": record().payload}), 403, "BRANCH_INACTIVE")
    assert state(runtime) == before


async def test_fee_refs_and_local_amount_are_always_there(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    """As every published example carries them (issue 17): 0 and "" where the ledger has none;
    and the document's answer schema says they are always there."""
    slip = record()
    raw = (await verify(client, tenant, {"payload": slip.payload})).json()["data"]["rawSlip"]
    assert raw["amount"]["local"] == {"amount": 0, "currency": ""}
    assert [raw["fee"], raw["ref1"], raw["ref2"], raw["ref3"]] == [0, "", "", ""]
    document = (await client.get("/easyslip/openapi.json")).json()
    schemas = document["components"]["schemas"]
    raw_slip = next(schemas[name] for name in schemas if name.startswith("RawSlip"))
    assert {"fee", "ref1", "ref2", "ref3", "amount"} <= set(raw_slip["required"])
    local = next(schemas[name] for name in schemas if name.startswith("LocalAmount"))
    assert set(local["required"]) == {"amount", "currency"}
