"""``core.kept``: PostgreSQL reads run on connections kept open between requests, and a kept
connection that lost its server, was cut off mid-query or belongs to a closed event loop is
never lent again. Through ``Database.run``, on a real PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from saphan.core.db import Database, normalise_url
from saphan.core.kept import KeptConnections

pytestmark = pytest.mark.anyio


def _backend_pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _alive(url: str, pid: int) -> bool:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
    finally:
        engine.dispose()
    return bool(found)


@pytest.fixture
def pg_url(pg_database: tuple[str, object]) -> str:
    return pg_database[0]


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Database]:
    database = Database(pg_url, pool_size=2)
    yield database
    await database.aclose()


async def test_reads_one_after_another_share_one_connection(db: Database) -> None:
    first = await db.run(_backend_pid, write=False)
    again = [await db.run(_backend_pid, write=False) for _ in range(5)]
    assert again == [first] * 5


async def test_concurrent_reads_open_at_most_pool_size_connections(db: Database) -> None:
    def slow_pid(conn: Connection) -> int:
        conn.execute(text("SELECT pg_sleep(0.05)"))
        return _backend_pid(conn)

    pids = await asyncio.gather(*[db.run(slow_pid, write=False) for _ in range(6)])
    assert len(set(pids)) == 2


async def test_a_connection_whose_server_went_away_fails_its_read_and_is_not_lent_again(
    db: Database, pg_url: str
) -> None:
    pid = await db.run(_backend_pid, write=False)
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    engine.dispose()
    with pytest.raises(sqlalchemy.exc.OperationalError):
        await db.run(_backend_pid, write=False)
    replacement = await db.run(_backend_pid, write=False)
    assert replacement != pid
    assert await db.run(_backend_pid, write=False) == replacement


async def test_a_read_cancelled_mid_query_leaves_no_busy_connection_behind(
    db: Database, pg_url: str
) -> None:
    seen: list[int] = []
    started = asyncio.Event()

    def sleeps(conn: Connection) -> None:
        seen.append(_backend_pid(conn))
        started.set()  # the work runs on the event loop's thread
        conn.execute(text("SELECT pg_sleep(30)"))

    task = asyncio.ensure_future(db.run(sleeps, write=False))
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    after = [await db.run(_backend_pid, write=False) for _ in range(3)]
    assert seen[0] not in after
    for _ in range(100):  # closing the socket ends the backend, once its sleep notices
        if not _alive(pg_url, seen[0]):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the cancelled read's connection was left open")


def test_connections_of_a_closed_event_loop_are_closed_when_another_loop_reads(
    pg_url: str,
) -> None:
    database = Database(pg_url, pool_size=2)
    try:
        first = asyncio.run(database.run(_backend_pid, write=False))
        second = asyncio.run(database.run(_backend_pid, write=False))
        assert second != first
        assert not _alive(pg_url, first)
        assert _alive(pg_url, second)
    finally:
        database.dispose()
    assert not _alive(pg_url, second)


async def test_writes_run_on_a_kept_connection_and_a_failed_one_does_not_poison_it(
    db: Database,
) -> None:
    def fails(conn: Connection) -> None:
        conn.execute(text("SELECT 1 / 0"))

    first = await db.run(_backend_pid, write=True)
    with pytest.raises(sqlalchemy.exc.DataError):
        await db.run(fails, write=True)
    assert await db.run(_backend_pid, write=True) == first


async def test_a_connection_kept_past_its_recycle_age_is_opened_anew(pg_url: str) -> None:
    """As SQLAlchemy's pool recycled them: one a firewall or the server dropped for its age
    must not fail a request."""
    engine = create_async_engine(
        normalise_url(pg_url), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    kept = KeptConnections(engine, size=1, recycle=0.3)

    async def pid() -> int:
        async with kept.connection() as aconn:
            return await aconn.run_sync(_backend_pid)

    try:
        first = await pid()
        assert await pid() == first
        await asyncio.sleep(0.35)
        later = await pid()
        assert later != first
        assert not _alive(pg_url, first)
        assert await pid() == later
    finally:
        await kept.close()
