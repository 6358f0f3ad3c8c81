"""The deployable app as a whole: health, metrics, settings that refuse unsafe defaults, error
envelopes everywhere (never FastAPI's ``{"detail": ...}``), and logs that never hold a secret."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from saphan import __version__
from saphan.app import create_app
from saphan.config import DEMO_SECRET_KEY, Settings, SettingsError
from saphan.core import admin as core_admin
from saphan.core.asgi import Dispatch
from saphan.core.errors import ServiceError, install_error_handlers
from saphan.core.observability import JsonFormatter
from tests.conftest import ADMIN_TOKEN, SECRET

DEPA = "/depa/api/dp"
ADMIN = "/admin/depa"
NOT_FOUND = {"error": {"code": "NOT_FOUND", "message": "Not found"}}


def depa_error(message: str) -> dict[str, Any]:
    return {"success": False, "errorMessage": message, "data": None}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (other settings than the fixtures'), in-process."""
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as http:
            yield http
    finally:
        await app.state.runtime.db.aclose()


async def new_dp(admin: httpx.AsyncClient, name: str = "DP Alpha") -> tuple[int, str]:
    """A DP made through the operator API, and a fresh key of it."""
    dp = await admin.post(f"{ADMIN}/dps", json={"name": name})
    dp_id = int(dp.json()["id"])
    key = await admin.post(f"{ADMIN}/dps/{dp_id}/keys", json={"label": "t"})
    assert key.status_code == 201, key.text
    return dp_id, str(key.json()["key"])


# -- health and metrics --------------------------------------------------------------------------


async def test_healthz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": __version__}


async def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'no-such-dir' / 'saphan.db'}",
        secret_key=SECRET,  # type: ignore[arg-type]
    )
    async with serving(settings) as http:
        response = await http.get("/healthz")
    assert (response.status_code, response.json()) == (
        503,
        {"status": "error", "database": "unreachable"},
    )


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    _, key = await new_dp(admin)
    body = {"pageNumber": 1, "pageSize": 10}
    for _ in range(2):
        ok = await client.post(f"{DEPA}/GetDPVouchers", json=body, headers={"x-api-key": key})
        assert ok.status_code == 200
    assert (await client.post(f"{DEPA}/GetDPVouchers", json=body)).status_code == 401
    await client.get("/depa/api/dp/3102400001917/secret")
    await admin.get(f"{ADMIN}/dps/12345/keys")
    await client.get("/healthz")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    samples = set(re.findall(r"^saphan_http_requests_total\{(.*)\} (\S+)$", text, re.M))
    assert {
        ('method="POST",route="/depa/api/dp/GetDPVouchers",status="200"', "2.0"),
        ('method="POST",route="/depa/api/dp/GetDPVouchers",status="401"', "1.0"),
        ('method="GET",route="unmatched",status="404"', "1.0"),
        ('method="GET",route="/admin/depa/dps/{dp_id}/keys",status="404"', "1.0"),
        ('method="GET",route="/healthz",status="200"', "1.0"),
    } <= samples
    series = 'method="POST",route="/depa/api/dp/GetDPVouchers"'
    count = re.search(
        rf"^saphan_http_request_duration_seconds_count\{{{series}\}} (\S+)$", text, re.M
    )
    buckets = re.findall(
        rf'^saphan_http_request_duration_seconds_bucket\{{le="([^"]+)",{series}\}} (\S+)$',
        text,
        re.M,
    )
    assert count is not None
    assert float(count.group(1)) == 3.0
    counts = [float(n) for _le, n in buckets]
    assert counts == sorted(counts)
    assert buckets[-1] == ("+Inf", "3.0")
    # raw paths (identifiers in them) never become labels
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert not [route for route in routes if "3102400001917" in route or "12345" in route]
    assert "unmatched" in routes


async def test_metrics_name_routes_of_included_routers_with_their_prefix(
    client: httpx.AsyncClient,
) -> None:
    """Rakmao's Seller and Webhook routes sit in routers included under /api/v1: their
    template is the whole path, whether the route is served directly (Webhook: no query
    parameters) or through FastAPI (the Seller list's query parameters)."""
    no_token = {"Authorization": "Bearer not-a-token"}
    assert (await client.get("/rakmao-po/api/v1/Webhook", headers=no_token)).status_code == 401
    seller = await client.get("/rakmao-po/api/v1/Seller/1234567890123?page=1", headers=no_token)
    assert seller.status_code == 401

    text = (await client.get("/metrics")).text

    routes = set(re.findall(r'saphan_http_requests_total\{[^}]*route="([^"]*)"', text))
    assert {"/rakmao-po/api/v1/Webhook", "/rakmao-po/api/v1/Seller/{TaxId}"} <= routes
    assert not {"/rakmao-po/Webhook", "/rakmao-po/Seller/{TaxId}"} & routes


# -- one envelope per service, whatever goes wrong -----------------------------------------------


async def test_an_unknown_root_path_is_404_in_the_envelope(client: httpx.AsyncClient) -> None:
    for path in ("/nope", "/no-such-service/api/anything", "/admin", "/healthz/x"):
        response = await client.get(path)
        assert (path, response.status_code, response.json()) == (path, 404, NOT_FOUND)


