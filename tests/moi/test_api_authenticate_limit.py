"""Authenticate's wrong secrets are limited (issue 13 item 10: 30 wrong secrets in a row were
all 401): per ClientID and per client address, 429 in MOI's envelope with ``Retry-After``
until the window has passed; a session opened forgets the ClientID's failures."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from saphan.config import Settings
from saphan.core.clock import FixedClock
from saphan.core.login_limit import FailedLogin
from saphan.core.runtime import Runtime
from tests.conftest import ADMIN_TOKEN, NOW, SECRET
from tests.moi.conftest import AGENT, PREFIX, MakeClient, MoiClient, error, sessions

CLIENT_LIMIT = 3
ADDRESS_LIMIT = 5
FOR_CLIENT = error(
    "TOO_MANY_ATTEMPTS", 429, "Too many failed authentications for this ClientID; try again later"
)
FROM_ADDRESS = error(
    "TOO_MANY_ATTEMPTS", 429, "Too many failed authentications from this address; try again later"
)
URL = f"{PREFIX}/Authenticate/{AGENT}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=False,
        log_json=True,
        moi_auth_max_failures=CLIENT_LIMIT,
        moi_auth_window_seconds=300,
        login_address_max_failures=ADDRESS_LIMIT,
        login_address_window_seconds=300,
    )


Caller = Callable[[str], Any]


@pytest.fixture
def from_address(app: FastAPI) -> Caller:
    """``async with from_address("10.0.0.1") as http``: the app, called from that address."""

    @asynccontextmanager
    async def calling(host: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as http:
            yield http

    return calling


def wrong(client_id: str = "client-a") -> dict[str, str]:
    return {"ClientID": client_id, "ClientSecret": "not-the-secret"}


def failures(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(FailedLogin)) or 0)


async def test_wrong_secrets_lock_the_client_id_for_a_while(
    from_address: Caller, runtime: Runtime, clock: FixedClock, moi_client: MoiClient
) -> None:
    async with from_address("10.0.0.1") as http:
        for _ in range(CLIENT_LIMIT):
            assert (await http.post(URL, json=wrong())).status_code == 401
    before = (sessions(runtime), failures(runtime))
    clock.set(NOW + dt.timedelta(seconds=60))
    async with from_address("10.0.0.2") as http:  # from anywhere, even with the right secret
        refused = await http.post(URL, json=moi_client.body)
    assert (refused.status_code, refused.json()) == (429, FOR_CLIENT)
    assert refused.headers["Retry-After"] == "240"
    assert "Token" not in refused.headers
    assert (sessions(runtime), failures(runtime)) == before  # no session, nothing counted
    clock.set(NOW + dt.timedelta(seconds=301))
    async with from_address("10.0.0.2") as http:
        assert (await http.post(URL, json=moi_client.body)).status_code == 200


async def test_a_session_opened_forgets_the_client_ids_failures(
    from_address: Caller, runtime: Runtime, moi_client: MoiClient
) -> None:
    async with from_address("10.0.0.1") as http:
        for _ in range(CLIENT_LIMIT - 1):
            assert (await http.post(URL, json=wrong())).status_code == 401
        assert (await http.post(URL, json=moi_client.body)).status_code == 200
        for _ in range(CLIENT_LIMIT):
            assert (await http.post(URL, json=wrong())).status_code == 401
        refused = await http.post(URL, json=wrong())
    assert (refused.status_code, refused.json()) == (429, FOR_CLIENT)


async def test_failures_from_one_address_are_limited_whatever_the_client_id(
    from_address: Caller, runtime: Runtime, make_client: MakeClient
) -> None:
    good = make_client()
    async with from_address("10.0.0.1") as http:
        for n in range(ADDRESS_LIMIT):
            assert (await http.post(URL, json=wrong(f"nobody-{n}"))).status_code == 401
        before = (sessions(runtime), failures(runtime))
        refused = await http.post(URL, json=good.body)
        assert (refused.status_code, refused.json()) == (429, FROM_ADDRESS)
        assert (sessions(runtime), failures(runtime)) == before
    async with from_address("10.0.0.2") as http:
        assert (await http.post(URL, json=good.body)).status_code == 200


async def test_parallel_wrong_secrets_cannot_race_past_the_limit(
    from_address: Caller, runtime: Runtime, moi_client: MoiClient
) -> None:
    """40 wrong secrets at once for one ClientID: exactly the limit's worth are checked (each
    counted for the ClientID and for the address), the rest are 429 and counted nowhere."""
    async with from_address("10.0.0.1") as http:
        answers = await asyncio.gather(*(http.post(URL, json=wrong()) for _ in range(40)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * CLIENT_LIMIT + [429] * (40 - CLIENT_LIMIT)
    assert failures(runtime) == 2 * CLIENT_LIMIT
    assert sessions(runtime) == []
