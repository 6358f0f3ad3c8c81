"""The list's speed structures stay exact: ``rakmao_po_tally`` (a list's count without Keyword)
through creates, edits and status changes, and the trigram index (SQLite FTS5, PostgreSQL
pg_trgm) giving exactly what a plain substring scan gives, Thai included."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text

from saphan.core.runtime import Runtime
from saphan.rakmao.logic import search_text
from saphan.rakmao.models import PoTally, PurchaseOrder
from saphan.rakmao.reading import Positions, Searches
from tests.rakmao.conftest import (
    ORG_A,
    ORG_B,
    PO,
    SELLER_TAX,
    Session,
    create_body,
    create_po,
)


def tallies(runtime: Runtime) -> dict[tuple[str, str, int], int]:
    with runtime.db.read() as session:
        return {(t.side, t.party, t.status): t.n for t in session.scalars(select(PoTally)) if t.n}


def real_counts(runtime: Runtime) -> dict[tuple[str, str, int], int]:
    """The same numbers counted from the POs themselves."""
    po = PurchaseOrder
    with runtime.db.read() as session:
        buyer = session.execute(
            select(po.org_id, po.status, func.count()).group_by(po.org_id, po.status)
        ).all()
        seller = session.execute(
            select(po.seller_tax_id, po.status, func.count())
            .where(po.sent_at.is_not(None))
            .group_by(po.seller_tax_id, po.status)
        ).all()
    return {
        **{("Buyer", party, status): n for party, status, n in buyer},
        **{("Seller", party, status): n for party, status, n in seller},
    }


async def listed_count(client: httpx.AsyncClient, who: Session, path: str, **params: Any) -> int:
    response = await client.get(f"{PO}/{path}", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["data"]["count"]
    return count


async def test_tallies_equal_a_real_count_through_creates_edits_and_status_changes(
    client: httpx.AsyncClient, buyer: Session, seller: Session, runtime: Runtime
) -> None:
    pos = [(await create_po(client, buyer))["PoId"] for _ in range(6)]
    assert tallies(runtime) == real_counts(runtime) == {("Buyer", ORG_A, 3): 6}

    async def move(po_id: str, status: int) -> None:
        body = {"CreateByUserId": "1", "CreateByUserName": "x", "Status": status}
        response = await client.put(
            f"{PO}/Buyer/{po_id}/Status/{status}", json=body, headers=buyer.headers
        )
        assert response.status_code == 200, response.text

    for po_id in pos[:5]:
        await move(po_id, 1)  # Draft -> Preview: now the seller's too
    await move(pos[0], 4)
    await move(pos[1], -2)
    await move(pos[5], -2)  # a Draft dropped: never the seller's
    reject = {"CreateByUserId": "9", "CreateByUserName": "s", "SellerTaxId": SELLER_TAX}
    response = await client.post(
        f"{PO}/Seller/{pos[2]}/Reject", json={**reject, "Reason": "no"}, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    edit = create_body()
    draft = (await create_po(client, buyer))["PoId"]
    response = await client.put(
        f"{PO}/Buyer/{draft}", json={**edit, "ProjectName": "แก้ไขแล้ว"}, headers=buyer.headers
    )
    assert response.status_code == 200, response.text

    expected = {
        ("Buyer", ORG_A, 1): 2,
        ("Buyer", ORG_A, 3): 1,
        ("Buyer", ORG_A, 4): 1,
        ("Buyer", ORG_A, -2): 2,
        ("Buyer", ORG_A, -3): 1,
        ("Seller", SELLER_TAX, 1): 2,
        ("Seller", SELLER_TAX, 4): 1,
        ("Seller", SELLER_TAX, -2): 1,
        ("Seller", SELLER_TAX, -3): 1,
    }
    assert real_counts(runtime) == expected
    assert tallies(runtime) == expected
    # The lists answer from the tallies; with a Keyword they count the rows: both agree.
    assert await listed_count(client, buyer, f"Buyer/{ORG_A}") == 7
    assert await listed_count(client, buyer, f"Buyer/{ORG_A}", status=-2) == 2
    assert await listed_count(client, buyer, f"Buyer/{ORG_A}", Keyword="po-") == 7
    assert await listed_count(client, seller, f"Seller/{SELLER_TAX}") == 5
    assert await listed_count(client, seller, f"Seller/{SELLER_TAX}", status=1) == 2
    assert await listed_count(client, seller, f"Seller/{SELLER_TAX}", Keyword="po-") == 5


async def test_tallies_follow_writes_that_bypass_the_api(runtime: Runtime) -> None:
    """The triggers keep the tallies, so raw writes (demo seeding, bench seeding, an operator's
    SQL) and deletes keep them exact too."""
    rows = [_row(ORG_A if i % 3 else ORG_B, i) for i in range(30)]
    with runtime.db.write() as session:
        session.execute(insert(PurchaseOrder), rows)
    assert tallies(runtime) == real_counts(runtime)
    with runtime.db.write() as session:
        session.execute(
            text("UPDATE rakmao_po SET status = -6, org_id = :org WHERE status = 1"), {"org": ORG_B}
        )
        session.execute(text("UPDATE rakmao_po SET sent_at = NULL WHERE status = 4"))
        session.execute(text("DELETE FROM rakmao_po WHERE status = 2"))
    assert tallies(runtime) == real_counts(runtime)
    assert len(real_counts(runtime)) > 4


WORDS = [
    "ร้านวัสดุก่อสร้าง",
    "โครงการบ้านพักอาศัย",
    "ปูนซีเมนต์",
    "เหล็กเส้น",
    "ก่อสร้างอาคาร",
    "Siam Steel",
    "Bangkok TOWER",
    "ไทยวัสดุ",
    "50%_off",
    'quote"d',
]


def _row(org_id: str, i: int, rng: random.Random | None = None) -> dict[str, Any]:
    rng = rng or random.Random(i)
    code = f"PO-251101-{i:04d}"
    project = " ".join(rng.sample(WORDS, 2))
    vendor = " ".join(rng.sample(WORDS, 2))
    reference = rng.choice([None, "", f"PR-{i}", rng.choice(WORDS)])
    status = rng.choice([1, 2, 3, 4, -1, -2, -3, -4, -5, -6, -7])
    stamp = dt.datetime(2025, 11, 1) + dt.timedelta(seconds=i)
    money = dict.fromkeys(("total_item", "sub_total", "beforvat", "vat_rate", "vat_amount"), 1)
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "po_code": code,
        "status": status,
        "org_id": org_id,
        "org_name": "ผู้ซื้อ",
        "buyer_tax_id": "1",
        "seller_tax_id": SELLER_TAX,
        "create_by_user_id": "1",
        "create_by_user_name": "x",
        "rfq_id": str(uuid.uuid4()),
        "quotation_id": str(uuid.uuid4()),
        "project_id": str(uuid.uuid4()),
        "project_name": project,
        "vendor_id": str(uuid.uuid4()),
        "vendor_name": vendor,
        "contact_name": "c",
        "contact_phone": "0",
        "address": "a",
        "create_type": 1,
        "document_reference": reference,
        "vat_type": 1,
        "grand_total": 1,
        "grand_total_delivery_fee": 1,
        "search_text": search_text(code, project, vendor, reference),
        "created_at": stamp,
        "updated_at": stamp,
        "sent_at": None if status == 3 else stamp,
        **money,
    }


async def test_keyword_results_equal_a_plain_scan(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    rng = random.Random(5)
    rows = [_row(ORG_A if rng.random() < 0.8 else ORG_B, i, rng) for i in range(300)]
    with runtime.db.write() as session:
        session.execute(insert(PurchaseOrder), rows)
    # An edit moves a PO's text: the index must follow it.
    with runtime.db.write() as session:
        session.execute(
            text("UPDATE rakmao_po SET search_text = :t, project_name = :p WHERE po_code = :c"),
            {"t": "po-251101-0007\nงานใหม่เอี่ยม\nx\n", "p": "งานใหม่เอี่ยม", "c": "PO-251101-0007"},
        )
        rows[7]["search_text"] = "po-251101-0007\nงานใหม่เอี่ยม\nx\n"
    keywords = [
        "วัสดุ",  # Thai, in several fields
        "ก่อสร้าง",
        "ซีเมนต์",
        "สร",  # two characters: under the trigram, the scan answers
        "เ",
        "siam",
        "STEEL",
        "bAnGkOk tow",
        "po-251101-00",
        "PO-251101-0123",
        "pr-1",
        "50%_",
        "%",
        "_",
        'e"d',
        "งานใหม่",
        "ร้านวัสดุก่อสร้าง โครง",
        "ไม่มีคำนี้เลย",
        "  วัสดุ  ",
    ]
    matched: dict[str, int] = {}
    for keyword in keywords:
        folded = keyword.strip().lower()
        expected = sorted(
            (r["created_at"], r["po_code"])
            for r in rows
            if r["org_id"] == ORG_A and folded in r["search_text"]
        )
        expected_ids = [code for _, code in reversed(expected)]
        got: list[str] = []
        page = 1
        while True:
            response = await client.get(
                f"{PO}/Buyer/{ORG_A}",
                params={"Keyword": keyword, "perpage": 100, "page": page},
                headers=buyer.headers,
            )
            assert response.status_code == 200, response.text
            data = response.json()["data"]
            assert data["count"] == len(expected_ids), keyword
            got += [item["PoCode"] for item in data["item"]]
            if len(data["item"]) < 100:
                break
            page += 1
        assert got == expected_ids, keyword
        matched[keyword] = len(expected_ids)
    # Not vacuous: Thai keywords long and short, and the LIKE wildcards as text, found rows.
    assert all(matched[k] > 5 for k in ("วัสดุ", "ก่อสร้าง", "สร", "เ", "siam", "  วัสดุ  "))
    assert all(matched[k] > 0 for k in ("50%_", "%", "_", 'e"d', "งานใหม่", "PO-251101-0123"))
    assert matched["ไม่มีคำนี้เลย"] == 0


# -- kept searches (``reading.Searches``) ----------------------------------------------------------


def scanned(runtime: Runtime, side: str, party: str, keyword: str, status: int = 0) -> list[str]:
    """What a list with ``keyword`` must hold, PoCodes newest first, worked out in Python from
    the rows as they are now."""
    with runtime.db.read() as session:
        pos = session.scalars(select(PurchaseOrder)).all()
    folded = keyword.strip().lower()
    chosen = [
        po
        for po in pos
        if (po.org_id == party if side == "Buyer" else po.seller_tax_id == party)
        and (side == "Buyer" or po.sent_at is not None)
        and (not status or po.status == status)
        and folded in po.search_text
    ]
    chosen.sort(key=lambda po: (po.created_at, po.po_code), reverse=True)
    return [po.po_code for po in chosen]


def po_app(app: Any) -> Any:
    """The ``/rakmao-po`` app among the mounted ones (its state holds the kept searches)."""
    mounted = {prefix.rstrip("/"): api for prefix, api in app.mounts}
    return getattr(mounted["/rakmao-po"], "api", mounted["/rakmao-po"])


async def listed(
    client: httpx.AsyncClient, who: Session, path: str, keyword: str, status: int = 0
) -> list[str]:
    """Every page of a list with ``keyword``, 7 at a time (pages cut through a kept search)."""
    got: list[str] = []
    page = 1
    while True:
        params: dict[str, Any] = {"Keyword": keyword, "perpage": 7, "page": page}
        if status:
            params["status"] = status
        response = await client.get(f"{PO}/{path}", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        got += [item["PoCode"] for item in data["item"]]
        if len(data["item"]) < 7:
            assert data["count"] == len(got)
            return got
        page += 1


async def test_a_kept_search_follows_every_write_by_anyone(
    client: httpx.AsyncClient, buyer: Session, seller: Session, runtime: Runtime, app: Any
) -> None:
    """A search's matches are kept in the process, under the party's revision; every kind of
    write, made outside the request path (as another process or machine would), gives the
    next identical search what a scan gives."""
    rng = random.Random(11)
    rows = [_row(ORG_A if rng.random() < 0.8 else ORG_B, i, rng) for i in range(120)]
    with runtime.db.write() as session:
        session.execute(insert(PurchaseOrder), rows)
    searches = po_app(app).state.rakmao_searches

    lists = [
        (who, side, party, keyword, status)
        for keyword in ("วัสดุ", "siam", "po-251101-00")
        for who, side, party, status in (
            (buyer, "Buyer", ORG_A, 0),
            (buyer, "Buyer", ORG_A, 2),
            (seller, "Seller", SELLER_TAX, 0),
        )
    ]

    def expected() -> list[list[str]]:
        return [scanned(runtime, side, party, kw, status) for _, side, party, kw, status in lists]

    async def agree() -> None:
        want = expected()
        for (who, side, party, keyword, status), codes in zip(lists, want, strict=True):
            got = await listed(client, who, f"{side}/{party}", keyword, status)
            assert got == codes, (side, keyword, status)

    await agree()
    assert len(searches) == len(lists)  # kept: the searches above are served from them next
    await agree()
    mine = [r["po_code"] for r in rows if r["org_id"] == ORG_A and "วัสดุ" in r["search_text"]]
    writes = [
        # a new PO that matches, newest of all
        lambda s: s.execute(insert(PurchaseOrder), [_row(ORG_A, 500, random.Random(1))]),
        # a PO's text changed: it matches now, or no longer
        lambda s: s.execute(
            text("UPDATE rakmao_po SET search_text = 'x' WHERE po_code = :c"), {"c": mine[0]}
        ),
        lambda s: s.execute(
            text("UPDATE rakmao_po SET search_text = 'siam' WHERE po_code = :c"), {"c": mine[1]}
        ),
        # a status change, POs sent to the seller, one moved to another org, one deleted
        lambda s: s.execute(text("UPDATE rakmao_po SET status = 2 WHERE status = 1")),
        lambda s: s.execute(text("UPDATE rakmao_po SET sent_at = created_at WHERE status = 3")),
        lambda s: s.execute(
            text("UPDATE rakmao_po SET org_id = :b WHERE po_code = :c"), {"b": ORG_B, "c": mine[2]}
        ),
        lambda s: s.execute(text("DELETE FROM rakmao_po WHERE po_code = :c"), {"c": mine[3]}),
        # the order: an older PO made the newest
        lambda s: s.execute(
            text("UPDATE rakmao_po SET created_at = :t WHERE po_code = :c"),
            {"t": dt.datetime(2026, 1, 1), "c": mine[-1]},
        ),
    ]
    for write in writes:
        before = expected()
        with runtime.db.write() as session:
            write(session)
        assert expected() != before  # not vacuous: each write changes what is listed
        await agree()


async def test_a_search_with_too_many_matches_is_not_kept(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime, app: Any
) -> None:
    rakmao = po_app(app)
    rakmao.state.rakmao_searches = Searches(keep=5)
    with runtime.db.write() as session:
        session.execute(insert(PurchaseOrder), [_row(ORG_A, i) for i in range(40)])
    buyer_list = f"Buyer/{ORG_A}"
    for keyword in ("po-2511", "po", "วัสดุ"):
        expected = scanned(runtime, "Buyer", ORG_A, keyword)
        assert len(expected) > 5, keyword
        assert await listed(client, buyer, buyer_list, keyword) == expected, keyword
    assert len(rakmao.state.rakmao_searches) == 0
    assert await listed(client, buyer, buyer_list, "PO-251101-0012") == ["PO-251101-0012"]
    assert len(rakmao.state.rakmao_searches) == 1


async def test_pages_without_keyword_follow_the_order_of_a_scan(
    client: httpx.AsyncClient, buyer: Session, seller: Session, runtime: Runtime, app: Any
) -> None:
    """Pages found on the list index alone, then read (``reading._plain_list``), and deep pages
    started from kept positions (``reading.Positions``, here every 7th PO): every page of
    every list, in order, ties on the creation time broken by PoCode, before and after writes
    made outside the request path."""
    positions = Positions(step=7)
    po_app(app).state.rakmao_positions = positions
    rng = random.Random(3)
    rows = [_row(ORG_A if rng.random() < 0.8 else ORG_B, i, rng) for i in range(250)]
    for row in rows[:20]:
        row["created_at"] = dt.datetime(2025, 11, 2)  # the same time: PoCode decides
    with runtime.db.write() as session:
        session.execute(insert(PurchaseOrder), rows)
    lists = [
        (who, side, party, status)
        for who, side, party in ((buyer, "Buyer", ORG_A), (seller, "Seller", SELLER_TAX))
        for status in (0, 1, 3)
    ]

    async def agree() -> None:
        for who, side, party, status in lists:
            expected = scanned(runtime, side, party, "", status)
            assert len(expected) > (7 if status else 70) or (side, status) == ("Seller", 3)
            assert await listed(client, who, f"{side}/{party}", "", status) == expected

    await agree()  # deep pages note the revision; the second works the positions out
    assert len(positions) == 5  # every list but the seller's Drafts (none: never sent)
    await agree()  # from the kept positions
    with runtime.db.write() as session:
        session.execute(insert(PurchaseOrder), [_row(ORG_A, 900, random.Random(9))])
        session.execute(text("UPDATE rakmao_po SET status = 1 WHERE status = 4"))
    await agree()  # the revision moved: by offset, then positions worked out again
    await agree()
