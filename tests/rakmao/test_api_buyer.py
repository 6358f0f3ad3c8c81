"""Buyer routes over HTTP: create (Draft, PoCode per Bangkok day), edit while Draft, lists with
their filters, documents, exact money, and scoping to the token's OrgId."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.rakmao.models import PoCounter, PoItem, PurchaseOrder
from tests.rakmao.conftest import (
    ORG_A,
    ORG_B,
    PO,
    Login,
    Session,
    as_json,
    create_body,
    create_po,
    error,
    set_status,
    state,
)


async def document(client: httpx.AsyncClient, who: Session, po_id: str) -> dict[str, Any]:
    response = await client.get(
        f"{PO}/Buyer/{who.account.org_id}/Document", params={"PoId": po_id}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    [po] = response.json()["data"]
    result: dict[str, Any] = po
    return result


async def test_create_makes_a_draft_with_the_days_next_po_code(
    client: httpx.AsyncClient, buyer: Session, clock: FixedClock, login: Login
) -> None:
    first = await create_po(client, buyer)
    second = await create_po(client, buyer)
    assert (first["PoCode"], second["PoCode"]) == ("PO-251120-0001", "PO-251120-0002")
    # Numbering follows the Bangkok day: 23:59 Bangkok is still the 20th, 00:00 the 21st.
    clock.set(dt.datetime(2025, 11, 20, 23, 59, 59, tzinfo=BANGKOK))
    late = await login(buyer.account)
    assert (await create_po(client, late))["PoCode"] == "PO-251120-0003"
    clock.set(dt.datetime(2025, 11, 20, 17, 0, 0, tzinfo=dt.UTC))  # 00:00 on the 21st
    assert (await create_po(client, late))["PoCode"] == "PO-251121-0001"
    po = await document(client, late, first["PoId"])
    assert (po["Status"], po["PoCode"], po["CreateDate"]) == (
        3,
        "PO-251120-0001",
        "2025-11-20 10:30:00",
    )


async def test_a_days_ten_thousandth_po_gets_five_digits_and_its_search_text(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    """PoCode's number is at least four digits, more past 9,999 (PostgreSQL makes it in SQL,
    ``logic._CREATE_IN_ONE``); the stored search text and items are the create's."""
    with runtime.db.write() as session:
        session.execute(insert(PoCounter).values(day=dt.date(2025, 11, 20), last=9_998))
    body = create_body(ProjectName="โครงการ ABC", VendorName="ร้าน XYZ", DocumentReference="PR-9")
    codes = [(await create_po(client, buyer, **body))["PoCode"] for _ in range(2)]
    assert codes == ["PO-251120-9999", "PO-251120-10000"]
    with runtime.db.read() as session:
        po = session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.po_code == "PO-251120-10000")
        ).one()
        items = session.scalars(
            select(PoItem).where(PoItem.po_id == po.id).order_by(PoItem.line)
        ).all()
    assert po.search_text == "po-251120-10000\nโครงการ abc\nร้าน xyz\npr-9"
    sent = body["PoItemDetail"]
    assert [(i.line, i.description, i.unit) for i in items] == [
        (n, item["Description"], item["Unit"]) for n, item in enumerate(sent)
    ]
    assert len(items) == len(sent) > 0


async def test_the_document_holds_what_was_sent(client: httpx.AsyncClient, buyer: Session) -> None:
    body = create_body()
    created = await create_po(client, buyer)
    po = await document(client, buyer, created["PoId"])
    for name in (
        "OrgId",
        "OrgName",
        "RfqId",
        "QuotationId",
        "ProjectName",
        "VendorName",
        "Note",
        "DocumentReference",
        "SellerTaxId",
        "BuyerTaxId",
        "CreateType",
        "ContactName",
    ):
        assert po[name] == body[name], name
    # Totals are stored as the buyer sends them (the example's TotalItem 13 for 4 items).
    assert (po["TotalItem"], po["GrandTotal"], po["GrandTotalDeliveryFee"]) == (13, 450, 500)
    assert [(i["Quantity"], i["Price"], i["Unit"]) for i in po["PoItemDetail"]] == [
        (i["Quantity"], i["Price"], i["Unit"]) for i in body["PoItemDetail"]
    ]


