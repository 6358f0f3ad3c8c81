"""``/_saphan/faults`` over HTTP: the providers' documented failures in their own envelopes, given
answers, latency and cut connections, for the next N calls or until cleared, for one caller or
every one; bad inputs are 4xx in the control API's envelope and arm nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from saphan.app import create_app
from saphan.config import Settings
from saphan.easyslip import errors as easyslip_errors
from saphan.moi import errors as moi_errors
from saphan.rakmao import errors as rakmao_errors
from saphan.rakmao.tokens import INVALID_ACCESS
from tests.conftest import SECRET, start_live_server
from tests.control.conftest import CITIZEN, DEPA_KEY, EASYSLIP_KEY, seeded

ES = {"Authorization": f"Bearer {EASYSLIP_KEY}"}
INFO = "/easyslip/v2/info"


async def arm(kit: httpx.AsyncClient, **fault: Any) -> dict[str, Any]:
    answer = await kit.post("/_saphan/faults", json=fault)
    assert answer.status_code == 201, answer.text
    armed: dict[str, Any] = answer.json()
    return armed


async def armed(kit: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await kit.get("/_saphan/faults")
    assert answer.status_code == 200
    faults: list[dict[str, Any]] = answer.json()["faults"]
    return faults


@pytest.mark.parametrize(
    ("service", "operation", "error", "call", "expected"),
    [
        ("easyslip", "info", "SLIP_PENDING", ("GET", INFO), easyslip_errors.SlipPending()),
        ("easyslip", "info", "API_SERVER_ERROR", ("GET", INFO), easyslip_errors.ApiServerError()),
        ("easyslip", "info", "QUOTA_EXCEEDED", ("GET", INFO), easyslip_errors.QuotaExceeded()),
        (
            "moi",
            "PowerCapital",
            "TOKEN_EXPIRED",
            ("GET", f"/moi/api/v1/PowerCapital/{CITIZEN}"),
            moi_errors.TokenExpired(),
        ),
        (
            "rakmao",
            "CreatePo",
            "TOKEN_EXPIRED",
            ("POST", "/rakmao-po/api/v1/Buyer"),
            rakmao_errors.Unauthorized(INVALID_ACCESS),
        ),
    ],
)
async def test_a_documented_failure_in_the_providers_envelope_then_the_service_again(
    kit: httpx.AsyncClient,
    service: str,
    operation: str,
    error: str,
    call: tuple[str, str],
    expected: Any,
) -> None:
    await seeded(kit)
    render = {"easyslip": easyslip_errors, "moi": moi_errors, "rakmao": rakmao_errors}[service]
    fault = await arm(kit, service=service, operation=operation, error=error, times=1)
    assert fault["remaining"] == 1
    assert fault["status"] == expected.status
    method, path = call
    answer = await kit.request(method, path, headers=ES)
    assert answer.status_code == expected.status
    if service == "moi":
        expected.citizen_id = CITIZEN  # echoed in `id`, as MOI's route echoes it
    assert answer.json() == render.render(expected)
    assert answer.headers["content-type"] == "application/json"
    assert await armed(kit) == []  # its one call taken
    if service == "easyslip":
        assert (await kit.get(INFO, headers=ES)).status_code == 200
    if service == "rakmao":  # what Rakmao itself answers a token it does not take
        real = await kit.post(path, json={}, headers={"Authorization": "Bearer expired"})
        assert (real.status_code, real.json()) == (answer.status_code, answer.json())


async def test_an_answer_as_given_for_n_calls_then_the_service(kit: httpx.AsyncClient) -> None:
    await seeded(kit)
    body = {"anything": ["at", "all"], "n": 1}
    fault = await arm(
        kit,
        service="depa",
        operation="POST /api/dp/GetDPVouchers",
        answer={"status": 503, "body": body, "headers": {"Retry-After": "7"}},
        times=2,
    )
    assert fault["operation"] == "POST /api/dp/GetDPVouchers"
    assert fault["status"] == 503
    headers = {"x-api-key": DEPA_KEY}
    for left in (1, 0):
        answer = await kit.post("/depa/api/dp/GetDPVouchers", json={}, headers=headers)
        assert (answer.status_code, answer.json()) == (503, body)
        assert answer.headers["retry-after"] == "7"
        assert [f["remaining"] for f in await armed(kit)] == ([left] if left else [])
    real = await kit.post("/depa/api/dp/GetDPVouchers", json={}, headers=headers)
    assert real.status_code != 503
    # another operation of the service is untouched
    await arm(kit, service="depa", operation="VoucherUsage", answer={"status": 500})
    assert (await kit.post("/depa/api/dp/GetDPVouchers", json={}, headers=headers)).status_code == (
        real.status_code
    )
    empty = await kit.post("/depa/api/dp/VoucherUsage", json=[], headers=headers)
    assert (empty.status_code, empty.content) == (500, b"")


async def test_until_cleared_one_by_id_or_all_and_reset_clears(kit: httpx.AsyncClient) -> None:
    await seeded(kit)
    one = await arm(kit, service="easyslip", operation="info", error="API_SERVER_ERROR")
    two = await arm(kit, service="easyslip", operation="banks", answer={"status": 502})
    assert one["remaining"] is None
    for _ in range(3):
        assert (await kit.get(INFO, headers=ES)).status_code == 500
    assert [f["id"] for f in await armed(kit)] == [one["id"], two["id"]]

    gone = await kit.delete(f"/_saphan/faults/{one['id']}")
    assert gone.json() == {"cleared": 1}
    assert (await kit.get(INFO, headers=ES)).status_code == 200
    again = await kit.delete(f"/_saphan/faults/{one['id']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "NOT_FOUND"

    await arm(kit, service="easyslip", operation="info", error="API_SERVER_ERROR")
    assert (await kit.delete("/_saphan/faults")).json() == {"cleared": 2}
    assert await armed(kit) == []
    assert (await kit.get(INFO, headers=ES)).status_code == 200

    await arm(kit, service="easyslip", operation="info", error="API_SERVER_ERROR")
    assert (await kit.post("/_saphan/reset?to=empty")).status_code == 200
    assert await armed(kit) == []


async def test_latency_then_the_services_own_answer(kit: httpx.AsyncClient) -> None:
    await seeded(kit)
    await arm(kit, service="easyslip", operation="info", latencyMs=300, times=1)
    started = time.perf_counter()
    answer = await kit.get(INFO, headers=ES)
    assert time.perf_counter() - started >= 0.3
    assert answer.status_code == 200
    assert answer.json()["success"] is True
    # depa documents VoucherUsage taking 5-60 s: a fault may wait the whole minute
    slow = await arm(kit, service="depa", operation="VoucherUsage", latencyMs=60_000)
    assert slow["latencyMs"] == 60_000
    assert slow["status"] is None
    # latency before a failure
    await arm(kit, service="easyslip", operation="banks", latencyMs=100, error="SLIP_PENDING")
    started = time.perf_counter()
    pending = await kit.get("/easyslip/v2/banks", headers=ES)
    assert time.perf_counter() - started >= 0.1
    assert pending.status_code == 404


async def test_a_fault_for_one_caller_leaves_the_others_alone(kit: httpx.AsyncClient) -> None:
    await seeded(kit)
    other = {"Authorization": "Bearer 11111111-2222-4333-8444-555555555555"}
    mine = await arm(
        kit, service="easyslip", operation="info", error="QUOTA_EXCEEDED", caller=EASYSLIP_KEY
    )
    assert mine["scoped"] is True
    listing = (await kit.get("/_saphan/faults")).text
    assert EASYSLIP_KEY not in listing  # kept as a digest, never shown
    assert (await kit.get(INFO, headers=ES)).json()["error"]["code"] == "QUOTA_EXCEEDED"
    theirs = await kit.get(INFO, headers=other)
    assert theirs.json()["error"]["code"] == "INVALID_API_KEY"  # the service's own answer
    assert (await kit.get(INFO)).json()["error"]["code"] == "MISSING_API_KEY"

    # the whole header value names the caller as well; depa's key travels in x-api-key
    await kit.delete("/_saphan/faults")
    await arm(
        kit, service="easyslip", operation="info", error="SLIP_PENDING", caller=ES["Authorization"]
    )
    assert (await kit.get(INFO, headers=ES)).json()["error"]["code"] == "SLIP_PENDING"
    await arm(
        kit, service="depa", operation="GetDPVouchers", answer={"status": 500}, caller=DEPA_KEY
    )
    url = "/depa/api/dp/GetDPVouchers"
    assert (await kit.post(url, json={}, headers={"x-api-key": DEPA_KEY})).status_code == 500
    assert (await kit.post(url, json={}, headers={"x-api-key": "x"})).status_code != 500


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"service": "paypal", "operation": "info", "drop": True}, "service"),
        ({"service": "depa", "operation": "Nope", "drop": True}, "operation"),
        ({"service": "depa", "operation": "GET /api/dp/VoucherUsage", "drop": True}, "operation"),
        ({"service": "easyslip", "operation": "info", "error": "TOKEN_EXPIRED"}, "error"),
        ({"service": "easyslip", "operation": "info"}, "error"),
        (
            {"service": "easyslip", "operation": "info", "error": "SLIP_PENDING", "drop": True},
            "drop",
        ),
        ({"service": "easyslip", "operation": "info", "answer": {"status": 99}}, "answer.status"),
        (
            {"service": "easyslip", "operation": "info", "answer": {"status": 204, "body": {}}},
            "answer.body",
        ),
        ({"service": "easyslip", "operation": "info", "drop": True, "times": 0}, "times"),
        ({"service": "easyslip", "operation": "info", "latencyMs": 60_001}, "latencyMs"),
        ({"service": "easyslip", "operation": "info", "drop": True, "caller": ""}, "caller"),
        ({"service": "easyslip", "operation": "info", "drop": True, "when": 1}, "when"),
        (
            {
                "service": "easyslip",
                "operation": "info",
                "answer": {"status": 500, "headers": {"Content-Length": "9"}},
            },
            "answer.headers",
        ),
    ],
)
async def test_bad_inputs_are_422_naming_the_field_and_arm_nothing(
    kit: httpx.AsyncClient, fault: dict[str, Any], field: str
) -> None:
    answer = await kit.post("/_saphan/faults", json=fault)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["message"]
    assert await armed(kit) == []


async def test_not_json_or_no_body(kit: httpx.AsyncClient) -> None:
    text = await kit.post(
        "/_saphan/faults", content=b"drop", headers={"Content-Type": "text/plain"}
    )
    assert text.status_code == 415
    assert "error" in text.json()
    empty = await kit.post(
        "/_saphan/faults", content=b"", headers={"Content-Type": "application/json"}
    )
    assert empty.status_code == 400
    assert "error" in empty.json()
    assert (await kit.delete("/_saphan/faults/fault-999")).status_code == 404
    assert await armed(kit) == []


async def test_no_faults_outside_demo_mode(database_url: str) -> None:
    settings = Settings(database_url=database_url, secret_key=SECRET, demo=False)  # type: ignore[arg-type]
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as http:
            fault = {"service": "easyslip", "operation": "info", "drop": True}
            assert (await http.post("/_saphan/faults", json=fault)).status_code == 404
            assert (await http.get("/_saphan/faults")).status_code == 404
            assert app.faults is None  # no registry, no test per request
    finally:
        app.state.runtime.db.dispose()


@pytest.mark.live
def test_drop_cuts_the_connection_of_a_live_server(database_url: str) -> None:
    server = start_live_server(database_url, demo=True)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            fault = {"service": "easyslip", "operation": "health", "drop": True, "times": 1}
            assert http.post("/_saphan/faults", json=fault).status_code == 201
            with pytest.raises(httpx.TransportError):
                http.get("/easyslip/v2/health")
            assert http.get("/easyslip/v2/health").status_code == 200
    finally:
        server.stop()