ENVELOPES = [
    pytest.param("GET", "/nope", {}, 404, NOT_FOUND, id="root 404"),
    pytest.param("DELETE", "/healthz", {}, 405, None, id="root 405"),
    pytest.param("GET", f"{DEPA}/Nope", {}, 404, depa_error("Not found"), id="depa 404"),
    pytest.param(
        "GET", f"{DEPA}/GetDPVouchers", {}, 405, depa_error("Method not allowed"), id="depa 405"
    ),
    pytest.param(
        "POST",
        f"{DEPA}/GetDPVouchers",
        {"content": b"pageNumber=1", "headers": {"Content-Type": "text/plain"}},
        415,
        depa_error("Content-Type must be application/json"),
        id="depa 415",
    ),
    pytest.param(
        "POST",
        f"{DEPA}/GetDPVouchers",
        {"content": b'{"pageNumber": 1,', "headers": {"Content-Type": "application/json"}},
        400,
        None,
        id="depa 400 malformed JSON",
    ),
    pytest.param(
        "POST",
        f"{DEPA}/GetDPVouchers",
        {"json": {"pageNumber": "1", "pageSize": 10}},
        400,
        depa_error("Input should be a valid integer (pageNumber)"),
        id="depa 400 wrong type",
    ),
    pytest.param("GET", f"{ADMIN}/nope", {}, 404, NOT_FOUND, id="admin 404"),
    pytest.param(
        "PATCH",
        f"{ADMIN}/dps",
        {},
        405,
        {"error": {"code": "METHOD_NOT_ALLOWED", "message": "Method not allowed"}},
        id="admin 405",
    ),
    pytest.param(
        "POST",
        f"{ADMIN}/dps",
        {"content": b"name=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        415,
        {
            "error": {
                "code": "UNSUPPORTED_MEDIA_TYPE",
                "message": "Content-Type must be application/json",
            }
        },
        id="admin 415",
    ),
    pytest.param(
        "POST",
        f"{ADMIN}/dps",
        {"json": {}},
        422,
        {"error": {"code": "VALIDATION_ERROR", "message": "Field required (name)"}},
        id="admin 422",
    ),
]


@pytest.mark.parametrize(("method", "path", "request_kw", "status", "expected"), ENVELOPES)
async def test_errors_are_in_the_services_envelope_never_detail(
    admin: httpx.AsyncClient,
    method: str,
    path: str,
    request_kw: dict[str, Any],
    status: int,
    expected: dict[str, Any] | None,
) -> None:
    _, key = await new_dp(admin)
    request_kw = dict(request_kw)  # the parameters are shared between the backends
    headers = {"x-api-key": key, **request_kw.pop("headers", {})}

    response = await admin.request(method, path, headers=headers, **request_kw)

    assert response.status_code == status
    body = response.json()
    assert "detail" not in body
    if expected is not None:
        assert body == expected
    elif path.startswith(DEPA):
        assert set(body) == {"success", "errorMessage", "data"}
        assert body["errorMessage"].startswith("Malformed JSON body: ")
    else:
        assert body == {"error": {"code": "METHOD_NOT_ALLOWED", "message": "Method not allowed"}}


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
async def test_a_body_over_the_limit_is_413_in_the_envelope_and_changes_nothing(
    settings: Settings, admin: httpx.AsyncClient, chunked: bool
) -> None:
    dp_id, key = await new_dp(admin)
    await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers",
        json={"voucherCode": "DV-1", "status": "Activated", "activatedTime": "2025-11-01 09:00:00"},
    )
    record = {
        "accessDate": "2025-11-16",
        "voucherCode": "DV-1",
        "appUserId": "u" * 90,
        "accessCount": 1,
        "accessTime": 5,
    }
    big = httpx.Request(
        "POST", "/", json={"isProduction": False, "vouchers": [record] * 40}
    ).content
    assert len(big) > 2048
    small = settings.model_copy(update={"max_body_bytes": 2048})

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    async with serving(small) as http:
        response = await http.post(
            f"{DEPA}/VoucherUsage",
            content=stream() if chunked else big,
            headers={"x-api-key": key, "Content-Type": "application/json"},
        )

    assert (response.status_code, response.json()) == (413, depa_error("Request body too large"))
    assert (await admin.get(f"{ADMIN}/dps/{dp_id}/usage")).json() == []


async def test_an_unexpected_error_is_500_in_the_envelope() -> None:
    """A route that fails: rendered by the service's renderer, logged, and never ``detail``."""
    app = FastAPI()
    install_error_handlers(app, core_admin.render)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("something broke")

    @app.get("/refused")
    async def refused() -> None:
        raise ServiceError("No way", status=403, code="FORBIDDEN")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        failed = await http.get("/boom")
        known = await http.get("/refused")
    assert (failed.status_code, failed.json()) == (
        500,
        {"error": {"code": "INTERNAL_SERVER_ERROR", "message": "Internal server error"}},
    )
    assert "something broke" not in failed.text
    assert (known.status_code, known.json()) == (
        403,
        {"error": {"code": "FORBIDDEN", "message": "No way"}},
    )


