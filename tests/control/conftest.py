"""The control API's fixtures: the whole app in demo mode (where ``/_saphan`` exists), on both
databases, at the suite's fixed time; and a small seed document touching every service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from saphan.app import create_app
from saphan.config import Settings
from saphan.core.clock import FixedClock
from tests.conftest import ADMIN_TOKEN, SECRET

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

DEPA_KEY = "8a1c9e2f-3b4d-4e5f-a6b7-c8d9e0f1a2b3"
EASYSLIP_KEY = "2c4e6a8b-1d3f-4a5b-9c7d-e1f2a3b4c5d6"
MOI_CLIENT, MOI_SECRET = "shop-ci", "shop-ci-secret-1"
CITIZEN = "1100400012345"
BUYER, BUYER_PASSWORD = "ci-buyer", "ci-buyer-password"
ORG_ID = "0c5d3a9e-7b21-4f6a-9d8e-2a1b3c4d5e6f"

CREATE_PO: dict[str, Any] = {
    "CreateByUserId": "u-1",
    "CreateByUserName": "CI",
    "OrgId": ORG_ID,
    "OrgName": "ซีไอ จำกัด",
    "RfqId": "cf7aba83-468d-41e1-9af8-3465189f3143",
    "QuotationId": "e3a551af-cae9-432c-adfb-77fb3f812a08",
    "ProjectId": "2b1be735-e90f-4700-b1d1-514ba8710a56",
    "ProjectName": "โครงการซีไอ",
    "VendorId": "490f4f7a-761a-4595-990a-ba128d7dc6f0",
    "VendorName": "ร้านค้าซีไอ",
    "ContactName": "นะจ๊ะ",
    "ContactPhone": "010001100",
    "Address": "1 Road, Bangkok 10400",
    "CreateType": 1,
    "TotalItem": 1,
    "SubTotal": 100,
    "Beforvat": 100,
    "VatType": 3,
    "VatRate": 0,
    "VatAmount": 0,
    "GrandTotal": 100,
    "GrandTotalDeliveryFee": 100,
    "SellerTaxId": "0105569876543",
    "BuyerTaxId": "0105561111111",
    "PoItemDetail": [
        {
            "RfqItemId": "391f3266-d828-48e4-a2aa-fc5da817968a",
            "QuotationItemId": "98a26680-160d-402c-872d-6e8750bf5f82",
            "Quantity": 1,
            "Price": 100,
            "Unit": "ea",
            "Description": "Iron",
        }
    ],
}

#: One of everything a seed document may hold.
SEED: dict[str, Any] = {
    "depa": {
        "dps": [
            {
                "name": "CI Provider",
                "keys": [{"key": DEPA_KEY, "label": "ci"}],
                "vouchers": [
                    {"voucherCode": "DV-CI-0001", "firstName": "สมชาย", "mobileNo": "0812345678"},
                    {
                        "voucherCode": "DV-CI-0002",
                        "status": "Activated",
                        "activatedTime": "2025-11-13 17:35:40",
                    },
                ],
            }
        ]
    },
    "moi": {
        "clients": [{"clientId": MOI_CLIENT, "clientSecret": MOI_SECRET, "anyAgent": True}],
        "accounts": [
            {
                "citizen_id": CITIZEN,
                "layout": "customerinfo",
                "account_no": "94551500",
                "info": {"name1": "นางสาวทดลอง", "distict": "ปทุมวัน", "province": "กรุงเทพ"},
                "bills": [{"bill_date": "2025-11-03", "units": "298", "amount": "1339.75"}],
            }
        ],
    },
    "rakmao": {
        "accounts": [
            {
                "username": BUYER,
                "password": BUYER_PASSWORD,
                "orgId": ORG_ID,
                "orgName": "ซีไอ จำกัด",
                "buyerTaxId": "0105561111111",
            }
        ],
        "pos": [{"buyer": BUYER, "po": CREATE_PO, "status": 1}],
    },
    "easyslip": {
        "applications": [
            {
                "name": "CI Shop",
                "email": "ci@example.com",
                "quotaMax": 1,
                "branches": [{"name": "Main", "key": EASYSLIP_KEY}],
            }
        ],
        "transfers": [
            {"bankCode": "004", "transRef": "CI0001", "amount": "250.00"},
            {"bankCode": "004", "transRef": "CI0002", "amount": "120.00"},
        ],
    },
}


@pytest.fixture
def kit_app(database_url: str, clock: FixedClock) -> Iterator[FastAPI]:
    """The app as ``saphan serve --demo`` serves it, on an empty database."""
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=True,
        rakmao_require_webhook=False,
    )
    application = create_app(settings, clock=clock)
    yield application
    application.state.runtime.db.dispose()


@pytest.fixture
async def kit(kit_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=kit_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as http:
        yield http


async def seeded(kit: httpx.AsyncClient) -> dict[str, Any]:
    answer = await kit.post("/_saphan/seed", json=SEED)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def state(kit: httpx.AsyncClient) -> dict[str, Any]:
    answer = await kit.get("/_saphan/state")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result
