"""A NUL character in a voucher code or user id is a 400 in depa's envelope that changes
nothing, on both databases (PostgreSQL text cannot hold one: schemathesis found it a 500)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.depa.conftest import DP, post, usage_rows

RECORD = {
    "accessDate": "2025-11-16",
    "voucherCode": "DV-A1",
    "appUserId": "user-1",
    "accessCount": 5,
    "accessTime": 180,
    "lat": 0,
    "lon": 0,
}


@pytest.mark.parametrize(
    ("operation", "body", "field"),
    [
        pytest.param(
            "VoucherUsage",
            {"isProduction": False, "vouchers": [{**RECORD, "voucherCode": "DV-\x00A1"}]},
            "vouchers[0].voucherCode",
            id="usage-voucher",
        ),
        pytest.param(
            "VoucherUsage",
            {"isProduction": False, "vouchers": [RECORD, {**RECORD, "appUserId": "\x00"}]},
            "vouchers[1].appUserId",
            id="usage-user",
        ),
        pytest.param(
            "GetVoucherUsage",
            {"voucherCode": "\x00", "fromDate": "2025-01-01", "toDate": "2025-12-31",
             "isProduction": False},
            "voucherCode",
            id="get-usage",
        ),
    ],
)  # fmt: skip
async def test_a_nul_character_is_400_and_changes_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    operation: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = await post(client, operation, body, dp)

    assert (response.status_code, response.json()) == (
        400,
        {
            "success": False,
            "errorMessage": f"Must not contain NUL characters ({field})",
            "data": None,
        },
    )
    assert usage_rows(runtime, dp.id) == []
