"""Rakmao demo data: idempotent, the README's credentials work, every status is represented,
generated totals add up, and the banner prints what a newcomer needs."""

from __future__ import annotations

import io
from decimal import Decimal

import httpx
import pytest
from rich.console import Console
from sqlalchemy import func, select

from saphan import demo as all_demo
from saphan.core.runtime import Runtime
from saphan.rakmao import demo
from saphan.rakmao.models import PoCounter, PoItem, PurchaseOrder
from saphan.rakmao.schemas import STATUS_NAMES
from tests.rakmao.conftest import AUTH, PO


@pytest.fixture
def seeded(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        assert demo.seed(session, runtime.clock.now()) is True


@pytest.mark.usefixtures("seeded")
def test_seeding_twice_adds_nothing(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        assert demo.seed(session, runtime.clock.now()) is False
        assert session.scalar(select(func.count()).select_from(PurchaseOrder)) == 302


@pytest.mark.usefixtures("seeded")
def test_generated_pos_cover_every_status_and_add_up(runtime: Runtime) -> None:
    with runtime.db.read() as session:
        pos = list(session.scalars(select(PurchaseOrder)))
        items = list(session.scalars(select(PoItem)))
        counters = {c.day: c.last for c in session.scalars(select(PoCounter))}
    assert {po.status for po in pos} == set(STATUS_NAMES)
    by_po: dict[str, Decimal] = {}
    for item in items:
        by_po[item.po_id] = by_po.get(item.po_id, Decimal(0)) + item.quantity * item.price
    for po in pos:
        if po.po_code.startswith("PO-2204"):
            continue  # the spec's example totals, as printed
        assert po.sub_total == by_po[po.id], po.po_code
        assert po.grand_total == po.beforvat + po.vat_amount
        if po.status == 3:
            assert po.sent_at is None, po.po_code  # a Draft was never sent
        elif po.status != -2:  # BuyerCancel: dropped as a Draft, or cancelled after sending
            assert po.sent_at is not None, po.po_code
    # The PoCode counters are past every generated code, so live creates never collide.
    for po in pos:
        day = po.po_code.split("-")[1]
        number = int(po.po_code.split("-")[2])
        assert max(v for k, v in counters.items() if k.strftime("%y%m%d") == day) >= number


@pytest.mark.usefixtures("seeded")
async def test_the_demo_credentials_work(client: httpx.AsyncClient) -> None:
    for authen, path in [
        (demo.BUYER_AUTHEN, f"{PO}/Buyer/{demo.ORG_ID}"),
        (demo.SELLER_AUTHEN, f"{PO}/Seller/{demo.SELLER_TAX_ID}"),
    ]:
        login = await client.post(f"{AUTH}/RequestAPIToken", json=authen)
        token = login.json()["data"]["token"]
        listed = await client.get(path, headers={"Authorization": token})
        assert listed.status_code == 200
        assert listed.json()["data"]["count"] > 0


def test_the_banner_prints_the_rakmao_credentials() -> None:
    out = io.StringIO()
    all_demo.print_banner("http://localhost:8000", None, Console(file=out, width=400))
    text = out.getvalue()
    assert "http://localhost:8000/rakmao (auth)" in text
    assert "http://localhost:8000/rakmao-po (POs)" in text
    assert "demo-buyer / demo-buyer-password" in text
    assert f"OrgId {demo.ORG_ID}" in text
    assert "demo-seller / demo-seller-password" in text
    assert f"TaxId {demo.SELLER_TAX_ID}" in text
    assert demo.BUYER_AUTHEN in text
