"""``core.statement.Statement``: a Core statement compiled once per dialect and run on the
driver's own cursor must pass and return exactly what ``Connection.execute`` would, on SQLite
and PostgreSQL alike: the same stored values (bind processors), the same Python values back
(result processors), rows as named tuples."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from saphan.core.db import Database
from saphan.core.statement import Statement
from saphan.easyslip.models import QuotaUsage, Transfer
from saphan.moi.models import Account, Bill, Client

#: Naive UTC with microseconds, as the project stores times.
AT = dt.datetime(2025, 11, 20, 3, 30, 15, 123456)
DAY = dt.date(2025, 10, 31)
#: Nested, Thai text, a float, a null, a boolean, a big integer: what a JSON column must keep.
INFO = {
    "name": "นายทดสอบ ใจดี",
    "history": [{"kwh": 588000, "Amount": 2105542.18, "billDate": ""}, None],
    "active": True,
    "big": 12345678901234567,
}
BILL_INFO = {"BillPeriod": "10/2025", "DueDate": None, "InvoiceNo": ["A-1", "A-2"]}


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _insert_all(table: Any, names: tuple[str, ...]) -> Statement:
    """``INSERT INTO table (names...) VALUES (:name, ...)``."""
    return Statement(insert(table).values({name: bindparam(name) for name in names}))


ACCOUNT_COLUMNS = ("citizen_id", "layout", "account_no", "info", "created_at")
BILL_COLUMNS = ("account_id", "bill_date", "units", "amount", "info")
TRANSFER_COLUMNS = (
    "kind",
    "bank_code",
    "trans_ref",
    "occurred_at",
    "amount",
    "fee",
    "sender_bank_code",
    "receiver_bank_code",
    "created_at",
)
_ACCOUNT_INSERT = _insert_all(Account, ACCOUNT_COLUMNS)
_BILL_INSERT = _insert_all(Bill, BILL_COLUMNS)
_TRANSFER_INSERT = _insert_all(Transfer, TRANSFER_COLUMNS)


def _account(account_no: str) -> dict[str, Any]:
    return {
        "citizen_id": "3102400001917",
        "layout": "customerinfo",
        "account_no": account_no,
        "info": INFO,
        "created_at": AT,
    }


def _bill(account_id: int) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "bill_date": DAY,
        "units": Decimal("588000.00"),
        "amount": Decimal("2105542.18"),
        "info": BILL_INFO,
    }


def _transfer(trans_ref: str, amount: str = "1500.25") -> dict[str, Any]:
    return {
        "kind": "bank",
        "bank_code": "004",
        "trans_ref": trans_ref,
        "occurred_at": AT,
        "amount": Decimal(amount),
        "fee": None,
        "sender_bank_code": "014",
        "receiver_bank_code": "004",
        "created_at": AT,
    }


def _typed(values: Any) -> list[tuple[type, Any]]:
    """Values with their types: ``Decimal("1") == 1`` and ``date == datetime`` comparisons
    must not hide a value that came back as the wrong type."""
    return [(type(value), value) for value in values]


def _raw(conn: Connection, table: str, columns: tuple[str, ...], where: str) -> tuple[Any, ...]:
    """A row as the driver stores and returns it, without SQLAlchemy's processors."""
    row = conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}").one()
    return tuple(row)


# -- bind and result processors -----------------------------------------------------------------


def test_a_row_written_through_statement_is_stored_and_read_back_as_sqlalchemy_would(
    db: Database,
) -> None:
    """DateTime, Date, Numeric and JSON: the row a Statement writes is stored in the same form
    as the one SQLAlchemy writes, and SQLAlchemy reads it back equal to what was written."""
    with db.begin() as conn:
        assert _ACCOUNT_INSERT.run(conn, **_account("by-statement")) == 1
        conn.execute(insert(Account), [_account("by-sqlalchemy")])
        ids = dict(conn.execute(select(Account.account_no, Account.id)).all())
        assert _BILL_INSERT.run(conn, **_bill(ids["by-statement"])) == 1
        conn.execute(insert(Bill), [_bill(ids["by-sqlalchemy"])])

    with db.connect() as conn:
        # Stored alike: the bind processors are SQLAlchemy's own (on SQLite a datetime is
        # SQLAlchemy's text form, JSON its serialisation, a Decimal a float).
        stored_accounts = [
            _raw(
                conn,
                "moi_account",
                ("citizen_id", "layout", "info", "created_at"),
                f"id = {ids[no]}",
            )
            for no in ("by-statement", "by-sqlalchemy")
        ]
        assert stored_accounts[0] == stored_accounts[1]
        stored_bills = [
            _raw(conn, "moi_bill", BILL_COLUMNS[1:], f"account_id = {ids[no]}")
            for no in ("by-statement", "by-sqlalchemy")
        ]
        assert stored_bills[0] == stored_bills[1]

        # Read back by SQLAlchemy: exactly what was written, types included.
        account = conn.execute(
            select(*(Account.__table__.c[name] for name in ACCOUNT_COLUMNS)).where(
                Account.id == ids["by-statement"]
            )
        ).one()
        assert _typed(account) == _typed(_account("by-statement").values())
        bill = conn.execute(
            select(*(Bill.__table__.c[name] for name in BILL_COLUMNS)).where(
                Bill.account_id == ids["by-statement"]
            )
        ).one()
        assert _typed(bill) == _typed(_bill(ids["by-statement"]).values())


