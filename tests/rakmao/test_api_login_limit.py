"""RequestAPIToken's failed logins are limited per client address as well as per username
(issue 13 item 10): wrong passwords spread over many usernames from one address are refused
with 429 once the address's limit is reached; a good login takes back its own attempt only."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
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
from saphan.rakmao.models import LoginFailure
from tests.conftest import ADMIN_TOKEN, NOW, SECRET
from tests.rakmao.conftest import AUTH, Account, error, state

REQUEST = f"{AUTH}/RequestAPIToken"
ADDRESS_LIMIT = 3
FROM_ADDRESS = error(429, "Too many failed logins from this address; try again later")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=False,
        log_json=True,
        rakmao_require_webhook=False,
        webhook_deliver_in_process=False,
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


def wrong(username: str) -> str:
    payload = {"UserName": username, "Password": "not-the-password"}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def counted(runtime: Runtime) -> tuple[int, int]:
    """(failures per address, failures per username) recorded."""
    with runtime.db.read() as session:
        by_address = session.scalar(select(func.count()).select_from(FailedLogin))
        by_username = session.scalar(select(func.count()).select_from(LoginFailure))
    return int(by_address or 0), int(by_username or 0)


async def test_failed_logins_from_one_address_are_limited_whatever_the_username(
    from_address: Caller, runtime: Runtime, clock: FixedClock, buyer_account: Account
) -> None:
    async with from_address("10.0.0.1") as http:
        for n in range(ADDRESS_LIMIT):
            assert (await http.post(REQUEST, json=wrong(f"user-{n}"))).status_code == 401
        before = (state(runtime), counted(runtime))
        clock.set(NOW + dt.timedelta(seconds=60))
        refused = await http.post(REQUEST, json=buyer_account.authen)  # even a right password
        assert (refused.status_code, refused.json()) == (429, FROM_ADDRESS)
        assert refused.headers["Retry-After"] == "240"
        assert (state(runtime), counted(runtime)) == before  # no login, nothing counted
    async with from_address("10.0.0.2") as http:  # another address is not affected
        assert (await http.post(REQUEST, json=buyer_account.authen)).status_code == 200
    clock.set(NOW + dt.timedelta(seconds=301))
    async with from_address("10.0.0.1") as http:
        assert (await http.post(REQUEST, json=buyer_account.authen)).status_code == 200


async def test_a_good_login_takes_back_its_own_attempt_only(
    from_address: Caller, runtime: Runtime, buyer_account: Account
) -> None:
    async with from_address("10.0.0.1") as http:
        for n in range(ADDRESS_LIMIT - 1):
            assert (await http.post(REQUEST, json=wrong(f"user-{n}"))).status_code == 401
        assert (await http.post(REQUEST, json=buyer_account.authen)).status_code == 200
        assert counted(runtime) == (ADDRESS_LIMIT - 1, ADDRESS_LIMIT - 1)
        assert (await http.post(REQUEST, json=wrong("user-last"))).status_code == 401
        refused = await http.post(REQUEST, json=wrong("user-next"))
        assert (refused.status_code, refused.json()) == (429, FROM_ADDRESS)


async def test_parallel_wrong_logins_from_one_address_cannot_race_past_its_limit(
    from_address: Caller, runtime: Runtime
) -> None:
    """40 wrong logins at once from one address, each for a username of its own: exactly the
    limit's worth are checked, the rest are 429 and counted nowhere."""
    async with from_address("10.0.0.1") as http:
        answers = await asyncio.gather(
            *(http.post(REQUEST, json=wrong(f"user-{n}")) for n in range(40))
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * ADDRESS_LIMIT + [429] * (40 - ADDRESS_LIMIT)
    assert counted(runtime) == (ADDRESS_LIMIT, ADDRESS_LIMIT)
