"""Sync against Saphan's depa service as a live server: every page, status history, and the
spec's linking strategy (mobileNo, then idCard, else manual), conflicts included."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from saphan.core.clock import to_utc_naive
from saphan.core.db import Database
from saphan.depa.dp.models import AppUser, SyncedVoucher, VoucherStatusChange
from saphan.depa.dp.sync import sync
from saphan.depa.dp.users import UserIn, upsert_users
from tests.depa_dp.conftest import DP_NOW, SECRET_BYTES, DepaDP, bangkok, voucher

BULK = 650  # two GetDPVouchers pages of 500


def now() -> dt.datetime:
    return DP_NOW


def load_users(db: Database, users: list[UserIn]) -> None:
    with db.write() as session:
        upsert_users(session, SECRET_BYTES, users, DP_NOW)


def links(db: Database) -> dict[str, tuple[str | None, str | None]]:
    """voucher code -> (appUserId, how it was linked)."""
    with db.read() as session:
        rows = session.execute(
            select(SyncedVoucher.voucher_code, AppUser.app_user_id, SyncedVoucher.link_method)
            .outerjoin(AppUser, AppUser.id == SyncedVoucher.user_id)
            .order_by(SyncedVoucher.voucher_code)
        ).all()
    return {code: (user, method) for code, user, method in rows}


def seed_linking_cases(dp: DepaDP, db: Database) -> None:
    """Vouchers 0-5 are the named cases; 6..599 match bulk users by mobile (written another way);
    600..649 match nobody."""
    vouchers = [
        voucher(dp.code(0), mobileNo="0812345678"),
        voucher(dp.code(1), mobileNo="66-89-876-5432"),
        voucher(dp.code(2), mobileNo="+66811112222"),
        voucher(dp.code(3), mobileNo="0800000003", idCard="1101700203451"),
        voucher(dp.code(4), mobileNo="0822222222"),
        voucher(dp.code(5), mobileNo="0833333333", idCard="3100600123456"),
        *(voucher(dp.code(n), mobileNo=f"09{n:08d}") for n in range(6, BULK)),
    ]
    dp.issue(vouchers)
    load_users(
        db,
        [
            UserIn(appUserId="u-plus66", phone="+66812345678"),
            UserIn(appUserId="u-local", phone="0898765432"),
            UserIn(appUserId="u-dashed", phone="66-81-111-2222"),
            UserIn(appUserId="u-idcard", idCard="1-1017-00203-45-1"),
            UserIn(appUserId="u-twin-1", phone="0822222222"),
            UserIn(appUserId="u-twin-2", phone="082-222-2222"),
            UserIn(appUserId="u-twin-3", phone="0833333333", idCard="3100600123456"),
            UserIn(appUserId="u-twin-4", phone="+66833333333"),
            *(UserIn(appUserId=f"bulk-{n}", phone=f"+66 9{n:08d}") for n in range(6, 600)),
        ],
    )


def test_sync_reads_every_page_and_links_by_each_rule(depa_dp: DepaDP, dp_db: Database) -> None:
    seed_linking_cases(depa_dp, dp_db)

    with depa_dp.client() as client:
        result = sync(dp_db, client, SECRET_BYTES, now)

    assert (result.pages, result.vouchers, result.new, result.changed) == (2, BULK, BULK, 0)
    found = links(dp_db)
    assert len(found) == BULK
    code = depa_dp.code
    assert found[code(0)] == ("u-plus66", "mobileNo")  # 0812345678 = +66812345678
    assert found[code(1)] == ("u-local", "mobileNo")  # 66-89-876-5432 = 0898765432
    assert found[code(2)] == ("u-dashed", "mobileNo")  # +66811112222 = 66-81-111-2222
    assert found[code(3)] == ("u-idcard", "idCard")  # no phone matches; the ID does
    assert found[code(4)] == (None, None)  # two users hold the phone: nobody
    assert found[code(5)] == ("u-twin-3", "idCard")  # two hold the phone; the ID settles it
    assert all(found[code(n)] == (f"bulk-{n}", "mobileNo") for n in range(6, 600))
    assert all(found[code(n)] == (None, None) for n in range(600, BULK))

    assert sorted(result.by_id_card) == [code(3), code(5)]
    assert len(result.by_mobile) == 3 + 594
    assert result.unmatched == [code(n) for n in range(600, BULK)]
    [conflict] = result.conflicts
    assert (conflict.voucher_code, conflict.key) == (code(4), "mobileNo")
    assert conflict.app_user_ids == ("u-twin-1", "u-twin-2")


def test_national_ids_are_kept_only_as_keyed_digests(depa_dp: DepaDP, dp_db: Database) -> None:
    seed_linking_cases(depa_dp, dp_db)
    with depa_dp.client() as client:
        sync(dp_db, client, SECRET_BYTES, now)

    with dp_db.read() as session:
        dump = " ".join(
            str(row)
            for table in ("depa_dp_user", "depa_dp_voucher")
            for row in session.execute(text(f"SELECT * FROM {table}")).all()
        )
    assert "1101700203451" not in dump
    assert "3100600123456" not in dump


def test_a_second_sync_keeps_links_and_adds_status_history(
    depa_dp: DepaDP, dp_db: Database
) -> None:
    code = depa_dp.code
    depa_dp.issue(
        [
            voucher(code(0), mobileNo="0812345678"),
            voucher(code(1), status="Bound", activatedTime="", mobileNo="0898765432"),
        ]
    )
    load_users(
        dp_db,
        [UserIn(appUserId="u0", phone="0812345678"), UserIn(appUserId="u1", phone="0898765432")],
    )
    with depa_dp.client() as client:
        first = sync(dp_db, client, SECRET_BYTES, now)
        depa_dp.revoke(code(0), "2025-11-18 15:00:00")
        depa_dp.activate(code(1), "2025-11-19 08:00:00")
        second = sync(dp_db, client, SECRET_BYTES, now)

    assert (first.new, first.changed, len(first.by_mobile)) == (2, 0, 2)
    assert (second.new, second.changed, second.already_linked, second.by_mobile) == (0, 2, 2, [])
    assert links(dp_db) == {code(0): ("u0", "mobileNo"), code(1): ("u1", "mobileNo")}
    with dp_db.read() as session:
        history = session.execute(
            select(SyncedVoucher.voucher_code, VoucherStatusChange.status, VoucherStatusChange.at)
            .join(SyncedVoucher, SyncedVoucher.id == VoucherStatusChange.voucher_id)
            .order_by(SyncedVoucher.voucher_code, VoucherStatusChange.id)
        ).all()
        [revoked] = session.scalars(
            select(SyncedVoucher).where(SyncedVoucher.voucher_code == code(0))
        ).all()
    utc = to_utc_naive
    assert history == [
        (code(0), "Bound", utc(bangkok("2025-10-30 08:00:00"))),
        (code(0), "Activated", utc(bangkok("2025-11-01 09:00:00"))),
        (code(0), "Revoked", utc(bangkok("2025-11-18 15:00:00"))),
        (code(1), "Bound", utc(bangkok("2025-10-30 08:00:00"))),
        (code(1), "Activated", utc(bangkok("2025-11-19 08:00:00"))),
    ]
    assert (revoked.status, revoked.revoked_time) == ("Revoked", utc(bangkok("2025-11-18 15:00")))


def test_users_loaded_after_a_sync_are_matched_by_the_next(
    depa_dp: DepaDP, dp_db: Database
) -> None:
    depa_dp.issue([voucher(depa_dp.code(0), mobileNo="0812345678")])
    with depa_dp.client() as client:
        first = sync(dp_db, client, SECRET_BYTES, now)
        load_users(dp_db, [UserIn(appUserId="late", phone="081 234 5678")])
        second = sync(dp_db, client, SECRET_BYTES, now)

    assert first.unmatched == [depa_dp.code(0)]
    assert (second.by_mobile, second.unmatched) == ([depa_dp.code(0)], [])


def test_an_empty_dp_syncs_nothing(depa_dp: DepaDP, dp_db: Database) -> None:
    with depa_dp.client() as client:
        result = sync(dp_db, client, SECRET_BYTES, now)
    assert (result.pages, result.vouchers, result.unmatched, result.conflicts) == (0, 0, [], [])
    assert links(dp_db) == {}
