"""GET /v2/banks as EasySlip's bank list shows it: each bank's codes, names, SWIFT code and the
``extraVerify`` options an account there may ask, held against the partner documentation's
example (``spec_examples/banks.response.json``, its source named there)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.easyslip.conftest import PREFIX, Tenant, documented, error

BANKS = f"{PREFIX}/banks"


async def banks(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    response = await client.get(BANKS, headers=tenant.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data: list[dict[str, Any]] = body["data"]
    return data


async def test_the_documented_banks_are_answered_as_documented(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    answered = {bank["code"]: bank for bank in await banks(client, tenant)}
    for bank in documented("banks.response.json")["data"]:
        assert answered[bank["code"]] == bank


async def test_every_bank_has_the_documented_shape(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Every item has the example's fields; every three-digit bank offers what the example's
    bank (002) offers, labels and all."""
    example = {bank["code"]: bank for bank in documented("banks.response.json")["data"]}
    answered = await banks(client, tenant)
    assert len({bank["code"] for bank in answered}) == len(answered)
    for bank in answered:
        assert list(bank) == list(example["002"]), bank["code"]
        assert len(bank["swiftCode"]) in (8, 11) or bank["swiftCode"] == bank["code"]
        if bank["code"].isdigit():
            assert bank["swiftCode"][4:6] == "TH", bank["code"]
            assert bank["extraVerify"] == example["002"]["extraVerify"], bank["code"]


async def test_the_bank_list_needs_a_key(client: httpx.AsyncClient) -> None:
    error(await client.get(BANKS), 401, "MISSING_API_KEY")
    error(await client.get(BANKS, headers={"Authorization": "Bearer x"}), 401, "INVALID_API_KEY")
