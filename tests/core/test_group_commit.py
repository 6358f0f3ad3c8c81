"""``core.group_commit`` through ``Database.run(write=True)`` and ``Database.record``: writes
made at once are committed together, every caller gets its own result or its own exception,
and one that fails leaves nothing while everyone else's write is kept; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from saphan.core.db import Database
from saphan.core.group_commit import Then
from saphan.core.statement import Statement
from saphan.easyslip.models import QuotaUsage, Transfer

AT = dt.datetime(2025, 11, 20, 3, 30, 0)
MONTH = dt.date(2025, 11, 1)
N = 50

_INSERT_TRANSFER = Statement(
    insert(Transfer).values(
        {
            name: bindparam(name)
            for name in (
                "kind",
                "bank_code",
                "trans_ref",
                "occurred_at",
                "amount",
                "sender_bank_code",
                "receiver_bank_code",
                "created_at",
            )
        }
    )
)


def _count(dialect_name: str) -> Any:
    """The counter's upsert: (kind, owner, month) used + 1."""
    insert_: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect_name]
    statement = insert_(QuotaUsage).values(
        kind=bindparam("kind"), owner_id=bindparam("owner"), month_start=bindparam("start"), used=1
    )
    return statement.on_conflict_do_update(
        index_elements=["kind", "owner_id", "month_start"], set_={"used": QuotaUsage.used + 1}
    )


_COUNT = Statement(_count)
COUNTER = {"kind": "app", "owner": 1, "start": MONTH}


def transfer(ref: str) -> dict[str, Any]:
    """A ledger row; (kind, bank_code, trans_ref) is unique."""
    return {
        "kind": "bank",
        "bank_code": "004",
        "trans_ref": ref,
        "occurred_at": AT,
        "amount": Decimal("100.25"),
        "sender_bank_code": "014",
        "receiver_bank_code": "004",
        "created_at": AT,
    }


class Boom(Exception):
    pass


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.aclose()


def _refs(db: Database) -> list[str]:
    with db.connect() as conn:
        return list(conn.execute(select(Transfer.trans_ref).order_by(Transfer.trans_ref)).scalars())


def _counter(db: Database) -> int | None:
    with db.connect() as conn:
        return conn.execute(
            select(QuotaUsage.used).where(
                QuotaUsage.kind == "app", QuotaUsage.owner_id == 1, QuotaUsage.month_start == MONTH
            )
        ).scalar()


def _taken(db: Database, ref: str) -> None:
    """A row already committed, which a later insert of ``ref`` collides with."""
    with db.begin() as conn:
        conn.execute(insert(Transfer), [transfer(ref)])


