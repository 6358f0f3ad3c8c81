"""The typed client (saphan.depa.client), sync and async: against the real app in-process, against
``saphan serve`` in a subprocess, and against a scripted stand-in for depa's server where the
server has to misbehave (retries, Retry-After, timeouts) or the wire itself is checked."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from pydantic import ValidationError

from saphan.core import http_client as core
from saphan.core.runtime import Runtime
from saphan.depa import client as depa_client
from saphan.depa.client import (
    DEFAULT_BASE_URL,
    AsyncDepaClient,
    AuthenticationError,
    BadRequestError,
    DepaClient,
    DepaConnectionError,
    DepaError,
    DepaStatusError,
    DepaTimeoutError,
    GetDPVouchersResponse,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    UsageRow,
    Voucher,
    VoucherUsageRecord,
)
from tests.conftest import ADMIN_TOKEN, LiveServer, start_live_server
from tests.depa.conftest import DP, MakeDP, usage_rows, voucher
from tests.http_standin import Answer, ASGITransport, ScriptedServer, SyncASGITransport, serve

FIXTURES = Path(__file__).parent / "spec_examples"
IN_PROCESS = "http://saphan.test/depa"
FAST = RetryPolicy(initial_delay=0.05, max_delay=0.2)
DAYS = [f"2025-11-{d:02d}" for d in range(1, 11)]

Client = DepaClient | AsyncDepaClient


async def call(result: Any) -> Any:
    """Await an async client's result; a sync client's is already there."""
    return await result if inspect.isawaitable(result) else result


async def collect(items: Any) -> list[Any]:
    if hasattr(items, "__aiter__"):
        return [item async for item in items]
    return list(items)


def codes(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i:03d}" for i in range(1, n + 1)]


def usage(voucher_codes: list[str], days: list[str] = DAYS) -> list[dict[str, Any]]:
    """One record per voucher and day, day by day."""
    return [
        {
            "accessDate": day,
            "voucherCode": code,
            "appUserId": f"user-{code}",
            "accessCount": i % 7 + 1,
            "accessTime": 30 + i % 60,
            "lat": 13.7563,
            "lon": 100.5018,
        }
        for day in days
        for i, code in enumerate(voucher_codes)
    ]


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


class Connect:
    """``connect(api_key, **options)``: a client of the test's kind on the app, in-process.
    ``paths`` lists what the latest client asked for."""

    def __init__(self, kind: str, app: FastAPI, portal: BlockingPortal) -> None:
        self.kind, self.app, self.portal = kind, app, portal
        self.made: list[Client] = []
        self.paths: list[str] = []

    def __call__(self, api_key: str, *, base_url: str = IN_PROCESS, **options: Any) -> Client:
        client: Client
        if self.kind == "sync":
            sync_transport = SyncASGITransport(self.app, self.portal)
            client = DepaClient(api_key, base_url=base_url, transport=sync_transport, **options)
            self.paths = sync_transport.paths
        else:
            transport = ASGITransport(self.app)
            client = AsyncDepaClient(api_key, base_url=base_url, transport=transport, **options)
            self.paths = transport.paths
        self.made.append(client)
        return client


@pytest.fixture
async def connect(kind: str, app: FastAPI, portal: BlockingPortal) -> AsyncIterator[Connect]:
    factory = Connect(kind, app, portal)
    yield factory
    for client in factory.made:
        await call(client.close())


@pytest.fixture(scope="module")
def _remote_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    with serve(server) as url:
        server.url = url
        yield server


@pytest.fixture
def remote(_remote_server: ScriptedServer) -> ScriptedServer:
    """A scripted stand-in for depa's server, on a real socket."""
    _remote_server.reset()
    return _remote_server


