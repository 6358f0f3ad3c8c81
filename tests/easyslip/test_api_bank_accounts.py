"""GET/POST /v2/bank-accounts, PATCH/DELETE /v2/bank-accounts/{id}: scoped to the key's
application; another application's account is 404; bad bodies 400 and change nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.easyslip.conftest import PREFIX, MakeTenant, Tenant, error

ACCOUNTS = f"{PREFIX}/bank-accounts"
BODY = {
    "bankCode": "014",
    "bankNumber": "4567891230",
    "nameTh": "ร้านทดสอบ",
    "nameEn": "TEST SHOP",
    "type": "JURISTIC",
}


async def listed(client: httpx.AsyncClient, who: Tenant) -> list[dict[str, Any]]:
    response = await client.get(ACCOUNTS, headers=who.headers)
    assert response.status_code == 200
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_create_list_update_delete(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await client.post(ACCOUNTS, json=BODY, headers=tenant.headers)
    assert created.status_code == 201, created.text
    account = created.json()["data"]
    assert account == {
        "id": account["id"],
        "bankCode": "014",
        "bank": {
            "nameTh": "ธนาคารไทยพาณิชย์",
            "nameEn": "Siam Commercial Bank",
            "code": "014",
            "shortCode": "SCB",
        },
        "nameTh": "ร้านทดสอบ",
        "nameEn": "TEST SHOP",
        "type": "JURISTIC",
        "bankNumber": "4567891230",
        "extraVerify": False,
        "createdAt": "2025-11-20T10:30:00+07:00",
    }
    assert await listed(client, tenant) == [account]

    patched = await client.patch(
        f"{ACCOUNTS}/{account['id']}", json={"extraVerify": True}, headers=tenant.headers
    )
    assert patched.status_code == 200
    assert patched.json()["data"] == {**account, "extraVerify": True}

    deleted = await client.delete(f"{ACCOUNTS}/{account['id']}", headers=tenant.headers)
    assert deleted.status_code == 200
    assert await listed(client, tenant) == []
    error(
        await client.delete(f"{ACCOUNTS}/{account['id']}", headers=tenant.headers), 404, "NOT_FOUND"
    )


async def test_registering_twice_is_a_conflict(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await client.post(ACCOUNTS, json=BODY, headers=tenant.headers)
    error(
        await client.post(ACCOUNTS, json=BODY, headers=tenant.headers), 409, "BANK_ACCOUNT_EXISTS"
    )
    assert len(await listed(client, tenant)) == 1


async def test_another_applications_accounts(
    client: httpx.AsyncClient, make_tenant: MakeTenant
) -> None:
    mine, theirs = make_tenant(name="mine"), make_tenant(name="theirs")
    account = (await client.post(ACCOUNTS, json=BODY, headers=theirs.headers)).json()["data"]
    assert await listed(client, mine) == []
    path = f"{ACCOUNTS}/{account['id']}"
    error(
        await client.patch(path, json={"extraVerify": True}, headers=mine.headers), 404, "NOT_FOUND"
    )
    error(await client.delete(path, headers=mine.headers), 404, "NOT_FOUND")
    assert (await listed(client, theirs))[0]["extraVerify"] is False
    # the same account may be registered by each application
    assert (await client.post(ACCOUNTS, json=BODY, headers=mine.headers)).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bankCode": "999"}, "bankCode"),
        ({"bankCode": None}, "bankCode"),
        ({"bankNumber": "12345"}, "bankNumber"),
        ({"bankNumber": "12345abcde"}, "bankNumber"),
        ({"nameTh": ""}, "nameTh"),
        ({"nameTh": "ร้าน\u0000"}, "nameTh"),
        ({"nameEn": "SHOP\nCO"}, "nameEn"),
        ({"type": "COMPANY"}, "type"),
        ({"extraVerify": "sometimes"}, "extraVerify"),
    ],
)
async def test_bad_bodies(
    client: httpx.AsyncClient, tenant: Tenant, change: dict[str, Any], field: str
) -> None:
    body = {**BODY, **change}
    assert field in error(
        await client.post(ACCOUNTS, json=body, headers=tenant.headers), 400, "VALIDATION_ERROR"
    )
    assert await listed(client, tenant) == []


async def test_bad_ids_and_patches(client: httpx.AsyncClient, tenant: Tenant) -> None:
    account = (await client.post(ACCOUNTS, json=BODY, headers=tenant.headers)).json()["data"]
    for bad in ("abc", "-1", "1.5", "99999999999999999999"):
        error(await client.delete(f"{ACCOUNTS}/{bad}", headers=tenant.headers), 404, "NOT_FOUND")
    path = f"{ACCOUNTS}/{account['id']}"
    error(await client.patch(path, json={}, headers=tenant.headers), 400, "VALIDATION_ERROR")
    error(
        await client.patch(path, json={"extraVerify": "x"}, headers=tenant.headers),
        400,
        "VALIDATION_ERROR",
    )
    error(
        await client.patch(
            path, content=b"{", headers={**tenant.headers, "Content-Type": "application/json"}
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert (await listed(client, tenant)) == [account]


async def test_keys_are_needed(client: httpx.AsyncClient) -> None:
    error(await client.get(ACCOUNTS), 401, "MISSING_API_KEY")
    error(await client.post(ACCOUNTS, json=BODY), 401, "MISSING_API_KEY")
    error(
        await client.delete(f"{ACCOUNTS}/1", headers={"Authorization": "Bearer x"}),
        401,
        "INVALID_API_KEY",
    )
