"""The operator API at /admin/easyslip: applications, plans, credit, branches (key shown once,
stored hashed), the ledger (one transfer, a JSON list, CSV), and its own auth and envelope."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from saphan.core.runtime import Runtime
from saphan.easyslip.models import Branch, Transfer

ADMIN = "/admin/easyslip"
PREFIX = "/easyslip/v2"


async def _app(admin: httpx.AsyncClient, **fields: object) -> dict[str, object]:
    body = {"name": "Shop", "email": "shop@example.com", "quotaMax": 3, **fields}
    response = await admin.post(f"{ADMIN}/applications", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


async def test_an_application_its_branch_and_a_verification(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app = await _app(admin, productName="Basic", credit=10)
    assert app["used"] == 0
    assert app["quotaMax"] == 3
    assert app["status"] == "active"
    branch = await admin.post(f"{ADMIN}/applications/{app['id']}/branches", json={"name": "POS 1"})
    assert branch.status_code == 201
    key = branch.json()["key"]
    assert branch.json()["prefix"] == key[:8]
    with runtime.db.read() as session:
        digests = list(session.scalars(select(Branch.digest)))
    assert key not in digests
    assert all(len(d) == 64 for d in digests)
    listed = (await admin.get(f"{ADMIN}/applications/{app['id']}/branches")).json()
    assert "key" not in listed[0]

    recorded = await admin.post(
        f"{ADMIN}/transfers",
        json={
            "bankCode": "004",
            "transRef": "ADMIN0001",
            "amount": "99.50",
            "receiverAccount": "1234567890",
        },
    )
    assert recorded.json() == {"created": 1}
    [transfer] = (await admin.get(f"{ADMIN}/transfers")).json()
    verified = await client.post(
        f"{PREFIX}/verify/bank",
        json={"payload": transfer["payload"]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert verified.status_code == 200
    assert verified.json()["data"]["amountInSlip"] == 99.5
    again = (await admin.get(f"{ADMIN}/applications/{app['id']}")).json()
    assert (again["used"], again["totalUsed"]) == (1, 1)


async def test_plan_credit_and_branch_changes(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    app = await _app(admin)
    plan = await admin.patch(
        f"{ADMIN}/applications/{app['id']}", json={"productName": "Pro Plan", "quotaMax": None}
    )
    assert plan.json()["productName"] == "Pro Plan"
    assert plan.json()["quotaMax"] is None
    credit = await admin.post(f"{ADMIN}/applications/{app['id']}/credit", json={"amount": 500})
    assert credit.json()["credit"] == 500
    less = await admin.post(f"{ADMIN}/applications/{app['id']}/credit", json={"amount": -900})
    assert less.json()["credit"] == 0
    branch = (
        await admin.post(f"{ADMIN}/applications/{app['id']}/branches", json={"name": "B"})
    ).json()
    headers = {"Authorization": f"Bearer {branch['key']}"}
    off = await admin.patch(f"{ADMIN}/branches/{branch['id']}", json={"isActive": False})
    assert off.json()["isActive"] is False
    assert (await client.get(f"{PREFIX}/info", headers=headers)).json()["error"][
        "code"
    ] == "BRANCH_INACTIVE"
    await admin.patch(f"{ADMIN}/branches/{branch['id']}", json={"isActive": True})
    info = (await client.get(f"{PREFIX}/info", headers=headers)).json()["data"]
    assert info["product"] == {"name": "Pro Plan"}
    assert info["account"]["credit"] == 0
    assert info["application"]["quota"]["max"] is None


async def test_csv_import_is_all_or_nothing(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    good = (
        "bankCode,transRef,amount,senderNameEn,receiverBankCode,receiverAccount,date\n"
        "014,CSV0001,100.00,A B,004,1234567890,2025-11-19T10:00:00+07:00\n"
        "002,CSV0002,1.25,C D,006,,\n"
    )
    response = await admin.post(
        f"{ADMIN}/transfers", content=good.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.json() == {"created": 2}, response.text
    bad = "bankCode,transRef,amount\n014,CSV0003,5.00\n999,CSV0004,5.00\n"
    response = await admin.post(
        f"{ADMIN}/transfers", content=bad.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert "records[1].bankCode" in response.json()["error"]["message"]
    dup = "bankCode,transRef,amount\n014,CSV0005,5.00\n014,CSV0001,5.00\n"
    response = await admin.post(
        f"{ADMIN}/transfers", content=dup.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 409
    with runtime.db.read() as session:
        assert sorted(session.scalars(select(Transfer.trans_ref))) == ["CSV0001", "CSV0002"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/applications", {"name": "", "email": "a@b.c"}, 422),
        ("/applications", {"name": "x", "email": "nope"}, 422),
        ("/applications", {"name": "x", "email": "a@b.c", "quotaMax": -1}, 422),
        ("/applications", {"name": "x", "email": "a@b.c", "allowedIps": "10.0.0.0/8,nope"}, 422),
        # NUL anywhere: the input boundary's 400 (core.boundary); a name's other control and
        # bidi formatting characters: the model's 422
        ("/applications", {"name": "x\u0000", "email": "a@b.c"}, 400),
        ("/applications", {"name": "x", "email": "a\u0000@b.c"}, 400),
        ("/transfers", {"amount": "1.00", "senderNameEn": "A\u0000"}, 400),
        ("/applications", {"name": "x\u202e", "email": "a@b.c"}, 422),
        ("/applications", {"name": "x\u0085", "email": "a@b.c"}, 422),
        ("/transfers", {"amount": "1.00", "senderNameEn": "A\tB"}, 422),
        ("/applications/999/branches", {"name": "x"}, 404),
        ("/transfers", {"amount": "0"}, 422),
        ("/transfers", {"amount": "1.001"}, 422),
        ("/transfers", "just text", 400),
    ],
)
async def test_bad_operator_requests(
    admin: httpx.AsyncClient, path: str, body: object, status: int
) -> None:
    response = await admin.post(f"{ADMIN}{path}", json=body)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}


async def test_the_operator_token_is_needed(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ADMIN}/applications")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    wrong = await client.get(f"{ADMIN}/applications", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    "field", ["name", "email", "productName", "autoRenewExpired", "status", "expiresAt"]
)
async def test_only_quota_max_is_documented_and_taken_as_null(
    admin: httpx.AsyncClient, field: str
) -> None:
    """A schemathesis run sent ``"email": null`` as the document then allowed: 422 it must be,
    and the document says so; ``quotaMax: null`` (unlimited) stays allowed."""
    document = (await admin.get(f"{ADMIN}/openapi.json")).json()
    properties = document["components"]["schemas"]["ApplicationUpdate"]["properties"]
    assert "anyOf" not in properties[field]
    assert properties[field].get("type") != "null"
    assert {"type": "null"} in properties["quotaMax"]["anyOf"]
    app = await _app(admin)
    response = await admin.patch(f"{ADMIN}/applications/{app['id']}", json={field: None})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    listed = (await admin.get(f"{ADMIN}/applications/{app['id']}")).json()
    assert listed == app
