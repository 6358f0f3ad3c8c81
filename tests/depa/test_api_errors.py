"""What depa answers when the request is wrong before any rule applies: unknown paths (404),
wrong methods (405), bodies too large (413), not JSON (415), malformed JSON (400). Always depa's
envelope ``{"success": false, "errorMessage": ..., "data": null}`` as JSON, never FastAPI's
``{"detail": ...}`` nor a plain-text page, and the store unchanged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.depa.conftest import DP, PREFIX, usage_rows

OPERATIONS = ["GetDPVouchers", "VoucherUsage", "GetVoucherUsage"]
NOT_FOUND = {"success": False, "errorMessage": "Not found", "data": None}
NOT_ALLOWED = {"success": False, "errorMessage": "Method not allowed", "data": None}
TOO_LARGE = {"success": False, "errorMessage": "Request body too large", "data": None}
NOT_JSON = {"success": False, "errorMessage": "Content-Type must be application/json", "data": None}
NO_BODY = {"success": False, "errorMessage": "Request body is required", "data": None}
SAVED_ONE = {"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}}

RECORD = {
    "accessDate": "2025-11-16",
    "voucherCode": "DV-A1",
    "appUserId": "user-1",
    "accessCount": 5,
    "accessTime": 180,
    "lat": 0,
    "lon": 0,
}
BODIES: dict[str, Any] = {
    "GetDPVouchers": {"pageNumber": 1, "pageSize": 500},
    "VoucherUsage": {"isProduction": False, "vouchers": [RECORD]},
    "GetVoucherUsage": {
        "voucherCode": "DV-A1",
        "fromDate": "2025-01-01",
        "toDate": "2025-12-31",
        "isProduction": False,
    },
}


def rejected(message: str) -> dict[str, Any]:
    return {"success": False, "errorMessage": message, "data": None}


def envelope(response: httpx.Response) -> Any:
    """The body, after checking it is JSON."""
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.fixture
async def stored(client: httpx.AsyncClient, runtime: Runtime, dp: DP) -> list[dict[str, Any]]:
    """One usage row already in the store, to show a refused request leaves it as it was."""
    response = await client.post(
        f"{PREFIX}/VoucherUsage", json=BODIES["VoucherUsage"], headers=dp.headers
    )
    assert response.json() == SAVED_ONE
    rows = usage_rows(runtime, dp.id)
    assert len(rows) == 1
    return rows


def padded_usage(size: int) -> bytes:
    """A valid VoucherUsage body of exactly ``size`` bytes (an ignored field takes the slack)."""
    base = {"isProduction": False, "vouchers": [{**RECORD, "accessCount": 77}], "padding": ""}
    empty = json.dumps(base).encode()
    body = json.dumps({**base, "padding": "x" * (size - len(empty))}).encode()
    assert len(body) == size
    return body


# -- 404 and 405 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/depa/api/dp/GetVouchers"),
        ("POST", "/depa/api/dp/VoucherUsage/extra"),
        ("POST", "/depa/api/GetDPVouchers"),
        ("GET", "/depa/"),
        ("GET", "/depa/api/dp"),
        ("DELETE", "/depa/nothing/here"),
    ],
)
@pytest.mark.parametrize("with_key", [True, False])
async def test_an_unknown_path_is_404_in_the_envelope(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    method: str,
    path: str,
    with_key: bool,
) -> None:
    response = await client.request(
        method, path, json=BODIES["VoucherUsage"], headers=dp.headers if with_key else {}
    )

    assert response.status_code == 404
    assert envelope(response) == NOT_FOUND
    assert usage_rows(runtime, dp.id) == stored


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_method_other_than_post_is_405_in_the_envelope(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    operation: str,
    method: str,
) -> None:
    response = await client.request(method, f"{PREFIX}/{operation}", headers=dp.headers)

    assert response.status_code == 405
    assert envelope(response) == NOT_ALLOWED
    assert response.headers["allow"] == "POST"
    assert usage_rows(runtime, dp.id) == stored


# -- 413 ---------------------------------------------------------------------------------------


async def test_a_body_at_the_size_limit_is_read(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    limit = runtime.settings.max_body_bytes

    response = await client.post(
        f"{PREFIX}/VoucherUsage",
        content=padded_usage(limit),
        headers={**dp.headers, "content-type": "application/json"},
    )

    assert response.status_code == 200
    assert response.json() == SAVED_ONE
    assert [r["accessCount"] for r in usage_rows(runtime, dp.id)] == [77]


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_body_over_the_size_limit_is_413_in_the_envelope(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    operation: str,
) -> None:
    limit = runtime.settings.max_body_bytes

    response = await client.post(
        f"{PREFIX}/{operation}",
        content=padded_usage(limit + 1),
        headers={**dp.headers, "content-type": "application/json"},
    )

    assert response.status_code == 413
    assert envelope(response) == TOO_LARGE
    assert usage_rows(runtime, dp.id) == stored


async def test_a_streamed_body_over_the_size_limit_is_413_in_the_envelope(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]]
) -> None:
    body = padded_usage(runtime.settings.max_body_bytes + 1)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post(
        f"{PREFIX}/VoucherUsage",
        content=chunks(),
        headers={**dp.headers, "content-type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert envelope(response) == TOO_LARGE
    assert usage_rows(runtime, dp.id) == stored


# -- 415 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_body_that_is_not_json_is_415_in_the_envelope(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    operation: str,
    content_type: str,
) -> None:
    response = await client.post(
        f"{PREFIX}/{operation}",
        content=json.dumps(BODIES[operation]),
        headers={**dp.headers, "content-type": content_type},
    )

    assert response.status_code == 415
    assert envelope(response) == NOT_JSON
    assert usage_rows(runtime, dp.id) == stored


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", None],
)
async def test_json_is_read_with_or_without_a_charset_or_content_type(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, content_type: str | None
) -> None:
    headers = {**dp.headers, **({"content-type": content_type} if content_type else {})}

    response = await client.post(
        f"{PREFIX}/VoucherUsage", content=json.dumps(BODIES["VoucherUsage"]), headers=headers
    )

    assert response.status_code == 200
    assert response.json() == SAVED_ONE
    assert len(usage_rows(runtime, dp.id)) == 1


# -- malformed JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "Malformed JSON body: EOF while parsing an object at line 1 column 1"),
        (
            b'{"isProduction": false, "vouchers": [',
            "Malformed JSON body: EOF while parsing a list at line 1 column 37",
        ),
        (b'{"pageNumber": 1,}', "Malformed JSON body: trailing comma at line 1 column 18"),
        (
            b"{'pageNumber': 1}",
            "Malformed JSON body: key must be a string at line 1 column 2",
        ),
        (b"pageNumber=1", "Malformed JSON body: expected value at line 1 column 1"),
        (b"\xff\xfe{}", "Malformed JSON body: expected value at line 1 column 1"),
        (b"{} {}", "Malformed JSON body: trailing characters at line 1 column 4"),
        (b"null", "Input should be an object"),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_malformed_json_is_400_in_the_envelope(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    operation: str,
    raw: bytes,
    message: str,
) -> None:
    response = await client.post(
        f"{PREFIX}/{operation}",
        content=raw,
        headers={**dp.headers, "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert envelope(response) == rejected(message)
    assert usage_rows(runtime, dp.id) == stored


@pytest.mark.parametrize("raw", [b"", b"   \n\t "])
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_an_empty_body_is_400_in_the_envelope(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    operation: str,
    raw: bytes,
) -> None:
    response = await client.post(
        f"{PREFIX}/{operation}",
        content=raw,
        headers={**dp.headers, "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert envelope(response) == NO_BODY
    assert usage_rows(runtime, dp.id) == stored