async def test_money_is_exact_decimal_end_to_end(client: httpx.AsyncClient, buyer: Session) -> None:
    items = [{**create_body()["PoItemDetail"][0], "Quantity": "0.1", "Price": "12345678901.2345"}]
    content = (
        as_json(create_body(PoItemDetail=items, GrandTotal="0.3", VatRate="7"))
        .replace(b'"0.1"', b"0.1")
        .replace(b'"12345678901.2345"', b"12345678901.2345")
        .replace(b'"0.3"', b"0.3")
    )
    response = await client.post(
        f"{PO}/Buyer",
        content=content,
        headers={**buyer.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    raw = (
        await client.get(
            f"{PO}/Buyer/{ORG_A}/Document",
            params={"PoId": response.json()["data"]["PoId"]},
            headers=buyer.headers,
        )
    ).content
    # JSON numbers written exactly (not 0.30000000000000004, not strings).
    assert b'"GrandTotal":0.3,' in raw
    assert b'"Quantity":0.1,"Price":12345678901.2345,' in raw
    assert b'"VatRate":7,' in raw


async def test_edit_matches_items_by_id_adds_new_and_removes_missing(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    created = await create_po(client, buyer)
    before = (await document(client, buyer, created["PoId"]))["PoItemDetail"]
    kept, changed = before[0], before[2]
    edit = {
        **{k: v for k, v in create_body().items() if k != "PoItemDetail"},
        "ContactName": "สมหญิง",
        "GrandTotal": 999.5,
        "PoItemDetail": [
            {
                "PoItemId": changed["PoItemId"],
                "Quantity": 2,
                "Price": 49999.75,
                "Unit": "ชิ้น",
                "Description": "sircon v2",
                "Note": "แก้ไข",
            },
            {"Quantity": 5, "Price": 10, "Unit": "กล่อง", "Description": "ใหม่"},
            {
                "poitemid": kept["PoItemId"],
                "quantity": 99,
                "price": 1250,
                "unit": "gg",
                "description": "Iron ",
            },
        ],
    }
    response = await client.put(f"{PO}/Buyer/{created['PoId']}", json=edit, headers=buyer.headers)
    assert (response.status_code, response.json()) == (
        200,
        {"status": 200, "message": "Success", "data": True},
    )
    after = await document(client, buyer, created["PoId"])
    assert (after["ContactName"], after["GrandTotal"], after["Status"]) == ("สมหญิง", 999.5, 3)
    items = after["PoItemDetail"]
    assert [i["Description"] for i in items] == ["sircon v2", "ใหม่", "Iron "]
    assert items[0]["PoItemId"] == changed["PoItemId"]
    assert items[0]["Price"] == 49999.75
    assert items[2]["PoItemId"] == kept["PoItemId"]
    assert items[2]["RfqItemId"] == kept["RfqItemId"]  # kept items keep their references
    assert items[1]["PoItemId"] not in {i["PoItemId"] for i in before}
    assert items[1]["RfqItemId"] is None


async def test_edit_refuses_a_repeated_item_id_and_a_po_past_draft(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    created = await create_po(client, buyer)
    item = (await document(client, buyer, created["PoId"]))["PoItemDetail"][0]
    line = {
        "PoItemId": item["PoItemId"],
        "Quantity": 1,
        "Price": 1,
        "Unit": "u",
        "Description": "d",
    }
    edit = {**create_body(), "PoItemDetail": [line, line]}
    before = state(runtime)
    twice = await client.put(f"{PO}/Buyer/{created['PoId']}", json=edit, headers=buyer.headers)
    assert twice.json() == error(
        400, f"PoItemId {item['PoItemId']} appears twice (PoItemDetail[1])"
    )
    set_status(runtime, created["PoId"], 1)
    before = state(runtime)
    sent = await client.put(
        f"{PO}/Buyer/{created['PoId']}",
        json={**edit, "PoItemDetail": [line]},
        headers=buyer.headers,
    )
    assert sent.json() == error(
        409, f"PO {created['PoCode']} is Preview (1); only a Draft (3) can be edited"
    )
    assert state(runtime) == before


async def list_codes(
    client: httpx.AsyncClient, who: Session, **params: Any
) -> tuple[int, list[str]]:
    response = await client.get(f"{PO}/Buyer/{ORG_A}", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return data["count"], [i["PoCode"] for i in data["item"]]


async def test_list_filters_by_keyword_in_any_case_and_in_thai(
    client: httpx.AsyncClient, buyer: Session
) -> None:
    await create_po(client, buyer, ProjectName="โครงการบ้านสวน", VendorName="ACME Steel")
    await create_po(client, buyer, ProjectName="Condo Tower", VendorName="ร้านวัสดุเจริญ")
    await create_po(client, buyer, DocumentReference="PR-777", ProjectName="x", VendorName="y")
    assert await list_codes(client, buyer, Keyword="บ้านสวน") == (1, ["PO-251120-0001"])
    assert await list_codes(client, buyer, keyword="acme") == (1, ["PO-251120-0001"])
    assert await list_codes(client, buyer, KEYWORD="CONDO tower") == (1, ["PO-251120-0002"])
    assert await list_codes(client, buyer, Keyword="เจริญ") == (1, ["PO-251120-0002"])
    assert await list_codes(client, buyer, Keyword="pr-777") == (1, ["PO-251120-0003"])
    assert await list_codes(client, buyer, Keyword="po-251120-0002") == (1, ["PO-251120-0002"])
    assert await list_codes(client, buyer, Keyword="%") == (0, [])
    assert await list_codes(client, buyer, Keyword="_") == (0, [])
    assert await list_codes(client, buyer, Keyword="") == (
        3,
        ["PO-251120-0003", "PO-251120-0002", "PO-251120-0001"],
    )


async def test_list_filters_by_status_and_pages(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    created = [await create_po(client, buyer) for _ in range(12)]
    set_status(runtime, created[0]["PoId"], -2)
    set_status(runtime, created[5]["PoId"], -2)
    assert await list_codes(client, buyer, status=-2) == (2, ["PO-251120-0006", "PO-251120-0001"])
    assert (await list_codes(client, buyer, status=0))[0] == 12
    count, first = await list_codes(client, buyer)
    assert (count, len(first), first[0]) == (12, 10, "PO-251120-0012")  # defaults: page 1, 10
    assert await list_codes(client, buyer, page=2) == (12, ["PO-251120-0002", "PO-251120-0001"])
    assert await list_codes(client, buyer, page=3) == (12, [])
    assert await list_codes(client, buyer, page=4, perpage=3) == (
        12,
        ["PO-251120-0003", "PO-251120-0002", "PO-251120-0001"],
    )
    assert (await list_codes(client, buyer, perpage=100))[1] == [
        f"PO-251120-{n:04d}" for n in range(12, 0, -1)
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"perpage": 101}, "perpage must be between 1 and 100 (perpage)"),
        ({"PerPage": 0}, "perpage must be between 1 and 100 (perpage)"),
        ({"page": 0}, "page must be between 1 and 1000000 (page)"),
        ({"page": "two"}, "page must be a whole number (page)"),
        ({"status": 9}, "status must be between -7 and 4 (status)"),
        ({"Status": "x"}, "status must be a whole number (status)"),
        ({"Keyword": "k" * 201}, "Keyword must be at most 200 characters (Keyword)"),
    ],
)
async def test_bad_list_parameters_are_400(
    client: httpx.AsyncClient, buyer: Session, params: dict[str, Any], message: str
) -> None:
    response = await client.get(f"{PO}/Buyer/{ORG_A}", params=params, headers=buyer.headers)
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert response.json()["data"] is None
    assert message in response.json()["message"] or response.json()["message"].endswith(
        f"({next(iter(params))})"
    ), response.json()


async def test_documents_by_quotation_and_rfq(client: httpx.AsyncClient, buyer: Session) -> None:
    q1, q2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    rfq = "33333333-3333-4333-8333-333333333333"
    a = await create_po(client, buyer, QuotationId=q1, RfqId=rfq)
    b = await create_po(client, buyer, QuotationId=q2, RfqId=rfq)

    async def ids(**params: str) -> list[str]:
        response = await client.get(
            f"{PO}/Buyer/{ORG_A}/Document", params=params, headers=buyer.headers
        )
        assert response.status_code == 200, response.text
        return [po["PoId"] for po in response.json()["data"]]

    assert await ids(QuotationId=q1) == [a["PoId"]]
    assert await ids(quotationid=q2.upper()) == [b["PoId"]]
    assert await ids(RfqId=rfq) == [b["PoId"], a["PoId"]]
    assert await ids(RfqId=rfq, QuotationId=q2) == [b["PoId"]]
    assert await ids(PoId="44444444-4444-4444-8444-444444444444") == []
    missing = await client.get(f"{PO}/Buyer/{ORG_A}/Document", headers=buyer.headers)
    assert missing.json() == error(400, "Give one of PoId, QuotationId or RfqId")
    bad = await client.get(
        f"{PO}/Buyer/{ORG_A}/Document", params={"PoId": "nope"}, headers=buyer.headers
    )
    assert bad.json() == error(400, "PoId must be a GUID")


async def test_another_org_sees_nothing_and_changes_nothing(
    client: httpx.AsyncClient,
    buyer: Session,
    other_buyer: Session,
    seller: Session,
    runtime: Runtime,
) -> None:
    po = await create_po(client, buyer)
    before = state(runtime)
    h = other_buyer.headers
    answers = [
        await client.get(f"{PO}/Buyer/{ORG_A}", headers=h),
        await client.get(f"{PO}/Buyer/{ORG_A}/Document", params={"PoId": po["PoId"]}, headers=h),
        await client.post(f"{PO}/Buyer", content=as_json(create_body()), headers=h),
    ]
    assert [(r.status_code, r.json()["message"]) for r in answers] == [
        (403, "OrgId is not your organisation's"),
        (403, "OrgId is not your organisation's"),
        (403, "OrgId is not your organisation's"),
    ]
    status = {"CreateByUserId": "1", "CreateByUserName": "x", "Status": 1}
    for response in [
        await client.put(f"{PO}/Buyer/{po['PoId']}/Status", json=status, headers=h),
        await client.put(f"{PO}/Buyer/{po['PoId']}/Status/1", json=status, headers=h),
        await client.put(f"{PO}/Buyer/{po['PoId']}", json=create_body(), headers=h),
    ]:
        assert response.json() == error(404, f"No PO {po['PoId']}")
    # Its own list is empty; a seller account cannot use Buyer routes at all.
    own = await client.get(f"{PO}/Buyer/{ORG_B}", headers=h)
    assert own.json()["data"] == {"count": 0, "item": []}
    as_seller = await client.get(f"{PO}/Buyer/{ORG_A}", headers=seller.headers)
    assert as_seller.json() == error(403, "This account does not act for a buyer organisation")
    # Its own BuyerTaxId only.
    wrong_tax = await client.post(
        f"{PO}/Buyer", content=as_json(create_body(BuyerTaxId="123")), headers=buyer.headers
    )
    assert wrong_tax.json() == error(403, "BuyerTaxId is not your organisation's")
    assert state(runtime) == before