def test_a_row_written_by_sqlalchemy_reads_through_statement_as_sqlalchemy_reads_it(
    db: Database,
) -> None:
    with db.begin() as conn:
        account_id = conn.execute(
            insert(Account).values(_account("a-1")).returning(Account.id)
        ).scalar_one()
        conn.execute(insert(Bill).values(_bill(account_id)))

    query = (
        select(
            Account.account_no,
            Account.info,
            Account.created_at,
            Bill.bill_date,
            Bill.units,
            Bill.amount,
            Bill.info.label("bill_info"),
        )
        .join(Bill, Bill.account_id == Account.id)
        .where(Account.citizen_id == bindparam("citizen"))
    )
    with db.connect() as conn:
        by_sqlalchemy = conn.execute(query, {"citizen": "3102400001917"}).all()
        by_statement = Statement(query).rows(conn, citizen="3102400001917")

    expected = ["a-1", INFO, AT, DAY, Decimal("588000.00"), Decimal("2105542.18"), BILL_INFO]
    assert len(by_statement) == len(by_sqlalchemy) == 1
    assert _typed(by_statement[0]) == _typed(by_sqlalchemy[0]) == _typed(expected)


def test_a_boolean_and_a_null_datetime_round_trip_both_ways(db: Database) -> None:
    names = ("client_id", "secret_digest", "name", "any_agent", "created_at", "revoked_at")
    written = {
        "client_id": "8vWGC60OS2bjPc2",
        "secret_digest": "0" * 64,
        "name": "ระบบทดสอบ",
        "any_agent": True,
        "created_at": AT,
        "revoked_at": None,
    }
    read = Statement(
        select(*(Client.__table__.c[name] for name in names)).where(
            Client.client_id == bindparam("client")
        )
    )
    with db.begin() as conn:
        _insert_all(Client, names).run(conn, **written)
        conn.execute(insert(Client), [{**written, "client_id": "other", "any_agent": False}])
    with db.connect() as conn:
        by_sqlalchemy = conn.execute(
            select(*(Client.__table__.c[name] for name in names)).where(
                Client.client_id == "8vWGC60OS2bjPc2"
            )
        ).one()
        other = read.first(conn, client="other")
        mine = read.first(conn, client="8vWGC60OS2bjPc2")
    assert _typed(by_sqlalchemy) == _typed(written.values())
    assert mine is not None
    assert _typed(mine) == _typed(written.values())
    assert other is not None
    assert other[3] is False
    assert other[5] is None


def test_json_none_is_written_as_sqlalchemy_writes_it(db: Database) -> None:
    with db.begin() as conn:
        conn.execute(insert(Account), [{**_account("by-sqlalchemy"), "info": None}])
        _ACCOUNT_INSERT.run(conn, **{**_account("by-statement"), "info": None})
    with db.connect() as conn:
        stored = conn.execute(select(Account.account_no, Account.info)).all()
    assert sorted(stored) == [("by-sqlalchemy", None), ("by-statement", None)]


# -- rows, first, scalar ------------------------------------------------------------------------


def _two_transfers(db: Database) -> None:
    with db.begin() as conn:
        conn.execute(insert(Transfer), [_transfer("ref-1", "10.50"), _transfer("ref-2", "20.00")])


