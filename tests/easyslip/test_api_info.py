"""GET /v2/info (seed 004): the spec's example compared whole, billing months from the
creation day, unlimited quota, no quota used; the documented auth errors whole."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.easyslip import operator
from saphan.easyslip.admin_schemas import (
    ApplicationCreate,
    ApplicationUpdate,
    BranchCreate,
    BranchUpdate,
)
from saphan.easyslip.models import QuotaUsage
from tests.easyslip.conftest import PREFIX, MakeTenant, Record, Tenant, error, state

EXAMPLES = Path(__file__).parent / "spec_examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def _spec_tenant(runtime: Runtime) -> Tenant:
    """The seed example's application: created 2024-01-01, 35,000 a month, 1,500 used this
    month and 45,000 in all, its branch 500 / 12,000."""
    created = dt.datetime(2024, 1, 1, tzinfo=BANGKOK)
    with runtime.db.write() as session:
        app = operator.create_application(
            session,
            ApplicationCreate(
                name="แอปพลิเคชันของฉัน",
                email="owner@example.com",
                productName="Pro Plan",
                quotaMax=35000,
                autoRenewQuota=True,
                credit=5000,
                expiresAt=dt.datetime(2025, 1, 1, tzinfo=BANGKOK),
            ),
            created,
        )
        branch = operator.create_branch(
            session, runtime.secret, app.id, BranchCreate(name="Main Branch"), created
        )
        rows = [
            ("app", app.id, dt.date(2025, 11, 1), 1500),
            ("app", app.id, dt.date(2025, 10, 1), 40000),
            ("app", app.id, dt.date(2024, 1, 1), 3500),
            ("branch", branch.id, dt.date(2025, 11, 1), 500),
            ("branch", branch.id, dt.date(2025, 9, 1), 11500),
        ]
        session.execute(
            insert(QuotaUsage),
            [{"kind": k, "owner_id": o, "month_start": m, "used": u} for k, o, m, u in rows],
        )
        return Tenant(app.id, branch.id, branch.key)


async def test_the_spec_example_whole(client: httpx.AsyncClient, runtime: Runtime) -> None:
    who = _spec_tenant(runtime)
    expected = example("info.response.json")
    # The published page's e-mail address was hidden by its web host's e-mail protection.
    expected["data"]["account"]["email"] = "owner@example.com"

    response = await client.get(f"{PREFIX}/info", headers=who.headers)

    assert response.status_code == 200
    assert response.json() == expected


async def test_info_uses_no_quota(client: httpx.AsyncClient, runtime: Runtime) -> None:
    who = _spec_tenant(runtime)
    before = state(runtime)
    for _ in range(3):
        assert (await client.get(f"{PREFIX}/info", headers=who.headers)).status_code == 200
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("today", "month"),
    [
        ("2025-11-20", "2025-11-05"),
        ("2025-11-05", "2025-11-05"),
        ("2025-11-04", "2025-10-05"),
        ("2026-01-04", "2025-12-05"),
    ],
)
async def test_a_billing_month_runs_from_the_creation_day(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    make_tenant: MakeTenant,
    record: Record,
    today: str,
    month: str,
) -> None:
    """The tenant was created on 2025-03-05: one verification today counts in the month
    starting on the 5th at or before today, and only there."""
    who = make_tenant(quota=10)
    clock.set(dt.datetime.fromisoformat(today + "T12:00:00"))
    slip = record()
    ok = await client.post(
        f"{PREFIX}/verify/bank", json={"payload": slip.payload}, headers=who.headers
    )
    assert ok.status_code == 200, ok.text
    quota = (await client.get(f"{PREFIX}/info", headers=who.headers)).json()["data"]
    assert quota["application"]["quota"] == {"used": 1, "max": 10, "remaining": 9, "totalUsed": 1}
    assert quota["branch"]["quota"] == {"used": 1, "totalUsed": 1}
    with runtime.db.read() as session:
        months = {r.month_start.isoformat() for r in session.query(QuotaUsage)}
    assert months == {month}

    # the next billing month starts from zero; totalUsed keeps counting
    clock.set(dt.datetime.fromisoformat(today + "T12:00:00") + dt.timedelta(days=31))
    later = (await client.get(f"{PREFIX}/info", headers=who.headers)).json()["data"]
    assert later["application"]["quota"] == {"used": 0, "max": 10, "remaining": 10, "totalUsed": 1}
    assert later["branch"]["quota"] == {"used": 0, "totalUsed": 1}


async def test_a_month_shorter_than_the_creation_day_starts_on_its_last_day(
    client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    from saphan.easyslip.logic.quota import month_start

    created = dt.date(2025, 1, 31)
    assert month_start(created, dt.date(2025, 2, 28)) == dt.date(2025, 2, 28)
    assert month_start(created, dt.date(2025, 2, 27)) == dt.date(2025, 1, 31)
    assert month_start(created, dt.date(2025, 3, 30)) == dt.date(2025, 2, 28)
    assert month_start(created, dt.date(2025, 3, 31)) == dt.date(2025, 3, 31)
    assert month_start(created, dt.date(2024, 12, 1)) == created


async def test_unlimited_quota_is_null(client: httpx.AsyncClient, make_tenant: MakeTenant) -> None:
    who = make_tenant(quota=None)
    body = (await client.get(f"{PREFIX}/info", headers=who.headers)).json()
    assert body["data"]["application"]["quota"] == {
        "used": 0,
        "max": None,
        "remaining": None,
        "totalUsed": 0,
    }


async def test_no_authorization_header(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/info")
    assert response.status_code == 401
    assert response.json() == example("errors.json")["MISSING_API_KEY"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer 00000000-0000-4000-8000-000000000000",
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "0f5c8a52-9d1b-4e7a-8c3f-2b6d4e1a9c70",
    ],
)
async def test_a_wrong_key(client: httpx.AsyncClient, tenant: Tenant, header: str) -> None:
    response = await client.get(f"{PREFIX}/info", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == example("errors.json")["INVALID_API_KEY"]


async def test_an_empty_authorization_header_is_missing(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/info", headers={"Authorization": " "})
    assert response.json() == example("errors.json")["MISSING_API_KEY"]


async def test_the_key_is_case_insensitive_and_the_scheme_too(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get(
        f"{PREFIX}/info", headers={"Authorization": f"bearer {tenant.key.upper()}"}
    )
    assert response.status_code == 200


async def test_an_inactive_branch(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    with runtime.db.write() as session:
        operator.update_branch(session, tenant.branch_id, BranchUpdate(isActive=False))
    response = await client.get(f"{PREFIX}/info", headers=tenant.headers)
    assert response.status_code == 403
    assert response.json() == example("errors.json")["BRANCH_INACTIVE"]


@pytest.mark.parametrize(
    ("status", "code"), [("banned", "SERVICE_BANNED"), ("deleted", "SERVICE_DELETED")]
)
async def test_a_banned_or_deleted_application(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, status: str, code: str
) -> None:
    with runtime.db.write() as session:
        operator.update_application(
            session, tenant.app_id, ApplicationUpdate.model_validate({"status": status})
        )
    error(await client.get(f"{PREFIX}/info", headers=tenant.headers), 403, code)


async def test_allowed_ips(client: httpx.AsyncClient, make_tenant: MakeTenant) -> None:
    """httpx's ASGI transport calls from 127.0.0.1."""
    elsewhere = make_tenant(allowedIps="203.0.113.0/24, 2001:db8::/32")
    here = make_tenant(allowedIps="10.0.0.0/8,127.0.0.1")
    error(await client.get(f"{PREFIX}/info", headers=elsewhere.headers), 403, "IP_NOT_ALLOWED")
    assert (await client.get(f"{PREFIX}/info", headers=here.headers)).status_code == 200


