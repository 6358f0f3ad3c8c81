"""The typed client ``saphan.moi.client``, sync and async, against the app in-process: it
authenticates on first use, keeps the token, authenticates again once on 401 or expiry, and
returns typed accounts of both layouts; errors are the MOI error tree."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from saphan.core.runtime import Runtime
from saphan.moi import demo
from saphan.moi.client import (
    AsyncMoiClient,
    AuthenticationError,
    BadRequestError,
    MoiClient,
    MoiError,
    NotFoundError,
    PowerCapitalResponse,
)
from saphan.moi.schemas import POWER_CAPITAL_EXAMPLE
from tests.http_standin import ASGITransport, SyncASGITransport
from tests.moi.conftest import audit, sessions

BASE = "http://saphan.test/moi"
AGENT = "1234567890123"
Client = MoiClient | AsyncMoiClient


async def call(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


@pytest.fixture
async def connect(
    kind: str, app: FastAPI, portal: BlockingPortal, runtime: Runtime
) -> AsyncIterator[Any]:
    with runtime.db.write() as session:
        demo.seed(session, runtime.secret, runtime.clock.now())
    made: list[Client] = []

    def factory(**options: Any) -> Client:
        options.setdefault("agent_id", AGENT)
        options.setdefault("client_id", demo.CLIENT_ID)
        options.setdefault("client_secret", demo.CLIENT_SECRET)
        options.setdefault("base_url", BASE)
        client: Client
        if kind == "sync":
            client = MoiClient(transport=SyncASGITransport(app, portal), **options)
        else:
            client = AsyncMoiClient(transport=ASGITransport(app), **options)
        made.append(client)
        return client

    yield factory
    for client in made:
        await call(client.close())


async def test_power_capital_returns_the_example_typed(connect: Any, runtime: Runtime) -> None:
    moi = connect()
    answer = await call(moi.power_capital(demo.EXAMPLE_CITIZEN))
    assert isinstance(answer, PowerCapitalResponse)
    expected = PowerCapitalResponse.model_validate(POWER_CAPITAL_EXAMPLE)
    assert answer == expected
    assert answer.customerinfo[0].distict == "ปทุมวัน"
    assert answer.customerinfo[0].usageHistory[0].Amount == 2105542.18


async def test_both_layouts_come_back_typed(connect: Any) -> None:
    answer = await call(connect().power_capital(demo.COMPANY_CITIZEN))
    assert answer.customerinfo == []
    assert answer.CAList is not None
    assert [ca.CANo for ca in answer.CAList] == ["020012345678", "020012345679"]
    assert len(answer.CAList[0].BillList) == 6


async def test_the_token_is_kept_between_calls(connect: Any, runtime: Runtime) -> None:
    moi = connect()
    await call(moi.power_capital(demo.EXAMPLE_CITIZEN))
    await call(moi.power_capital(demo.COMPANY_CITIZEN))
    assert len(sessions(runtime)) == 1
    assert len(audit(runtime)) == 2


async def test_an_expired_session_is_renewed_once(connect: Any, runtime: Runtime) -> None:
    moi = connect()
    await call(moi.power_capital(demo.EXAMPLE_CITIZEN))
    # The server's clock moves 9 hours on; the client's own timer has not run out.
    runtime.clock.set(runtime.clock.now() + dt.timedelta(hours=9))  # type: ignore[attr-defined]
    answer = await call(moi.power_capital(demo.EXAMPLE_CITIZEN))
    assert answer.rowCount == "1"
    assert len(sessions(runtime)) == 2


async def test_wrong_credentials_are_an_authentication_error(connect: Any) -> None:
    moi = connect(client_secret="wrong")
    with pytest.raises(AuthenticationError) as raised:
        await call(moi.power_capital(demo.EXAMPLE_CITIZEN))
    assert raised.value.status_code == 401
    assert raised.value.error == "INVALID_CLIENT"
    assert raised.value.message == "Invalid ClientID or ClientSecret"


async def test_a_malformed_citizen_id_is_refused_before_sending(connect: Any) -> None:
    with pytest.raises(MoiError, match="13 digits"):
        await call(connect().power_capital("12345"))


async def test_a_citizen_id_failing_the_check_digit_is_a_bad_request(
    connect: Any, runtime: Runtime
) -> None:
    runtime.settings.moi_citizen_checksum = True
    with pytest.raises(BadRequestError) as raised:
        await call(connect().power_capital(demo.EXAMPLE_CITIZEN))
    assert raised.value.error == "INVALID_CITIZEN_ID"


async def test_a_base_url_without_the_prefix_is_not_found(connect: Any) -> None:
    with pytest.raises(NotFoundError):
        await call(connect(base_url="http://saphan.test").power_capital(demo.EXAMPLE_CITIZEN))


def test_configuration_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOI_BASE_URL", BASE)
    monkeypatch.setenv("MOI_CLIENT_ID", demo.CLIENT_ID)
    monkeypatch.setenv("MOI_CLIENT_SECRET", demo.CLIENT_SECRET)
    monkeypatch.setenv("MOI_AGENT_ID", AGENT)
    with MoiClient() as moi:
        assert repr(moi) == f"MoiClient(base_url={BASE!r})"
    monkeypatch.delenv("MOI_CLIENT_SECRET")
    with pytest.raises(MoiError, match=r"client_secret=.*MOI_CLIENT_SECRET"):
        MoiClient()
    with pytest.raises(MoiError, match="13-digit"):
        MoiClient(agent_id="123", client_secret="x")


def test_the_client_imports_neither_fastapi_nor_sqlalchemy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, saphan.moi.client; "
        "print('fastapi' in sys.modules, 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