def test_rows_are_named_tuples_by_the_columns_keys(db: Database) -> None:
    _two_transfers(db)
    statement = Statement(
        select(
            Transfer.trans_ref,
            Transfer.amount,
            Transfer.fee,
            func.upper(Transfer.kind).label("upper"),
        )
        .where(Transfer.bank_code == bindparam("bank"))
        .order_by(Transfer.trans_ref)
    )
    with db.connect() as conn:
        rows = statement.rows(conn, bank="004")
    assert len(rows) == 2
    first: Any = rows[0]
    second = rows[1]
    assert all(isinstance(row, tuple) for row in rows)
    assert first._fields == ("trans_ref", "amount", "fee", "upper")
    assert first.trans_ref == first[0] == "ref-1"
    assert first.amount == first[1] == Decimal("10.50")
    assert isinstance(first[1], Decimal)
    assert first.fee is None
    assert first.upper == "BANK"
    assert second == ("ref-2", Decimal("20.00"), None, "BANK")


def test_labelled_columns_name_the_fields(db: Database) -> None:
    _two_transfers(db)
    statement = Statement(
        select(func.count().label("n"), func.sum(Transfer.amount).label("total")).where(
            Transfer.bank_code == bindparam("bank")
        )
    )
    with db.connect() as conn:
        row: Any = statement.first(conn, bank="004")
    assert row is not None
    assert row.n == 2
    assert row.total == Decimal("30.50")


def test_first_is_the_first_row_or_none(db: Database) -> None:
    _two_transfers(db)
    statement = Statement(
        select(Transfer.trans_ref, Transfer.occurred_at)
        .where(Transfer.bank_code == bindparam("bank"))
        .order_by(Transfer.trans_ref.desc())
    )
    with db.connect() as conn:
        found = statement.first(conn, bank="004")
        missing = statement.first(conn, bank="999")
    assert found == ("ref-2", AT)
    assert missing is None


def test_scalar_is_the_first_column_of_the_first_row_or_none(db: Database) -> None:
    _two_transfers(db)
    count = Statement(select(func.count()).where(Transfer.bank_code == bindparam("bank")))
    amount = Statement(select(Transfer.amount).where(Transfer.trans_ref == bindparam("ref")))
    with db.connect() as conn:
        assert count.scalar(conn, bank="004") == 2
        assert count.scalar(conn, bank="999") == 0
        assert amount.scalar(conn, ref="ref-2") == Decimal("20.00")
        assert amount.scalar(conn, ref="nope") is None


def test_a_parameter_used_twice_and_a_fixed_limit(db: Database) -> None:
    """The same bind in two places (SQLite's parameters are positional) and a value the
    statement binds itself (its LIMIT)."""
    with db.begin() as conn:
        conn.execute(insert(Transfer), [_transfer(f"ref-{i}") for i in range(5)])
        conn.execute(insert(Transfer), [{**_transfer("other"), "bank_code": "014"}])
    statement = Statement(
        select(Transfer.trans_ref)
        .where(
            Transfer.bank_code == bindparam("bank"),
            Transfer.receiver_bank_code == bindparam("bank"),
        )
        .order_by(Transfer.trans_ref)
        .limit(3)
    )
    with db.connect() as conn:
        assert statement.rows(conn, bank="004") == [("ref-0",), ("ref-1",), ("ref-2",)]
        assert statement.rows(conn, bank="014") == []


# -- writes ---------------------------------------------------------------------------------------


def test_run_returns_the_number_of_rows_changed(db: Database) -> None:
    with db.begin() as conn:
        conn.execute(insert(Transfer), [_transfer(f"ref-{i}") for i in range(3)])
    fee = Statement(
        update(Transfer).where(Transfer.bank_code == bindparam("bank")).values(fee=bindparam("fee"))
    )
    remove = Statement(delete(Transfer).where(Transfer.trans_ref == bindparam("ref")))
    with db.begin() as conn:
        assert fee.run(conn, bank="004", fee=Decimal("2.50")) == 3
        assert fee.run(conn, bank="999", fee=Decimal("1.00")) == 0
        assert remove.run(conn, ref="ref-1") == 1
        assert remove.run(conn, ref="ref-1") == 0
    with db.connect() as conn:
        assert conn.execute(
            select(Transfer.trans_ref, Transfer.fee).order_by("trans_ref")
        ).all() == [
            ("ref-0", Decimal("2.50")),
            ("ref-2", Decimal("2.50")),
        ]


def test_run_many_writes_every_parameter_set(db: Database) -> None:
    written = [_transfer(f"ref-{i}", f"{i}.0{i}") for i in range(7)]
    with db.begin() as conn:
        _TRANSFER_INSERT.run_many(conn, written)
        conn.execute(insert(Transfer), [_transfer("by-sqlalchemy", "3.03")])
    columns = (Transfer.__table__.c[name] for name in TRANSFER_COLUMNS)
    with db.connect() as conn:
        stored = conn.execute(select(*columns).order_by(Transfer.id)).all()
        raw = [
            _raw(conn, "easyslip_transfer", TRANSFER_COLUMNS[3:], f"trans_ref = '{ref}'")
            for ref in ("ref-3", "by-sqlalchemy")
        ]
    assert [_typed(row) for row in stored[:-1]] == [_typed(w.values()) for w in written]
    assert raw[0] == raw[1]  # processed as SQLAlchemy processes them, in executemany too