@pytest.fixture
async def to_remote(kind: str, remote: ScriptedServer) -> AsyncIterator[Any]:
    """``to_remote(**options)``: a client of the test's kind on the stand-in server."""
    made: list[Client] = []

    def factory(api_key: str = "k-remote", **options: Any) -> Client:
        options.setdefault("retry", FAST)
        options.setdefault("base_url", remote.url)
        cls = DepaClient if kind == "sync" else AsyncDepaClient
        client = cls(api_key, **options)
        made.append(client)
        return client

    yield factory
    for client in made:
        await call(client.close())


def envelope(message: str) -> dict[str, Any]:
    return {"success": False, "errorMessage": message, "data": None}


EMPTY_PAGE = {"success": True, "errorMessage": "", "totalRecords": 0, "pageSize": 500,
              "pageNumber": 1, "data": []}  # fmt: skip


# -- GetDPVouchers -------------------------------------------------------------------------------


async def test_iter_vouchers_walks_every_page_in_order(make_dp: MakeDP, connect: Connect) -> None:
    issued = codes("DV-P", 23)
    dp = make_dp("DP Pages", [voucher(code) for code in issued])
    depa = connect(dp.key)

    vouchers = await collect(depa.iter_vouchers(page_size=5))

    assert [v.voucherCode for v in vouchers] == issued
    assert all(isinstance(v, Voucher) for v in vouchers)
    # Five pages (5+5+5+5+3) and not one more: totalRecords says when to stop.
    assert connect.paths == ["/depa/api/dp/GetDPVouchers"] * 5


async def test_iter_voucher_pages_gives_each_page_with_its_totals(
    make_dp: MakeDP, connect: Connect
) -> None:
    dp = make_dp("DP Pages", [voucher(code) for code in codes("DV-Q", 10)])
    depa = connect(dp.key)

    pages = await collect(depa.iter_voucher_pages(page_size=5))

    assert [type(p) for p in pages] == [GetDPVouchersResponse] * 2
    assert [(p.pageNumber, p.pageSize, p.totalRecords, len(p.data)) for p in pages] == [
        (1, 5, 10, 5),
        (2, 5, 10, 5),
    ]
    assert len(connect.paths) == 2  # an exact multiple needs no empty page to end


async def test_a_dp_without_vouchers_iterates_nothing(make_dp: MakeDP, connect: Connect) -> None:
    depa = connect(make_dp("DP Empty").key)
    assert await collect(depa.iter_vouchers()) == []
    assert len(connect.paths) == 1  # one empty page, and the end
    assert await collect(depa.iter_voucher_pages()) == []


async def test_get_dp_vouchers_parses_the_spec_fields(dp: DP, connect: Connect) -> None:
    depa = connect(dp.key)

    page = await call(depa.get_dp_vouchers(1, page_size=2))

    assert (page.success, page.errorMessage, page.totalRecords) == (True, "", 3)
    assert (page.pageNumber, page.pageSize) == (1, 2)
    first = page.data[0]
    assert first.voucherCode == "DV-A1"
    assert first.status == "Activated"
    assert first.bindingTime == "2025-10-30 08:00:00"
    assert first.activatedTime == "2025-11-01 09:00:00"
    assert first.revokedTime == ""
    assert (first.firstName, first.lastName, first.dpName) == ("สมชาย", "ใจดี", "DP Alpha")


async def test_a_page_size_over_500_is_refused_before_sending(dp: DP, connect: Connect) -> None:
    depa = connect(dp.key)
    with pytest.raises(ValidationError, match="pageSize"):
        await call(depa.get_dp_vouchers(1, page_size=501))
    assert connect.paths == []


# -- VoucherUsage --------------------------------------------------------------------------------


