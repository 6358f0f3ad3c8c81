"""depa's usage rules called directly (``saphan.depa.logic``), on the test's real database: the
single-precision arithmetic, which days a voucher takes usage on, and VoucherUsage's batch
rules, without HTTP in between. No mocks: the rules get a real connection and real rows."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime
from saphan.depa import logic
from saphan.depa.errors import BadRequest, Forbidden, InvalidApiKey, MissingApiKey
from saphan.depa.schemas import GetDPVouchersRequest, GetVoucherUsageRequest, VoucherUsageRequest
from tests.conftest import NOW
from tests.depa.conftest import DP, usage_rows

UTC = dt.UTC


def nearest_float32(x: float) -> float:
    """The float32 nearest to ``x``, by exact arithmetic: 24 significant bits, ties to even."""
    if x == 0:
        return 0.0
    _, exponent = math.frexp(x)  # x = m * 2**exponent with 0.5 <= |m| < 1
    ulp = Fraction(2) ** (exponent - 24)
    return float(round(Fraction(x) / ulp) * ulp)


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


def usage(*records: dict[str, Any], production: bool = False) -> VoucherUsageRequest:
    return VoucherUsageRequest.model_validate(
        {"isProduction": production, "vouchers": list(records)}
    )


def report(
    runtime: Runtime, who: DP, request: VoucherUsageRequest, now: dt.datetime = NOW
) -> dict[str, Any]:
    with runtime.db.begin() as conn:
        caller = logic.authenticate(conn, runtime.secret, who.key)
        return logic.voucher_usage(conn, caller, request, now)


def refused(
    runtime: Runtime, who: DP, request: VoucherUsageRequest, now: dt.datetime = NOW
) -> BadRequest | Forbidden:
    """The rule's error, raised inside a transaction that then COMMITS: nothing may have been
    written before the rule looked at every record."""
    with runtime.db.begin() as conn:
        caller = logic.authenticate(conn, runtime.secret, who.key)
        with pytest.raises((BadRequest, Forbidden)) as raised:
            logic.voucher_usage(conn, caller, request, now)
    error = raised.value
    assert isinstance(error, BadRequest | Forbidden)
    return error


def stored(day: str = "2025-11-16", code: str = "DV-A1", **fields: Any) -> dict[str, Any]:
    """A row as the operator's usage listing shows it."""
    return {
        "voucherCode": code,
        "isProduction": False,
        "accessDate": day,
        "appUserId": "user-1",
        "accessCount": 5,
        "accessTime": 180,
        "lat": 0.0,
        "lon": 0.0,
        "createdTime": "2025-11-20 10:30:00",
        **fields,
    }


# -- single precision --------------------------------------------------------------------------


def test_nearest_float32_is_right_about_a_known_value() -> None:
    # 0.1 in single precision is 13421773 / 2**27, exactly.
    assert Fraction(nearest_float32(0.1)) == Fraction(13421773, 2**27)
    assert nearest_float32(0.1) == 0.100000001490116119384765625


@pytest.mark.parametrize(
    "value",
    [0.1, 13.123456, 100.123456, -33.86882, 151.209296, 89.999999, 179.999999, 7.0000001, 1e-4],
)
def test_single_precision_is_the_nearest_float32(value: float) -> None:
    assert logic.single_precision(value) == nearest_float32(value)
    assert logic.single_precision(value) != value


@pytest.mark.parametrize("value", [0.0, -0.0, 0.5, 13.75, -100.5, 90.0, -180.0, 1024.0])
def test_values_a_float32_holds_exactly_are_kept(value: float) -> None:
    assert logic.single_precision(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13.12345600128174, 13.1235),
        (100.12345886230469, 100.123),
        (-33.86882019042969, -33.8688),
        (0.0, 0.0),
        (90.0, 90.0),
        (0.5, 0.5),
        (123456789.0, 123457000.0),
        (0.000123456789, 0.000123457),
        (-179.9999847, -180.0),
    ],
)
def test_six_digits_keeps_six_significant_digits(value: float, expected: float) -> None:
    assert logic.six_digits(value) == expected


@pytest.mark.parametrize(
    ("sent", "read"),
    [(13.123456, 13.1235), (100.123456, 100.123), (-33.86882, -33.8688), (89.999999, 90.0)],
)
def test_sent_value_to_read_value_as_the_spec_shows(sent: float, read: float) -> None:
    assert logic.six_digits(logic.single_precision(sent)) == read