def test_update_returning_through_rows_and_first(db: Database) -> None:
    start = dt.date(2025, 11, 1)
    with db.begin() as conn:
        conn.execute(
            insert(QuotaUsage),
            [
                {"kind": "app", "owner_id": 1, "month_start": start, "used": 5},
                {"kind": "branch", "owner_id": 1, "month_start": start, "used": 10},
                {"kind": "branch", "owner_id": 2, "month_start": start, "used": 20},
            ],
        )
    increment = Statement(
        update(QuotaUsage)
        .where(QuotaUsage.kind == bindparam("kind"), QuotaUsage.month_start == bindparam("start"))
        .values(used=QuotaUsage.used + bindparam("by"))
        .returning(QuotaUsage.owner_id, QuotaUsage.used, QuotaUsage.month_start)
    )
    with db.begin() as conn:
        app: Any = increment.first(conn, kind="app", start=start, by=1)
        branches = increment.rows(conn, kind="branch", start=start, by=2)
        nothing = increment.first(conn, kind="app", start=dt.date(2025, 12, 1), by=1)
        none_at_all = increment.rows(conn, kind="nope", start=start, by=1)
    assert app == (1, 6, start)
    assert app.used == 6
    assert isinstance(app.month_start, dt.date)
    assert sorted(branches) == [(1, 12, start), (2, 22, start)]
    assert nothing is None
    assert none_at_all == []
    with db.connect() as conn:
        assert conn.execute(
            select(QuotaUsage.kind, QuotaUsage.owner_id, QuotaUsage.used).order_by(
                QuotaUsage.kind, QuotaUsage.owner_id
            )
        ).all() == [("app", 1, 6), ("branch", 1, 12), ("branch", 2, 22)]


def test_update_returning_with_no_row_on_its_first_run_then_a_row(db: Database) -> None:
    """The result processors are worked out on the first run: one that finds nothing must not
    leave the later runs without them."""
    with db.begin() as conn:
        account_id = conn.execute(
            insert(Account).values(_account("a-1")).returning(Account.id)
        ).scalar_one()
    touch = Statement(
        update(Account)
        .where(Account.id == bindparam("account"))
        .values(created_at=bindparam("at"))
        .returning(Account.info, Account.created_at)
    )
    later = AT + dt.timedelta(days=1)
    with db.begin() as conn:
        assert touch.first(conn, account=account_id + 1000, at=later) is None
        row = touch.first(conn, account=account_id, at=later)
    assert row is not None
    assert _typed(row) == _typed([INFO, later])


# -- statements per dialect ----------------------------------------------------------------------


def test_a_statement_built_per_dialect_upserts_on_both(db: Database, backend: str) -> None:
    built_for: list[str] = []

    def upsert(dialect_name: str) -> Any:
        built_for.append(dialect_name)
        insert_: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect_name]
        statement = insert_(QuotaUsage).values(
            kind=bindparam("kind"),
            owner_id=bindparam("owner"),
            month_start=bindparam("start"),
            used=1,
        )
        return statement.on_conflict_do_update(
            index_elements=["kind", "owner_id", "month_start"],
            set_={"used": QuotaUsage.used + statement.excluded.used},
        )

    count = Statement(upsert)
    start = dt.date(2025, 11, 1)
    with db.begin() as conn:
        for _ in range(3):
            assert count.run(conn, kind="app", owner=7, start=start) == 1
        count.run(conn, kind="app", owner=8, start=start)
        count.run_many(conn, [{"kind": "app", "owner": 8, "start": start}] * 4)
    with db.connect() as conn:
        stored = conn.execute(
            select(QuotaUsage.owner_id, QuotaUsage.month_start, QuotaUsage.used).order_by(
                QuotaUsage.owner_id
            )
        ).all()
    assert stored == [(7, start, 3), (8, start, 5)]
    assert built_for == [backend]  # compiled once for this database, reused after


