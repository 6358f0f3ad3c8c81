"""The account model (issue 17 item 4), set up through the operator API and seen over HTTP:
an expired plan is APPLICATION_EXPIRED unless it auto-renews from credit on its date; a spent
month renews from credit when the application auto-renews on quota; credit is spent only by
renewals; a refused verification changes nothing. The clock is the project's (``FixedClock``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.easyslip import client as es
from tests.easyslip.conftest import PREFIX, Record, error, state

ADMIN = "/admin/easyslip"
VERIFY = f"{PREFIX}/verify/bank"
#: The test clock's day (tests/conftest.py NOW is 2025-11-20 10:30 Bangkok).
EXPIRED = "2025-11-20T10:00:00+07:00"
LATER = "2025-11-20T11:00:00+07:00"


async def application(admin: httpx.AsyncClient, **fields: Any) -> tuple[int, dict[str, str]]:
    """An application made and set up by the operator; its id and its branch's headers."""
    body = {"name": "Shop", "email": "shop@example.com", "quotaMax": 10, **fields}
    created = await admin.post(f"{ADMIN}/applications", json=body)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    branch = await admin.post(f"{ADMIN}/applications/{app_id}/branches", json={"name": "POS"})
    return app_id, {"Authorization": f"Bearer {branch.json()['key']}"}


async def shown(admin: httpx.AsyncClient, app_id: int) -> dict[str, Any]:
    answer: dict[str, Any] = (await admin.get(f"{ADMIN}/applications/{app_id}")).json()
    return answer


async def test_an_expired_plan_without_auto_renewal_is_refused(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, record: Record
) -> None:
    app_id, headers = await application(
        admin, expiresAt=EXPIRED, credit=500, renewPrice=100, autoRenewQuota=True
    )
    slip = record()
    before = state(runtime)
    message = error(
        await client.post(VERIFY, json={"payload": slip.payload}, headers=headers),
        403,
        "APPLICATION_EXPIRED",
    )
    assert message == "Subscription expired"
    # before the body: a bad body is refused for the expiry too
    error(
        await client.post(VERIFY, json={"payload": ""}, headers=headers), 403, "APPLICATION_EXPIRED"
    )
    assert state(runtime) == before
    info = (await client.get(f"{PREFIX}/info", headers=headers)).json()["data"]
    assert info["application"]["autoRenew"]["expiresAt"] == EXPIRED
    assert info["account"]["credit"] == 500  # no renewal was paid
    assert (await shown(admin, app_id))["credit"] == 500


@pytest.mark.parametrize("credit", [0, 99])
async def test_an_expired_plan_without_the_credit_is_refused(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    record: Record,
    credit: int,
) -> None:
    app_id, headers = await application(
        admin, expiresAt=EXPIRED, credit=credit, renewPrice=100, autoRenewExpired=True
    )
    before = state(runtime)
    response = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
    error(response, 403, "APPLICATION_EXPIRED")
    assert state(runtime) == before
    assert (await shown(admin, app_id))["credit"] == credit


async def test_auto_renewal_on_expiry_pays_from_credit_and_renews_the_quota(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    clock: FixedClock,
    record: Record,
) -> None:
    app_id, headers = await application(
        admin,
        quotaMax=2,
        expiresAt=LATER,
        credit=250,
        renewPrice=100,
        renewMonths=1,
        autoRenewExpired=True,
    )
    for _ in range(2):
        ok = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
        assert ok.status_code == 200, ok.text
    error(
        await client.post(VERIFY, json={"payload": record().payload}, headers=headers),
        403,
        "QUOTA_EXCEEDED",
    )
    clock.set(dt.datetime(2025, 11, 20, 11, 0, tzinfo=BANGKOK))  # the expiry's moment
    renewed = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
    assert renewed.status_code == 200, renewed.text
    info = (await client.get(f"{PREFIX}/info", headers=headers)).json()["data"]
    assert info["application"]["autoRenew"]["expiresAt"] == "2025-12-20T11:00:00+07:00"
    assert info["account"]["credit"] == 150
    assert info["application"]["quota"] == {"used": 1, "max": 2, "remaining": 1, "totalUsed": 3}
    assert (await shown(admin, app_id))["credit"] == 150


async def test_renewal_catches_up_every_missed_period(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, record: Record
) -> None:
    """Expired three months ago: three renewals, each paid, as on each of their dates."""
    app_id, headers = await application(
        admin,
        expiresAt="2025-08-25T00:00:00+07:00",
        credit=1000,
        renewPrice=100,
        renewMonths=1,
        autoRenewExpired=True,
    )
    info = (await client.get(f"{PREFIX}/info", headers=headers)).json()["data"]
    assert info["application"]["autoRenew"]["expiresAt"] == "2025-11-25T00:00:00+07:00"
    assert info["account"]["credit"] == 700
    ok = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert (await shown(admin, app_id))["credit"] == 700


async def test_auto_renewal_on_quota_pays_from_credit(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, record: Record
) -> None:
    app_id, headers = await application(
        admin, quotaMax=2, credit=150, renewPrice=100, autoRenewQuota=True
    )
    for _ in range(3):  # the third renews the month
        ok = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
        assert ok.status_code == 200, ok.text
    info = (await client.get(f"{PREFIX}/info", headers=headers)).json()["data"]
    assert info["application"]["quota"] == {"used": 1, "max": 2, "remaining": 1, "totalUsed": 3}
    assert info["account"]["credit"] == 50
    ok = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
    assert ok.status_code == 200
    before = state(runtime)
    response = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
    error(response, 403, "QUOTA_EXCEEDED")  # 50 credit does not pay a renewal of 100
    assert state(runtime) == before
    assert (await shown(admin, app_id))["credit"] == 50


async def test_without_auto_renewal_credit_is_never_spent(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, record: Record
) -> None:
    app_id, headers = await application(admin, quotaMax=1, credit=1000, renewPrice=1)
    assert (
        await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
    ).is_success
    response = await client.post(VERIFY, json={"payload": record().payload}, headers=headers)
    error(response, 403, "QUOTA_EXCEEDED")
    assert (await shown(admin, app_id))["credit"] == 1000


async def test_operators_set_the_renewal_terms(admin: httpx.AsyncClient) -> None:
    app_id, _ = await application(admin)
    fresh = await shown(admin, app_id)
    assert (fresh["renewPrice"], fresh["renewMonths"]) == (0, 12)
    changed = await admin.patch(
        f"{ADMIN}/applications/{app_id}",
        json={"renewPrice": 990, "renewMonths": 1, "autoRenewQuota": True},
    )
    assert changed.status_code == 200, changed.text
    after = await shown(admin, app_id)
    assert (after["renewPrice"], after["renewMonths"], after["autoRenewQuota"]) == (990, 1, True)
    for bad in ({"renewMonths": 0}, {"renewPrice": -1}, {"renewPrice": None}):
        response = await admin.patch(f"{ADMIN}/applications/{app_id}", json=bad)
        assert response.status_code == 422, response.text
    assert await shown(admin, app_id) == after


async def test_the_client_raises_its_own_error(
    admin: httpx.AsyncClient, app: Any, record: Record
) -> None:
    _, headers = await application(admin, expiresAt=EXPIRED)
    key = headers["Authorization"].removeprefix("Bearer ")
    transport = httpx.ASGITransport(app=app)
    async with es.AsyncEasySlipClient(
        key, base_url="http://t/easyslip", transport=transport
    ) as easyslip:
        with pytest.raises(es.ApplicationExpiredError) as caught:
            await easyslip.verify_bank(payload=record().payload)
    assert (caught.value.status_code, caught.value.message) == (403, "Subscription expired")
