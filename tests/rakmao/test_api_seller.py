"""Seller routes over HTTP: only the token's TaxId, only POs sent to it (never drafts), and the
seller's two moves with the buyer notified."""

from __future__ import annotations

import httpx

from saphan.core.runtime import Runtime
from tests.rakmao.conftest import (
    OTHER_SELLER_TAX,
    PO,
    SELLER_TAX,
    Session,
    create_po,
    error,
    set_status,
    state,
)


def action(tax_id: str = SELLER_TAX) -> dict[str, str]:
    return {
        "CreateByUserId": "104",
        "CreateByUserName": "Test man",
        "SellerTaxId": tax_id,
        "Reason": "Cancel reason",
    }


async def test_the_seller_sees_sent_pos_only(
    client: httpx.AsyncClient, buyer: Session, seller: Session, runtime: Runtime
) -> None:
    draft = await create_po(client, buyer)
    sent = await create_po(client, buyer, ProjectName="ส่งแล้ว")
    elsewhere = await create_po(client, buyer, SellerTaxId=OTHER_SELLER_TAX)
    set_status(runtime, sent["PoId"], 1)
    set_status(runtime, elsewhere["PoId"], 1)
    listed = await client.get(f"{PO}/Seller/{SELLER_TAX}", headers=seller.headers)
    body = listed.json()["data"]
    assert body["count"] == 1
    assert [i["PoId"] for i in body["item"]] == [sent["PoId"]]
    assert body["item"][0]["BuyerOrgName"] == "ทดสอบ จำกัด"
    assert "VendorName" not in body["item"][0]
    for po in (draft, elsewhere):
        docs = await client.get(
            f"{PO}/Seller/{SELLER_TAX}/Document",
            params={"PoId": po["PoId"]},
            headers=seller.headers,
        )
        assert docs.json()["data"] == []
        before = state(runtime)
        refused = await client.post(
            f"{PO}/Seller/{po['PoId']}/Reject", json=action(), headers=seller.headers
        )
        assert refused.json() == error(404, f"No PO {po['PoId']}")
        assert state(runtime) == before
    docs = await client.get(
        f"{PO}/Seller/{SELLER_TAX}/Document", params={"PoId": sent["PoId"]}, headers=seller.headers
    )
    [document] = docs.json()["data"]
    assert (document["SenderDate"], document["CancelReason"]) == ("2025/11/20 10:30:00", None)


async def test_other_taxids_and_the_wrong_side_are_refused(
    client: httpx.AsyncClient,
    buyer: Session,
    seller: Session,
    other_seller: Session,
    runtime: Runtime,
) -> None:
    po = await create_po(client, buyer)
    set_status(runtime, po["PoId"], 1)
    before = state(runtime)
    answers = [
        await client.get(f"{PO}/Seller/{SELLER_TAX}", headers=other_seller.headers),
        await client.get(
            f"{PO}/Seller/{SELLER_TAX}/Document",
            params={"PoId": po["PoId"]},
            headers=other_seller.headers,
        ),
        await client.post(
            f"{PO}/Seller/{po['PoId']}/Reject", json=action(), headers=other_seller.headers
        ),
        await client.post(
            f"{PO}/Seller/{po['PoId']}/RequestCancel",
            json=action(OTHER_SELLER_TAX),
            headers=seller.headers,
        ),
    ]
    assert [(r.status_code, r.json()["message"]) for r in answers] == [
        (403, "TaxId is not your own")
    ] * 4
    wrong_po = await client.post(
        f"{PO}/Seller/{po['PoId']}/Reject",
        json=action(OTHER_SELLER_TAX),
        headers=other_seller.headers,
    )
    assert wrong_po.json() == error(404, f"No PO {po['PoId']}")
    as_buyer = await client.get(f"{PO}/Seller/{SELLER_TAX}", headers=buyer.headers)
    assert as_buyer.json() == error(403, "This account does not act for a seller")
    assert state(runtime) == before


async def test_reject_records_the_reason_and_tells_the_buyer(
    client: httpx.AsyncClient, buyer: Session, seller: Session, runtime: Runtime
) -> None:
    po = await create_po(client, buyer)
    sent = await client.put(
        f"{PO}/Buyer/{po['PoId']}/Status/1",
        json={"CreateByUserId": "1", "CreateByUserName": "x"},
        headers=buyer.headers,
    )
    assert sent.status_code == 200
    response = await client.post(
        f"{PO}/Seller/{po['PoId']}/Reject",
        json={**action(), "Note": "ราคาไม่ตรง"},
        headers=seller.headers,
    )
    assert response.json() == {"status": 200, "message": "Success", "data": True}
    [document] = (
        await client.get(
            f"{PO}/Seller/{SELLER_TAX}/Document",
            params={"PoId": po["PoId"]},
            headers=seller.headers,
        )
    ).json()["data"]
    assert (document["Status"], document["CancelReason"], document["CancelNote"]) == (
        -3,
        "Cancel reason",
        "ราคาไม่ตรง",
    )
    listed = await client.get(
        f"{PO}/Buyer/{buyer.account.org_id}", params={"status": -3}, headers=buyer.headers
    )
    assert [i["PoId"] for i in listed.json()["data"]["item"]] == [po["PoId"]]
