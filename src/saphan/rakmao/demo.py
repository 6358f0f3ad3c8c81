"""Rakmao demo data: the buyer and seller of DESIGN.md, the spec's example POs, and a few hundred
generated POs across every status (Faker th_TH project and vendor names, believable items).

Idempotent: a second run finds ``demo-buyer`` and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.rakmao import operator
from saphan.rakmao.admin_schemas import AccountCreate
from saphan.rakmao.logic import search_text
from saphan.rakmao.models import Account, PoCounter, PoItem, PurchaseOrder
from saphan.rakmao.schemas import STATUS_NAMES
from saphan.rakmao.tokens import authen_string

BUYER_USERNAME, BUYER_PASSWORD = "demo-buyer", "demo-buyer-password"
SELLER_USERNAME, SELLER_PASSWORD = "demo-seller", "demo-seller-password"
BUYER_AUTHEN = authen_string(BUYER_USERNAME, BUYER_PASSWORD)
SELLER_AUTHEN = authen_string(SELLER_USERNAME, SELLER_PASSWORD)
ORG_ID = "b1b7711b-158f-48fe-adc0-9cfb52565911"
ORG_NAME = "ทดสอบ จำกัด"
BUYER_TAX_ID = "323232211"
SELLER_TAX_ID = "112232323"
#: The PO the spec's list and document examples show (their PoId is the OrgId's GUID).
EXAMPLE_PO_ID = "b1b7711b-158f-48fe-adc0-9cfb52565911"
EXAMPLE_PO_CODE = "PO-220422-0001"
#: The PO the spec's status-change example moves (a Draft, so Status 1 sends it).
DRAFT_PO_ID = "30e410d8-4117-4669-9a28-d32b4717fadd"
DRAFT_PO_CODE = "PO-220422-0002"
GENERATED = 300

_EXAMPLE_ITEMS = [
    ("391f3266-d828-48e4-a2aa-fc5da817968a", 99, 1250, "Iron "),
    ("6a0f3c55-2b1d-4c8e-9f7a-3e5d2c1b0a91", 12, 250, "Gold "),
    ("7b1e4d66-3c2e-4d9f-8a6b-4f6e3d2c1b02", 1, 50000, "sircon "),
    ("8c2f5e77-4d3f-4eaf-9b7c-5a7f4e3d2c13", 3200, 1900000, "paper glass "),
]


def _at(text: str) -> dt.datetime:
    return to_utc_naive(dt.datetime.fromisoformat(text).replace(tzinfo=BANGKOK))


def _example_po(po_id: str, code: str, status: int, sent: dt.datetime | None) -> dict[str, Any]:
    """The spec's example PO, field for field (the create example's values)."""
    created = _at("2022-04-22 18:00:01")
    return {
        "id": po_id,
        "po_code": code,
        "status": status,
        "org_id": ORG_ID,
        "org_name": ORG_NAME,
        "buyer_tax_id": BUYER_TAX_ID,
        "seller_tax_id": SELLER_TAX_ID,
        "create_by_user_id": "",
        "create_by_user_name": "TestMan",
        "rfq_id": "cf7aba83-468d-41e1-9af8-3465189f3143",
        "quotation_id": "e3a551af-cae9-432c-adfb-77fb3f812a08",
        "project_id": "2b1be735-e90f-4700-b1d1-514ba8710a56",
        "project_name": "โครงการทดสอบ",
        "vendor_id": "490f4f7a-761a-4595-990a-ba128d7dc6f0",
        "vendor_name": "ร้านค้าทดสอบ",
        "document_file_url": "path to file ",
        "contact_name": "นะจ๊ะ",
        "contact_phone": "010001100",
        "address": "No. 1624/2 New Phetburi Road Makkasan Ratchathewi Bangkok 10400",
        "note": "-",
        "create_type": 1,
        "document_reference": "pr-001,pr-002",
        "total_item": Decimal(13),
        "sub_total": Decimal(500),
        "beforvat": Decimal(500),
        "discount": Decimal(50),
        "vat_type": 3,
        "vat_rate": Decimal(0),
        "vat_amount": Decimal(0),
        "delivery_fee": Decimal(50),
        "delivery_vat_type": 3,
        "delivery_vat_rate": Decimal(0),
        "delivery_vat_amount": Decimal(50),
        "grand_total": Decimal(450),
        "grand_total_delivery_fee": Decimal(500),
        "search_text": search_text(code, "โครงการทดสอบ", "ร้านค้าทดสอบ", "pr-001,pr-002"),
        "created_at": created,
        "sent_at": sent,
        "updated_at": sent or created,
    }


def _example_items(po_id: str, ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": item_id,
            "po_id": po_id,
            "line": line,
            "rfq_item_id": "391f3266-d828-48e4-a2aa-fc5da817968a",
            "quotation_item_id": "98a26680-160d-402c-872d-6e8750bf5f82",
            "quantity": Decimal(quantity),
            "price": Decimal(price),
            "unit": "gg",
            "description": description,
            "note": None,
        }
        for line, (item_id, (_, quantity, price, description)) in enumerate(
            zip(ids, _EXAMPLE_ITEMS, strict=True)
        )
    ]


_PROJECT_KINDS = ["บ้านพักอาศัย", "อาคารพาณิชย์", "โกดังสินค้า", "ทาวน์โฮม", "ปรับปรุงสำนักงาน"]
_MATERIALS = [
    ("ปูนซีเมนต์ปอร์ตแลนด์ 50 กก.", "ถุง", 120, 180),
    ("เหล็กเส้นกลม RB9 10 ม.", "เส้น", 95, 140),
    ("เหล็กข้ออ้อย DB12 10 ม.", "เส้น", 160, 230),
    ("ทรายหยาบ", "คิว", 450, 650),
    ("หินคลุก", "คิว", 480, 700),
    ("อิฐมอญ", "ก้อน", 1, 2),
    ("คอนกรีตผสมเสร็จ 240 ksc", "คิว", 2100, 2600),
    ("ท่อ PVC 4 นิ้ว ชั้น 8.5", "เส้น", 380, 520),
    ("สายไฟ THW 2.5 ตร.มม.", "ม้วน", 1450, 1900),
    ("กระเบื้องหลังคาลอนคู่", "แผ่น", 45, 70),
    ("สีรองพื้นปูนใหม่ 5 แกลลอน", "ถัง", 1800, 2600),
    ("ไม้อัด 10 มม.", "แผ่น", 320, 450),
]


def generated_pos(
    count: int,
    seed: int,
    today: dt.date,
    *,
    org_id: str = ORG_ID,
    org_name: str = ORG_NAME,
    buyer_tax_id: str = BUYER_TAX_ID,
    seller_tax_ids: tuple[str, ...] = (
        SELLER_TAX_ID,
        SELLER_TAX_ID,
        "105561234567",
        "994000123456",
    ),
    days: int = 120,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count`` POs (rows, item rows) over the last ``days`` days, across every status, with
    PoCodes numbered per day from 1 (see ``reserve_codes``)."""
    fake = Faker("th_TH")
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311  (reproducible demo data, not secrets)
    statuses = list(STATUS_NAMES)
    created = sorted(
        dt.datetime.combine(today, dt.time(8), BANGKOK)
        - dt.timedelta(days=rng.randint(1, days), minutes=rng.randint(0, 600))
        for _ in range(count)
    )
    per_day: Counter[dt.date] = Counter()
    pos: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for at in created:
        per_day[at.date()] += 1
        code = f"PO-{at:%y%m%d}-{per_day[at.date()]:04d}"
        po_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        status = rng.choice(statuses)
        project = f"โครงการ{rng.choice(_PROJECT_KINDS)} {fake.city_name()}"
        vendor = f"ร้าน{fake.last_name()}วัสดุก่อสร้าง"
        lines = rng.sample(_MATERIALS, rng.randint(1, 5))
        subtotal = Decimal(0)
        for line, (name, unit, low, high) in enumerate(lines):
            quantity = Decimal(rng.randint(1, 200))
            price = Decimal(rng.randint(low * 100, high * 100)) / 100
            subtotal += quantity * price
            items.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "po_id": po_id,
                    "line": line,
                    "rfq_item_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "quotation_item_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "quantity": quantity,
                    "price": price,
                    "unit": unit,
                    "description": name,
                    "note": None,
                }
            )
        discount = (subtotal * Decimal(rng.choice([0, 0, 2, 5])) / 100).quantize(Decimal("0.01"))
        before_vat = subtotal - discount
        vat = (before_vat * Decimal(7) / 100).quantize(Decimal("0.01"))
        delivery = Decimal(rng.choice([0, 0, 300, 500, 1200]))
        reference = f"PR-{at:%y%m}-{rng.randint(1, 999):03d}" if rng.random() < 0.6 else None
        stamp = to_utc_naive(at)
        sent = None if status == 3 or (status == -2 and rng.random() < 0.5) else stamp
        pos.append(
            {
                "id": po_id,
                "po_code": code,
                "status": status,
                "org_id": org_id,
                "org_name": org_name,
                "buyer_tax_id": buyer_tax_id,
                "seller_tax_id": rng.choice(seller_tax_ids),
                "create_by_user_id": str(rng.randint(100, 999)),
                "create_by_user_name": fake.name(),
                "rfq_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "quotation_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "project_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "project_name": project,
                "vendor_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "vendor_name": vendor,
                "document_file_url": None,
                "contact_name": fake.name(),
                "contact_phone": "08" + fake.numerify("########"),
                "address": fake.address().replace("\n", " "),
                "note": None,
                "create_type": rng.choice([1, 1, 2, 3]),
                "document_reference": reference,
                "total_item": Decimal(len(lines)),
                "sub_total": subtotal,
                "beforvat": before_vat,
                "discount": discount,
                "vat_type": 1,
                "vat_rate": Decimal(7),
                "vat_amount": vat,
                "delivery_fee": delivery,
                "delivery_vat_type": 3,
                "delivery_vat_rate": Decimal(0),
                "delivery_vat_amount": Decimal(0),
                "grand_total": before_vat + vat,
                "grand_total_delivery_fee": before_vat + vat + delivery,
                "search_text": search_text(code, project, vendor, reference),
                "created_at": stamp,
                "sent_at": sent,
                "updated_at": stamp,
            }
        )
    return pos, items


