"""The typed client ``saphan.rakmao.client``, sync and async: against the app in-process (logs
in on first use, renews once on 401, typed POs with exact Decimal money, page iterators, the
error tree), and against a scripted remote (a create is never repeated; reads are)."""

from __future__ import annotations

import datetime as dt
import inspect
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from saphan.core.http_client import RetryPolicy
from saphan.core.runtime import Runtime
from saphan.rakmao import demo
from saphan.rakmao.client import (
    AsyncRakmaoClient,
    AuthenticationError,
    ChangeStatus,
    ConflictError,
    CreatePo,
    InternalServerError,
    PermissionDeniedError,
    RakmaoClient,
    RakmaoError,
    SellerAction,
    wire_number,
)
from tests.http_standin import Answer, ASGITransport, ScriptedServer, SyncASGITransport, serve
from tests.rakmao.conftest import create_body

AUTH_BASE = "http://saphan.test/rakmao"
PO_BASE = "http://saphan.test/rakmao-po"
Client = RakmaoClient | AsyncRakmaoClient


async def call(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


async def collect(iterator: Any) -> list[Any]:
    if hasattr(iterator, "__aiter__"):
        return [item async for item in iterator]
    return list(iterator)


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
        demo.seed(session, runtime.clock.now(), generated=25)
    made: list[Client] = []

    def factory(**options: Any) -> Any:
        options.setdefault("username", demo.BUYER_USERNAME)
        options.setdefault("password", demo.BUYER_PASSWORD)
        options.setdefault("base_url", PO_BASE)
        options.setdefault("auth_base_url", AUTH_BASE)
        client: Client
        if kind == "sync":
            transport = SyncASGITransport(app, portal)
            client = RakmaoClient(transport=transport, **options)
        else:
            async_transport = ASGITransport(app)
            client = AsyncRakmaoClient(transport=async_transport, **options)
            transport = async_transport  # type: ignore[assignment]
        client.paths = transport.paths  # type: ignore[union-attr]
        made.append(client)
        return client

    yield factory
    for client in made:
        await call(client.close())


async def test_create_then_read_back_typed_with_exact_money(connect: Any) -> None:
    rakmao = connect()
    body = create_body()
    body["PoItemDetail"][0]["Price"] = Decimal("1250.1")
    body["GrandTotal"] = Decimal("0.3")
    created = await call(rakmao.create_po(CreatePo.model_validate(body)))
    assert created.PoCode == "PO-251120-0001"
    [po] = await call(rakmao.buyer_documents(demo.ORG_ID, po_id=created.PoId))
    assert po.GrandTotal == Decimal("0.3")
    assert po.PoItemDetail[0].Price == Decimal("1250.1")
    assert isinstance(po.PoItemDetail[0].Quantity, Decimal)
    assert po.Status == 3
    changed = await call(
        rakmao.change_status(
            created.PoId, ChangeStatus(Status=1, CreateByUserId="1", CreateByUserName="x")
        )
    )
    assert changed is True
    with pytest.raises(ConflictError) as raised:
        await call(
            rakmao.change_status(
                created.PoId, ChangeStatus(Status=1, CreateByUserId="1", CreateByUserName="x")
            )
        )
    assert raised.value.status_code == 409
    assert "is Preview (1)" in raised.value.message
    # One login for all of it.
    assert rakmao.paths.count("/rakmao/api/v1/Authentication/RequestAPIToken") == 1


async def test_the_page_iterator_walks_every_page(connect: Any) -> None:
    rakmao = connect()
    first = await call(rakmao.list_buyer_pos(demo.ORG_ID, perpage=7))
    items = await collect(rakmao.iter_buyer_pos(demo.ORG_ID, perpage=7))
    assert len(items) == first.count == 27
    assert len({i.PoId for i in items}) == 27
    pages = [p for p in rakmao.paths if p == f"/rakmao-po/api/v1/Buyer/{demo.ORG_ID}"]
    assert len(pages) == 1 + 4


async def test_a_401_renews_once_and_repeats(connect: Any, runtime: Runtime) -> None:
    rakmao = connect()
    await call(rakmao.list_buyer_pos(demo.ORG_ID))
    # The server's clock moves 2 hours on; the client's own timer has not run out.
    runtime.clock.set(runtime.clock.now() + dt.timedelta(hours=2))  # type: ignore[attr-defined]
    page = await call(rakmao.list_buyer_pos(demo.ORG_ID))
    assert page.count == 27
    assert rakmao.paths.count("/rakmao/api/v1/Authentication/RenewAPIToken") == 1
    assert rakmao.paths.count("/rakmao/api/v1/Authentication/RequestAPIToken") == 1


async def test_errors_are_the_rakmao_tree(connect: Any) -> None:
    with pytest.raises(AuthenticationError) as raised:
        await call(connect(password="wrong-password").list_buyer_pos(demo.ORG_ID))
    assert raised.value.message == "Invalid username or password"
    with pytest.raises(PermissionDeniedError):
        await call(connect().list_seller_pos(demo.SELLER_TAX_ID))
    with pytest.raises(RakmaoError, match="po_id, quotation_id or rfq_id"):
        await call(connect().buyer_documents(demo.ORG_ID))


async def test_a_seller_reads_and_rejects(connect: Any) -> None:
    seller = connect(username=demo.SELLER_USERNAME, password=demo.SELLER_PASSWORD)
    [po] = await call(seller.seller_documents(demo.SELLER_TAX_ID, po_id=demo.EXAMPLE_PO_ID))
    assert (po.PoCode, po.GrandTotal, po.BuyerOrgName) == ("PO-220422-0001", 450, demo.ORG_NAME)
    sent = await collect(seller.iter_seller_pos(demo.SELLER_TAX_ID))
    assert demo.EXAMPLE_PO_ID in {i.PoId for i in sent}
    action = SellerAction(
        CreateByUserId="104", CreateByUserName="s", SellerTaxId=demo.SELLER_TAX_ID, Reason="r"
    )
    assert await call(seller.reject(demo.EXAMPLE_PO_ID, action)) is True


# -- a scripted remote ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _remote_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    with serve(server) as url:
        server.url = url
        yield server


@pytest.fixture
def remote(_remote_server: ScriptedServer) -> ScriptedServer:
    _remote_server.reset()
    return _remote_server


def _token_answer() -> Answer:
    # exp - iat = 3600 in the (unverified) claims; the client renews by that lifetime.
    token = "Bearer x.eyJpYXQiOjEsImV4cCI6MzYwMX0.y"
    return Answer(
        200,
        {
            "status": 200,
            "message": "Success",
            "data": {"token": token, "refreshToken": token, "expiration": 3601},
        },
    )


async def test_a_create_is_never_repeated_but_a_read_is(kind: str, remote: ScriptedServer) -> None:
    options: dict[str, Any] = {
        "username": "u",
        "password": "p",
        "base_url": remote.url,
        "auth_base_url": remote.url,
        "retry": RetryPolicy(initial_delay=0.01, max_delay=0.02),
    }
    client: Client = RakmaoClient(**options) if kind == "sync" else AsyncRakmaoClient(**options)
    failure = Answer(503, {"status": 503, "message": "busy", "data": None})
    remote.script(_token_answer(), failure, failure)
    with pytest.raises(InternalServerError):
        await call(client.create_po(CreatePo.model_validate(create_body())))
    assert [s.path for s in remote.seen] == [
        "/api/v1/Authentication/RequestAPIToken",
        "/api/v1/Buyer",
    ]
    sent = remote.seen[1].body
    assert b'"GrandTotal":450' in sent.replace(b" ", b"")
    remote.reset()
    remote.script(
        failure,
        Answer(200, {"status": 200, "message": "Success", "data": {"count": 0, "item": []}}),
    )
    page = await call(client.list_buyer_pos("org"))
    assert page.count == 0
    assert [s.path for s in remote.seen] == ["/api/v1/Buyer/org", "/api/v1/Buyer/org"]
    await call(client.close())


def test_wire_numbers_keep_every_digit() -> None:
    assert wire_number(Decimal("450.0000")) == 450
    assert repr(wire_number(Decimal("0.1"))) == "0.1"
    assert repr(wire_number(Decimal("12345678901.2345"))) == "12345678901.2345"
    with pytest.raises(RakmaoError, match="15 significant digits"):
        wire_number(Decimal("1234567890.123456789"))


def test_configuration_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAKMAO_BASE_URL", PO_BASE)
    monkeypatch.setenv("RAKMAO_AUTH_BASE_URL", AUTH_BASE)
    monkeypatch.setenv("RAKMAO_USERNAME", "u")
    monkeypatch.setenv("RAKMAO_PASSWORD", "p")
    with RakmaoClient() as client:
        assert repr(client) == f"RakmaoClient(base_url={PO_BASE!r})"
    monkeypatch.delenv("RAKMAO_PASSWORD")
    with pytest.raises(RakmaoError, match=r"password=.*RAKMAO_PASSWORD"):
        RakmaoClient()


def test_the_client_imports_neither_fastapi_nor_sqlalchemy() -> None:
    code = (
        "import sys, saphan.rakmao.client; "
        "print('fastapi' in sys.modules, 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
