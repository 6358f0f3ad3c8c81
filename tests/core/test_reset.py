"""``POST /_saphan/reset`` (demo mode): downstream CI resets between runs, so every list and count
of every service must read after a reset exactly as it did after the first seeding, on both
databases, and keep counting right afterwards.

A reset once deleted Rakmao's PO tallies before the POs, whose delete triggers then drove the
tallies negative: the Buyer list answered ``count`` 0 (302 before), and 2 with 100 items on its
page after two new POs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from saphan import demo
from saphan.app import create_app
from saphan.config import Settings
from saphan.core.clock import FixedClock
from saphan.depa import demo as depa_demo
from saphan.easyslip import demo as easyslip_demo
from saphan.moi import demo as moi_demo
from saphan.rakmao import demo as rakmao_demo
from tests.conftest import ADMIN_TOKEN, NOW, SECRET

JSON = {"Content-Type": "application/json"}
STATUSES = (0, 1, 2, 3, 4, -1, -2, -3, -4, -5, -6, -7)
#: The spec's create example (trailing commas and all): the demo buyer's org, the demo seller.
NEW_PO = (Path(__file__).parent.parent / "rakmao/spec_examples/CreatePo.request.json").read_bytes()


@pytest.fixture
def demo_app(database_url: str) -> Iterator[FastAPI]:
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=True,
        rakmao_require_webhook=False,
    )
    application = create_app(settings, clock=FixedClock(NOW))
    demo.seed(application.state.runtime)
    yield application
    application.state.runtime.db.dispose()


@pytest.fixture
async def http(demo_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=demo_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as client:
        yield client


async def ok(response: Any) -> Any:
    answer = await response
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def rakmao_token(http: httpx.AsyncClient, authen: str) -> str:
    answer = await ok(http.post("/rakmao/api/v1/Authentication/RequestAPIToken", json=authen))
    return f"Bearer {answer['data']['token']}"


async def rakmao_lists(http: httpx.AsyncClient) -> dict[str, Any]:
    """Every status's count and first page, for the demo buyer and the demo seller."""
    seen: dict[str, Any] = {}
    sides = (
        ("Buyer", rakmao_demo.ORG_ID, rakmao_demo.BUYER_AUTHEN),
        ("Seller", rakmao_demo.SELLER_TAX_ID, rakmao_demo.SELLER_AUTHEN),
    )
    for side, key, authen in sides:
        headers = {"Authorization": await rakmao_token(http, authen)}
        for status in STATUSES:
            url = f"/rakmao-po/api/v1/{side}/{key}?status={status}&page=1&perpage=100"
            data = (await ok(http.get(url, headers=headers)))["data"]
            assert 0 <= len(data["item"]) <= data["count"]
            seen[f"{side} {status}"] = (
                data["count"],
                sorted((i["PoCode"], i["Status"]) for i in data["item"]),
            )
    return seen


#: Every list of every operator API, and a Rakmao Keyword search: what an operator sees.
OPERATOR_LISTS = (
    "/admin/depa/dps",
    "/admin/depa/dps/{dp}/keys",
    "/admin/depa/dps/{second_dp}/keys",
    "/admin/depa/dps/{dp}/vouchers?perPage=500",
    "/admin/depa/dps/{second_dp}/vouchers?perPage=500",
    "/admin/depa/dps/{dp}/usage",
    "/admin/moi/clients",
    "/admin/moi/sessions",
    f"/admin/moi/audit?date={NOW.date()}",
    f"/admin/moi/accounts/{moi_demo.EXAMPLE_CITIZEN}",
    f"/admin/moi/accounts/{moi_demo.COMPANY_CITIZEN}",
    "/admin/easyslip/applications",
    "/admin/easyslip/applications/{app}/branches",
    "/admin/easyslip/transfers",
    "/admin/rakmao/accounts",
    "/admin/rakmao/keys",
    "/admin/rakmao/events",
    "/admin/webhooks/subscriptions",
    "/admin/webhooks/messages",
)
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DEPA_USAGE = (
    Path(__file__).parent.parent / "depa/spec_examples/VoucherUsage.request.json"
).read_bytes()


async def demo_ids(http: httpx.AsyncClient) -> dict[str, int]:
    """The ids of the demo's DPs and EasySlip application (PostgreSQL's sequences may not start
    at 1 in a test database)."""
    dps = {dp["name"]: dp["id"] for dp in await ok(http.get("/admin/depa/dps", headers=ADMIN))}
    apps = await ok(http.get("/admin/easyslip/applications", headers=ADMIN))
    return {
        "dp": dps[depa_demo.DEMO_DP_NAME],
        "second_dp": dps[depa_demo.SECOND_DP_NAME],
        "app": next(app["id"] for app in apps if app["name"] == easyslip_demo.APP_NAME),
    }


