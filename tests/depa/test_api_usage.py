"""VoucherUsage (spec 001, section 3.2) over HTTP: what a Digital Provider sees when it reports
daily usage, and what GetVoucherUsage then gives back.

Every rejected batch gets its status, the whole ``{"success": false, "errorMessage": ...,
"data": null}`` envelope naming the record and field, and a read-back showing that nothing
changed, not even the rows the batch would have replaced.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.depa import logic, operator
from saphan.depa.schemas import VoucherUsageRequest
from tests.depa.conftest import DP, MakeDP, bangkok, post, usage_rows, voucher

TOO_MANY = "Maximum 100 records allowed per request"
BAD_DATE = "Invalid date format. Use YYYY-MM-DD"
SAVED_ONE = {"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}}


def rejected(message: str) -> dict[str, Any]:
    return {"success": False, "errorMessage": message, "data": None}


def saved(received: int, rows: int) -> dict[str, Any]:
    return {"success": True, "errorMessage": "", "data": {"received": received, "saved": rows}}


def set_clock(runtime: Runtime, at: dt.datetime) -> None:
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.set(at)


def record(code: str = "DV-A1", day: str = "2025-11-16", **fields: Any) -> dict[str, Any]:
    return {
        "accessDate": day,
        "voucherCode": code,
        "appUserId": "user-1",
        "accessCount": 5,
        "accessTime": 180,
        "lat": 0,
        "lon": 0,
        **fields,
    }


def batch(*records: dict[str, Any], production: bool = False) -> dict[str, Any]:
    return {"isProduction": production, "vouchers": list(records)}


def row(code: str, day: str, created: str = "2025-11-20 10:30:00", **fields: Any) -> dict[str, Any]:
    """A GetVoucherUsage row as the wire shows it."""
    return {
        "voucherCode": code,
        "accessDate": day,
        "appUserId": "user-1",
        "accessCount": 5,
        "accessTime": 180,
        "lat": 0,
        "lon": 0,
        "createdTime": created,
        **fields,
    }


async def read_usage(
    client: httpx.AsyncClient, who: DP, code: str, *, production: bool = False
) -> list[dict[str, Any]]:
    response = await post(
        client,
        "GetVoucherUsage",
        {
            "voucherCode": code,
            "fromDate": "2025-01-01",
            "toDate": "2025-12-31",
            "isProduction": production,
        },
        who,
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.fixture
def stored(runtime: Runtime, dp: DP) -> list[dict[str, Any]]:
    """The store before a rejected request: one UAT and one production row for DV-A1 on
    2025-11-16, written straight through the rules, so "nothing changed" compares with rows
    the bad batch would have replaced."""
    for production, count in ((False, 1), (True, 2)):
        with runtime.db.begin() as conn:
            caller = logic.authenticate(conn, runtime.secret, dp.key)
            request = VoucherUsageRequest.model_validate(
                batch(record(accessCount=count), production=production)
            )
            logic.voucher_usage(conn, caller, request, runtime.clock.now())
    rows = usage_rows(runtime, dp.id)
    assert [(r["isProduction"], r["accessCount"]) for r in rows] == [(False, 1), (True, 2)]
    return rows


# -- storing -----------------------------------------------------------------------------------


async def test_a_record_is_stored_and_read_back(client: httpx.AsyncClient, dp: DP) -> None:
    sent = record(appUserId="appUserIdYYYYY1", lat=13.123456, lon=100.123456)
    response = await post(client, "VoucherUsage", batch(sent), dp)

    assert response.status_code == 200
    assert response.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [
        row("DV-A1", "2025-11-16", appUserId="appUserIdYYYYY1", lat=13.1235, lon=100.123)
    ]


async def test_saved_counts_one_row_per_voucher_and_day(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    response = await post(
        client,
        "VoucherUsage",
        batch(
            record("DV-A1", "2025-11-16", accessCount=1),
            record("DV-A1", "2025-11-17", accessCount=2),
            record("DV-A2", "2025-11-16", accessCount=3),
            record("DV-A1", "2025-11-16", accessCount=4),
            record("DV-A2", "2025-11-16", accessCount=5),
        ),
        dp,
    )

    assert response.status_code == 200
    assert response.json() == saved(5, 3)
    assert len(usage_rows(runtime, dp.id)) == 3


async def test_within_one_batch_the_last_record_for_a_voucher_and_day_wins(
    client: httpx.AsyncClient, dp: DP
) -> None:
    response = await post(
        client,
        "VoucherUsage",
        batch(
            record(appUserId="first", accessCount=1, accessTime=10, lat=1.5, lon=2.5),
            record("DV-A1", "2025-11-17", accessCount=7),
            record(appUserId="last", accessCount=3, accessTime=30, lat=-1.5, lon=-2.5),
        ),
        dp,
    )

    assert response.json() == saved(3, 2)
    assert await read_usage(client, dp, "DV-A1") == [
        row(
            "DV-A1",
            "2025-11-16",
            appUserId="last",
            accessCount=3,
            accessTime=30,
            lat=-1.5,
            lon=-2.5,
        ),
        row("DV-A1", "2025-11-17", accessCount=7),
    ]


async def test_a_later_submission_replaces_the_earlier_one(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    first = await post(client, "VoucherUsage", batch(record(accessCount=5)), dp)
    assert first.json() == SAVED_ONE
    set_clock(runtime, dt.datetime(2025, 11, 20, 18, 5, 9, tzinfo=BANGKOK))

    second = await post(
        client,
        "VoucherUsage",
        batch(record(appUserId="user-2", accessCount=9, accessTime=30, lat=7.5, lon=99.5)),
        dp,
    )

    assert second.status_code == 200
    assert second.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [
        row(
            "DV-A1",
            "2025-11-16",
            created="2025-11-20 18:05:09",
            appUserId="user-2",
            accessCount=9,
            accessTime=30,
            lat=7.5,
            lon=99.5,
        )
    ]
    assert len(usage_rows(runtime, dp.id)) == 1


async def test_a_replacement_touches_only_its_own_voucher_day_and_environment(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    for production in (False, True):
        await post(
            client,
            "VoucherUsage",
            batch(
                record("DV-A1", "2025-11-16"),
                record("DV-A1", "2025-11-17"),
                record("DV-A2", "2025-11-16"),
                production=production,
            ),
            dp,
        )
    before = usage_rows(runtime, dp.id)
    set_clock(runtime, dt.datetime(2025, 11, 20, 11, 0, 0, tzinfo=BANGKOK))

    response = await post(client, "VoucherUsage", batch(record(accessCount=99)), dp)

    assert response.json() == SAVED_ONE
    after = usage_rows(runtime, dp.id)
    changed = [r for r in after if r not in before]
    assert changed == [
        {
            "voucherCode": "DV-A1",
            "isProduction": False,
            "accessDate": "2025-11-16",
            "appUserId": "user-1",
            "accessCount": 99,
            "accessTime": 180,
            "lat": 0,
            "lon": 0,
            "createdTime": "2025-11-20 11:00:00",
        }
    ]
    assert len(after) == len(before) == 6


async def test_created_time_is_bangkok_wall_clock_time(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    # 17:45:10 UTC on the 19th is 00:45:10 on the 20th in Bangkok (UTC+7).
    set_clock(runtime, dt.datetime(2025, 11, 19, 17, 45, 10, tzinfo=dt.UTC))

    response = await post(client, "VoucherUsage", batch(record()), dp)

    assert response.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [
        row("DV-A1", "2025-11-16", created="2025-11-20 00:45:10")
    ]


async def test_unknown_fields_are_ignored(client: httpx.AsyncClient, dp: DP) -> None:
    body = {
        **batch(record(note="ignored", accessMinutes=999)),
        "batchId": "b-1",
        "dpName": "whatever",
    }

    response = await post(client, "VoucherUsage", body, dp)

    assert response.status_code == 200
    assert response.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [row("DV-A1", "2025-11-16")]


async def test_an_integer_written_with_a_zero_fraction_is_that_integer(
    client: httpx.AsyncClient, dp: DP
) -> None:
    """JSON Schema's integer, which the OpenAPI document says (docs/depa.md, "Types")."""
    response = await post(
        client, "VoucherUsage", batch(record(accessCount=5.0, accessTime=180.0)), dp
    )

    assert response.status_code == 200
    assert response.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [
        row("DV-A1", "2025-11-16", accessCount=5, accessTime=180)
    ]


