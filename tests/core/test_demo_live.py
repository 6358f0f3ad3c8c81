"""``saphan serve --demo`` in a subprocess, the way a developer runs it: the spec's three cURL
examples (section 5) with only the base URL and key swapped answer with the documented shapes;
``POST /_saphan/reset`` brings the demo data back; a second start on the same database adds
nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from saphan.depa import demo
from tests.conftest import ADMIN_TOKEN, LiveServer, start_live_server

EXAMPLES = Path(__file__).parent.parent / "depa" / "spec_examples"
HEADERS = {"Content-Type": "application/json", "x-api-key": demo.DEMO_KEY}
WIRE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")

pytestmark = pytest.mark.live


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def shape(value: Any) -> Any:
    """Keys and value types, recursively (a list by its first item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def curl(server: LiveServer, operation: str, body_file: str, key: str = demo.DEMO_KEY) -> Any:
    """What ``curl --data @body_file`` against the demo answers: status and JSON."""
    response = httpx.post(
        f"{server.base_url}/depa/api/dp/{operation}",
        content=(EXAMPLES / body_file).read_bytes(),
        headers={**HEADERS, "x-api-key": key},
        timeout=10,
    )
    return response.status_code, response.json()


def demo_counts(server: LiveServer) -> list[tuple[str, int]]:
    """Each demo DP's name and voucher count, through the operator API."""
    response = httpx.get(
        f"{server.base_url}/admin/depa/dps",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [(dp["name"], dp["voucherCount"]) for dp in response.json()]


def usage_rows(server: LiveServer) -> list[dict[str, Any]]:
    status, body = curl(server, "GetVoucherUsage", "GetVoucherUsage.request.json")
    assert status == 200, body
    rows: list[dict[str, Any]] = body["data"]
    return rows


@contextmanager
def serving(database_url: str, *, demo_mode: bool) -> Iterator[LiveServer]:
    server = start_live_server(database_url, demo=demo_mode)
    try:
        yield server
    finally:
        server.stop()


def test_the_spec_examples_against_a_demo_server(database_url: str) -> None:
    with serving(database_url, demo_mode=True) as server:
        # GetDPVouchers: the spec's body; the documented shape, the example voucher field for field
        status, vouchers = curl(server, "GetDPVouchers", "GetDPVouchers.request.json")
        documented = example("GetDPVouchers.response.json")
        assert status == 200
        assert shape(vouchers) == shape(documented)
        assert (vouchers["pageNumber"], vouchers["pageSize"]) == (1, 500)
        assert vouchers["totalRecords"] == len(vouchers["data"]) == 302
        [spec_voucher] = [v for v in vouchers["data"] if v["voucherCode"] == "DV-97WHHUXXXX"]
        assert spec_voucher == documented["data"][0]

        # VoucherUsage: the cURL body, then the example request body (same voucher and day)
        assert usage_rows(server) == []
        saved = {"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}}
        assert curl(server, "VoucherUsage", "VoucherUsage.curl.json") == (200, saved)
        [row] = usage_rows(server)
        assert (row["appUserId"], row["lat"], row["lon"]) == ("user001", 0, 0)
        assert curl(server, "VoucherUsage", "VoucherUsage.request.json") == (200, saved)

        # GetVoucherUsage: the documented row; only createdTime is this run's own
        status, usage = curl(server, "GetVoucherUsage", "GetVoucherUsage.request.json")
        expected = example("GetVoucherUsage.response.json")
        assert status == 200
        assert shape(usage) == shape(expected)
        [row] = usage["data"]
        assert WIRE_TIME.fullmatch(row.pop("createdTime"))
        expected["data"][0].pop("createdTime")
        assert usage == expected

        # the second demo DP's key sees its own vouchers, and the first DP's voucher is 403
        status, second = curl(
            server, "GetDPVouchers", "GetDPVouchers.request.json", demo.SECOND_DEMO_KEY
        )
        assert (status, second["totalRecords"]) == (200, 120)
        status, refused = curl(
            server, "GetVoucherUsage", "GetVoucherUsage.request.json", demo.SECOND_DEMO_KEY
        )
        assert status == 403
        assert set(refused) == {"success", "errorMessage", "data"}
        assert (refused["success"], refused["data"]) == (False, None)

        # POST /_saphan/reset: the usage written above is gone, the demo data is back
        extra_dp = httpx.post(
            f"{server.base_url}/admin/depa/dps",
            json={"name": "made during the run"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        assert extra_dp.status_code == 201
        reset = httpx.post(f"{server.base_url}/_saphan/reset", timeout=30)
        assert (reset.status_code, reset.json()) == (200, {"status": "reset"})
        assert usage_rows(server) == []
        assert demo_counts(server) == [(demo.DEMO_DP_NAME, 302), (demo.SECOND_DP_NAME, 120)]
        status, again = curl(server, "GetDPVouchers", "GetDPVouchers.request.json")
        assert status == 200
        assert [v for v in again["data"] if v["voucherCode"] == "DV-97WHHUXXXX"] == [spec_voucher]

        # usage written after the reset, to see that a restart keeps it
        assert curl(server, "VoucherUsage", "VoucherUsage.request.json") == (200, saved)

    # a second start on the same database: seeding finds the demo data and adds nothing
    with serving(database_url, demo_mode=True) as server:
        assert demo_counts(server) == [(demo.DEMO_DP_NAME, 302), (demo.SECOND_DP_NAME, 120)]
        status, vouchers = curl(server, "GetDPVouchers", "GetDPVouchers.request.json")
        assert (status, vouchers["totalRecords"], len(vouchers["data"])) == (200, 302, 302)
        assert [row["appUserId"] for row in usage_rows(server)] == ["appUserIdYYYYY1"]


def test_reset_does_not_exist_outside_demo_mode(database_url: str) -> None:
    with serving(database_url, demo_mode=False) as server:
        response = httpx.post(f"{server.base_url}/_saphan/reset", timeout=10)
        # and none of the demo credentials exist
        status, body = curl(server, "GetDPVouchers", "GetDPVouchers.request.json")
    assert (response.status_code, response.json()) == (
        404,
        {"error": {"code": "NOT_FOUND", "message": "Not found"}},
    )
    assert (status, body) == (
        401,
        {"success": False, "errorMessage": "Invalid API key", "data": None},
    )