async def everything(http: httpx.AsyncClient) -> dict[str, Any]:
    """What each service's demo callers and its operator see of their data (the operator's
    lists first: the MOI login and lookups below add a session and audit rows)."""
    ids = await demo_ids(http)
    seen = {url: await ok(http.get(url.format(**ids), headers=ADMIN)) for url in OPERATOR_LISTS}
    seen |= await rakmao_lists(http)
    headers = {"Authorization": await rakmao_token(http, rakmao_demo.BUYER_AUTHEN)}
    keyword = f"/rakmao-po/api/v1/Buyer/{rakmao_demo.ORG_ID}?Keyword=PO-22&page=1&perpage=100"
    seen["Buyer Keyword"] = (await ok(http.get(keyword, headers=headers)))["data"]
    for key in (depa_demo.DEMO_KEY, depa_demo.SECOND_DEMO_KEY):
        page = await ok(
            http.post(
                "/depa/api/dp/GetDPVouchers",
                json={"pageNumber": 1, "pageSize": 500},
                headers={"x-api-key": key},
            )
        )
        seen[f"depa {key[:8]}"] = (page["totalRecords"], page["data"])
    usage = await ok(
        http.post(
            "/depa/api/dp/GetVoucherUsage",
            json={
                "voucherCode": "DV-BHRDV9XXXX",
                "fromDate": "2025-01-01",
                "toDate": "2025-12-31",
                "isProduction": False,
            },
            headers={"x-api-key": depa_demo.DEMO_KEY},
        )
    )
    seen["depa usage"] = usage["data"]
    login = await http.post(
        "/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": moi_demo.CLIENT_ID, "ClientSecret": moi_demo.CLIENT_SECRET},
    )
    assert login.status_code == 200, login.text
    token = {"Token": login.headers["Token"]}
    for citizen in (moi_demo.EXAMPLE_CITIZEN, moi_demo.COMPANY_CITIZEN):
        seen[f"moi {citizen}"] = await ok(
            http.get(f"/moi/api/v1/PowerCapital/{citizen}", headers=token)
        )
    info = await ok(
        http.get("/easyslip/v2/info", headers={"Authorization": f"Bearer {easyslip_demo.DEMO_KEY}"})
    )
    seen["easyslip info"] = info
    seen["easyslip bank accounts"] = await ok(
        http.get("/easyslip/v2/bank-accounts", headers=EASYSLIP)
    )
    return seen


#: What ``change_every_service`` (and the MOI login and lookups of ``everything``) change.
CHANGED = (
    "Buyer 3",
    "/admin/rakmao/accounts",
    "/admin/webhooks/subscriptions",
    "/admin/depa/dps",
    "/admin/depa/dps/{dp}/keys",
    "/admin/depa/dps/{dp}/usage",
    "depa usage",
    "/admin/moi/clients",
    "/admin/moi/sessions",
    f"/admin/moi/audit?date={NOW.date()}",
    "/admin/easyslip/applications",
    "easyslip info",
    "easyslip bank accounts",
)
EASYSLIP = {"Authorization": f"Bearer {easyslip_demo.DEMO_KEY}"}


async def change_every_service(http: httpx.AsyncClient) -> None:
    """Something new in every service: what a reset must take away."""
    headers = {"Authorization": await rakmao_token(http, rakmao_demo.BUYER_AUTHEN)}
    await ok(http.post("/rakmao-po/api/v1/Buyer", content=NEW_PO, headers={**headers, **JSON}))
    hook = {"Type": 402, "Endpoint": "https://hooks.example.com/rakmao", "IsLogin": False}
    await ok(http.post("/rakmao-po/api/v1/Webhook", json=hook, headers=headers))
    account = {"username": "reset-seller", "password": "reset-seller-password", "sellerTaxId": "1"}
    await ok(http.post("/admin/rakmao/accounts", json=account, headers=ADMIN))
    await ok(
        http.post(
            "/depa/api/dp/VoucherUsage",
            content=DEPA_USAGE,
            headers={"x-api-key": depa_demo.DEMO_KEY, **JSON},
        )
    )
    await ok(http.post("/admin/depa/dps", json={"name": "reset DP"}, headers=ADMIN))
    dp = (await demo_ids(http))["dp"]
    await ok(http.post(f"/admin/depa/dps/{dp}/keys", json={"label": "reset"}, headers=ADMIN))
    await ok(http.post("/admin/moi/clients", json={"anyAgent": True}, headers=ADMIN))
    transfer = (await ok(http.get("/admin/easyslip/transfers", headers=ADMIN)))[0]
    await ok(
        http.post(
            "/easyslip/v2/verify/bank", json={"payload": transfer["payload"]}, headers=EASYSLIP
        )
    )
    account = {
        "bankCode": "002",
        "bankNumber": "9876543210",
        "nameTh": "ร้านรีเซ็ต",
        "nameEn": "RESET SHOP",
        "type": "JURISTIC",
    }
    await ok(http.post("/easyslip/v2/bank-accounts", json=account, headers=EASYSLIP))
    app = {"name": "reset shop", "email": "reset@example.com"}
    await ok(http.post("/admin/easyslip/applications", json=app, headers=ADMIN))


async def test_every_list_and_count_reads_the_same_after_a_reset(
    http: httpx.AsyncClient,
) -> None:
    seeded = await everything(http)
    assert seeded["Buyer 0"][0] > 100  # the demo buyer has more POs than one page

    # change something in every service, then reset
    await change_every_service(http)
    changed = await everything(http)
    assert changed["Buyer 0"][0] == seeded["Buyer 0"][0] + 1
    assert [key for key in CHANGED if changed[key] == seeded[key]] == []
    reset = await http.post("/_saphan/reset")
    assert (reset.status_code, reset.json()) == (200, {"status": "reset"})

    assert await everything(http) == seeded

    # and counting goes on from there: two new Drafts (status 3)
    headers = {"Authorization": await rakmao_token(http, rakmao_demo.BUYER_AUTHEN)}
    for _ in range(2):
        await ok(http.post("/rakmao-po/api/v1/Buyer", content=NEW_PO, headers={**headers, **JSON}))
    after = await rakmao_lists(http)
    for status in (0, 3):
        count, page = after[f"Buyer {status}"]
        assert count == seeded[f"Buyer {status}"][0] + 2
        assert len(page) == min(100, count)
    assert {k: v for k, v in after.items() if k not in ("Buyer 0", "Buyer 3")} == {
        k: v for k, v in seeded.items() if k in after if k not in ("Buyer 0", "Buyer 3")
    }