async def test_unknown_routes_are_not_found_in_the_envelope(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for path in ("/easyslip/v2/nope", "/easyslip/", "/easyslip/v1/verify", "/easyslip/v2/info/x"):
        response = await client.get(path, headers=tenant.headers)
        assert response.json() == {
            "success": False,
            "error": {"code": "NOT_FOUND", "message": "Not found"},
        }, path
        assert response.status_code == 404


async def test_health_and_banks(client: httpx.AsyncClient, tenant: Tenant) -> None:
    health = await client.get(f"{PREFIX}/health")
    assert health.json() == {"success": True, "message": "OK", "data": {"status": "ok"}}
    banks = await client.get(f"{PREFIX}/banks", headers=tenant.headers)
    assert banks.status_code == 200
    codes = [b["code"] for b in banks.json()["data"]]
    assert codes[:5] == ["002", "004", "006", "011", "014"]
    assert {"PROMPTPAY", "KSHOP", "098"} <= set(codes)
    assert banks.json()["data"][4] == {
        "code": "014",
        "nameEn": "Siam Commercial Bank",
        "nameTh": "ธนาคารไทยพาณิชย์",
        "shortCode": "SCB",
        "swiftCode": "SICOTHBK",
        "extraVerify": banks.json()["data"][0]["extraVerify"],
    }
    error(await client.get(f"{PREFIX}/banks"), 401, "MISSING_API_KEY")