async def test_lat_and_lon_may_be_left_out_and_read_back_as_zero(
    client: httpx.AsyncClient, dp: DP
) -> None:
    sent = record(lat=13.5, lon=100.5)
    del sent["lat"], sent["lon"]

    response = await post(client, "VoucherUsage", batch(sent), dp)

    assert response.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [row("DV-A1", "2025-11-16", lat=0, lon=0)]


async def test_exactly_100_records_are_accepted(
    client: httpx.AsyncClient, runtime: Runtime, make_dp: MakeDP
) -> None:
    codes = [f"DV-H{i}" for i in range(5)]
    big = make_dp("DP Hundred", [voucher(code) for code in codes])
    days = [(dt.date(2025, 11, 1) + dt.timedelta(days=i)).isoformat() for i in range(20)]
    records = [record(code, day) for code in codes for day in days]
    assert len(records) == 100

    response = await post(client, "VoucherUsage", batch(*records), big)

    assert response.status_code == 200
    assert response.json() == saved(100, 100)
    assert len(usage_rows(runtime, big.id)) == 100


# -- UAT and production ------------------------------------------------------------------------


async def test_uat_usage_is_not_seen_in_production(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    response = await post(client, "VoucherUsage", batch(record(accessCount=1)), dp)
    assert response.json() == SAVED_ONE

    assert await read_usage(client, dp, "DV-A1", production=True) == []
    assert await read_usage(client, dp, "DV-A1") == [row("DV-A1", "2025-11-16", accessCount=1)]


async def test_production_usage_is_not_seen_in_uat(client: httpx.AsyncClient, dp: DP) -> None:
    response = await post(client, "VoucherUsage", batch(record(accessCount=2), production=True), dp)
    assert response.json() == SAVED_ONE

    assert await read_usage(client, dp, "DV-A1") == []
    assert await read_usage(client, dp, "DV-A1", production=True) == [
        row("DV-A1", "2025-11-16", accessCount=2)
    ]


async def test_the_same_voucher_and_day_is_kept_once_per_environment(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    await post(client, "VoucherUsage", batch(record(accessCount=1)), dp)
    await post(client, "VoucherUsage", batch(record(accessCount=2), production=True), dp)
    # Replacing the production row leaves the UAT row alone.
    again = await post(client, "VoucherUsage", batch(record(accessCount=3), production=True), dp)

    assert again.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [row("DV-A1", "2025-11-16", accessCount=1)]
    assert await read_usage(client, dp, "DV-A1", production=True) == [
        row("DV-A1", "2025-11-16", accessCount=3)
    ]
    assert [(r["isProduction"], r["accessCount"]) for r in usage_rows(runtime, dp.id)] == [
        (False, 1),
        (True, 3),
    ]


# -- ranges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"accessTime": 0}, {"accessTime": 0}),
        ({"accessTime": 1440}, {"accessTime": 1440}),
        ({"accessCount": 0}, {"accessCount": 0}),
        ({"lat": 90, "lon": 180}, {"lat": 90, "lon": 180}),
        ({"lat": -90, "lon": -180}, {"lat": -90, "lon": -180}),
        ({"lat": 0, "lon": 0}, {"lat": 0, "lon": 0}),
        ({"lat": 13.123456, "lon": 100.123456}, {"lat": 13.1235, "lon": 100.123}),
    ],
)
async def test_values_at_the_edges_of_their_range_are_accepted(
    client: httpx.AsyncClient, dp: DP, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = await post(client, "VoucherUsage", batch(record(**fields)), dp)

    assert response.status_code == 200
    assert response.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A1") == [row("DV-A1", "2025-11-16", **expected)]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"accessTime": 1441},
            "Input should be less than or equal to 1440 (vouchers[1].accessTime)",
        ),
        ({"accessTime": -1}, "Input should be greater than or equal to 0 (vouchers[1].accessTime)"),
        (
            {"accessCount": -1},
            "Input should be greater than or equal to 0 (vouchers[1].accessCount)",
        ),
        ({"lat": 90.0001}, "Input should be less than or equal to 90 (vouchers[1].lat)"),
        ({"lat": -90.5}, "Input should be greater than or equal to -90 (vouchers[1].lat)"),
        ({"lon": 180.5}, "Input should be less than or equal to 180 (vouchers[1].lon)"),
        ({"lon": -180.0001}, "Input should be greater than or equal to -180 (vouchers[1].lon)"),
    ],
)
async def test_values_out_of_range_reject_the_batch(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    fields: dict[str, Any],
    message: str,
) -> None:
    response = await post(
        client,
        "VoucherUsage",
        batch(record(accessCount=50), record("DV-A2", **fields)),
        dp,
    )

    assert response.status_code == 400
    assert response.json() == rejected(message)
    assert usage_rows(runtime, dp.id) == stored