# -- which days a voucher takes usage on -------------------------------------------------------


def times(activated: dt.datetime | None, revoked: dt.datetime | None = None) -> SimpleNamespace:
    """A voucher's times as the table stores them: naive UTC."""
    return SimpleNamespace(activated_time=activated, revoked_time=revoked)


DAY = dt.date.fromisoformat


def test_a_voucher_never_activated_takes_no_usage() -> None:
    assert not logic.active_on(times(None), DAY("2025-11-16"))
    assert not logic.active_on(times(None, dt.datetime(2025, 11, 10)), DAY("2025-11-05"))


def test_the_activation_day_counts_from_its_first_minute() -> None:
    # 09:00 Bangkok on 1 November = 02:00 UTC.
    activated = times(dt.datetime(2025, 11, 1, 2, 0))
    assert not logic.active_on(activated, DAY("2025-10-31"))
    assert logic.active_on(activated, DAY("2025-11-01"))
    assert logic.active_on(activated, DAY("2026-06-30"))


def test_the_activation_day_is_the_bangkok_day() -> None:
    # 17:30 UTC on 4 November is 00:30 on 5 November in Bangkok.
    activated = times(dt.datetime(2025, 11, 4, 17, 30))
    assert not logic.active_on(activated, DAY("2025-11-04"))
    assert logic.active_on(activated, DAY("2025-11-05"))


def test_the_revocation_day_still_counts_the_next_does_not() -> None:
    # 16:59:59 UTC on 10 November is 23:59:59 that day in Bangkok.
    late = times(dt.datetime(2025, 11, 1, 2, 0), dt.datetime(2025, 11, 10, 16, 59, 59))
    assert logic.active_on(late, DAY("2025-11-10"))
    assert not logic.active_on(late, DAY("2025-11-11"))
    # 17:00 UTC on 10 November is already 11 November in Bangkok.
    midnight = times(dt.datetime(2025, 11, 1, 2, 0), dt.datetime(2025, 11, 10, 17, 0))
    assert logic.active_on(midnight, DAY("2025-11-11"))
    assert not logic.active_on(midnight, DAY("2025-11-12"))


def test_aware_times_are_read_in_bangkok_too() -> None:
    activated = times(dt.datetime(2025, 11, 5, 0, 30, tzinfo=BANGKOK))
    assert not logic.active_on(activated, DAY("2025-11-04"))
    assert logic.active_on(activated, DAY("2025-11-05"))
    in_utc = times(dt.datetime(2025, 11, 4, 17, 30, tzinfo=UTC))
    assert logic.active_on(in_utc, DAY("2025-11-05"))
    assert not logic.active_on(in_utc, DAY("2025-11-04"))


def test_activated_and_revoked_on_one_day_takes_usage_on_that_day_only() -> None:
    same_day = times(dt.datetime(2025, 11, 5, 1, 0), dt.datetime(2025, 11, 5, 10, 0))
    assert [
        logic.active_on(same_day, DAY(d)) for d in ("2025-11-04", "2025-11-05", "2025-11-06")
    ] == [False, True, False]


# -- the API key -------------------------------------------------------------------------------


def test_authenticate_names_the_dp_and_its_voucher_count(runtime: Runtime, dp: DP) -> None:
    with runtime.db.connect() as conn:
        caller = logic.authenticate(conn, runtime.secret, dp.key)
        assert (caller.dp_id, caller.voucher_count) == (dp.id, 3)
        assert logic.authenticate(conn, runtime.secret, f" {dp.key.upper()} ") == caller


@pytest.mark.parametrize("key", [None, "", "  "])
def test_no_key_is_a_missing_key(runtime: Runtime, dp: DP, key: str | None) -> None:
    with runtime.db.connect() as conn, pytest.raises(MissingApiKey) as raised:
        logic.authenticate(conn, runtime.secret, key)
    assert (raised.value.status, raised.value.message) == (401, "Missing x-api-key header")


def test_an_unknown_key_is_invalid(runtime: Runtime, dp: DP) -> None:
    with runtime.db.connect() as conn, pytest.raises(InvalidApiKey) as raised:
        logic.authenticate(conn, runtime.secret, "11111111-2222-4333-8444-555555555555")
    assert (raised.value.status, raised.value.message) == (401, "Invalid API key")