async def test_report_usage_sends_250_records_in_three_batches(
    make_dp: MakeDP, connect: Connect
) -> None:
    issued = codes("DV-U", 25)
    dp = make_dp("DP Usage", [voucher(code) for code in issued])
    depa = connect(dp.key)
    records = usage(issued)
    assert len(records) == 250

    results = await call(depa.report_usage(records))

    assert [(r.success, r.data.received, r.data.saved) for r in results] == [
        (True, 100, 100),
        (True, 100, 100),
        (True, 50, 50),
    ]
    assert connect.paths == ["/depa/api/dp/VoucherUsage"] * 3
    back = await call(depa.get_voucher_usage(issued[3], "2025-11-01", dt.date(2025, 11, 30)))
    assert [row.accessDate for row in back.data] == DAYS
    assert all(isinstance(row, UsageRow) for row in back.data)
    assert (back.data[0].appUserId, back.data[0].accessCount) == ("user-DV-U-004", 4)
    assert (back.data[0].lat, back.data[0].lon) == (13.7563, 100.502)  # single precision


async def test_usage_goes_to_uat_or_production_as_told(dp: DP, connect: Connect) -> None:
    uat = connect(dp.key)
    production = connect(dp.key, is_production=True)
    record = usage(["DV-A1"], ["2025-11-16"])

    await call(uat.voucher_usage(record))
    await call(production.voucher_usage([{**record[0], "accessCount": 9}]))
    await call(uat.voucher_usage([{**record[0], "accessCount": 2}], is_production=True))

    read_uat = await call(uat.get_voucher_usage("DV-A1", "2025-11-01", "2025-11-30"))
    read_prod = await call(
        uat.get_voucher_usage("DV-A1", "2025-11-01", "2025-11-30", is_production=True)
    )
    assert [row.accessCount for row in read_uat.data] == [1]
    assert [row.accessCount for row in read_prod.data] == [2]  # the latest record wins


async def test_voucher_usage_takes_models_and_dates(dp: DP, connect: Connect) -> None:
    depa = connect(dp.key)
    example = json.loads((FIXTURES / "VoucherUsage.request.json").read_text())["vouchers"][0]
    records = [
        VoucherUsageRecord(**{**example, "voucherCode": "DV-A1"}),
        {**example, "voucherCode": "DV-A2", "accessDate": dt.date(2025, 11, 16)},
    ]

    answer = await call(depa.voucher_usage(records))

    assert (answer.success, answer.errorMessage) == (True, "")
    assert (answer.data.received, answer.data.saved) == (2, 2)
    back = await call(depa.get_voucher_usage("DV-A2", "2025-11-16", "2025-11-16"))
    [row] = back.data
    assert (row.lat, row.lon, row.accessTime) == (13.1235, 100.123, 180)


async def test_more_than_100_records_in_one_call_is_refused_before_sending(
    runtime: Runtime, dp: DP, connect: Connect
) -> None:
    depa = connect(dp.key)
    records = usage(["DV-A1"], ["2025-11-01"]) * 101
    with pytest.raises(ValidationError, match="Maximum 100 records allowed per request"):
        await call(depa.voucher_usage(records))
    assert connect.paths == []
    assert usage_rows(runtime, dp.id) == []


async def test_report_usage_checks_every_record_before_sending_any(
    runtime: Runtime, make_dp: MakeDP, connect: Connect
) -> None:
    issued = codes("DV-V", 25)
    dp = make_dp("DP Check", [voucher(code) for code in issued])
    depa = connect(dp.key)
    records = usage(issued)
    records[230]["accessDate"] = "2025-11-31"

    with pytest.raises(ValidationError, match=r"Invalid date format\. Use YYYY-MM-DD") as caught:
        await call(depa.report_usage(records))

    assert [error["loc"] for error in caught.value.errors()] == [(230, "accessDate")]
    assert connect.paths == []
    assert usage_rows(runtime, dp.id) == []


async def test_report_usage_stops_at_a_rejected_batch_and_says_which(
    make_dp: MakeDP, connect: Connect
) -> None:
    issued = codes("DV-W", 25)
    dp = make_dp("DP Reject", [voucher(code) for code in issued])
    depa = connect(dp.key)
    records = usage(issued)
    records[120]["accessDate"] = "2025-10-15"  # before DV-W-021 was activated

    with pytest.raises(BadRequestError) as caught:
        await call(depa.report_usage(records))

    error = caught.value
    assert error.status_code == 400
    assert error.errorMessage == (
        "Voucher DV-W-021 was not activated on 2025-10-15 (vouchers[20].accessDate)"
    )
    assert "batch 2 of 3 (records from index 100) failed" in "\n".join(error.__notes__)
    assert connect.paths == ["/depa/api/dp/VoucherUsage"] * 2  # the third never sent
    back = await call(depa.get_voucher_usage("DV-W-001", "2025-11-01", "2025-11-30"))
    assert [row.accessDate for row in back.data] == DAYS[:4]  # the first batch was saved


