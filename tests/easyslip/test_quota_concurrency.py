"""Quota is exact under concurrent verifications, on SQLite and PostgreSQL: many requests at
once against a small quota spend exactly the quota, the others are QUOTA_EXCEEDED and leave no
trace; the same slip verified many times at once is one first verification."""

from __future__ import annotations

import anyio
import httpx

from saphan.core.runtime import Runtime
from tests.easyslip.conftest import PREFIX, MakeTenant, Record, used, verifications

VERIFY = f"{PREFIX}/verify/bank"


async def _all(
    client: httpx.AsyncClient, headers: dict[str, str], payloads: list[str]
) -> list[int]:
    statuses: list[int] = []

    async def one(payload: str) -> None:
        response = await client.post(VERIFY, json={"payload": payload}, headers=headers)
        statuses.append(response.status_code)
        if response.status_code != 200:
            assert response.json()["error"]["code"] == "QUOTA_EXCEEDED", response.text

    async with anyio.create_task_group() as tasks:
        for payload in payloads:
            tasks.start_soon(one, payload)
    return statuses


async def test_concurrent_verifications_spend_the_quota_exactly(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    who = make_tenant(quota=7)
    payloads = [record().payload for _ in range(24)]

    statuses = await _all(client, who.headers, payloads)

    assert statuses.count(200) == 7
    assert statuses.count(403) == 17
    assert used(runtime, "app", who.app_id) == 7
    assert used(runtime, "branch", who.branch_id) == 7
    assert len(verifications(runtime)) == 7


async def test_concurrent_branch_limits_hold_too(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    who = make_tenant(quota=None, branch_quota=5)
    statuses = await _all(client, who.headers, [record().payload for _ in range(16)])
    assert statuses.count(200) == 5
    assert used(runtime, "app", who.app_id) == 5
    assert used(runtime, "branch", who.branch_id) == 5


async def test_the_same_slip_at_once_is_verified_once(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    who = make_tenant(quota=100)
    slip = record()
    statuses = await _all(client, who.headers, [slip.payload] * 12)
    assert statuses == [200] * 12
    assert used(runtime, "app", who.app_id) == 1
    [(_app, _transfer, count)] = verifications(runtime)
    assert count == 12
