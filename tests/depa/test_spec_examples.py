"""The spec's three cURL examples (section 5) and its example bodies, sent to the demo data with
only the base URL and key swapped, answer with the documented shapes and values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from saphan.depa import demo

FIXTURES = Path(__file__).parent / "spec_examples"


def example(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def demo_data(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        demo.seed(session, runtime.secret, runtime.clock.now())


HEADERS = {"x-api-key": demo.DEMO_KEY, "Content-Type": "application/json"}


def keys_of(value: Any) -> Any:
    """The shape of a JSON value: keys and value types, recursively (first list item)."""
    if isinstance(value, dict):
        return {k: keys_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys_of(value[0])] if value else []
    return type(value).__name__


@pytest.mark.usefixtures("demo_data")
async def test_get_dp_vouchers_curl_example(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/depa/api/dp/GetDPVouchers",
        content=(FIXTURES / "GetDPVouchers.request.json").read_bytes(),
        headers=HEADERS,
    )
    assert response.status_code == 200
    body = response.json()
    documented = example("GetDPVouchers.response.json")
    assert keys_of(body) == keys_of(documented)
    assert body["pageNumber"] == 1
    assert body["pageSize"] == 500
    assert body["totalRecords"] == len(body["data"]) == 302
    first = next(v for v in body["data"] if v["voucherCode"] == "DV-97WHHUXXXX")
    assert first == documented["data"][0]


@pytest.mark.usefixtures("demo_data")
async def test_voucher_usage_then_get_voucher_usage_returns_the_documented_row(
    client: httpx.AsyncClient,
) -> None:
    sent = await client.post(
        "/depa/api/dp/VoucherUsage",
        content=(FIXTURES / "VoucherUsage.request.json").read_bytes(),
        headers=HEADERS,
    )
    assert sent.status_code == 200
    assert sent.json() == {"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}}

    read = await client.post(
        "/depa/api/dp/GetVoucherUsage",
        content=(FIXTURES / "GetVoucherUsage.request.json").read_bytes(),
        headers=HEADERS,
    )
    assert read.status_code == 200
    body = read.json()
    documented = example("GetVoucherUsage.response.json")
    assert keys_of(body) == keys_of(documented)
    row, expected = body["data"][0], documented["data"][0]
    # createdTime is when this test saved it (the test clock), not the spec's 12:19:52.
    assert row.pop("createdTime") == "2025-11-20 10:30:00"
    expected.pop("createdTime")
    assert row == expected


@pytest.mark.usefixtures("demo_data")
async def test_voucher_usage_curl_example(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/depa/api/dp/VoucherUsage",
        content=(FIXTURES / "VoucherUsage.curl.json").read_bytes(),
        headers=HEADERS,
    )
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "errorMessage": "",
        "data": {"received": 1, "saved": 1},
    }
    read = await client.post(
        "/depa/api/dp/GetVoucherUsage",
        content=(FIXTURES / "GetVoucherUsage.request.json").read_bytes(),
        headers=HEADERS,
    )
    [row] = read.json()["data"]
    assert (row["appUserId"], row["lat"], row["lon"]) == ("user001", 0, 0)