def insert_pos(
    session: Session, pos: list[dict[str, Any]], items: list[dict[str, Any]], chunk: int = 2000
) -> None:
    """Insert PO and item rows, and move each day's PoCode counter past the codes they use."""
    for start in range(0, len(pos), chunk):
        session.execute(insert(PurchaseOrder), pos[start : start + chunk])
    for start in range(0, len(items), chunk):
        session.execute(insert(PoItem), items[start : start + chunk])
    highest: dict[dt.date, int] = {}
    for po in pos:
        _, day, number = po["po_code"].split("-")
        date = dt.datetime.strptime(day, "%y%m%d").date()
        highest[date] = max(highest.get(date, 0), int(number))
    for date, number in highest.items():
        counter = session.get(PoCounter, date)
        if counter is None:
            session.add(PoCounter(day=date, last=number))
        elif counter.last < number:
            counter.last = number


def seed(session: Session, now: dt.datetime, *, generated: int = GENERATED) -> bool:
    """Create the demo accounts and POs; False when they exist already."""
    if session.scalar(select(Account.id).where(Account.username == BUYER_USERNAME)) is not None:
        return False
    operator.create_account(
        session,
        AccountCreate(
            username=BUYER_USERNAME,
            password=BUYER_PASSWORD,
            orgId=ORG_ID,
            orgName=ORG_NAME,
            buyerTaxId=BUYER_TAX_ID,
        ),
        now,
    )
    operator.create_account(
        session,
        AccountCreate(
            username=SELLER_USERNAME, password=SELLER_PASSWORD, sellerTaxId=SELLER_TAX_ID
        ),
        now,
    )
    example = _example_po(EXAMPLE_PO_ID, EXAMPLE_PO_CODE, 1, _at("2022-06-01 01:20:30"))
    draft = _example_po(DRAFT_PO_ID, DRAFT_PO_CODE, 3, None)
    pos, items = generated_pos(generated, 5, now.astimezone(BANGKOK).date())
    insert_pos(
        session,
        [example, draft, *pos],
        _example_items(EXAMPLE_PO_ID, [i[0] for i in _EXAMPLE_ITEMS])
        + _example_items(
            DRAFT_PO_ID, [str(uuid.uuid5(uuid.NAMESPACE_URL, f"draft-{n}")) for n in range(4)]
        )
        + items,
    )
    return True