async def test_report_usage_of_nothing_sends_nothing(dp: DP, connect: Connect) -> None:
    depa = connect(dp.key)
    assert await call(depa.report_usage([])) == []
    assert connect.paths == []


# -- GetVoucherUsage -----------------------------------------------------------------------------


async def test_an_unknown_voucher_has_no_usage(dp: DP, connect: Connect) -> None:
    depa = connect(dp.key)
    answer = await call(depa.get_voucher_usage("DV-NOPE", "2025-01-01", "2025-12-31"))
    assert (answer.success, answer.data) == (True, [])


# -- errors from the real app --------------------------------------------------------------------


async def test_a_wrong_key_is_an_authentication_error(dp: DP, connect: Connect) -> None:
    depa = connect(str(uuid.uuid4()))

    with pytest.raises(AuthenticationError) as caught:
        await call(depa.get_dp_vouchers(1))

    error = caught.value
    assert (error.status_code, error.errorMessage, error.message) == (
        401,
        "Invalid API key",
        "Invalid API key",
    )
    assert error.body == envelope("Invalid API key")
    assert isinstance(error, DepaStatusError)
    assert isinstance(error, DepaError)
    assert isinstance(error, core.AuthenticationError)
    assert str(error) == "401 Unauthorized: Invalid API key"
    assert connect.paths == ["/depa/api/dp/GetDPVouchers"]  # a 401 is not retried


async def test_another_dps_voucher_is_permission_denied(
    runtime: Runtime, dp: DP, other_dp: DP, connect: Connect
) -> None:
    depa = connect(dp.key)

    with pytest.raises(PermissionDeniedError) as read:
        await call(depa.get_voucher_usage("DV-B1", "2025-11-01", "2025-11-30"))
    with pytest.raises(PermissionDeniedError) as write:
        await call(depa.voucher_usage(usage(["DV-B1"], ["2025-11-02"])))

    assert read.value.status_code == write.value.status_code == 403
    assert read.value.errorMessage == (
        "Voucher DV-B1 does not belong to this Digital Provider (voucherCode)"
    )
    assert write.value.errorMessage == (
        "Voucher DV-B1 does not belong to this Digital Provider (vouchers[0].voucherCode)"
    )
    assert usage_rows(runtime, other_dp.id) == []


async def test_a_rule_the_server_checks_is_a_bad_request(dp: DP, connect: Connect) -> None:
    depa = connect(dp.key)

    with pytest.raises(BadRequestError) as caught:
        await call(depa.get_voucher_usage("DV-A1", "2025-11-30", "2025-11-01"))

    assert caught.value.status_code == 400
    assert caught.value.errorMessage == "fromDate must not be after toDate (fromDate)"
    assert connect.paths == ["/depa/api/dp/GetVoucherUsage"]  # a 400 is not retried


async def test_a_base_url_without_the_prefix_is_not_found(dp: DP, connect: Connect) -> None:
    depa = connect(dp.key, base_url="http://saphan.test")
    with pytest.raises(NotFoundError) as caught:
        await call(depa.get_dp_vouchers(1))
    assert caught.value.status_code == 404
    assert caught.value.errorMessage == ""  # not depa's envelope: Saphan's root answered
    assert caught.value.message


# -- against depa's stand-in: the wire, retries, timeouts ----------------------------------------


