"""Per-client lookup quota (settings ``moi_quota_per_minute``, ``moi_quota_per_day``): over either,
429 in MOI's envelope with ``Retry-After``; the refused lookup is not audited and does not count;
each client system has its own quota."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.moi.conftest import (
    CITIZEN,
    MakeClient,
    MoiClient,
    audit,
    error,
    power_capital,
    token_for,
)


@pytest.fixture
async def token(client: httpx.AsyncClient, moi_client: MoiClient) -> str:
    return await token_for(client, moi_client)


def move(runtime: Runtime, delta: dt.timedelta) -> None:
    runtime.clock.set(runtime.clock.now() + delta)  # type: ignore[attr-defined]


async def test_over_the_per_minute_quota_is_429_until_the_minute_has_passed(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    runtime.settings.moi_quota_per_minute = 3
    for _ in range(3):
        assert (await power_capital(client, CITIZEN, token)).status_code == 200
        move(runtime, dt.timedelta(seconds=10))
    refused = await power_capital(client, CITIZEN, token)
    assert (refused.status_code, refused.json()) == (
        429,
        error("QUOTA_EXCEEDED", 429, "Lookup quota exceeded (3 per minute)", CITIZEN),
    )
    # The first lookup was 30 s ago: it leaves the window in 30 s.
    assert refused.headers["Retry-After"] == "30"
    assert len(audit(runtime)) == 3
    move(runtime, dt.timedelta(seconds=30))
    assert (await power_capital(client, CITIZEN, token)).status_code == 200


async def test_over_the_per_day_quota_is_429_until_bangkok_midnight(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    runtime.settings.moi_quota_per_day = 2
    for _ in range(2):
        assert (await power_capital(client, CITIZEN, token)).status_code == 200
    refused = await power_capital(client, CITIZEN, token)
    assert (refused.status_code, refused.json()["statusDetail"]) == (
        429,
        "Lookup quota exceeded (2 per day)",
    )
    # NOW is 10:30:00 Bangkok: 13.5 hours to midnight.
    assert refused.headers["Retry-After"] == str(13 * 3600 + 30 * 60)
    assert len(audit(runtime)) == 2
    move(runtime, dt.timedelta(hours=13, minutes=30))  # 00:00 the next day
    fresh = await token_for(client, MoiClient("client-a", "secret-a-0123456789"))  # 8 h passed
    assert (await power_capital(client, CITIZEN, fresh)).status_code == 200


async def test_each_client_system_has_its_own_quota(
    client: httpx.AsyncClient, runtime: Runtime, make_client: MakeClient, token: str
) -> None:
    runtime.settings.moi_quota_per_minute = 1
    other = make_client("client-b", "secret-b-0123456789", agents=("3333333333333",))
    other_token = await token_for(client, other, "3333333333333")
    assert (await power_capital(client, CITIZEN, token)).status_code == 200
    assert (await power_capital(client, CITIZEN, token)).status_code == 429
    assert (await power_capital(client, CITIZEN, other_token)).status_code == 200


async def test_a_quota_of_zero_is_no_limit(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    runtime.settings.moi_quota_per_minute = 0
    runtime.settings.moi_quota_per_day = 0
    for _ in range(5):
        assert (await power_capital(client, CITIZEN, token)).status_code == 200
    assert len(audit(runtime)) == 5
