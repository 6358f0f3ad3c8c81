"""The typed EasySlip client, sync and async, against the app in-process (real database) and
against a scripted stand-in server for retries: typed answers, one exception per code, retries
only on 500 API_SERVER_ERROR and 404 SLIP_PENDING."""

from __future__ import annotations

import base64
import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from saphan.core.http_client import APIStatusError, PermissionDeniedError, RetryPolicy
from saphan.core.runtime import Runtime
from saphan.easyslip import client as es
from saphan.easyslip.client import AsyncEasySlipClient, EasySlipClient
from tests.easyslip.conftest import MakeTenant, Record, Tenant, used
from tests.easyslip.slips import image_of
from tests.http_standin import Answer, ASGITransport, ScriptedServer, SyncASGITransport, serve

IN_PROCESS = "http://saphan.test/easyslip"
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)
Client = EasySlipClient | AsyncEasySlipClient


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
async def connect(kind: str, app: FastAPI, portal: BlockingPortal) -> AsyncIterator[Any]:
    made: list[Client] = []

    def factory(api_key: str) -> Client:
        client: Client
        if kind == "sync":
            client = EasySlipClient(
                api_key, base_url=IN_PROCESS, transport=SyncASGITransport(app, portal)
            )
        else:
            client = AsyncEasySlipClient(api_key, base_url=IN_PROCESS, transport=ASGITransport(app))
        made.append(client)
        return client

    yield factory
    for client in made:
        await call(client.close())


@pytest.fixture(scope="module")
def _server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    with serve(server) as url:
        server.url = url
        yield server


@pytest.fixture
async def remote(
    kind: str, _server: ScriptedServer
) -> AsyncIterator[tuple[ScriptedServer, Client]]:
    _server.reset()
    cls = EasySlipClient if kind == "sync" else AsyncEasySlipClient
    client = cls("k-remote", base_url=_server.url, retry=FAST)
    yield _server, client
    await call(client.close())


def failure(code: str, message: str = "x") -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": message}}


async def test_info_and_banks(connect: Any, tenant: Tenant) -> None:
    client = connect(tenant.key)
    info = await call(client.info())
    assert info.application.quota.max == 100
    assert info.branch.name == "Main"
    banks = await call(client.banks())
    assert banks[0].code == "002"


async def test_verify_every_way(
    connect: Any, runtime: Runtime, tenant: Tenant, record: Record, tmp_path: Path
) -> None:
    client = connect(tenant.key)
    slips = [record() for _ in range(3)]
    by_payload = await call(client.verify_bank(payload=slips[0].payload, match_amount=250))
    assert by_payload.isAmountMatched is True
    assert by_payload.rawSlip.transRef == slips[0].transRef
    path = tmp_path / "slip.png"
    path.write_bytes(image_of(runtime, slips[1]))
    by_file = await call(client.verify_bank(image=path, remark="r", check_duplicate=True))
    assert (by_file.remark, by_file.isDuplicate) == ("r", False)

    by_b64 = await call(
        client.verify_bank(base64=base64.b64encode(image_of(runtime, slips[2], "JPEG")).decode())
    )
    assert by_b64.rawSlip.receiver.account.bank is not None
    assert by_b64.rawSlip.receiver.account.bank.account == "xxx-x-x6789-x"
    again = await call(client.verify_bank(image=image_of(runtime, slips[1])))
    assert again.isDuplicate is True
    assert used(runtime, "app", tenant.app_id) == 3
    with pytest.raises(ValueError, match="exactly one"):
        await call(client.verify_bank(payload="a", url="https://x"))


