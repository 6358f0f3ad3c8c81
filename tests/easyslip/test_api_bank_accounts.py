"""GET/POST /v2/bank-accounts, PATCH/DELETE /v2/bank-accounts/{id}: scoped to the key's
application; another application's account is 404; bad bodies 400 and change nothing.
``extraVerify`` takes the account's bank's options (``GET /v2/banks``), null, or the older
documents' booleans, and ``type`` the older SAVING/CURRENT; answers are in the newest form."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.easyslip.conftest import PREFIX, MakeTenant, Tenant, documented, error

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
        "extraVerify": None,
        "createdAt": "2025-11-20T10:30:00+07:00",
    }
    assert await listed(client, tenant) == [account]

    for value in ("NAME", None):
        patched = await client.patch(
            f"{ACCOUNTS}/{account['id']}", json={"extraVerify": value}, headers=tenant.headers
        )
        assert patched.status_code == 200
        assert patched.json()["data"] == {**account, "extraVerify": value}

    deleted = await client.delete(f"{ACCOUNTS}/{account['id']}", headers=tenant.headers)
    assert deleted.status_code == 200
    assert await listed(client, tenant) == []
    error(
        await client.delete(f"{ACCOUNTS}/{account['id']}", headers=tenant.headers), 404, "NOT_FOUND"
    )


async def test_registering_twice_is_a_conflict(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await client.post(ACCOUNTS, json=BODY, headers=tenant.headers)
    dashed = {**BODY, "bankNumber": "456-7-89123-0"}  # the same number, as the documents write it
    for again in (BODY, dashed):
        error(
            await client.post(ACCOUNTS, json=again, headers=tenant.headers),
            409,
            "BANK_ACCOUNT_EXISTS",
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
    assert (await listed(client, theirs))[0]["extraVerify"] is None
    # the same account may be registered by each application
    assert (await client.post(ACCOUNTS, json=BODY, headers=mine.headers)).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bankCode": "999"}, "bankCode"),
        ({"bankCode": None}, "bankCode"),
        ({"bankNumber": "12345"}, "bankNumber"),
        ({"bankNumber": "12345abcde"}, "bankNumber"),
        ({"bankNumber": "-1234567890"}, "bankNumber"),
        ({"bankNumber": "123--4567890"}, "bankNumber"),
        ({"bankNumber": "1234567890-"}, "bankNumber"),
        ({"bankNumber": "1-2-3-4-5-6-7-8-9"}, "bankNumber"),
        ({"nameTh": ""}, "nameTh"),
        ({"nameTh": "ร้าน\u0000"}, "nameTh"),
        ({"nameEn": "SHOP\nCO"}, "nameEn"),
        ({"type": "COMPANY"}, "type"),
        ({"type": "personal"}, "type"),
        ({"extraVerify": "sometimes"}, "extraVerify"),
        ({"extraVerify": "name_number"}, "extraVerify"),
        ({"extraVerify": "true"}, "extraVerify"),
        ({"extraVerify": 1}, "extraVerify"),
        ({"extraVerify": ["NAME"]}, "extraVerify"),
        # options another bank offers, not this one (014)
        ({"extraVerify": "MSISDN"}, "extraVerify"),
        ({"bankCode": "PROMPTPAY", "extraVerify": "NAME_NUMBER"}, "extraVerify"),
        ({"bankCode": "KSHOP", "extraVerify": "NAME"}, "extraVerify"),
        # true names nothing at KShop, nor at PromptPay for a number no proxy has
        ({"bankCode": "KSHOP", "extraVerify": True}, "extraVerify"),
        (
            {"bankCode": "PROMPTPAY", "bankNumber": "081234567890", "extraVerify": True},
            "extraVerify",
        ),
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
    for bad in ("x", "MSISDN", "EWALLETID", 0, "NUMBER "):
        message = error(
            await client.patch(path, json={"extraVerify": bad}, headers=tenant.headers),
            400,
            "VALIDATION_ERROR",
        )
        assert "(extraVerify)" in message
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


@pytest.mark.parametrize(
    ("bank", "number", "sent", "kept"),
    [
        ("014", "4567891230", "NAME", "NAME"),
        ("014", "4567891230", "NUMBER", "NUMBER"),
        ("014", "4567891230", "NAME_NUMBER", "NAME_NUMBER"),
        ("014", "4567891230", None, None),
        # the older documents' booleans: true is the name beside the number, false nothing
        ("014", "4567891230", True, "NAME_NUMBER"),
        ("014", "4567891230", False, None),
        ("PROMPTPAY", "0812345678", "NATID", "NATID"),
        # at PromptPay, true is the proxy the number is: phone, national ID, e-wallet ID
        ("PROMPTPAY", "0812345678", True, "MSISDN"),
        ("PROMPTPAY", "1234567890123", True, "NATID"),
        ("PROMPTPAY", "123456789012345", True, "EWALLETID"),
        ("PROMPTPAY", "0812345678", False, None),
        ("KSHOP", "1234567890", False, None),
        ("KSHOP", "1234567890", None, None),
    ],
)
async def test_extra_verify_is_kept_as_the_option_it_names(
    client: httpx.AsyncClient,
    tenant: Tenant,
    bank: str,
    number: str,
    sent: str | bool | None,
    kept: str | None,
) -> None:
    body = {**BODY, "bankCode": bank, "bankNumber": number, "extraVerify": sent}
    created = await client.post(ACCOUNTS, json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["extraVerify"] == kept
    # the same through PATCH, from an account with none
    plain = {**body, "bankNumber": number[:-1] + str((int(number[-1]) + 1) % 10)}
    plain.pop("extraVerify")
    other = (await client.post(ACCOUNTS, json=plain, headers=tenant.headers)).json()["data"]
    assert other["extraVerify"] is None
    patched = await client.patch(
        f"{ACCOUNTS}/{other['id']}", json={"extraVerify": sent}, headers=tenant.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["extraVerify"] == kept
    assert [a["extraVerify"] for a in await listed(client, tenant)] == [kept, kept]


async def test_an_option_the_bank_does_not_offer_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    promptpay = {**BODY, "bankCode": "PROMPTPAY", "bankNumber": "0812345678"}
    accounts = [
        (await client.post(ACCOUNTS, json=body, headers=tenant.headers)).json()["data"]
        for body in (
            {**BODY, "extraVerify": "NUMBER"},
            {**promptpay, "extraVerify": "MSISDN"},
            {**BODY, "bankCode": "KSHOP"},
        )
    ]
    before = await listed(client, tenant)
    for account, bad in zip(accounts, ("NATID", "NAME", True), strict=True):
        message = error(
            await client.patch(
                f"{ACCOUNTS}/{account['id']}", json={"extraVerify": bad}, headers=tenant.headers
            ),
            400,
            "VALIDATION_ERROR",
        )
        assert message.endswith("(extraVerify)")
        assert account["bank"]["shortCode"] in message
    assert await listed(client, tenant) == before


@pytest.mark.parametrize(("sent", "answered"), [("SAVING", "PERSONAL"), ("CURRENT", "JURISTIC")])
async def test_the_older_account_types_are_answered_in_the_newest_form(
    client: httpx.AsyncClient, tenant: Tenant, sent: str, answered: str
) -> None:
    created = await client.post(ACCOUNTS, json={**BODY, "type": sent}, headers=tenant.headers)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["type"] == answered
    assert [a["type"] for a in await listed(client, tenant)] == [answered]


async def test_the_older_documents_accounts_register_and_answer_in_the_newest_form(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """The older partner documents' accounts (boolean ``extraVerify``, ``type`` SAVING and
    CURRENT) registered as they show them: each answered with every field the example has,
    in the newest form. Their numbers are written with dashes: Saphan keeps the digits."""
    example = documented("bank_accounts.list.older.response.json")["data"]
    for account in example:
        body = {key: account[key] for key in ("bankCode", "nameTh", "nameEn", "type")}
        body["bankNumber"] = account["bankNumber"]
        body["extraVerify"] = account["extraVerify"]
        created = await client.post(ACCOUNTS, json=body, headers=tenant.headers)
        assert created.status_code == 201, created.text
    answered = await listed(client, tenant)
    for account, answer in zip(example, answered, strict=True):
        assert set(account) <= set(answer)
        assert answer["bankNumber"] == account["bankNumber"].replace("-", "")
    assert [(a["type"], a["extraVerify"]) for a in answered] == [
        ("PERSONAL", None),
        ("JURISTIC", "NAME_NUMBER"),
    ]
