"""Rakmao fixtures: accounts made through the operator rules, logged in over HTTP, and POs
created over HTTP from the spec's create example."""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from saphan.config import Settings
from saphan.core.runtime import Runtime
from saphan.rakmao import operator
from saphan.rakmao.admin_schemas import AccountCreate
from saphan.rakmao.jsonread import tolerant_loads
from saphan.rakmao.models import Event, PoCounter, PoItem, PurchaseOrder, RefreshFamily
from tests.conftest import ADMIN_TOKEN, SECRET

AUTH = "/rakmao/api/v1/Authentication"
PO = "/rakmao-po/api/v1"
FIXTURES = Path(__file__).parent / "spec_examples"
ORG_A = "b1b7711b-158f-48fe-adc0-9cfb52565911"
ORG_B = "0c5d3a9e-7b21-4f6a-9d8e-2a1b3c4d5e6f"
BUYER_TAX = "323232211"
SELLER_TAX = "112232323"
OTHER_SELLER_TAX = "0105561234567"


@dataclass
class Account:
    username: str
    password: str
    authen: str
    org_id: str | None = None
    seller_tax_id: str | None = None


@dataclass
class Session:
    """A logged-in account: its tokens as RequestAPIToken gave them."""

    account: Account
    token: str
    refresh: str
    expiration: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.token}


MakeAccount = Callable[..., Account]
Login = Callable[[Account], Awaitable[Session]]


@pytest.fixture
def make_account(runtime: Runtime) -> MakeAccount:
    def make(
        username: str,
        *,
        org_id: str | None = None,
        org_name: str = "",
        buyer_tax_id: str | None = None,
        seller_tax_id: str | None = None,
        password: str | None = None,
    ) -> Account:
        password = password or f"{username}-password-123"
        with runtime.db.write() as session:
            created = operator.create_account(
                session,
                AccountCreate(
                    username=username,
                    password=password,
                    orgId=org_id,
                    orgName=org_name,
                    buyerTaxId=buyer_tax_id,
                    sellerTaxId=seller_tax_id,
                ),
                runtime.clock.now(),
            )
        return Account(username, password, created.authenString, org_id, seller_tax_id)

    return make


@pytest.fixture
def buyer_account(make_account: MakeAccount) -> Account:
    return make_account("buyer-a", org_id=ORG_A, org_name="ทดสอบ จำกัด", buyer_tax_id=BUYER_TAX)


@pytest.fixture
def other_buyer_account(make_account: MakeAccount) -> Account:
    return make_account("buyer-b", org_id=ORG_B, org_name="อีกบริษัท จำกัด", buyer_tax_id="9999")


@pytest.fixture
def seller_account(make_account: MakeAccount) -> Account:
    return make_account("seller-a", seller_tax_id=SELLER_TAX)


@pytest.fixture
def other_seller_account(make_account: MakeAccount) -> Account:
    return make_account("seller-b", seller_tax_id=OTHER_SELLER_TAX)


@pytest.fixture
def login(client: httpx.AsyncClient) -> Login:
    async def log_in(account: Account) -> Session:
        response = await client.post(f"{AUTH}/RequestAPIToken", json=account.authen)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        return Session(account, data["token"], data["refreshToken"], data["expiration"])

    return log_in


@pytest.fixture
async def buyer(login: Login, buyer_account: Account) -> Session:
    return await login(buyer_account)


@pytest.fixture
async def other_buyer(login: Login, other_buyer_account: Account) -> Session:
    return await login(other_buyer_account)


@pytest.fixture
async def seller(login: Login, seller_account: Account) -> Session:
    return await login(seller_account)


@pytest.fixture
async def other_seller(login: Login, other_seller_account: Account) -> Session:
    return await login(other_seller_account)


def example(name: str) -> Any:
    """A spec example kept verbatim (trailing commas and all), parsed."""
    return tolerant_loads((FIXTURES / name).read_bytes())


def create_body(**changes: Any) -> dict[str, Any]:
    """The spec's create example (its OrgId is ORG_A, its seller SELLER_TAX), with changes."""
    body: dict[str, Any] = copy.deepcopy(example("CreatePo.request.json"))
    body.update(changes)
    return body


def as_json(body: Any) -> bytes:
    return json.dumps(body, default=str, ensure_ascii=False).encode()


async def create_po(client: httpx.AsyncClient, who: Session, **changes: Any) -> dict[str, Any]:
    response = await client.post(
        f"{PO}/Buyer",
        content=as_json(create_body(**changes)),
        headers={**who.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def set_status(runtime: Runtime, po_id: str, status: int, *, sent: bool = True) -> None:
    """Put a PO straight into a status (for the status-machine table's every row)."""
    with runtime.db.write() as session:
        po = session.get(PurchaseOrder, po_id)
        assert po is not None
        po.status = status
        po.sent_at = po.created_at if sent else None


def state(runtime: Runtime) -> dict[str, Any]:
    """Everything a request could change, for "nothing changed" assertions."""
    with runtime.db.read() as session:
        pos = [
            {c.name: getattr(po, c.name) for c in PurchaseOrder.__table__.columns}
            for po in session.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id))
        ]
        items = [
            {c.name: getattr(i, c.name) for c in PoItem.__table__.columns}
            for i in session.scalars(select(PoItem).order_by(PoItem.id))
        ]
        events = [(e.type, e.po_id, e.payload) for e in session.scalars(select(Event))]
        counters = [(c.day, c.last) for c in session.scalars(select(PoCounter))]
        families = [
            (f.id, f.current_digest, f.revoked_at) for f in session.scalars(select(RefreshFamily))
        ]
    return {
        "pos": pos,
        "items": items,
        "events": events,
        "counters": counters,
        "families": families,
    }


def error(status: int, message: str) -> dict[str, Any]:
    return {"status": status, "message": message, "data": None}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The suite's settings, without "register a webhook before use" (tests/rakmao/test_webhooks*
    turn it on where they test it)."""
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=False,
        log_json=True,
        rakmao_require_webhook=False,
        webhook_allow_cidrs=["127.0.0.1/32"],
        webhook_timeout_seconds=2.0,
        webhook_deliver_in_process=False,
    )
