"""Verify against a live provider: GetVoucherUsage read back, and every record depa does not
hold, holds differently, or holds without this DP having sent it, listed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text

from saphan.core.clock import FixedClock
from saphan.core.db import Database
from saphan.depa.dp.report import report
from saphan.depa.dp.track import UsageEvent, record
from saphan.depa.dp.verify import DIFFERENT, MISSING, UNEXPECTED, as_depa_reads, verify
from tests.depa_dp.conftest import DP_NOW, DepaDP, bangkok
from tests.depa_dp.test_report import DAY, link_users

FIRST = dt.date(2025, 11, 18)


def reported(dp: DepaDP, db: Database) -> None:
    """u0..u3 each used the app on the 19th (u0 with a position); all of it reported."""
    users = link_users(dp, db, 4)
    record(
        db,
        [
            UsageEvent(appUserId=u, at=bangkok("2025-11-19 12:00"), opens=n + 1, minutes=10 * n)
            for n, u in enumerate(users)
        ]
        + [
            UsageEvent(
                appUserId="u0", at=bangkok("2025-11-19 13:00"), opens=1, lat=13.123456, lon=100.1
            )
        ],
        DP_NOW,
    )
    with dp.client() as client:
        assert report(db, client, [DAY], False, FixedClock(DP_NOW).now).ok


def test_depa_holds_everything_as_sent(depa_dp: DepaDP, dp_db: Database) -> None:
    reported(depa_dp, dp_db)
    with depa_dp.client() as client:
        result = verify(dp_db, client, DAY, DAY, False)
    # u0's position comes back in single precision, 6 digits: not a difference
    assert (result.ok, result.checked, result.vouchers, result.discrepancies) == (True, 4, 4, [])


def test_records_changed_dropped_or_added_on_depas_side_are_listed(
    depa_dp: DepaDP, dp_db: Database
) -> None:
    reported(depa_dp, dp_db)
    code = depa_dp.code
    with depa_dp.client() as client:
        # someone else with the DP's key overwrites one record and adds one for the 18th
        client.voucher_usage(
            [
                {"accessDate": "2025-11-19", "voucherCode": code(1), "appUserId": "u1",
                 "accessCount": 99, "accessTime": 10, "lat": 0, "lon": 0},
                {"accessDate": "2025-11-18", "voucherCode": code(2), "appUserId": "other",
                 "accessCount": 1, "accessTime": 5, "lat": 0, "lon": 0},
            ]
        )  # fmt: skip
        # and depa loses one (deleted in the provider's own database)
        engine = create_engine(depa_dp.provider.server.database_url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "DELETE FROM depa_usage WHERE voucher_id = "
                    "(SELECT id FROM depa_voucher WHERE voucher_code = :code)"
                ),
                {"code": code(3)},
            )
        engine.dispose()

        result = verify(dp_db, client, FIRST, DAY, False)

    assert not result.ok
    found = {(d.kind, d.voucher_code, d.access_date): d.fields for d in result.discrepancies}
    assert found == {
        (DIFFERENT, code(1), "2025-11-19"): {"accessCount": (2, 99)},
        (MISSING, code(3), "2025-11-19"): {
            "appUserId": ("u3", None),
            "accessCount": (4, None),
            "accessTime": (30, None),
            "lat": (0.0, None),
            "lon": (0.0, None),
        },
        (UNEXPECTED, code(2), "2025-11-18"): {
            "appUserId": (None, "other"),
            "accessCount": (None, 1),
            "accessTime": (None, 5),
            "lat": (None, 0.0),
            "lon": (None, 0.0),
        },
    }
    assert result.checked == 4


def test_production_is_verified_apart_from_uat(depa_dp: DepaDP, dp_db: Database) -> None:
    reported(depa_dp, dp_db)  # UAT only
    with depa_dp.client() as client:
        result = verify(dp_db, client, DAY, DAY, True)
    assert (result.ok, result.checked) == (True, 0)


def test_positions_compare_the_way_depa_reads_them_back() -> None:
    assert as_depa_reads(13.123456) == 13.1235
    assert as_depa_reads(100.123456) == 100.123
    assert as_depa_reads(0.0) == 0.0