async def test_101_records_are_rejected(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]]
) -> None:
    records = [record("DV-A1", "2025-11-16", accessCount=i) for i in range(101)]

    response = await post(client, "VoucherUsage", batch(*records), dp)

    assert response.status_code == 400
    assert response.json() == rejected(TOO_MANY)
    assert usage_rows(runtime, dp.id) == stored


async def test_101_records_are_rejected_whatever_they_hold(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]]
) -> None:
    records: list[Any] = [record() for _ in range(100)] + ["not a record"]

    response = await post(client, "VoucherUsage", {"isProduction": False, "vouchers": records}, dp)

    assert response.status_code == 400
    assert response.json() == rejected(TOO_MANY)
    assert usage_rows(runtime, dp.id) == stored


async def test_an_empty_batch_is_rejected(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]]
) -> None:
    response = await post(client, "VoucherUsage", batch(), dp)

    assert response.status_code == 400
    assert response.json() == rejected(
        "List should have at least 1 item after validation, not 0 (vouchers)"
    )
    assert usage_rows(runtime, dp.id) == stored


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        "2025/11/16",
        "16-11-2025",
        "16/11/2025",
        "2025-11-6",
        "2025-1-16",
        "20251116",
        "2025-13-01",
        "2025-11-31",
        "2025-02-29",  # 2025 is not a leap year
        "2025-11-16T00:00:00",
        "2025-11-16 ",
        "",
        "๒๐๒๕-๑๑-๑๖",  # Thai digits
        "2568-11-16x",
    ],
)
async def test_a_badly_written_access_date_names_its_record(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]], day: str
) -> None:
    response = await post(
        client,
        "VoucherUsage",
        batch(record(accessCount=50), record("DV-A2"), record("DV-A1", day)),
        dp,
    )

    assert response.status_code == 400
    assert response.json() == rejected(f"{BAD_DATE} (vouchers[2].accessDate)")
    assert usage_rows(runtime, dp.id) == stored


