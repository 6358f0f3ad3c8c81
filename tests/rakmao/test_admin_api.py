"""``/admin/rakmao``: accounts (authenString shown once, rebuilt given the password), disable,
signing keys and the recorded webhook events; the operator token required throughout."""

from __future__ import annotations

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.rakmao.conftest import (
    AUTH,
    ORG_A,
    PO,
    SELLER_TAX,
    Session,
    create_body,
    create_po,
    state,
)

ADMIN = "/admin/rakmao"


async def test_accounts_round_trip(client: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        f"{ADMIN}/accounts",
        json={
            "username": "Acme",
            "password": "a-long-password-1",
            "orgId": ORG_A.upper(),
            "orgName": "แอคมี",
            "buyerTaxId": "323232211",
            "sellerTaxId": SELLER_TAX,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["username"], body["orgId"], body["sellerTaxId"]) == ("acme", ORG_A, SELLER_TAX)
    login = await client.post(f"{AUTH}/RequestAPIToken", json=body["authenString"])
    token = login.json()["data"]["token"]
    # One account may act for a buyer org and a seller both.
    headers = {"Authorization": token}
    assert (await client.get(f"{PO}/Buyer/{ORG_A}", headers=headers)).status_code == 200
    assert (await client.get(f"{PO}/Seller/{SELLER_TAX}", headers=headers)).status_code == 200

    again = await admin.post(
        f"{ADMIN}/accounts/acme/authen-string", json={"password": "a-long-password-1"}
    )
    assert again.json() == {"authenString": body["authenString"]}
    wrong = await admin.post(f"{ADMIN}/accounts/acme/authen-string", json={"password": "x"})
    assert wrong.status_code == 400
    listed = await admin.get(f"{ADMIN}/accounts")
    assert [a["username"] for a in listed.json()] == ["acme"]
    assert "authenString" not in listed.json()[0]
    assert "password" not in str(listed.json())

    disabled = await admin.post(f"{ADMIN}/accounts/ACME/disable")
    assert disabled.json()["disabledAt"] == "2025-11-20 10:30:00"
    assert (await client.get(f"{PO}/Buyer/{ORG_A}", headers=headers)).status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "a", "password": "short", "orgId": ORG_A}, 422),
        ({"username": "a", "password": "a-long-password-1"}, 422),
        ({"username": "a b", "password": "a-long-password-1", "sellerTaxId": "1"}, 422),
        ({"username": "a", "password": "a-long-password-1", "orgId": "nope"}, 422),
    ],
)
async def test_bad_accounts_are_refused(
    admin: httpx.AsyncClient, runtime: Runtime, body: dict[str, str], status: int
) -> None:
    response = await admin.post(f"{ADMIN}/accounts", json=body)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert (await admin.get(f"{ADMIN}/accounts")).json() == []


async def test_a_taken_username_is_409_and_unknown_is_404(admin: httpx.AsyncClient) -> None:
    body = {"username": "a", "password": "a-long-password-1", "sellerTaxId": "1"}
    assert (await admin.post(f"{ADMIN}/accounts", json=body)).status_code == 201
    taken = await admin.post(f"{ADMIN}/accounts", json={**body, "username": "A"})
    assert taken.json() == {"error": {"code": "CONFLICT", "message": "Username a is taken"}}
    missing = await admin.post(f"{ADMIN}/accounts/ghost/disable")
    assert missing.json() == {"error": {"code": "NOT_FOUND", "message": "No account ghost"}}


async def test_events_show_what_status_changes_recorded(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, buyer: Session
) -> None:
    po = await create_po(client, buyer)
    await client.put(
        f"{PO}/Buyer/{po['PoId']}/Status/1",
        json={"CreateByUserId": "1", "CreateByUserName": "x"},
        headers=buyer.headers,
    )
    events = (await admin.get(f"{ADMIN}/events", params={"pending": True})).json()
    assert [(e["type"], e["typeName"], e["audience"], e["target"]) for e in events] == [
        (301, "DocumentReady", "Seller", SELLER_TAX)
    ]
    assert events[0]["payload"]["PoCode"] == po["PoCode"]
    assert events[0]["payload"]["GrandTotal"] == create_body()["GrandTotal"]
    assert events[0]["deliveredAt"] == ""


async def test_the_operator_token_is_required(client: httpx.AsyncClient, runtime: Runtime) -> None:
    before = state(runtime)
    for method, path in [
        ("GET", "/accounts"),
        ("POST", "/accounts"),
        ("POST", "/keys/rotate"),
        ("GET", "/events"),
    ]:
        response = await client.request(method, ADMIN + path, headers={"Authorization": "Bearer x"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert state(runtime) == before