async def test_requests_are_the_spec_examples_on_the_wire(
    to_remote: Any, remote: ScriptedServer
) -> None:
    key = "3d9a2d47-5b1e-4c2c-9f0a-54f8a1988a17"
    depa = to_remote(key, base_url=f"{remote.url}/depa")
    example = json.loads((FIXTURES / "VoucherUsage.request.json").read_text())
    remote.script(
        Answer(200, EMPTY_PAGE),
        Answer(200, {"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}}),
        Answer(200, {"success": True, "errorMessage": "", "data": []}),
    )

    await call(depa.get_dp_vouchers(1, 500))
    await call(depa.voucher_usage(example["vouchers"]))
    await call(depa.get_voucher_usage("DV-BHRDV9XXXX", "2025-01-01", dt.date(2025, 12, 31)))

    assert [(s.method, s.path) for s in remote.seen] == [
        ("POST", "/depa/api/dp/GetDPVouchers"),
        ("POST", "/depa/api/dp/VoucherUsage"),
        ("POST", "/depa/api/dp/GetVoucherUsage"),
    ]
    for seen in remote.seen:
        assert seen.headers["x-api-key"] == key
        assert seen.headers["content-type"] == "application/json"
    assert [s.json for s in remote.seen] == [
        json.loads((FIXTURES / f"{name}.request.json").read_text())
        for name in ("GetDPVouchers", "VoucherUsage", "GetVoucherUsage")
    ]


async def test_reads_are_retried_with_backoff_on_503(
    to_remote: Any, remote: ScriptedServer
) -> None:
    depa = to_remote()
    remote.script(
        Answer(503, envelope("busy")), Answer(503, envelope("busy")), Answer(200, EMPTY_PAGE)
    )

    page = await call(depa.get_dp_vouchers(1))

    assert page.totalRecords == 0
    assert len(remote.seen) == 3
    assert remote.gaps[0] >= 0.05 * 0.75
    assert remote.gaps[1] >= 0.10 * 0.75


async def test_voucher_usage_is_retried_after_429_as_retry_after_says(
    to_remote: Any, remote: ScriptedServer
) -> None:
    depa = to_remote()
    saved = {"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}}
    remote.script(Answer(429, envelope("slow down"), {"Retry-After": "0.3"}), Answer(200, saved))

    answer = await call(depa.voucher_usage(usage(["DV-X"], ["2025-11-16"])))

    assert answer.data.saved == 1
    assert len(remote.seen) == 2
    assert remote.seen[0].body == remote.seen[1].body  # the same batch, sent again
    assert remote.gaps[0] >= 0.3


async def test_retries_give_up_with_the_last_error(to_remote: Any, remote: ScriptedServer) -> None:
    depa = to_remote()
    remote.default = Answer(500, envelope("Internal server error"))

    with pytest.raises(InternalServerError) as caught:
        await call(depa.get_voucher_usage("DV-X", "2025-11-01", "2025-11-30"))

    assert (caught.value.status_code, caught.value.errorMessage) == (500, "Internal server error")
    assert len(remote.seen) == 3


async def test_429_retries_give_up_as_a_rate_limit_error(
    to_remote: Any, remote: ScriptedServer
) -> None:
    depa = to_remote(max_retries=1)
    remote.default = Answer(429, envelope("Too many requests"), {"Retry-After": "0"})
    with pytest.raises(RateLimitError):
        await call(depa.get_dp_vouchers(1))
    assert len(remote.seen) == 2


async def test_a_400_is_not_retried(to_remote: Any, remote: ScriptedServer) -> None:
    depa = to_remote()
    message = "Maximum 100 records allowed per request"
    remote.default = Answer(400, envelope(message))

    with pytest.raises(BadRequestError) as caught:
        await call(depa.voucher_usage(usage(["DV-X"], ["2025-11-16"])))

    assert (caught.value.status_code, caught.value.errorMessage) == (400, message)
    assert len(remote.seen) == 1


async def test_a_200_whose_envelope_says_it_failed_is_an_error(
    to_remote: Any, remote: ScriptedServer
) -> None:
    depa = to_remote()
    remote.default = Answer(200, envelope("Something depa did not like"))
    with pytest.raises(DepaStatusError) as caught:
        await call(depa.get_dp_vouchers(1))
    assert (caught.value.status_code, caught.value.errorMessage) == (
        200,
        "Something depa did not like",
    )


async def test_a_slow_depa_times_out_after_the_retries(
    to_remote: Any, remote: ScriptedServer
) -> None:
    depa = to_remote(timeout=0.2)
    remote.default = Answer(200, EMPTY_PAGE, delay=0.6)

    with pytest.raises(DepaTimeoutError) as caught:
        await call(depa.get_dp_vouchers(1))

    assert isinstance(caught.value, core.APITimeoutError)
    assert isinstance(caught.value, DepaConnectionError)
    assert len(remote.seen) == 3


async def test_an_unreachable_depa_is_a_connection_error(to_remote: Any) -> None:
    depa = to_remote(base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(DepaConnectionError) as caught:
        await call(depa.get_dp_vouchers(1))
    assert isinstance(caught.value, core.APIConnectionError)
    assert isinstance(caught.value, DepaError)


# -- configuration -------------------------------------------------------------------------------


async def test_configuration_comes_from_the_environment(
    to_remote: Any, remote: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPA_API_KEY", "key-from-env")
    monkeypatch.setenv("DEPA_BASE_URL", f"{remote.url}/from-env")
    monkeypatch.setenv("DEPA_IS_PRODUCTION", "true")
    depa = to_remote(None, base_url=None)
    remote.default = Answer(200, {"success": True, "errorMessage": "", "data": []})

    await call(depa.get_voucher_usage("DV-X", "2025-11-01", "2025-11-30"))

    [seen] = remote.seen
    assert seen.path == "/from-env/api/dp/GetVoucherUsage"
    assert seen.headers["x-api-key"] == "key-from-env"
    assert seen.json["isProduction"] is True


async def test_arguments_come_before_the_environment(
    to_remote: Any, remote: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPA_API_KEY", "key-from-env")
    monkeypatch.setenv("DEPA_BASE_URL", "http://127.0.0.1:9/nowhere")
    monkeypatch.setenv("DEPA_IS_PRODUCTION", "true")
    depa = to_remote("key-from-argument", base_url=remote.url, is_production=False)
    remote.default = Answer(200, {"success": True, "errorMessage": "", "data": []})

    await call(depa.get_voucher_usage("DV-X", "2025-11-01", "2025-11-30"))

    [seen] = remote.seen
    assert seen.path == "/api/dp/GetVoucherUsage"
    assert seen.headers["x-api-key"] == "key-from-argument"
    assert seen.json["isProduction"] is False


@pytest.mark.parametrize("cls", [DepaClient, AsyncDepaClient])
def test_defaults_are_depas_base_url_and_uat(
    cls: type[Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DEPA_BASE_URL", "DEPA_IS_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEPA_API_KEY", "k")
    depa = cls()
    assert DEFAULT_BASE_URL == "https://aitransformapi.depa.or.th"
    assert str(depa.url("/api/dp/GetDPVouchers")) == f"{DEFAULT_BASE_URL}/api/dp/GetDPVouchers"
    assert depa.is_production is False
    assert depa.retry.max_retries == 2


@pytest.mark.parametrize("cls", [DepaClient, AsyncDepaClient])
@pytest.mark.parametrize("env", [None, "", "   "])
def test_a_missing_key_names_the_argument_and_the_variable(
    cls: type[Client], env: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv("DEPA_API_KEY", raising=False)
    else:
        monkeypatch.setenv("DEPA_API_KEY", env)
    with pytest.raises(DepaError, match=r"pass api_key=\.\.\. .* DEPA_API_KEY environment"):
        cls()


@pytest.mark.parametrize("cls", [DepaClient, AsyncDepaClient])
def test_a_bad_is_production_variable_is_named(
    cls: type[Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPA_IS_PRODUCTION", "maybe")
    with pytest.raises(DepaError, match="DEPA_IS_PRODUCTION must be true or false"):
        cls("k")
    assert cls("k", is_production=True).is_production is True  # the argument decides


async def test_the_key_is_never_logged_or_shown(
    to_remote: Any, remote: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    key = str(uuid.uuid4())
    depa = to_remote(key)
    remote.default = Answer(503, envelope("down"))

    with caplog.at_level("DEBUG"), pytest.raises(InternalServerError) as caught:
        await call(depa.get_dp_vouchers(1))

    assert "retry 2 of 2" in caplog.text
    for text in (caplog.text, str(caught.value), repr(caught.value), repr(depa)):
        assert key not in text


# -- the module ----------------------------------------------------------------------------------


def test_the_client_imports_neither_fastapi_nor_sqlalchemy() -> None:
    code = (
        "import saphan.depa.client, sys; "
        "assert 'fastapi' not in sys.modules and 'sqlalchemy' not in sys.modules, "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'sqlalchemy'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_documented_names_import() -> None:
    for name in depa_client.__all__:
        assert getattr(depa_client, name) is not None
    for cls in (BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError,
                RateLimitError, InternalServerError):  # fmt: skip
        assert issubclass(cls, DepaStatusError)
        assert issubclass(cls, core.APIStatusError)


# -- against a live server -----------------------------------------------------------------------


@pytest.fixture
def live(database_url: str) -> Iterator[LiveServer]:
    """``saphan serve`` on this test's database. (conftest's ``live_server`` leaves the server's
    stderr pipe open, which ``filterwarnings = error`` turns into an error.)"""
    server = start_live_server(database_url)
    try:
        yield server
    finally:
        server.stop()
        if server.process.stderr is not None:
            server.process.stderr.close()


async def new_dp(live: LiveServer, name: str, vouchers: list[str]) -> str:
    """A DP with these (activated) vouchers and a fresh key, through the operator API."""
    async with httpx.AsyncClient(
        base_url=f"{live.base_url}/admin/depa",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as operator:
        dp = (await operator.post("/dps", json={"name": name})).json()
        key = await operator.post(f"/dps/{dp['id']}/keys", json={"label": "test"})
        created = await operator.post(
            f"/dps/{dp['id']}/vouchers",
            json=[voucher(code).model_dump(mode="json") for code in vouchers],
        )
    assert created.status_code == 201, created.text
    return str(key.json()["key"])


@pytest.mark.live
async def test_both_clients_against_a_live_server(live: LiveServer) -> None:
    await new_dp(live, "Other DP", ["DV-OTHER"])
    for cls in (DepaClient, AsyncDepaClient):
        issued = codes(f"DV-{cls.__name__}", 25)
        name = f"Live DP {cls.__name__}"
        key = await new_dp(live, name, issued)
        depa: Client = cls(key, base_url=f"{live.base_url}/depa")
        stranger: Client = cls(str(uuid.uuid4()), base_url=f"{live.base_url}/depa")
        try:
            vouchers = await collect(depa.iter_vouchers(page_size=5))
            assert [v.voucherCode for v in vouchers] == issued
            assert {v.dpName for v in vouchers} == {name}

            results = await call(depa.report_usage(usage(issued)))
            assert [r.data.received for r in results] == [100, 100, 50]

            back = await call(depa.get_voucher_usage(issued[0], "2025-11-01", "2025-11-30"))
            assert [row.accessDate for row in back.data] == DAYS

            with pytest.raises(PermissionDeniedError) as denied:
                await call(depa.get_voucher_usage("DV-OTHER", "2025-11-01", "2025-11-30"))
            assert denied.value.status_code == 403
            with pytest.raises(AuthenticationError) as unknown:
                await call(stranger.get_dp_vouchers(1))
            assert (unknown.value.status_code, unknown.value.errorMessage) == (
                401,
                "Invalid API key",
            )
        finally:
            await call(depa.close())
            await call(stranger.close())