async def test_usage_for_today_in_bangkok_is_accepted(client: httpx.AsyncClient, dp: DP) -> None:
    response = await post(client, "VoucherUsage", batch(record(day="2025-11-20")), dp)

    assert response.json() == SAVED_ONE


async def test_usage_for_a_future_day_is_rejected(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]]
) -> None:
    response = await post(
        client,
        "VoucherUsage",
        batch(record(accessCount=50), record(day="2025-11-20"), record(day="2025-11-21")),
        dp,
    )

    assert response.status_code == 400
    assert response.json() == rejected(
        "accessDate 2025-11-21 is in the future (vouchers[2].accessDate)"
    )
    assert usage_rows(runtime, dp.id) == stored


async def test_the_future_begins_at_midnight_in_bangkok_not_utc(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    # 06:00 on the 20th in Bangkok is still the 19th in UTC: the 20th is today.
    set_clock(runtime, dt.datetime(2025, 11, 20, 6, 0, tzinfo=BANGKOK))
    assert (await post(client, "VoucherUsage", batch(record(day="2025-11-20")), dp)).json() == (
        SAVED_ONE
    )

    # 23:30 on the 19th in Bangkok: the 20th has not begun yet.
    set_clock(runtime, dt.datetime(2025, 11, 19, 23, 30, tzinfo=BANGKOK))
    response = await post(client, "VoucherUsage", batch(record("DV-A2", "2025-11-20")), dp)

    assert response.status_code == 400
    assert response.json() == rejected(
        "accessDate 2025-11-20 is in the future (vouchers[0].accessDate)"
    )
    assert await read_usage(client, dp, "DV-A2") == []


# -- which vouchers may carry usage ------------------------------------------------------------


async def test_a_bound_voucher_was_never_activated(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]]
) -> None:
    response = await post(
        client, "VoucherUsage", batch(record(accessCount=50), record("DV-A3")), dp
    )

    assert response.status_code == 400
    assert response.json() == rejected(
        "Voucher DV-A3 was not activated on 2025-11-16 (vouchers[1].accessDate)"
    )
    assert usage_rows(runtime, dp.id) == stored