async def test_truewallet_and_bank_accounts(
    connect: Any, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    client = connect(tenant.key)
    wallet = record(kind="truewallet", receiverAccount=None, receiverProxy="0899999999")
    answer = await call(client.verify_truewallet(image=image_of(runtime, wallet)))
    assert answer.rawSlip.receiver.phone == "xxx-xxx-9999"
    created = await call(
        client.create_bank_account(
            bank_code="004",
            bank_number="1234567890",
            name_th="ร้าน",
            name_en="SHOP",
            type="JURISTIC",
        )
    )
    assert [a.id for a in await call(client.bank_accounts())] == [created.id]
    assert created.extraVerify is None
    updated = await call(client.update_bank_account(created.id, extra_verify="NAME_NUMBER"))
    assert updated.extraVerify == "NAME_NUMBER"
    matched = await call(client.verify_bank(payload=record().payload, match_account=True))
    assert matched.matchedAccount is None  # extraVerify: the slip's receiver is TEST SHOP
    cleared = await call(client.update_bank_account(created.id, extra_verify=None))
    assert cleared.extraVerify is None
    matched = await call(client.verify_bank(payload=record().payload, match_account=True))
    assert matched.matchedAccount is not None
    assert matched.matchedAccount.bankNumber == "1234567890"
    older = await call(
        client.create_bank_account(
            bank_code="PROMPTPAY",
            bank_number="0812345678",
            name_th="ร้าน",
            name_en="SHOP",
            type="SAVING",
            extra_verify=True,
        )
    )
    assert (older.type, older.extraVerify) == ("PERSONAL", "MSISDN")
    with pytest.raises(es.InvalidRequestError) as refused:
        await call(client.update_bank_account(older.id, extra_verify="NAME"))
    assert refused.value.code == "VALIDATION_ERROR"
    assert "(extraVerify)" in refused.value.message
    await call(client.delete_bank_account(older.id))
    await call(client.delete_bank_account(created.id))
    with pytest.raises(es.RouteNotFoundError) as caught:
        await call(client.delete_bank_account(created.id))
    assert caught.value.code == "NOT_FOUND"


async def test_typed_errors(
    connect: Any, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    spent = make_tenant(quota=0)
    client = connect(spent.key)
    with pytest.raises(es.QuotaExceededError) as caught:
        await call(client.verify_bank(payload=record().payload))
    assert isinstance(caught.value, PermissionDeniedError)
    assert (caught.value.status_code, caught.value.code) == (403, "QUOTA_EXCEEDED")
    assert caught.value.message == "Your API quota has been exceeded"
    with pytest.raises(es.SlipNotFoundError):
        await call(client.verify_bank(payload="0000"))
    with pytest.raises(es.InvalidImageFormatError):
        await call(client.verify_bank(image=b"not an image"))
    with pytest.raises(es.InvalidApiKeyError):
        await call(connect("00000000-0000-4000-8000-000000000000").info())


def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EASYSLIP_API_KEY", raising=False)
    with pytest.raises(ValueError, match="EASYSLIP_API_KEY"):
        EasySlipClient()
    monkeypatch.setenv("EASYSLIP_API_KEY", "k")
    monkeypatch.setenv("EASYSLIP_BASE_URL", "http://localhost:8000/easyslip")
    client = EasySlipClient()
    assert str(client.url("/v2/info")) == "http://localhost:8000/easyslip/v2/info"
    assert "k" not in repr(client)
    client.close()
    monkeypatch.delenv("EASYSLIP_BASE_URL")
    default = EasySlipClient()
    assert str(default.url("/v2/info")) == "https://api.easyslip.com/v2/info"
    default.close()


OK_INFO = {
    "success": True,
    "message": "ok",
    "data": {
        "application": {
            "name": "a",
            "autoRenew": {"expired": False, "quota": False, "createdAt": "", "expiresAt": ""},
            "quota": {"used": 0, "max": None, "remaining": None, "totalUsed": 0},
        },
        "branch": {"name": "b", "isActive": True, "quota": {"used": 0, "totalUsed": 0}},
        "account": {"email": "e", "credit": 0},
        "product": {"name": "p"},
    },
}


@pytest.mark.parametrize(("status", "code"), [(500, "API_SERVER_ERROR"), (404, "SLIP_PENDING")])
async def test_retried_codes(remote: Any, status: int, code: str) -> None:
    server, client = remote
    server.script(
        Answer(status, failure(code)), Answer(status, failure(code)), Answer(200, OK_INFO)
    )
    info = await call(client.info())
    assert info.product.name == "p"
    assert len(server.seen) == 3


async def test_retries_give_up_after_two(remote: Any) -> None:
    server, client = remote
    server.script(*[Answer(404, failure("SLIP_PENDING"))] * 5)
    with pytest.raises(es.SlipPendingError):
        await call(client.verify_bank(payload="x"))
    assert len(server.seen) == 3


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (500, "INTERNAL_SERVER_ERROR", APIStatusError),
        (503, "SERVICE_UNAVAILABLE", APIStatusError),
        (429, "RATE_LIMITED", APIStatusError),
        (404, "SLIP_NOT_FOUND", es.SlipNotFoundError),
        (403, "QUOTA_EXCEEDED", es.QuotaExceededError),
    ],
)
async def test_nothing_else_is_retried(remote: Any, status: int, code: str, cls: type) -> None:
    server, client = remote
    server.script(Answer(status, failure(code)), Answer(200, OK_INFO))
    with pytest.raises(cls) as caught:
        await call(client.verify_bank(payload="x"))
    assert isinstance(caught.value, es.EasySlipStatusError)
    assert len(server.seen) == 1


async def test_a_slip_without_fee_refs_or_local_amount_reads_as_zero_and_empty(
    remote: Any,
) -> None:
    """v2's interfaces type them optional and an answer may leave them out (``local: {}``):
    the client reads them as the published examples show them."""
    server, client = remote
    slip = {
        "payload": "x",
        "transRef": "T1",
        "date": "2025-11-19T14:05:09+07:00",
        "countryCode": "TH",
        "amount": {"amount": 250, "local": {}},
        "sender": {"bank": {"id": "014"}, "account": {"name": {"th": "A"}}},
        "receiver": {"bank": {"id": "004"}, "account": {"name": {"th": "B"}}},
    }
    data = {"isDuplicate": False, "matchedAccount": None, "amountInSlip": 250, "rawSlip": slip}
    server.script(Answer(200, {"success": True, "message": "ok", "data": data}))
    raw = (await call(client.verify_bank(payload="x"))).rawSlip
    assert (raw.fee, raw.ref1, raw.ref2, raw.ref3) == (0, "", "", "")
    assert (raw.amount.local.amount, raw.amount.local.currency) == (0, "")
