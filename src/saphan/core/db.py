"""Database engine and sessions: SQLite (WAL, busy timeout) or PostgreSQL (pooled).

Times are stored as naive UTC (see ``core.clock``), the same on both databases.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import anyio
import orjson
from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.session import JoinTransactionMode
from sqlalchemy.pool import NullPool

from saphan.core.group_commit import (
    PostgresWriter,
    Recorded,
    Rows,
    SQLiteWriter,
    Then,
    write_inline,
)
from saphan.core.kept import KeptConnections
from saphan.core.statement import Statement

T = TypeVar("T")
A = TypeVar("A")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def json_loads(text: str | bytes) -> Any:
    """A JSON column's value (orjson: a fifth of the Python a PowerCapital lookup spent went to
    the standard library's ``json.loads``), or the standard library's reading of the few
    things orjson refuses and ``json.dumps`` writes (``NaN``, ``Infinity``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


#: Every engine reads JSON columns with ``json_loads``.
_JSON = {"json_deserializer": json_loads}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        # Room for every connection in use at once (the worker threads, the event loop's reads
        # and the writer), so none is opened and closed per request: opening one runs five
        # PRAGMAs.
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size + 2,
            max_overflow=pool_size,
            **_JSON,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        **_JSON,
    )


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for writers.

    pysqlite's own transaction handling begins lazily and lets two writers deadlock on the
    read-to-write lock upgrade; taking the write lock at BEGIN makes writers queue instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages per connection
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One engine, the kinds of connection a request needs, and where their work runs.

    ``run`` is how a request's database work runs; it never blocks the event loop on I/O:

    - PostgreSQL: on the event loop itself, through SQLAlchemy's asyncio bridge over psycopg's
      async connections (``AsyncConnection.run_sync``: the same synchronous rules, their I/O
      awaited in a greenlet). No thread hop, no GIL hand-off per request; reads use autocommit
      connections (no BEGIN/ROLLBACK round trips) kept open between them (``core.kept``);
      writes are committed in groups by one writer (``core.group_commit``).
    - SQLite: reads on the event loop (an indexed read in WAL mode never waits for the write
      lock and takes well under a millisecond; a thread hop costs more than it saves), writes on
      one writer thread that commits whatever is waiting together (``core.group_commit``:
      SQLite writes one transaction at a time; waiting for the file lock must not hold up the
      loop).
    - ``thread=True`` (operator work, anything CPU-heavy such as password hashing): a worker
      thread with a pooled synchronous connection, on either database.

    ``connect``/``begin``/``read``/``write`` are the synchronous forms, for commands, jobs and
    tests. A write through them bumps ``generation``, which tells this process's caches
    (``core.fresh``) that what they hold may be stale.
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size)
        self.sqlite = is_sqlite(self.url)
        self.pool_size = pool_size
        #: Bumped by every write this process makes outside the request path's own writes.
        self.generation = 0
        self._threads = anyio.CapacityLimiter(pool_size)
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self._write_engine, expire_on_commit=False)
        self._sqlite_writer = SQLiteWriter(self._write_engine) if self.sqlite else None
        #: SQLite: each thread's connection for reads on it (``_read_here``), and all of them.
        self._kept = threading.local()
        self._kept_all: list[Connection] = []
        self._readers: KeptConnections | None = None
        self._health: AsyncEngine | None = None
        self._pg_writer: PostgresWriter | None = None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection for reads (no ORM layer)."""
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A Core write transaction: commits on success, rolls back on any exception."""
        try:
            with self._write_engine.begin() as connection:
                yield connection
        finally:
            self.generation += 1

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self, *, invalidates: bool = True) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception.
        ``invalidates=False``: upkeep that changes nothing a request path caches (a signing
        key made or read by a background job), so the caches keep what they hold."""
        try:
            with self._writer.begin() as session:
                yield session
        finally:
            if invalidates:
                self.generation += 1

    async def run(
        self,
        work: Callable[[Connection], T],
        *,
        write: bool,
        thread: bool = False,
        slow: bool = False,
    ) -> T:
        """``work(connection)`` in one connection, one transaction when ``write`` (committed
        when it returns, rolled back when it raises), where it belongs (see the class).
        ``slow``: a read that may scan many rows; on SQLite it runs on a worker thread, not
        the event loop (PostgreSQL does the scanning in its own process either way)."""
        if thread or (slow and self.sqlite):
            return await anyio.to_thread.run_sync(self._sync, work, write, limiter=self._threads)
        if self._sqlite_writer is not None:
            if not write:
                return self._read_here(work)
            return cast(T, await self._sqlite_writer.run(work))
        if write:
            return cast(T, await self._postgres_writer().run(work))
        async with self._postgres_readers().connection() as aconn:
            return await aconn.run_sync(work)

    async def run_recorded(
        self, work: Callable[[Connection], Recorded[T]], *, write: bool, thread: bool = False
    ) -> T:
        """``run`` for work that returns ``Recorded`` rows; the answer once they are durable.

        A read on PostgreSQL runs on a reader and its rows go to the writer with other
        requests' (``record``). On SQLite, or in a write transaction, the work runs in the
        writer and writes its rows itself: the writer thread runs SQLite's C code without
        holding the GIL, so the reads it makes there overlap with the event loop's work."""
        if write or thread or self._sqlite_writer is not None:
            return await self.run(
                write_inline(work), write=write or self._sqlite_writer is not None, thread=thread
            )
        result = await self.run(work, write=False)
        await self.record(result.writes)
        return result.answer

    async def run_then(
        self, read: Callable[[Connection], A], write: Callable[[Connection, A], T]
    ) -> T:
        """``write(connection, read(connection))``: a read, then a write transaction that
        uses what it read. PostgreSQL: the read on a reader (concurrently with other
        requests' work), then only the write in the writer's transaction; SQLite: both in one
        writer job (see ``records`` in ``run``)."""
        if self._sqlite_writer is not None:
            return await self.run(lambda conn: write(conn, read(conn)), write=True)
        found = await self.run(read, write=False)
        return await self.run(lambda conn: write(conn, found), write=True)

    async def run_piece(self, piece: Then[T] | Callable[[Connection], T]) -> T:
        """``piece`` in the writer's next shared transaction: a ``Then`` piece's statement (on
        PostgreSQL sent in one pipeline with the other pieces waiting: see ``Then``) then its
        ``then``, or a function (``run(..., write=True)``)."""
        if self._sqlite_writer is not None:
            return cast(T, await self._sqlite_writer.run(piece))
        return cast(T, await self._postgres_writer().run(piece))

    async def record(self, writes: Sequence[tuple[Statement, Mapping[str, Any]]]) -> None:
        """Writes whose results nobody reads (an audit row, a counter's upsert), committed by
        the writer together with other requests' (``core.group_commit.Rows``); returns once
        they are durable."""
        if self._sqlite_writer is not None:
            await self._sqlite_writer.run(Rows(writes))
        else:
            await self._postgres_writer().run(Rows(writes))

    def _postgres_writer(self) -> PostgresWriter:
        if self._pg_writer is None:
            self._pg_writer = PostgresWriter(KeptConnections(self._async_engine(), size=1))
        return self._pg_writer

    def _postgres_readers(self) -> KeptConnections:
        """Autocommit connections: a read opens no transaction, so nothing is left to end."""
        if self._readers is None:
            self._readers = KeptConnections(
                self._async_engine(isolation_level="AUTOCOMMIT", pool_reset_on_return=None),
                size=self.pool_size,
            )
        return self._readers

    async def run_session(
        self, work: Callable[[Session], T], *, write: bool, thread: bool = False
    ) -> T:
        """``run`` for work written against an ORM session.

        A write commits the session: that commits nothing of the connection's transaction
        (the writer commits it), but it keeps what the session wrote. In the SQLite writer's
        shared transaction the session works in a savepoint of its own, which closing it
        without a commit rolls back, and nothing else with it. (PostgreSQL's writer runs the
        rest of a group again when a piece fails.)"""
        joins: JoinTransactionMode = (
            "create_savepoint" if write and self.sqlite and not thread else "conditional_savepoint"
        )

        def in_session(connection: Connection) -> T:
            with Session(
                bind=connection, expire_on_commit=False, join_transaction_mode=joins
            ) as session:
                result = work(session)
                if write:
                    session.commit()
                return result

        return await self.run(in_session, write=write, thread=thread)

    def _read_here(self, work: Callable[[Connection], T]) -> T:
        """A SQLite read on this thread's own connection, kept between reads: checking one out
        of the pool and back costs ~50 us, a third of a page of GetDPVouchers (measured).
        What the read began is rolled back after it, so no snapshot is held between reads."""
        conn: Connection | None = getattr(self._kept, "conn", None)
        if conn is None or conn.invalidated or conn.closed:
            conn = self._kept.conn = self.engine.connect()
            self._kept_all.append(conn)
        try:
            return work(conn)
        finally:
            if conn.in_transaction():
                conn.rollback()

    def _sync(self, work: Callable[[Connection], T], write: bool) -> T:
        """On a worker thread: operator work, whose writes may change what caches hold."""
        if not write:
            with self.engine.connect() as connection:
                return work(connection)
        with self.begin() as connection:
            return work(connection)

    def _async_engine(self, **options: Any) -> AsyncEngine:
        """PostgreSQL only, for ``KeptConnections``: its pool opens and closes connections
        (the kept ones are never returned), none pinged before use (a round trip a request):
        a connection found broken fails the work that found it and is closed."""
        return create_async_engine(self.url, poolclass=NullPool, **options, **_JSON)

    async def ping(self) -> None:
        """One trivial statement, without blocking the event loop, on a connection of its own:
        a health check must not queue behind the requests holding every pooled connection."""
        if self.sqlite:
            await self.run(lambda c: c.exec_driver_sql("SELECT 1"), write=False)
            return
        if self._health is None:
            self._health = create_async_engine(
                self.url, pool_size=1, max_overflow=0, isolation_level="AUTOCOMMIT"
            )
        async with self._health.connect() as aconn:
            await aconn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """``aclose`` for callers outside an event loop (commands, test teardown)."""
        if self._readers is not None or self._pg_writer is not None or self._health is not None:
            asyncio.run(self.aclose())
        if self._sqlite_writer is not None:
            self._sqlite_writer.close()
        self._close_kept()
        self.engine.dispose()

    async def aclose(self) -> None:
        """Close every connection, the event loop's ones included."""
        if self._pg_writer is not None:
            await self._pg_writer.close()
            self._pg_writer = None
        if self._readers is not None:
            await self._readers.close()
            self._readers = None
        if self._health is not None:
            await self._health.dispose()
            self._health = None
        if self._sqlite_writer is not None:
            await anyio.to_thread.run_sync(self._sqlite_writer.close)
        self._close_kept()
        self.engine.dispose()

    def _close_kept(self) -> None:
        kept, self._kept_all = self._kept_all, []
        self._kept = threading.local()
        for conn in kept:
            conn.close()