async def test_usage_is_accepted_from_the_activation_day_on(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    # DV-A1 was activated at 09:00 on 2025-11-01: that whole day counts, the day before not.
    before = await post(client, "VoucherUsage", batch(record(day="2025-10-31")), dp)
    assert before.status_code == 400
    assert before.json() == rejected(
        "Voucher DV-A1 was not activated on 2025-10-31 (vouchers[0].accessDate)"
    )
    assert usage_rows(runtime, dp.id) == []

    on_the_day = await post(client, "VoucherUsage", batch(record(day="2025-11-01")), dp)
    assert on_the_day.json() == SAVED_ONE


async def test_the_activation_day_is_the_bangkok_day(
    client: httpx.AsyncClient, runtime: Runtime, make_dp: MakeDP
) -> None:
    # Activated 00:30 on 5 November in Bangkok, which is 4 November 17:30 UTC.
    late = make_dp("DP Late", [voucher("DV-L1", activatedTime=bangkok("2025-11-05 00:30:00"))])

    before = await post(client, "VoucherUsage", batch(record("DV-L1", "2025-11-04")), late)
    assert before.status_code == 400
    assert before.json() == rejected(
        "Voucher DV-L1 was not activated on 2025-11-04 (vouchers[0].accessDate)"
    )
    assert usage_rows(runtime, late.id) == []

    on_the_day = await post(client, "VoucherUsage", batch(record("DV-L1", "2025-11-05")), late)
    assert on_the_day.json() == SAVED_ONE


async def test_usage_is_accepted_up_to_and_including_the_revocation_day(
    client: httpx.AsyncClient, runtime: Runtime, make_dp: MakeDP
) -> None:
    # Revoked 23:30 on 10 November in Bangkok (16:30 UTC, the same day).
    revoked = make_dp(
        "DP Revoked",
        [voucher("DV-R1", status="Revoked", revokedTime=bangkok("2025-11-10 23:30:00"))],
    )

    accepted = await post(
        client,
        "VoucherUsage",
        batch(record("DV-R1", "2025-11-05"), record("DV-R1", "2025-11-10")),
        revoked,
    )
    assert accepted.json() == saved(2, 2)

    after = await post(client, "VoucherUsage", batch(record("DV-R1", "2025-11-11")), revoked)
    assert after.status_code == 400
    assert after.json() == rejected(
        "Voucher DV-R1 was not activated on 2025-11-11 (vouchers[0].accessDate)"
    )
    assert [r["accessDate"] for r in usage_rows(runtime, revoked.id)] == [
        "2025-11-05",
        "2025-11-10",
    ]


async def test_a_voucher_revoked_without_activation_takes_no_usage(
    client: httpx.AsyncClient, runtime: Runtime, make_dp: MakeDP
) -> None:
    never = make_dp(
        "DP Never",
        [
            voucher(
                "DV-N1",
                status="Revoked",
                activatedTime=None,
                revokedTime=bangkok("2025-11-15 12:00:00"),
            )
        ],
    )

    response = await post(client, "VoucherUsage", batch(record("DV-N1", "2025-11-10")), never)

    assert response.status_code == 400
    assert response.json() == rejected(
        "Voucher DV-N1 was not activated on 2025-11-10 (vouchers[0].accessDate)"
    )
    assert usage_rows(runtime, never.id) == []


async def test_activating_a_bound_voucher_opens_it_for_usage_from_that_day(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    with runtime.db.write() as session:
        operator.move_voucher(session, "DV-A3", "Activated", bangkok("2025-11-18 12:00:00"))

    day_before = await post(client, "VoucherUsage", batch(record("DV-A3", "2025-11-17")), dp)
    assert day_before.status_code == 400
    assert day_before.json() == rejected(
        "Voucher DV-A3 was not activated on 2025-11-17 (vouchers[0].accessDate)"
    )

    that_day = await post(client, "VoucherUsage", batch(record("DV-A3", "2025-11-18")), dp)
    assert that_day.json() == SAVED_ONE
    assert await read_usage(client, dp, "DV-A3") == [row("DV-A3", "2025-11-18")]


async def test_an_unknown_voucher_code_is_rejected(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, stored: list[dict[str, Any]]
) -> None:
    response = await post(
        client, "VoucherUsage", batch(record(accessCount=50), record("DV-NOPE")), dp
    )

    assert response.status_code == 400
    assert response.json() == rejected("Unknown voucher code DV-NOPE (vouchers[1].voucherCode)")
    assert usage_rows(runtime, dp.id) == stored


async def test_another_dps_voucher_is_forbidden_and_nothing_is_written(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    stored: list[dict[str, Any]],
) -> None:
    theirs = await post(client, "VoucherUsage", batch(record("DV-B1", accessCount=8)), other_dp)
    assert theirs.json() == SAVED_ONE
    their_rows = usage_rows(runtime, other_dp.id)

    response = await post(
        client,
        "VoucherUsage",
        batch(record(accessCount=50), record("DV-B1", accessCount=666)),
        dp,
    )

    assert response.status_code == 403
    assert response.json() == rejected(
        "Voucher DV-B1 does not belong to this Digital Provider (vouchers[1].voucherCode)"
    )
    assert usage_rows(runtime, dp.id) == stored
    assert usage_rows(runtime, other_dp.id) == their_rows
    assert await read_usage(client, other_dp, "DV-B1") == [
        row("DV-B1", "2025-11-16", accessCount=8)
    ]


# -- all or nothing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "status", "message"),
    [
        (
            {"accessTime": 1441},
            400,
            "Input should be less than or equal to 1440 (vouchers[3].accessTime)",
        ),
        ({"accessDate": "2025-11-xx"}, 400, f"{BAD_DATE} (vouchers[3].accessDate)"),
        ({"accessCount": "7"}, 400, "Input should be a valid integer (vouchers[3].accessCount)"),
        (
            {"accessDate": "2025-12-01"},
            400,
            "accessDate 2025-12-01 is in the future (vouchers[3].accessDate)",
        ),
        (
            {"voucherCode": "DV-A3"},
            400,
            "Voucher DV-A3 was not activated on 2025-11-18 (vouchers[3].accessDate)",
        ),
        ({"voucherCode": "DV-ZZ"}, 400, "Unknown voucher code DV-ZZ (vouchers[3].voucherCode)"),
        (
            {"voucherCode": "DV-B1"},
            403,
            "Voucher DV-B1 does not belong to this Digital Provider (vouchers[3].voucherCode)",
        ),
    ],
)
async def test_one_bad_record_rejects_the_whole_batch(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    stored: list[dict[str, Any]],
    bad: dict[str, Any],
    status: int,
    message: str,
) -> None:
    records = [
        record(accessCount=50),  # would replace a stored row
        record("DV-A1", "2025-11-17"),
        record("DV-A2", "2025-11-16"),
        record("DV-A2", "2025-11-18", **bad),
        record("DV-A2", "2025-11-19"),
    ]

    response = await post(client, "VoucherUsage", batch(*records), dp)

    assert response.status_code == status
    assert response.json() == rejected(message)
    assert usage_rows(runtime, dp.id) == stored
    assert usage_rows(runtime, other_dp.id) == []


# -- wrong types and missing fields ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("isProduction", "false", "Input should be a valid boolean (isProduction)"),
        ("isProduction", "true", "Input should be a valid boolean (isProduction)"),
        ("isProduction", 0, "Input should be a valid boolean (isProduction)"),
        ("isProduction", 1, "Input should be a valid boolean (isProduction)"),
        ("isProduction", None, "Input should be a valid boolean (isProduction)"),
        ("vouchers", {"accessDate": "2025-11-16"}, "Input should be a valid array (vouchers)"),
        ("vouchers", "DV-A1", "Input should be a valid array (vouchers)"),
        ("vouchers", None, "Input should be a valid array (vouchers)"),
    ],
)
async def test_wrong_types_in_the_request_are_rejected(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    field: str,
    value: Any,
    message: str,
) -> None:
    body = {**batch(record(accessCount=50)), field: value}

    response = await post(client, "VoucherUsage", body, dp)

    assert response.status_code == 400
    assert response.json() == rejected(message)
    assert usage_rows(runtime, dp.id) == stored


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("accessDate", 20251116, "Input should be a valid string (vouchers[1].accessDate)"),
        ("accessDate", None, "Input should be a valid string (vouchers[1].accessDate)"),
        ("voucherCode", 123, "Input should be a valid string (vouchers[1].voucherCode)"),
        ("voucherCode", ["DV-A2"], "Input should be a valid string (vouchers[1].voucherCode)"),
        ("appUserId", 42, "Input should be a valid string (vouchers[1].appUserId)"),
        ("appUserId", None, "Input should be a valid string (vouchers[1].appUserId)"),
        ("accessCount", "5", "Input should be a valid integer (vouchers[1].accessCount)"),
        ("accessCount", 5.5, "Input should be a valid integer (vouchers[1].accessCount)"),
        ("accessCount", True, "Input should be a valid integer (vouchers[1].accessCount)"),
        ("accessCount", None, "Input should be a valid integer (vouchers[1].accessCount)"),
        ("accessTime", "180", "Input should be a valid integer (vouchers[1].accessTime)"),
        (
            "accessTime",
            {"minutes": 180},
            "Input should be a valid integer (vouchers[1].accessTime)",
        ),
        ("lat", "13.1", "Input should be a valid number (vouchers[1].lat)"),
        ("lat", None, "Input should be a valid number (vouchers[1].lat)"),
        ("lon", [100.5], "Input should be a valid number (vouchers[1].lon)"),
        ("lon", False, "Input should be a valid number (vouchers[1].lon)"),
        ("appUserId", "", "String should have at least 1 character (vouchers[1].appUserId)"),
        ("voucherCode", "", "String should have at least 1 character (vouchers[1].voucherCode)"),
    ],
)
async def test_wrong_types_in_a_record_name_the_record_and_field(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    field: str,
    value: Any,
    message: str,
) -> None:
    response = await post(
        client,
        "VoucherUsage",
        batch(record(accessCount=50), record("DV-A2", **{field: value})),
        dp,
    )

    assert response.status_code == 400
    assert response.json() == rejected(message)
    assert usage_rows(runtime, dp.id) == stored


