"""Buyer and Seller list answers kept in memory under the party's revision
(``reading.KeptLists``): this process's own writes are listed at once, another process's within
a second, whatever column they change, and no party or page is ever answered with another's."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text

from saphan.core.db import Database
from saphan.core.runtime import Runtime
from tests.rakmao.conftest import (
    ORG_A,
    ORG_B,
    PO,
    SELLER_TAX,
    Session,
    create_body,
    create_po,
    example,
    set_status,
)

BUYER_LIST = f"Buyer/{ORG_A}"
SELLER_LIST = f"Seller/{SELLER_TAX}"


async def listed(client: httpx.AsyncClient, who: Session, path: str, **params: Any) -> Any:
    response = await client.get(f"{PO}/{path}", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def shown(data: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """What the list shows of each PO, by PoId."""
    return {
        item["PoId"]: (item["Status"], item["GrandTotal"], item["DocumentFileUrl"])
        for item in data["item"]
    }


async def test_this_processs_writes_through_the_api_are_listed_at_once(
    client: httpx.AsyncClient, buyer: Session, seller: Session
) -> None:
    first = await create_po(client, buyer)
    for _ in range(2):  # the second answer from memory
        assert shown(await listed(client, buyer, BUYER_LIST)) == {
            first["PoId"]: (3, 500, "path to file ")
        }
    second = await create_po(client, buyer)
    assert (await listed(client, buyer, BUYER_LIST))["count"] == 2

    edit = create_body(GrandTotalDeliveryFee=777, DocumentFileUrl="https://example.com/po.pdf")
    edited = await client.put(f"{PO}/Buyer/{second['PoId']}", json=edit, headers=buyer.headers)
    assert edited.status_code == 200, edited.text
    assert shown(await listed(client, buyer, BUYER_LIST))[second["PoId"]] == (
        3,
        777,
        "https://example.com/po.pdf",
    )

    assert (await listed(client, seller, SELLER_LIST))["count"] == 0
    send = {**example("ChangeStatus.request.json"), "Status": 1}
    sent = await client.put(f"{PO}/Buyer/{first['PoId']}/Status", json=send, headers=buyer.headers)
    assert sent.status_code == 200, sent.text
    assert shown(await listed(client, buyer, BUYER_LIST))[first["PoId"]][0] == 1
    assert list(shown(await listed(client, seller, SELLER_LIST))) == [first["PoId"]]

    reject = {"CreateByUserId": "104", "CreateByUserName": "Test man", "SellerTaxId": SELLER_TAX}
    rejected = await client.post(
        f"{PO}/Seller/{first['PoId']}/Reject", json=reject, headers=seller.headers
    )
    assert rejected.status_code == 200, rejected.text
    assert shown(await listed(client, seller, SELLER_LIST))[first["PoId"]][0] == -3
    assert shown(await listed(client, buyer, BUYER_LIST))[first["PoId"]][0] == -3


async def test_another_processs_write_is_listed_within_a_second(
    client: httpx.AsyncClient, buyer: Session, database_url: str
) -> None:
    """Another process: a ``Database`` of its own, whose writes this app never sees made. The
    write changes only columns the list shows, not what filters or orders it."""
    po = await create_po(client, buyer)
    before = await listed(client, buyer, BUYER_LIST)
    assert before == await listed(client, buyer, BUYER_LIST)
    other = Database(database_url)
    try:
        with other.begin() as conn:
            conn.execute(
                text(
                    "UPDATE rakmao_po SET grand_total_delivery_fee = 123, project_name = 'ใหม่', "
                    "document_file_url = 'elsewhere' WHERE id = :id"
                ),
                {"id": po["PoId"]},
            )
    finally:
        other.dispose()
    for _ in range(40):
        after = await listed(client, buyer, BUYER_LIST)
        if after != before:
            break
        await asyncio.sleep(0.05)
    [item] = after["item"]
    assert (item["GrandTotal"], item["ProjectName"], item["DocumentFileUrl"]) == (
        123,
        "ใหม่",
        "elsewhere",
    )


async def test_parties_filters_and_pages_are_kept_apart(
    client: httpx.AsyncClient, buyer: Session, other_buyer: Session, runtime: Runtime
) -> None:
    mine = [await create_po(client, buyer, ProjectName=f"โครงการ {i}") for i in range(3)]
    theirs = await create_po(client, other_buyer, OrgId=ORG_B, BuyerTaxId="9999")
    set_status(runtime, mine[0]["PoId"], 1)
    for _ in range(2):  # the second time from memory
        codes = {
            "all": [i["PoCode"] for i in (await listed(client, buyer, BUYER_LIST))["item"]],
            "page 2": [
                i["PoCode"]
                for i in (await listed(client, buyer, BUYER_LIST, page=2, perpage=2))["item"]
            ],
            "status 1": [
                i["PoCode"] for i in (await listed(client, buyer, BUYER_LIST, status=1))["item"]
            ],
            "keyword": [
                i["PoCode"]
                for i in (await listed(client, buyer, BUYER_LIST, Keyword="โครงการ 2"))["item"]
            ],
            "theirs": [
                i["PoCode"] for i in (await listed(client, other_buyer, f"Buyer/{ORG_B}"))["item"]
            ],
        }
        assert codes == {
            "all": [po["PoCode"] for po in reversed(mine)],
            "page 2": [mine[0]["PoCode"]],
            "status 1": [mine[0]["PoCode"]],
            "keyword": [mine[2]["PoCode"]],
            "theirs": [theirs["PoCode"]],
        }