async def burst(db: Database, calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Every call at once, as concurrent requests make them; each one's result or exception.

    On SQLite the writer thread is held by a first write until every call has queued its own,
    so the burst is committed in groups, not one by one as the thread happens to get to them
    (on PostgreSQL the writer is a task on this event loop: it runs after every call queued)."""
    release = threading.Event()
    gate: asyncio.Future[Any] | None = None
    if db.sqlite:
        gate = asyncio.ensure_future(db.run(lambda _conn: release.wait(10), write=True))
        await asyncio.sleep(0)
    tasks = [asyncio.ensure_future(call()) for call in calls]
    await asyncio.sleep(0)  # each task has run up to awaiting its write
    release.set()
    if gate is not None:
        assert await gate is True
    return list(await asyncio.gather(*tasks, return_exceptions=True))


def _insert_returning(
    ref: str, transactions: list[Any] | None = None
) -> Callable[[Connection], tuple[int, str]]:
    def work(conn: Connection) -> tuple[int, str]:
        if transactions is not None:
            transactions.append(conn.get_transaction())
        row = conn.execute(
            insert(Transfer).values(transfer(ref)).returning(Transfer.id, Transfer.trans_ref)
        ).one()
        return int(row.id), str(row.trans_ref)

    return work


# -- Database.run(write=True) ---------------------------------------------------------------------


async def test_concurrent_writes_all_commit_and_each_caller_gets_its_own_result(
    db: Database,
) -> None:
    transactions: list[Any] = []
    refs = [f"ref-{i:02}" for i in range(N)]
    results = await burst(
        db,
        [partial(db.run, _insert_returning(ref, transactions), write=True) for ref in refs],
    )

    assert [ref for _id, ref in results] == refs  # each caller its own row, none swapped
    with db.connect() as conn:
        stored = dict(conn.execute(select(Transfer.id, Transfer.trans_ref)).all())
    assert stored == dict(results)  # the ids returned are those of the committed rows
    assert len(stored) == N
    # Committed together, not one transaction each (at most two: on SQLite the gate's group
    # may take the first few).
    assert len(transactions) == N
    assert len({id(t) for t in transactions}) <= 2


@pytest.mark.parametrize("failing", [0, 17, N - 1])
async def test_a_write_that_raises_fails_alone_and_leaves_nothing(
    db: Database, failing: int
) -> None:
    def work(i: int) -> Callable[[Connection], tuple[int, str]]:
        insert_row = _insert_returning(f"ref-{i:02}")
        if i != failing:
            return insert_row

        def then_raise(conn: Connection) -> tuple[int, str]:
            insert_row(conn)  # written, then the work raises: the row must go
            raise Boom(i)

        return then_raise

    results = await burst(
        db,
        [partial(db.run, work(i), write=True) for i in range(N)],
    )

    error = results[failing]
    assert isinstance(error, Boom)
    assert error.args == (failing,)
    others = [r for i, r in enumerate(results) if i != failing]
    assert all(isinstance(r, tuple) for r in others), [
        r for r in others if isinstance(r, Exception)
    ]
    expected = [f"ref-{i:02}" for i in range(N) if i != failing]
    assert [ref for _id, ref in others] == expected
    assert _refs(db) == expected
    with db.connect() as conn:
        stored = dict(conn.execute(select(Transfer.id, Transfer.trans_ref)).all())
    assert stored == dict(others)  # the results are those of the commits that kept the rows


async def test_a_unique_violation_in_one_write_is_that_callers_integrity_error(
    db: Database, backend: str
) -> None:
    _taken(db, "ref-23")
    counted: list[int] = []

    def work(i: int) -> Callable[[Connection], tuple[int, str]]:
        insert_row = _insert_returning(f"ref-{i:02}")

        def count_then_insert(conn: Connection) -> tuple[int, str]:
            _COUNT.run(conn, **COUNTER)
            counted.append(i)
            return insert_row(conn)

        return count_then_insert

    results = await burst(
        db,
        [partial(db.run, work(i), write=True) for i in range(N)],
    )

    error = results[23]
    assert isinstance(error, sqlalchemy.exc.IntegrityError)
    driver_error = (
        psycopg.errors.UniqueViolation if backend == "postgresql" else sqlite3.IntegrityError
    )
    assert isinstance(error.orig, driver_error)
    assert all(isinstance(r, tuple) for i, r in enumerate(results) if i != 23)
    assert _refs(db) == [f"ref-{i:02}" for i in range(N)]  # ref-23 is the row taken before
    assert _counter(db) == N - 1  # the failing write's counter bump was rolled back with it
    assert 23 in counted  # (it did run)


async def test_concurrent_orm_session_writes_all_commit(db: Database) -> None:
    """``run_session``: work written against an ORM session, grouped with others' in one
    transaction (on SQLite, each in a savepoint: a session joining one used to roll its own
    writes back when it closed, and every write but a group's first was lost)."""
    refs = [f"orm-{i:02}" for i in range(N)]

    def add(ref: str) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            session.add(Transfer(**transfer(ref)))
            return ref

        return work

    results = await burst(db, [partial(db.run_session, add(ref), write=True) for ref in refs])

    assert results == refs
    assert _refs(db) == refs


@pytest.mark.parametrize("failing", [0, 17, N - 1])
async def test_an_orm_session_write_that_raises_fails_alone(db: Database, failing: int) -> None:
    """A session's flushed rows go with its failure, and only they: a session that rolls back
    must not take the shared transaction (everyone else's writes) with it."""

    def add(i: int) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            session.add(Transfer(**transfer(f"orm-{i:02}")))
            if i == failing:
                session.flush()  # written, then the work raises: the row must go
                raise Boom(i)
            return f"orm-{i:02}"

        return work

    results = await burst(db, [partial(db.run_session, add(i), write=True) for i in range(N)])

    assert isinstance(results[failing], Boom)
    expected = [f"orm-{i:02}" for i in range(N) if i != failing]
    assert [r for i, r in enumerate(results) if i != failing] == expected
    assert _refs(db) == expected


# -- Database.record ----------------------------------------------------------------------------


def _recorded(ref: str) -> list[tuple[Statement, dict[str, Any]]]:
    """A counter bump, then a row: the bump of a call whose row fails must not stay."""
    return [(_COUNT, COUNTER), (_INSERT_TRANSFER, transfer(ref))]


async def test_concurrent_records_all_land(db: Database) -> None:
    refs = [f"ref-{i:02}" for i in range(N)]
    results = await burst(db, [partial(db.record, _recorded(ref)) for ref in refs])

    assert results == [None] * N
    assert _refs(db) == refs
    assert _counter(db) == N


async def test_a_record_that_violates_a_unique_constraint_fails_alone(
    db: Database, backend: str
) -> None:
    _taken(db, "ref-31")
    results = await burst(
        db,
        [partial(db.record, _recorded(f"ref-{i:02}")) for i in range(N)],
    )

    # The statements run on the driver's cursor; its error comes as SQLAlchemy's, as ever.
    driver_error = (
        psycopg.errors.UniqueViolation if backend == "postgresql" else sqlite3.IntegrityError
    )
    assert isinstance(results[31], sqlalchemy.exc.IntegrityError)
    assert isinstance(results[31].orig, driver_error)
    assert [i for i, r in enumerate(results) if r is not None] == [31]
    assert _refs(db) == [f"ref-{i:02}" for i in range(N)]
    assert _counter(db) == N - 1


async def test_of_two_records_of_one_key_in_a_burst_the_earlier_lands(
    db: Database, backend: str
) -> None:
    calls = [partial(db.record, _recorded(f"ref-{i:02}")) for i in range(10)]
    calls.insert(7, partial(db.record, _recorded("ref-03")))  # the same row as call 3
    results = await burst(db, list(calls))

    driver_error = (
        psycopg.errors.UniqueViolation if backend == "postgresql" else sqlite3.IntegrityError
    )
    assert [i for i, r in enumerate(results) if r is not None] == [7]
    assert isinstance(results[7], sqlalchemy.exc.IntegrityError)
    assert isinstance(results[7].orig, driver_error)
    assert _refs(db) == [f"ref-{i:02}" for i in range(10)]
    assert _counter(db) == 10


# -- both at once ----------------------------------------------------------------------------------


def _mixed_calls(
    db: Database, count: int, *, failing_run: int | None = None, taken: int | None = None
) -> list[Callable[[], Awaitable[Any]]]:
    """Runs and records interleaved (runs alone, records in twos and threes between them)."""

    def work(i: int) -> Callable[[Connection], tuple[int, str]]:
        insert_row = _insert_returning(f"ref-{i:03}")

        def count_then_insert(conn: Connection) -> tuple[int, str]:
            _COUNT.run(conn, **COUNTER)
            written = insert_row(conn)
            if i == failing_run:
                raise Boom(i)
            return written

        return count_then_insert

    calls: list[Callable[[], Awaitable[Any]]] = []
    for i in range(count):
        if i % 5 in (0, 3):
            calls.append(partial(db.run, work(i), write=True))
        else:
            ref = "taken" if i == taken else f"ref-{i:03}"
            calls.append(partial(db.record, _recorded(ref)))
    return calls


async def test_a_burst_of_runs_and_records_keeps_every_write(db: Database) -> None:
    count = 100  # more than one group's worth (group_commit.BATCH is 64)
    results = await burst(db, _mixed_calls(db, count))

    for i, result in enumerate(results):
        if i % 5 in (0, 3):
            assert isinstance(result, tuple)
            assert result[1] == f"ref-{i:03}"
        else:
            assert result is None
    assert _refs(db) == [f"ref-{i:03}" for i in range(count)]
    assert _counter(db) == count


async def test_failures_of_either_kind_in_a_mixed_burst_stay_with_their_callers(
    db: Database, backend: str
) -> None:
    count = 40
    _taken(db, "taken")
    results = await burst(db, _mixed_calls(db, count, failing_run=10, taken=11))

    failed = {i: r for i, r in enumerate(results) if isinstance(r, BaseException)}
    assert sorted(failed) == [10, 11]
    assert isinstance(failed[10], Boom)
    driver_error = (
        psycopg.errors.UniqueViolation if backend == "postgresql" else sqlite3.IntegrityError
    )
    assert isinstance(failed[11], sqlalchemy.exc.IntegrityError)
    assert isinstance(failed[11].orig, driver_error)
    assert _refs(db) == sorted(
        [f"ref-{i:03}" for i in range(count) if i not in (10, 11)] + ["taken"]
    )
    assert _counter(db) == count - 2


async def test_the_writes_are_durable_when_the_callers_are_answered(db: Database) -> None:
    """Once ``run``/``record`` return, another connection sees the rows (they are committed,
    not merely queued)."""
    seen: list[int] = []

    async def record_then_look(i: int) -> None:
        await db.record(_recorded(f"ref-{i:02}"))
        with db.connect() as conn:
            found = conn.execute(
                select(func.count()).where(Transfer.trans_ref == f"ref-{i:02}")
            ).scalar_one()
        seen.append(found)

    await burst(db, [partial(record_then_look, i) for i in range(20)])
    assert seen == [1] * 20


async def test_sqlite_commits_reach_the_database_file_while_the_writer_runs(db: Database) -> None:
    """The writer's own commits never checkpoint the WAL (``SQLiteWriter``): a thread of its
    own does, soon after. So a row it committed is copied from the WAL into the database file
    itself while the writer and its connection are still up (a few rows are far below the
    1,000 pages after which SQLite would checkpoint by itself)."""
    if not db.sqlite:
        pytest.skip("the WAL is SQLite's")
    marker = "in-the-file-" + uuid.uuid4().hex
    await db.record(_recorded(marker))
    path = Path(str(db.engine.url.database))
    deadline = time.monotonic() + 10
    while marker.encode() not in await asyncio.to_thread(path.read_bytes):
        assert time.monotonic() < deadline, "the row never left the WAL"
        await asyncio.sleep(0.05)
    assert _refs(db) == [marker]


async def test_sqlite_a_database_that_cannot_be_opened_fails_the_write(tmp_path: Path) -> None:
    """The writer's connection is opened for its first batch: if it cannot be, that batch's
    callers get the error (nothing waits forever), and the writer serves the next batch."""
    database = Database(f"sqlite:///{tmp_path}/missing/folder/saphan.db")
    try:
        for _ in range(2):
            with pytest.raises(sqlalchemy.exc.OperationalError):
                await asyncio.wait_for(database.run(lambda _conn: None, write=True), 10)
    finally:
        await database.aclose()


# -- Database.run_piece: a statement, then what its rows make ---------------------------------

_INSERT_RETURNING = Statement(
    insert(Transfer)
    .values({name: bindparam(name) for name in transfer("x")})
    .returning(Transfer.id, Transfer.trans_ref)
)


def _piece(i: int, raises: bool = False, transactions: list[Any] | None = None) -> Then[str]:
    """Insert ref-i; its ``then`` bumps the counter and answers the ref it got back."""

    def then(conn: Connection, rows: list[Any]) -> str:
        if transactions is not None:
            transactions.append(conn.get_transaction())
        _COUNT.run(conn, **COUNTER)
        if raises:
            raise Boom(i)
        return str(rows[0].trans_ref)

    return Then(_INSERT_RETURNING, transfer(f"ref-{i:02}"), then)


async def test_pieces_commit_together_and_each_gets_its_own_rows(db: Database) -> None:
    transactions: list[Any] = []
    results = await burst(
        db, [partial(db.run_piece, _piece(i, transactions=transactions)) for i in range(N)]
    )
    refs = [f"ref-{i:02}" for i in range(N)]
    assert results == refs
    assert _refs(db) == refs
    assert _counter(db) == N
    assert len({id(t) for t in transactions}) <= 2


@pytest.mark.parametrize("failing", [0, 17, N - 1])
async def test_a_piece_whose_then_raises_fails_alone_and_leaves_nothing(
    db: Database, failing: int
) -> None:
    results = await burst(
        db, [partial(db.run_piece, _piece(i, raises=i == failing)) for i in range(N)]
    )
    assert isinstance(results[failing], Boom)
    expected = [f"ref-{i:02}" for i in range(N) if i != failing]
    assert [r for i, r in enumerate(results) if i != failing] == expected
    assert _refs(db) == expected  # its row went with it
    assert _counter(db) == N - 1


async def test_a_piece_whose_statement_fails_gets_its_error_and_the_rest_commit(
    db: Database, backend: str
) -> None:
    _taken(db, "ref-23")
    results = await burst(db, [partial(db.run_piece, _piece(i)) for i in range(N)])
    error = results[23]
    assert isinstance(error, sqlalchemy.exc.IntegrityError)
    driver_error = (
        psycopg.errors.UniqueViolation if backend == "postgresql" else sqlite3.IntegrityError
    )
    assert isinstance(error.orig, driver_error)
    assert [r for i, r in enumerate(results) if i != 23] == [
        f"ref-{i:02}" for i in range(N) if i != 23
    ]
    assert _refs(db) == [f"ref-{i:02}" for i in range(N)]
    assert _counter(db) == N - 1


async def test_after_a_piece_fails_the_rest_commit_together_again(db: Database) -> None:
    """PostgreSQL: not a transaction each (a quota used up inside the writer made every
    other request of its group a transaction of its own); SQLite: the same transaction."""
    transactions: list[Any] = []

    def work(i: int) -> Callable[[Connection], tuple[int, str]]:
        insert_row = _insert_returning(f"ref-{i:02}", transactions)
        if i != 17:
            return insert_row

        def then_raise(conn: Connection) -> tuple[int, str]:
            insert_row(conn)
            raise Boom(i)

        return then_raise

    results = await burst(db, [partial(db.run, work(i), write=True) for i in range(N)])
    assert isinstance(results[17], Boom)
    assert _refs(db) == [f"ref-{i:02}" for i in range(N) if i != 17]
    # The first pass and the second (on SQLite the gate's group may take the first few).
    assert len({id(t) for t in transactions}) <= 3
