"""Every cell of the status table (saphan.rakmao.status.MOVES, docs/rakmao.md): for each side,
each current status and each requested status, an allowed move answers 200 and records exactly
its event (in the same transaction); any other is 409 naming both statuses and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from saphan.core.runtime import Runtime
from saphan.rakmao import status as machine
from saphan.rakmao.models import Event, PurchaseOrder
from saphan.rakmao.schemas import STATUS_NAMES
from tests.rakmao.conftest import PO, SELLER_TAX, Session, create_po, error, set_status

ALL = list(STATUS_NAMES)
SELLER_ROUTES = {machine.SELLER_REJECT: "Reject", machine.SELLER_REQUEST_CANCEL: "RequestCancel"}


def po_row(runtime: Runtime, po_id: str) -> tuple[dict[str, Any], list[Any]]:
    with runtime.db.read() as session:
        po = session.get(PurchaseOrder, po_id)
        assert po is not None
        row = {c.name: getattr(po, c.name) for c in PurchaseOrder.__table__.columns}
        events = [
            (e.type, e.audience, e.target, orjson.loads(e.payload))
            for e in session.scalars(select(Event).where(Event.po_id == po_id).order_by(Event.id))
        ]
    return row, events


def expected_payload(event: int, po: dict[str, Any]) -> dict[str, Any]:
    base = {"PoId": po["id"], "RfqId": po["rfq_id"], "QuotationId": po["quotation_id"]}
    if event == machine.DOCUMENT_READY:
        return {
            "PoId": po["id"],
            "PoCode": po["po_code"],
            "RfqId": po["rfq_id"],
            "QuotationId": po["quotation_id"],
            "DocumentFileUrl": "path to file ",
            "ContactName": "นะจ๊ะ",
            "ContactPhone": "010001100",
            "PoCreateType": 1,
            "ProjectName": "โครงการทดสอบ",
            "GrandTotal": 450,
            "BuyerOrgRefId": po["org_id"],
        }
    if event == machine.CANCEL_ACCEPT:
        return base
    payload = {**base, "Status": po["status"], "CancelReason": "เหตุผล", "CancelNote": None}
    if event == machine.BUYER_NEGATE:
        payload["ActionByType"] = "Buyer"
    else:
        payload["CancelNote"] = "หมายเหตุ"
    return payload


async def test_every_buyer_cell(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    po_id = (await create_po(client, buyer))["PoId"]
    allowed = 0
    for current in ALL:
        for target in ALL:
            set_status(runtime, po_id, current)
            before, events_before = po_row(runtime, po_id)
            body = {"CreateByUserId": "1", "CreateByUserName": "ผู้ซื้อ", "Reason": "เหตุผล"}
            response = await client.put(
                f"{PO}/Buyer/{po_id}/Status/{target}", json=body, headers=buyer.headers
            )
            after, events = po_row(runtime, po_id)
            cell = ("Buyer", current, target)
            if cell in machine.MOVES:
                allowed += 1
                assert response.status_code == 200, (cell, response.text)
                assert after["status"] == target
                event = machine.MOVES[cell]
                new = events[len(events_before) :]
                if event is None:
                    assert new == [], cell
                else:
                    audience, target_key = (
                        ("Buyer", after["org_id"]) if event == 402 else ("Seller", SELLER_TAX)
                    )
                    assert new == [(event, audience, target_key, expected_payload(event, after))]
            else:
                assert response.json() == error(
                    409,
                    f"PO {before['po_code']} is {machine.name(current)}; the buyer cannot move "
                    f"it to {machine.name(target)}",
                ), cell
                assert (after, events) == (before, events_before), cell
    assert allowed == sum(1 for side, *_ in machine.MOVES if side == "Buyer")


async def test_every_seller_cell(
    client: httpx.AsyncClient, buyer: Session, seller: Session, runtime: Runtime
) -> None:
    po_id = (await create_po(client, buyer))["PoId"]
    for current in ALL:
        for target, route in SELLER_ROUTES.items():
            set_status(runtime, po_id, current)
            before, events_before = po_row(runtime, po_id)
            body = {
                "CreateByUserId": "104",
                "CreateByUserName": "ผู้ขาย",
                "SellerTaxId": SELLER_TAX,
                "Reason": "เหตุผล",
                "Note": "หมายเหตุ",
            }
            response = await client.post(
                f"{PO}/Seller/{po_id}/{route}", json=body, headers=seller.headers
            )
            after, events = po_row(runtime, po_id)
            cell = ("Seller", current, target)
            if cell in machine.MOVES:
                assert response.status_code == 200, (cell, response.text)
                assert after["status"] == target
                assert events[len(events_before) :] == [
                    (402, "Buyer", after["org_id"], expected_payload(402, after))
                ]
            else:
                assert response.json() == error(
                    409,
                    f"PO {before['po_code']} is {machine.name(current)}; the seller cannot move "
                    f"it to {machine.name(target)}",
                ), cell
                assert (after, events) == (before, events_before), cell


def test_final_statuses_have_no_way_out() -> None:
    for side, current, _target in machine.MOVES:
        assert current not in machine.FINAL, (side, current)
    for status in set(ALL) - machine.FINAL:
        assert any(current == status for _, current, _ in machine.MOVES), status


async def test_status_in_path_and_body_must_agree(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    po_id = (await create_po(client, buyer))["PoId"]
    before = po_row(runtime, po_id)
    base = {"CreateByUserId": "1", "CreateByUserName": "x"}
    cases = [
        (
            f"{PO}/Buyer/{po_id}/Status/1",
            {**base, "Status": -2},
            "Status -2 in the body differs from 1 in the path",
        ),
        (f"{PO}/Buyer/{po_id}/Status", base, "Status is required (in the path or the body)"),
        (
            f"{PO}/Buyer/{po_id}/Status",
            {**base, "Status": 7},
            "Status 7 is not a POStatusEnum value",
        ),
        (
            f"{PO}/Buyer/{po_id}/Status",
            {**base, "Status": 1, "PoId": "44444444-4444-4444-8444-444444444444"},
            "PoId in the body differs from the PoId in the path",
        ),
    ]
    for url, body, message in cases:
        response = await client.put(url, json=body, headers=buyer.headers)
        assert response.json() == error(400, message), url
    assert po_row(runtime, po_id) == before
    same = await client.put(
        f"{PO}/Buyer/{po_id}/Status/1",
        json={**base, "status": 1, "PoId": po_id},
        headers=buyer.headers,
    )
    assert same.status_code == 200, same.text


def test_the_table_in_the_docs_is_the_table_in_the_code() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "rakmao.md").read_text()
    header = next(line for line in docs.splitlines() if line.startswith("| from \\ to |"))
    targets = [int(cell.split()[-1]) for cell in header.strip("|").split("|")[1:]]
    documented: dict[tuple[str, int, int], int | None] = {}
    for line in docs.splitlines():
        if not line.startswith("| **"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        current = int(cells[0].split("**")[1].split()[-1])
        for target, cell in zip(targets, cells[1:], strict=True):
            for part in filter(None, (p.strip() for p in cell.replace("·", "").split(","))):
                side, *event = part.split()
                documented[("Buyer" if side == "B" else "Seller", current, target)] = (
                    int(event[0]) if event else None
                )
    assert documented == machine.MOVES
