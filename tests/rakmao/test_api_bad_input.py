"""Every kind of bad input to the PO routes: a 4xx in Rakmao's envelope naming the problem, and
nothing changed (no PO, item, event or PoCode number used)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.rakmao.conftest import PO, Session, as_json, create_body, create_po, state

ITEM = create_body()["PoItemDetail"][0]


def without(name: str) -> dict[str, Any]:
    body = create_body()
    del body[name]
    return body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (without("OrgId"), "Field required (OrgId)"),
        (without("PoItemDetail"), "Field required (PoItemDetail)"),
        (without("GrandTotal"), "Field required (GrandTotal)"),
        (create_body(OrgId="not-a-guid"), "must be a GUID"),
        (create_body(RfqId=12), "Input should be a valid string (RfqId)"),
        (create_body(GrandTotal=-1), "Input should be greater than or equal to 0 (GrandTotal)"),
        (create_body(SubTotal="abc"), "Input should be a valid decimal (SubTotal)"),
        # Strings of money as the OpenAPI document's pattern writes them, and no other (item 9)
        (create_body(TotalItem=""), "Input should be a valid decimal (TotalItem)"),
        (create_body(SubTotal=" 500"), "Input should be a valid decimal (SubTotal)"),
        (create_body(SubTotal="5e2"), "Input should be a valid decimal (SubTotal)"),
        (create_body(SubTotal="+500"), "Input should be a valid decimal (SubTotal)"),
        (create_body(SubTotal="1.23456"), "Input should be a valid decimal (SubTotal)"),
        (create_body(VatRate=1.23456), "Decimal input should have no more than 4 decimal places"),
        (create_body(GrandTotal=12345678901234567), "Decimal input should have no more than 15"),
        (create_body(CreateType=9), "Input should be 1, 2 or 3 (CreateType)"),
        (create_body(VatType="three"), "Input should be a valid integer"),
        (create_body(PoItemDetail=[]), "List should have at least 1 item"),
        (create_body(PoItemDetail=[{**ITEM, "Quantity": -5}]), "(PoItemDetail[0].Quantity)"),
        (create_body(PoItemDetail=[{**ITEM, "Price": -0.01}]), "(PoItemDetail[0].Price)"),
        (create_body(PoItemDetail=[{**ITEM, "Unit": None}]), "(PoItemDetail[0].Unit)"),
        (create_body(PoItemDetail=["x"]), "PoItemDetail[0]"),
        (create_body(SellerTaxId=""), "(SellerTaxId)"),
        (create_body(SellerTaxId="11 22"), "(SellerTaxId)"),
        (create_body(ProjectName="ก" * 501), "at most 500 characters (ProjectName)"),
        ([create_body()], "The body must be a JSON object"),
        ("text", "The body must be a JSON object"),
    ],
)
async def test_bad_create_bodies_are_400(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime, body: Any, message: str
) -> None:
    before = state(runtime)
    response = await client.post(
        f"{PO}/Buyer",
        content=as_json(body),
        headers={**buyer.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    answer = response.json()
    assert (answer["status"], answer["data"]) == (400, None)
    assert message in answer["message"], answer["message"]
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("content", "content_type", "status", "message"),
    [
        (b"", "application/json", 400, "Request body is required"),
        (b"{", "application/json", 400, "Malformed JSON body"),
        (b'{"a": 1 "b": 2}', "application/json", 400, "Malformed JSON body: Expecting ','"),
        (b"\xff\xfe", "application/json", 400, "Malformed JSON body: the body is not UTF-8"),
        (b'{"a": NaN}', "application/json", 400, "Malformed JSON body: NaN"),
        (b"[" * 100_000, "application/json", 400, "Malformed JSON body"),
        (b"<po/>", "application/xml", 415, "Content-Type must be application/json"),
        (b"x" * 1_100_000, "application/json", 413, "Request body too large"),
    ],
)
async def test_unreadable_bodies_are_refused(
    client: httpx.AsyncClient,
    buyer: Session,
    runtime: Runtime,
    content: bytes,
    content_type: str,
    status: int,
    message: str,
) -> None:
    before = state(runtime)
    response = await client.post(
        f"{PO}/Buyer", content=content, headers={**buyer.headers, "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["status"] == status
    assert response.json()["message"].startswith(message), response.json()
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/Buyer/not-a-guid/Status/1", {"CreateByUserId": "1", "CreateByUserName": "x"}),
        ("PUT", "/Buyer/{po}/Status/abc", {"CreateByUserId": "1", "CreateByUserName": "x"}),
        ("PUT", "/Buyer/{po}/Status", {"CreateByUserName": "x", "Status": 1}),
        (
            "PUT",
            "/Buyer/{po}/Status",
            {"CreateByUserId": "1", "CreateByUserName": "x", "Status": 1, "ActionByType": "Robot"},
        ),
        ("PUT", "/Buyer/{po}", {"ContactName": "x"}),
        ("PUT", "/Buyer/{po}", {**create_body(), "PoItemDetail": [{**ITEM, "PoItemId": "zz"}]}),
        ("POST", "/Seller/{po}/Reject", {"CreateByUserId": "1", "CreateByUserName": "x"}),
    ],
)
async def test_bad_updates_are_400_and_change_nothing(
    client: httpx.AsyncClient,
    buyer: Session,
    runtime: Runtime,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    po = await create_po(client, buyer)
    before = state(runtime)
    response = await client.request(
        method, PO + path.format(po=po["PoId"]), json=body, headers=buyer.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400
    assert response.json()["data"] is None
    assert state(runtime) == before


async def test_unknown_routes_and_methods_answer_in_the_envelope(
    client: httpx.AsyncClient, buyer: Session
) -> None:
    missing = await client.get(f"{PO}/Nope", headers=buyer.headers)
    assert missing.json() == {"status": 404, "message": "Not found", "data": None}
    wrong = await client.delete(f"{PO}/Buyer", headers=buyer.headers)
    assert wrong.json() == {"status": 405, "message": "Method not allowed", "data": None}
    auth = await client.get("/rakmao/api/v1/Authentication/RequestAPIToken")
    assert auth.json() == {"status": 405, "message": "Method not allowed", "data": None}