# -- voucher_usage -----------------------------------------------------------------------------


def test_a_batch_is_stored_one_row_per_voucher_and_day(runtime: Runtime, dp: DP) -> None:
    answer = report(
        runtime,
        dp,
        usage(
            record(accessCount=1),
            record("DV-A2", accessCount=2),
            record(day="2025-11-17", accessCount=3),
            record(accessCount=4, appUserId="user-9", lat=13.123456, lon=100.123456),
        ),
    )

    assert answer == {"success": True, "errorMessage": "", "data": {"received": 4, "saved": 3}}
    assert usage_rows(runtime, dp.id) == [
        stored(accessCount=4, appUserId="user-9", lat=13.1235, lon=100.123),
        stored(code="DV-A2", accessCount=2),
        stored(day="2025-11-17", accessCount=3),
    ]


def test_a_later_batch_replaces_the_row_and_its_created_time(runtime: Runtime, dp: DP) -> None:
    report(runtime, dp, usage(record(accessCount=1)))
    later = dt.datetime(2025, 11, 20, 21, 15, 30, tzinfo=BANGKOK)

    answer = report(runtime, dp, usage(record(accessCount=2, accessTime=0)), now=later)

    assert answer["data"] == {"received": 1, "saved": 1}
    assert usage_rows(runtime, dp.id) == [
        stored(accessCount=2, accessTime=0, createdTime="2025-11-20 21:15:30")
    ]


def test_environments_are_separate_rows(runtime: Runtime, dp: DP) -> None:
    report(runtime, dp, usage(record(accessCount=1)))
    report(runtime, dp, usage(record(accessCount=2), production=True))

    assert usage_rows(runtime, dp.id) == [
        stored(accessCount=1),
        stored(accessCount=2, isProduction=True),
    ]


def test_today_is_the_bangkok_day_whatever_zone_now_is_given_in(runtime: Runtime, dp: DP) -> None:
    # 23:00 UTC on the 19th is 06:00 on the 20th in Bangkok: the 20th is today, not the future.
    answer = report(
        runtime,
        dp,
        usage(record(day="2025-11-20")),
        now=dt.datetime(2025, 11, 19, 23, 0, tzinfo=UTC),
    )

    assert answer["data"] == {"received": 1, "saved": 1}
    assert usage_rows(runtime, dp.id) == [
        stored(day="2025-11-20", createdTime="2025-11-20 06:00:00")
    ]


def test_the_future_starts_at_bangkok_midnight(runtime: Runtime, dp: DP) -> None:
    just_before = dt.datetime(2025, 11, 20, 16, 59, 59, tzinfo=UTC)  # 23:59:59 Bangkok
    error = refused(runtime, dp, usage(record(day="2025-11-21")), now=just_before)
    assert (error.status, error.message) == (
        400,
        "accessDate 2025-11-21 is in the future (vouchers[0].accessDate)",
    )
    assert usage_rows(runtime, dp.id) == []

    midnight = dt.datetime(2025, 11, 20, 17, 0, tzinfo=UTC)  # 00:00 on the 21st in Bangkok
    assert report(runtime, dp, usage(record(day="2025-11-21")), now=midnight)["data"] == {
        "received": 1,
        "saved": 1,
    }


@pytest.mark.parametrize(
    ("bad", "status", "message"),
    [
        ({"voucherCode": "DV-NONE"}, 400, "Unknown voucher code DV-NONE (vouchers[2].voucherCode)"),
        (
            {"voucherCode": "DV-B1"},
            403,
            "Voucher DV-B1 does not belong to this Digital Provider (vouchers[2].voucherCode)",
        ),
        (
            {"accessDate": "2025-11-21"},
            400,
            "accessDate 2025-11-21 is in the future (vouchers[2].accessDate)",
        ),
        (
            {"voucherCode": "DV-A3"},
            400,
            "Voucher DV-A3 was not activated on 2025-11-16 (vouchers[2].accessDate)",
        ),
        (
            {"accessDate": "2025-10-31"},
            400,
            "Voucher DV-A1 was not activated on 2025-10-31 (vouchers[2].accessDate)",
        ),
    ],
)
def test_a_refused_record_writes_nothing_even_if_the_transaction_commits(
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    bad: dict[str, Any],
    status: int,
    message: str,
) -> None:
    report(runtime, dp, usage(record(accessCount=1)))
    before = usage_rows(runtime, dp.id)

    error = refused(
        runtime,
        dp,
        usage(record(accessCount=50), record("DV-A2"), record(**bad), record(day="2025-11-18")),
    )

    assert (error.status, error.message) == (status, message)
    assert usage_rows(runtime, dp.id) == before
    assert usage_rows(runtime, other_dp.id) == []