async def test_a_database_failure_is_500_in_each_services_envelope(tmp_path: Path) -> None:
    """The real app on a database nobody migrated: every table is missing."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
    )
    async with serving(settings) as http:
        depa = await http.post(
            f"{DEPA}/GetDPVouchers",
            json={"pageNumber": 1, "pageSize": 10},
            headers={"x-api-key": "3d9a2d47-5b1e-4c2c-9f0a-54f8a1988a17"},
        )
        operator = await http.get(
            f"{ADMIN}/dps", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    assert (depa.status_code, depa.json()) == (500, depa_error("Internal server error"))
    assert (operator.status_code, operator.json()) == (
        500,
        {"error": {"code": "INTERNAL_SERVER_ERROR", "message": "Internal server error"}},
    )


# -- settings ------------------------------------------------------------------------------------


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SAPHAN_* variables and no .env file: what a fresh deployment starts from."""
    import os

    for name in list(os.environ):
        if name.startswith("SAPHAN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("bare_env")
def test_settings_refuse_to_build_without_a_secret_key_outside_demo_mode() -> None:
    with pytest.raises(ValidationError, match="SAPHAN_SECRET_KEY must be set outside demo mode"):
        Settings()
    with pytest.raises(ValidationError, match="SAPHAN_SECRET_KEY must be set outside demo mode"):
        Settings(demo=False, admin_token="x")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match=r"^SAPHAN_SECRET_KEY must be set outside demo mode"):
        create_app()


@pytest.mark.usefixtures("bare_env")
def test_settings_take_the_secret_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAPHAN_SECRET_KEY", "from-the-environment")
    settings = Settings()
    assert settings.secret == b"from-the-environment"
    assert settings.admin_token is None  # the operator API is off unless a token is set
    assert "from-the-environment" not in repr(settings)


@pytest.mark.usefixtures("bare_env")
def test_demo_mode_uses_the_documented_demo_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_DEMO", "true")
    assert Settings().secret == DEMO_SECRET_KEY.encode()


@pytest.mark.usefixtures("bare_env")
def test_an_empty_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_SECRET_KEY", "")
    with pytest.raises(ValidationError, match="SAPHAN_SECRET_KEY"):
        Settings()


# -- secrets never reach the logs ----------------------------------------------------------------


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def saphan_logs() -> Iterator[Captured]:
    """Everything the ``saphan`` loggers write, at DEBUG, formatted as production writes it."""
    logger = logging.getLogger("saphan")
    handler = Captured()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def secret_forms(secret: str) -> list[str]:
    """A secret as it might leak: as sent, upper-cased, without dashes, and its second half."""
    return [secret, secret.upper(), secret.replace("-", ""), secret[len(secret) // 2 :]]


async def test_logs_never_hold_an_api_key_or_the_operator_token(
    app: Dispatch,
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    saphan_logs: Captured,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    dp_id, key = await new_dp(admin)  # issued over HTTP: the key is in that response body
    wrong_key = "11111111-2222-4333-8444-555555555555"
    revoked = await admin.post(f"{ADMIN}/dps/{dp_id}/keys")
    await admin.delete(f"{ADMIN}/keys/{revoked.json()['id']}")
    revoked_key = revoked.json()["key"]
    body = {"pageNumber": 1, "pageSize": 10}

    for api_key in (key, key.upper(), f"  {key} ", wrong_key, revoked_key):
        await client.post(f"{DEPA}/GetDPVouchers", json=body, headers={"x-api-key": api_key})
        await client.post(f"{DEPA}/VoucherUsage", content=b"{oops", headers={"x-api-key": api_key})
        await client.post(
            f"{DEPA}/GetDPVouchers?x-api-key={api_key}", json=body, headers={"x-api-key": api_key}
        )
        await client.get(f"/depa/{api_key}")
    for token in (ADMIN_TOKEN, "wrong-operator-token"):
        await client.get(f"{ADMIN}/dps", headers={"Authorization": f"Bearer {token}"})
        await client.get(f"{ADMIN}/{token}", headers={"Authorization": f"Bearer {token}"})
    # and the failures that log a traceback: a database nobody migrated
    broken = Settings(
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
    )
    async with serving(broken) as http:
        failed = await http.post(f"{DEPA}/GetDPVouchers", json=body, headers={"x-api-key": key})
        assert failed.status_code == 500
        await http.get(f"{ADMIN}/dps", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    app.access.flush()  # the access log, written to stderr in batches
    logged = saphan_logs.text + "\n" + capsys.readouterr().err
    assert '"route":"/depa/api/dp/GetDPVouchers"' in logged  # the capture does see requests
    assert '"message":"unhandled error"' in logged  # ... and the tracebacks
    for secret in (key, wrong_key, revoked_key, ADMIN_TOKEN, "wrong-operator-token"):
        for form in secret_forms(secret):
            assert form not in logged, f"{form!r} is in the logs"
    assert SECRET not in logged