@pytest.mark.parametrize("value", [[], "DV-A2", 5, None, [record()]])
async def test_a_record_that_is_not_an_object_is_rejected(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    value: Any,
) -> None:
    body = {"isProduction": False, "vouchers": [record(accessCount=50), value]}

    response = await post(client, "VoucherUsage", body, dp)

    assert response.status_code == 400
    assert response.json() == rejected("Input should be an object (vouchers[1])")
    assert usage_rows(runtime, dp.id) == stored


@pytest.mark.parametrize(
    "field", ["accessDate", "voucherCode", "appUserId", "accessCount", "accessTime"]
)
async def test_a_missing_mandatory_field_names_the_record(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    field: str,
) -> None:
    incomplete = record("DV-A2")
    del incomplete[field]

    response = await post(client, "VoucherUsage", batch(record(accessCount=50), incomplete), dp)

    assert response.status_code == 400
    assert response.json() == rejected(f"Field required (vouchers[1].{field})")
    assert usage_rows(runtime, dp.id) == stored


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"vouchers": [record(accessCount=50)]}, "Field required (isProduction)"),
        ({"isProduction": False}, "Field required (vouchers)"),
        ({}, "Field required (isProduction)"),
        ([record(accessCount=50)], "Input should be an object"),
        ("VoucherUsage", "Input should be an object"),
        (None, "Request body is required"),  # no body at all
    ],
)
async def test_a_request_without_its_parts_is_rejected(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    stored: list[dict[str, Any]],
    body: Any,
    message: str,
) -> None:
    response = await post(client, "VoucherUsage", body, dp)

    assert response.status_code == 400
    assert response.json() == rejected(message)
    assert usage_rows(runtime, dp.id) == stored


async def test_concurrent_batches_of_the_same_vouchers_in_opposite_orders_all_land(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    """40 batches at once, half naming DV-A1 then DV-A2, half the reverse (issue 13: seven of
    them were 500s, DeadlockDetected, on PostgreSQL): rows are written in one order whatever
    the batch's, and a transaction that loses a conflict is tried again."""
    forward = batch(record("DV-A1", appUserId="forward"), record("DV-A2", appUserId="forward"))
    backward = batch(record("DV-A2", appUserId="backward"), record("DV-A1", appUserId="backward"))

    answers = await asyncio.gather(
        *(post(client, "VoucherUsage", forward if i % 2 else backward, dp) for i in range(40))
    )

    assert [(a.status_code, a.json()) for a in answers] == [(200, saved(2, 2))] * 40
    stored = usage_rows(runtime, dp.id)
    assert len(stored) == 2
    assert len({row["appUserId"] for row in stored}) == 1  # both from the same, last, batch
