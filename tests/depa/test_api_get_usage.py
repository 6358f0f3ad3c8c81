"""GetVoucherUsage (spec 001, section 3.3) over HTTP: what a Digital Provider reads back to
verify what it reported: its own vouchers only, one environment at a time, within the dates
asked, lat/lon as a single-precision column gives them back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.depa.conftest import DP, post, usage_rows

BAD_DATE = "Invalid date format. Use YYYY-MM-DD"
EMPTY = {"success": True, "errorMessage": "", "data": []}


def rejected(message: str) -> dict[str, Any]:
    return {"success": False, "errorMessage": message, "data": None}


def found(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "errorMessage": "", "data": list(rows)}


def query(
    code: str = "DV-A1",
    from_date: str = "2025-01-01",
    to_date: str = "2025-12-31",
    *,
    production: bool = False,
) -> dict[str, Any]:
    return {
        "voucherCode": code,
        "fromDate": from_date,
        "toDate": to_date,
        "isProduction": production,
    }


def record(code: str, day: str, **fields: Any) -> dict[str, Any]:
    return {
        "accessDate": day,
        "voucherCode": code,
        "appUserId": f"{code}-user",
        "accessCount": 5,
        "accessTime": 180,
        "lat": 0,
        "lon": 0,
        **fields,
    }


def row(code: str, day: str, **fields: Any) -> dict[str, Any]:
    """The wire's row for ``record(code, day, **fields)``, saved at the tests' fixed clock."""
    return {
        "voucherCode": code,
        "accessDate": day,
        "appUserId": f"{code}-user",
        "accessCount": 5,
        "accessTime": 180,
        "lat": 0,
        "lon": 0,
        "createdTime": "2025-11-20 10:30:00",
        **fields,
    }


async def report(
    client: httpx.AsyncClient, who: DP, *records: dict[str, Any], production: bool = False
) -> None:
    response = await post(
        client, "VoucherUsage", {"isProduction": production, "vouchers": list(records)}, who
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def reported(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, other_dp: DP
) -> list[dict[str, Any]]:
    """Usage on DV-A1 (four days, sent out of order), DV-A2 (one day) and, in production,
    DV-A1 on one day; DV-B1 at the other DP. Returns the store as it stands."""
    await report(
        client,
        dp,
        record("DV-A1", "2025-11-10", accessCount=10),
        record("DV-A1", "2025-11-01", accessCount=1),
        record("DV-A1", "2025-11-20", accessCount=20),
        record("DV-A1", "2025-11-05", accessCount=5),
        record("DV-A2", "2025-11-05", accessCount=2),
    )
    await report(client, dp, record("DV-A1", "2025-11-05", accessCount=500), production=True)
    await report(client, other_dp, record("DV-B1", "2025-11-05", accessCount=7))
    return usage_rows(runtime, dp.id) + usage_rows(runtime, other_dp.id)


def store(runtime: Runtime, *who: DP) -> list[dict[str, Any]]:
    return [r for dp in who for r in usage_rows(runtime, dp.id)]


# -- what comes back ---------------------------------------------------------------------------


async def test_rows_come_back_whole_in_date_order(
    client: httpx.AsyncClient, dp: DP, reported: list[dict[str, Any]]
) -> None:
    response = await post(client, "GetVoucherUsage", query(), dp)

    assert response.status_code == 200
    assert response.json() == found(
        row("DV-A1", "2025-11-01", accessCount=1),
        row("DV-A1", "2025-11-05", accessCount=5),
        row("DV-A1", "2025-11-10", accessCount=10),
        row("DV-A1", "2025-11-20", accessCount=20),
    )


@pytest.mark.parametrize(
    ("from_date", "to_date", "days"),
    [
        ("2025-11-05", "2025-11-10", ["2025-11-05", "2025-11-10"]),
        ("2025-11-02", "2025-11-19", ["2025-11-05", "2025-11-10"]),
        ("2025-11-10", "2025-11-10", ["2025-11-10"]),
        ("2025-11-06", "2025-11-09", []),
        ("2025-11-21", "2026-12-31", []),
        ("2024-01-01", "2025-11-01", ["2025-11-01"]),
    ],
)
async def test_both_dates_are_inclusive(
    client: httpx.AsyncClient,
    dp: DP,
    reported: list[dict[str, Any]],
    from_date: str,
    to_date: str,
    days: list[str],
) -> None:
    response = await post(client, "GetVoucherUsage", query("DV-A1", from_date, to_date), dp)

    assert response.status_code == 200
    body = response.json()
    assert [r["accessDate"] for r in body["data"]] == days
    assert body == found(*(row("DV-A1", d, accessCount=int(d[-2:])) for d in days))


async def test_only_the_asked_voucher_comes_back(
    client: httpx.AsyncClient, dp: DP, reported: list[dict[str, Any]]
) -> None:
    response = await post(client, "GetVoucherUsage", query("DV-A2"), dp)

    assert response.json() == found(row("DV-A2", "2025-11-05", accessCount=2))


async def test_each_environment_reads_only_its_own_rows(
    client: httpx.AsyncClient, dp: DP, reported: list[dict[str, Any]]
) -> None:
    production = await post(client, "GetVoucherUsage", query(production=True), dp)
    assert production.json() == found(row("DV-A1", "2025-11-05", accessCount=500))

    uat_only = await post(client, "GetVoucherUsage", query("DV-A2", production=True), dp)
    assert uat_only.json() == EMPTY


async def test_an_unknown_voucher_code_is_200_with_empty_data(
    client: httpx.AsyncClient, dp: DP, reported: list[dict[str, Any]]
) -> None:
    for production in (False, True):
        response = await post(
            client, "GetVoucherUsage", query("DV-NOPE", production=production), dp
        )
        assert response.status_code == 200
        assert response.json() == EMPTY


async def test_an_own_voucher_without_usage_is_200_with_empty_data(
    client: httpx.AsyncClient, dp: DP, reported: list[dict[str, Any]]
) -> None:
    response = await post(client, "GetVoucherUsage", query("DV-A3"), dp)

    assert response.status_code == 200
    assert response.json() == EMPTY


@pytest.mark.parametrize(
    ("lat", "lon", "read_lat", "read_lon"),
    [
        # A float32 holds about 7 significant digits; depa reads back 6.
        (13.123456, 100.123456, 13.1235, 100.123),
        (-33.86882, 151.209296, -33.8688, 151.209),
        (7.0000001, -0.000123456, 7.0, -0.000123456),
        (13.75, -100.5, 13.75, -100.5),  # exact in single precision
        (89.999999, 179.999999, 90.0, 180.0),  # the nearest float32 is the bound itself
        (0, 0, 0, 0),
    ],
)
async def test_lat_and_lon_come_back_in_single_precision(
    client: httpx.AsyncClient,
    dp: DP,
    lat: float,
    lon: float,
    read_lat: float,
    read_lon: float,
) -> None:
    await report(client, dp, record("DV-A1", "2025-11-16", lat=lat, lon=lon))

    response = await post(client, "GetVoucherUsage", query(), dp)

    assert response.json() == found(row("DV-A1", "2025-11-16", lat=read_lat, lon=read_lon))


async def test_a_key_reads_only_its_own_dps_usage_by_code(
    client: httpx.AsyncClient, other_dp: DP, reported: list[dict[str, Any]]
) -> None:
    response = await post(client, "GetVoucherUsage", query("DV-B1"), other_dp)

    assert response.json() == found(row("DV-B1", "2025-11-05", accessCount=7))


# -- refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize("production", [False, True])
async def test_another_dps_voucher_is_forbidden_never_data(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    reported: list[dict[str, Any]],
    production: bool,
) -> None:
    response = await post(client, "GetVoucherUsage", query("DV-B1", production=production), dp)

    assert response.status_code == 403
    assert response.json() == rejected(
        "Voucher DV-B1 does not belong to this Digital Provider (voucherCode)"
    )
    assert store(runtime, dp, other_dp) == reported

    # And the other way round.
    theirs = await post(client, "GetVoucherUsage", query("DV-A1"), other_dp)
    assert theirs.status_code == 403
    assert theirs.json() == rejected(
        "Voucher DV-A1 does not belong to this Digital Provider (voucherCode)"
    )


async def test_from_date_after_to_date_is_rejected(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    reported: list[dict[str, Any]],
) -> None:
    response = await post(client, "GetVoucherUsage", query("DV-A1", "2025-11-11", "2025-11-10"), dp)

    assert response.status_code == 400
    assert response.json() == rejected("fromDate must not be after toDate (fromDate)")
    assert store(runtime, dp, other_dp) == reported


@pytest.mark.parametrize(
    "bad",
    [
        "2025/01/01",
        "01-01-2025",
        "2025-1-1",
        "20250101",
        "2025-00-10",
        "2025-02-29",
        "2025-04-31",
        "2025-01-01T00:00:00",
        "",
        "๒๐๒๕-๐๑-๐๑",
    ],
)
@pytest.mark.parametrize("field", ["fromDate", "toDate"])
async def test_a_badly_written_date_names_its_field(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    reported: list[dict[str, Any]],
    field: str,
    bad: str,
) -> None:
    response = await post(client, "GetVoucherUsage", {**query(), field: bad}, dp)

    assert response.status_code == 400
    assert response.json() == rejected(f"{BAD_DATE} ({field})")
    assert store(runtime, dp, other_dp) == reported


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("voucherCode", 123, "Input should be a valid string (voucherCode)"),
        ("voucherCode", None, "Input should be a valid string (voucherCode)"),
        ("voucherCode", ["DV-A1"], "Input should be a valid string (voucherCode)"),
        ("voucherCode", "", "String should have at least 1 character (voucherCode)"),
        ("fromDate", 20250101, "Input should be a valid string (fromDate)"),
        ("toDate", None, "Input should be a valid string (toDate)"),
        ("isProduction", "false", "Input should be a valid boolean (isProduction)"),
        ("isProduction", 1, "Input should be a valid boolean (isProduction)"),
        ("isProduction", None, "Input should be a valid boolean (isProduction)"),
    ],
)
async def test_wrong_types_are_rejected(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    reported: list[dict[str, Any]],
    field: str,
    value: Any,
    message: str,
) -> None:
    response = await post(client, "GetVoucherUsage", {**query(), field: value}, dp)

    assert response.status_code == 400
    assert response.json() == rejected(message)
    assert store(runtime, dp, other_dp) == reported


@pytest.mark.parametrize("field", ["voucherCode", "fromDate", "toDate", "isProduction"])
async def test_a_missing_field_is_named(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    reported: list[dict[str, Any]],
    field: str,
) -> None:
    body = query()
    del body[field]

    response = await post(client, "GetVoucherUsage", body, dp)

    assert response.status_code == 400
    assert response.json() == rejected(f"Field required ({field})")
    assert store(runtime, dp, other_dp) == reported


async def test_unknown_fields_are_ignored(
    client: httpx.AsyncClient, dp: DP, reported: list[dict[str, Any]]
) -> None:
    body = {**query("DV-A2"), "pageSize": 10, "appUserId": "someone-else"}

    response = await post(client, "GetVoucherUsage", body, dp)

    assert response.json() == found(row("DV-A2", "2025-11-05", accessCount=2))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([query()], "Input should be an object"),
        ("DV-A1", "Input should be an object"),
        (None, "Request body is required"),  # no body at all
    ],
)
async def test_a_body_that_is_not_an_object_is_rejected(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    reported: list[dict[str, Any]],
    body: Any,
    message: str,
) -> None:
    response = await post(client, "GetVoucherUsage", body, dp)

    assert response.status_code == 400
    assert response.json() == rejected(message)
    assert store(runtime, dp, other_dp) == reported