async def test_one_statement_serves_the_event_loops_connections_and_the_sync_ones(
    db: Database,
) -> None:
    """On PostgreSQL ``Database.run`` reads over the asyncio dialect, commands over the sync
    one: both are ``postgresql``, so they share the compiled statement."""
    _two_transfers(db)
    statement = Statement(
        select(Transfer.trans_ref, Transfer.amount, Transfer.occurred_at)
        .where(Transfer.bank_code == bindparam("bank"))
        .order_by(Transfer.trans_ref)
    )
    on_loop = await db.run(lambda conn: statement.rows(conn, bank="004"), write=False)
    with db.connect() as conn:
        synchronous = statement.rows(conn, bank="004")
    expected = [("ref-1", Decimal("10.50"), AT), ("ref-2", Decimal("20.00"), AT)]
    assert [_typed(row) for row in on_loop] == [_typed(row) for row in expected]
    assert [_typed(row) for row in synchronous] == [_typed(row) for row in expected]
    await db.aclose()


# -- what cannot be precompiled -------------------------------------------------------------------


def test_an_expanding_in_list_is_refused_when_first_run(db: Database) -> None:
    statement = Statement(
        select(Transfer.id).where(Transfer.trans_ref.in_(bindparam("refs", expanding=True)))
    )  # built lazily: no error yet
    with db.connect() as conn, pytest.raises(ValueError, match="refs: an expanding IN list"):
        statement.rows(conn, refs=["ref-1"])
    with db.connect() as conn, pytest.raises(ValueError, match="expanding IN"):
        statement.first(conn, refs=["ref-1"])  # and every time after


def test_a_literal_in_list_is_refused_too(db: Database) -> None:
    statement = Statement(select(Transfer.id).where(Transfer.trans_ref.in_(["a", "b"])))
    with db.connect() as conn, pytest.raises(ValueError, match="expanding IN list"):
        statement.rows(conn)


def test_a_driver_error_is_raised_as_sqlalchemys(db: Database) -> None:
    """As ``Connection.execute`` raises it: callers catch ``sqlalchemy.exc`` classes."""
    with db.begin() as conn:
        _ACCOUNT_INSERT.run(conn, **_account("NOT-NULL"))
    with pytest.raises(sqlalchemy.exc.IntegrityError) as raised, db.begin() as conn:
        _ACCOUNT_INSERT.run(conn, **{**_account("NOT-NULL"), "citizen_id": None})
    assert raised.value.orig is not None
    with pytest.raises(sqlalchemy.exc.IntegrityError), db.begin() as conn:
        _ACCOUNT_INSERT.run_many(conn, [_account("A"), {**_account("B"), "layout": None}])
    with db.connect() as conn:
        assert conn.execute(select(Account.account_no)).scalars().all() == ["NOT-NULL"]


async def test_on_the_event_loops_connections_writes_reads_and_errors_are_the_same(
    db: Database,
) -> None:
    """On PostgreSQL ``Database.run`` works over psycopg's async connections, where a
    Statement runs in one await with results in binary format: what it writes, reads back and
    raises must be what the synchronous path gives (SQLite: the same path, for comparison)."""
    ids = await db.run(
        lambda conn: [
            _ACCOUNT_INSERT.run(conn, **_account("on-loop")),
            conn.execute(select(Account.id).where(Account.account_no == "on-loop")).scalar_one(),
        ][1],
        write=True,
    )
    await db.run(lambda conn: _BILL_INSERT.run(conn, **_bill(ids)), write=True)
    query = Statement(
        select(
            Account.account_no,
            Account.info,
            Account.created_at,
            Bill.bill_date,
            Bill.units,
            Bill.amount,
            Bill.info.label("bill_info"),
        )
        .join(Bill, Bill.account_id == Account.id)
        .where(Account.citizen_id == bindparam("citizen"))
    )
    on_loop = await db.run(lambda conn: query.rows(conn, citizen="3102400001917"), write=False)
    column = await db.run(lambda conn: query.column(conn, citizen="3102400001917"), write=False)
    with db.connect() as conn:
        synchronous = query.rows(conn, citizen="3102400001917")
    expected = ["on-loop", INFO, AT, DAY, Decimal("588000.00"), Decimal("2105542.18"), BILL_INFO]
    assert [_typed(row) for row in on_loop] == [_typed(row) for row in synchronous]
    assert _typed(on_loop[0]) == _typed(expected)
    assert on_loop[0].bill_info == BILL_INFO
    assert column == ["on-loop"]

    with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
        await db.run(
            lambda conn: _ACCOUNT_INSERT.run(conn, **{**_account("x"), "citizen_id": None}),
            write=True,
        )
    assert raised.value.orig is not None
    with db.connect() as conn:
        assert conn.execute(select(Account.account_no)).scalars().all() == ["on-loop"]
    await db.aclose()
