"""``matchAccount`` as each registered account's ``extraVerify`` asks: at a bank the number
(NUMBER, or none), the name (NAME) or both (NAME_NUMBER), always at the account's bank; at
PromptPay the proxy, of the type given when one is. The answer's ``matchedAccount`` has the
fields of EasySlip's v2 example (``spec_examples/matched_account.v2.json``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.easyslip.conftest import PREFIX, Record, Tenant, documented

#: The ledger's default transfer pays KBANK 1234567890, "ร้านทดสอบ" / "TEST SHOP".
SHOP = {"bankCode": "004", "nameTh": "ร้านทดสอบ", "nameEn": "TEST SHOP", "type": "JURISTIC"}
OTHER_NAME = {"nameTh": "ร้านอื่น", "nameEn": "ANOTHER SHOP"}


async def matched(
    client: httpx.AsyncClient, tenant: Tenant, account: dict[str, Any], payload: str
) -> dict[str, Any] | None:
    created = await client.post(f"{PREFIX}/bank-accounts", json=account, headers=tenant.headers)
    assert created.status_code == 201, created.text
    answer = await client.post(
        f"{PREFIX}/verify/bank",
        json={"payload": payload, "matchAccount": True},
        headers=tenant.headers,
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] | None = answer.json()["data"]["matchedAccount"]
    return found


@pytest.mark.parametrize(
    ("extra_verify", "number", "name", "found"),
    [
        (None, "1234567890", {}, True),
        (None, "1234567880", {}, False),
        (None, "1234567890", OTHER_NAME, True),
        ("NUMBER", "1234567890", OTHER_NAME, True),
        ("NUMBER", "1234567880", {}, False),
        ("NAME", "1234567880", {}, True),  # the number is not looked at
        ("NAME", "1234567890", OTHER_NAME, False),
        ("NAME_NUMBER", "1234567890", {}, True),
        ("NAME_NUMBER", "1234567890", OTHER_NAME, False),
        ("NAME_NUMBER", "1234567880", {}, False),
        (True, "1234567890", OTHER_NAME, False),  # the older true: NAME_NUMBER
    ],
)
async def test_a_bank_account_is_matched_as_extra_verify_asks(
    client: httpx.AsyncClient,
    tenant: Tenant,
    record: Record,
    extra_verify: str | bool | None,
    number: str,
    name: dict[str, str],
    found: bool,
) -> None:
    account = {**SHOP, "bankNumber": number, "extraVerify": extra_verify, **name}
    answer = await matched(client, tenant, account, record().payload)
    assert (answer is not None) is found
    if answer is not None:
        assert answer["bankNumber"] == number


async def test_a_name_is_matched_only_at_the_accounts_bank(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    account = {**SHOP, "bankCode": "014", "bankNumber": "1234567890", "extraVerify": "NAME"}
    assert await matched(client, tenant, account, record().payload) is None


@pytest.mark.parametrize(
    ("extra_verify", "proxy_type", "proxy", "found"),
    [
        (None, "MSISDN", "0812345678", True),
        ("MSISDN", "MSISDN", "0812345678", True),
        ("NATID", "MSISDN", "0812345678", False),  # paid by phone, registered as an ID
        ("EWALLETID", "MSISDN", "0812345678", False),
        ("MSISDN", "MSISDN", "0812345679", False),
    ],
)
async def test_a_promptpay_account_is_matched_by_its_proxy_type(
    client: httpx.AsyncClient,
    tenant: Tenant,
    record: Record,
    extra_verify: str | None,
    proxy_type: str,
    proxy: str,
    found: bool,
) -> None:
    account = {
        **SHOP,
        "bankCode": "PROMPTPAY",
        "bankNumber": "0812345678",
        "type": "PERSONAL",
        "extraVerify": extra_verify,
    }
    slip = record(receiverAccount=None, receiverProxyType=proxy_type, receiverProxy=proxy)
    answer = await matched(client, tenant, account, slip.payload)
    assert (answer is not None) is found


async def test_a_national_id_proxy_matches_an_account_registered_as_one(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    account = {
        **SHOP,
        "bankCode": "PROMPTPAY",
        "bankNumber": "1234567890123",
        "type": "PERSONAL",
        "extraVerify": True,  # the older true: the proxy a 13-digit number is, NATID
    }
    slip = record(receiverAccount=None, receiverProxyType="NATID", receiverProxy="1234567890123")
    answer = await matched(client, tenant, account, slip.payload)
    assert answer is not None
    assert answer["bank"]["code"] == "PROMPTPAY"


async def test_the_matched_account_has_the_documented_fields(
    client: httpx.AsyncClient, tenant: Tenant, record: Record
) -> None:
    """Registered with the older ``type`` CURRENT, answered with the example's fields and
    its ``type`` (JURISTIC)."""
    example = documented("matched_account.v2.json")["matchedAccount"]
    account = {**SHOP, "bankNumber": "1234567890", "type": "CURRENT"}
    answer = await matched(client, tenant, account, record().payload)
    assert answer is not None
    assert list(answer) == list(example)
    assert list(answer["bank"]) == list(example["bank"])
    assert answer["type"] == example["type"]
