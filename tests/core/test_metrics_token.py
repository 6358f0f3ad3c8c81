"""``/metrics`` takes an optional bearer token, ``SAPHAN_METRICS_TOKEN`` (issue 13 item 11: it was
open to anyone). Set, a scrape without it or with another is 401 in the root app's envelope;
unset, /metrics stays open."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from saphan.app import create_app
from saphan.config import Settings
from saphan.core.clock import FixedClock
from tests.conftest import ADMIN_TOKEN, SECRET

METRICS_TOKEN = "metrics-token-0123456789"
REFUSED = {"error": {"code": "UNAUTHORIZED", "message": "Missing or wrong metrics token"}}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        metrics_token=METRICS_TOKEN,  # type: ignore[arg-type]
        demo=False,
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {METRICS_TOKEN}x",
        f"Bearer {METRICS_TOKEN[:-1]}",
        f"Basic {METRICS_TOKEN}",
        METRICS_TOKEN,
        f"Bearer {ADMIN_TOKEN}",  # the operator token is not the metrics token
    ],
)
async def test_metrics_without_the_token_is_401_in_the_envelope(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/metrics", headers=headers)
    assert (response.status_code, response.json()) == (401, REFUSED)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "saphan_http_requests" not in response.text


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_metrics_with_the_token(client: httpx.AsyncClient, scheme: str) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics", headers={"Authorization": f"{scheme} {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert 'saphan_http_requests_total{method="GET",route="/healthz",status="200"}' in response.text


@pytest.fixture
async def open_client(database_url: str, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    """An app without SAPHAN_METRICS_TOKEN."""
    app = create_app(
        Settings(database_url=database_url, secret_key=SECRET, demo=False),  # type: ignore[arg-type]
        clock=clock,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as http:
        yield http
    await app.state.runtime.db.aclose()


async def test_metrics_are_open_without_a_token_set(open_client: httpx.AsyncClient) -> None:
    response = await open_client.get("/metrics")
    assert response.status_code == 200
    assert "saphan_http_request_duration_seconds" in response.text