# -- the readers -------------------------------------------------------------------------------


def read(runtime: Runtime, who: DP, **fields: Any) -> dict[str, Any]:
    request = GetVoucherUsageRequest.model_validate(
        {
            "voucherCode": "DV-A1",
            "fromDate": "2025-01-01",
            "toDate": "2025-12-31",
            "isProduction": False,
            **fields,
        }
    )
    with runtime.db.connect() as conn:
        caller = logic.authenticate(conn, runtime.secret, who.key)
        return logic.get_voucher_usage(conn, caller, request)


def test_get_voucher_usage_returns_wire_rows(runtime: Runtime, dp: DP) -> None:
    report(runtime, dp, usage(record(day="2025-11-17"), record(lat=-33.86882, lon=151.209296)))

    assert read(runtime, dp) == {
        "success": True,
        "errorMessage": "",
        "data": [
            {
                "voucherCode": "DV-A1",
                "accessDate": "2025-11-16",
                "appUserId": "user-1",
                "accessCount": 5,
                "accessTime": 180,
                "lat": -33.8688,
                "lon": 151.209,
                "createdTime": "2025-11-20 10:30:00",
            },
            {
                "voucherCode": "DV-A1",
                "accessDate": "2025-11-17",
                "appUserId": "user-1",
                "accessCount": 5,
                "accessTime": 180,
                "lat": 0.0,
                "lon": 0.0,
                "createdTime": "2025-11-20 10:30:00",
            },
        ],
    }
    assert read(runtime, dp, voucherCode="DV-UNKNOWN")["data"] == []
    assert read(runtime, dp, isProduction=True)["data"] == []


def test_get_voucher_usage_refuses_reversed_dates_and_other_dps_vouchers(
    runtime: Runtime, dp: DP, other_dp: DP
) -> None:
    with pytest.raises(BadRequest) as reversed_dates:
        read(runtime, dp, fromDate="2025-11-02", toDate="2025-11-01")
    assert reversed_dates.value.message == "fromDate must not be after toDate (fromDate)"

    with pytest.raises(Forbidden) as theirs:
        read(runtime, dp, voucherCode="DV-B1")
    assert (theirs.value.status, theirs.value.message) == (
        403,
        "Voucher DV-B1 does not belong to this Digital Provider (voucherCode)",
    )


@pytest.mark.parametrize(("number", "codes"), [(1, ["DV-A1", "DV-A2"]), (2, ["DV-A3"]), (3, [])])
def test_get_dp_vouchers_pages(runtime: Runtime, dp: DP, number: int, codes: list[str]) -> None:
    with runtime.db.connect() as conn:
        caller = logic.authenticate(conn, runtime.secret, dp.key)
        answer = logic.get_dp_vouchers(
            conn, caller, GetDPVouchersRequest(pageNumber=number, pageSize=2)
        )
    wire = orjson.loads(orjson.dumps(answer))  # the records come rendered by the database
    assert [v["voucherCode"] for v in wire["data"]] == codes
    assert (wire["totalRecords"], wire["pageNumber"], wire["pageSize"]) == (3, number, 2)


def test_the_last_possible_page_is_empty_not_an_error(runtime: Runtime, dp: DP) -> None:
    # (2**31 - 2) * 500 is past any INTEGER column: the rule must not send it to the database.
    with runtime.db.connect() as conn:
        caller = logic.authenticate(conn, runtime.secret, dp.key)
        answer = logic.get_dp_vouchers(
            conn, caller, GetDPVouchersRequest(pageNumber=2_147_483_647, pageSize=500)
        )
    assert orjson.loads(orjson.dumps(answer))["data"] == []
    assert answer["totalRecords"] == 3
