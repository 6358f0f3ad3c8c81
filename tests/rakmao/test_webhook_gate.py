""" "Register a webhook before using the system" (``rakmao_require_webhook``, on by default): PO
routes answer 403 in the envelope naming the caller's side's missing types, and change nothing;
the Webhook routes themselves stay open; off in demo mode."""

from __future__ import annotations

import httpx
import pytest

from saphan.config import Settings
from saphan.core.runtime import Runtime
from tests.conftest import ADMIN_TOKEN, SECRET
from tests.rakmao.conftest import ORG_A, PO, SELLER_TAX, Session, create_body, state

HOOK = f"{PO}/Webhook"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=False,
        webhook_deliver_in_process=False,
    )


def test_the_setting_is_on_by_default_and_off_in_demo(settings: Settings) -> None:
    assert settings.rakmao_require_webhook is None  # unset: on outside demo mode
    assert Settings(demo=True).rakmao_require_webhook is None


async def register(client: httpx.AsyncClient, who: Session, webhook_type: int) -> None:
    body = {"Type": webhook_type, "Endpoint": f"https://hooks.example.com/{webhook_type}"}
    response = await client.post(HOOK, json={**body, "IsLogin": False}, headers=who.headers)
    assert response.status_code == 200, response.text


async def test_buyer_routes_need_402(
    client: httpx.AsyncClient, buyer: Session, runtime: Runtime
) -> None:
    before = state(runtime)
    answers = [
        await client.post(f"{PO}/Buyer", json=create_body(), headers=buyer.headers),
        await client.get(f"{PO}/Buyer/{ORG_A}", headers=buyer.headers),
        await client.get(f"{PO}/Buyer/{ORG_A}/Document?PoId={ORG_A}", headers=buyer.headers),
    ]
    expected = {
        "status": 403,
        "message": "Register a webhook before using the system: "
        "POST /api/v1/Webhook for 402 (SellerNegate)",
        "data": None,
    }
    assert [(r.status_code, r.json()) for r in answers] == [(403, expected)] * 3
    assert state(runtime) == before
    assert (await client.get(HOOK, headers=buyer.headers)).json()["data"] == []
    await register(client, buyer, 402)
    created = await client.post(f"{PO}/Buyer", json=create_body(), headers=buyer.headers)
    assert created.status_code == 200, created.text


async def test_seller_routes_name_every_missing_type(
    client: httpx.AsyncClient, seller: Session
) -> None:
    listing = f"{PO}/Seller/{SELLER_TAX}"
    response = await client.get(listing, headers=seller.headers)
    assert response.status_code == 403
    assert response.json()["message"].endswith(
        "for 301 (DocumentReady), 302 (BuyerNegate), 303 (CancelAccept)"
    )
    await register(client, seller, 301)
    await register(client, seller, 303)
    response = await client.get(listing, headers=seller.headers)
    assert response.json()["message"].endswith("for 302 (BuyerNegate)")
    await register(client, seller, 302)
    assert (await client.get(listing, headers=seller.headers)).status_code == 200


async def test_a_token_is_checked_first(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PO}/Buyer/{ORG_A}")
    assert response.status_code == 401
