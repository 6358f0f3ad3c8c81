"""Group commit: the writes requests make, committed together by one writer per database.

Rather than each request's write being a transaction of its own (on SQLite also a thread hop to
the one connection that may write; on PostgreSQL ``BEGIN`` and ``COMMIT`` round trips and a WAL
flush each), requests queue their work for one writer, which runs whatever is waiting (up to
``BATCH``) one after another in a single transaction and commits once. Each request is answered
only after the commit that holds its write, so a process killed after an answer has lost
nothing; a request whose work raises gets its own exception and leaves nothing behind. One
writer also means hot writes never take row locks in orders that could deadlock; operator
writes run on their own connections as before.

Writes whose results nobody reads (an audit row, a counter's upsert) can be queued as ``Rows``
instead of a function: the writer runs those of consecutive requests together, one driver call
per statement for all of them (``Statement.run_many``; on PostgreSQL one pipelined round trip
instead of one per row).

- ``SQLiteWriter``: a thread (SQLite writes one transaction at a time, and waiting for its file
  lock must not hold up the event loop); each piece runs in a savepoint of the shared
  transaction, so one that raises is rolled back alone.
- ``PostgresWriter``: a task on the event loop, over an async connection. No savepoints (two
  more round trips a request): when a piece raises, the whole transaction rolls back, that
  request gets its exception, and the rest of the group runs again together; should that fail
  too, each in a transaction of its own. What a piece sees is what it
  would have seen run alone after the pieces before it: a group runs in order. A piece that
  lost a deadlock or a serialization conflict to another process's transaction is run again.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from saphan.core.kept import KeptConnections
from saphan.core.statement import Statement, rows_pipelined

__all__ = [
    "BATCH",
    "CHECKPOINT_EVERY",
    "PostgresWriter",
    "Recorded",
    "Rows",
    "SQLiteWriter",
    "Then",
    "Work",
    "write_inline",
]

T = TypeVar("T")
log = logging.getLogger("saphan.db")

#: At most this many requests' writes share a transaction.
BATCH = 64


@dataclass(frozen=True, slots=True)
class Rows:
    """Writes to make, each a precompiled statement and its parameters, results unread."""

    writes: Sequence[tuple[Statement, Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Then(Generic[T]):
    """Work that is one statement, then ``then(connection, its rows)``, which makes the
    answer and may write more. The PostgreSQL writer sends the statements of a group's
    consecutive ``Then`` pieces together, in one pipeline (it waits for the database once for
    all of them instead of once each, and the event loop serves other requests meanwhile),
    then calls each piece's ``then`` in order, after all of the statements: so ``then`` may
    write only what does not depend on running before the next pieces' statements (a quota's
    slow path). Elsewhere, and for a piece run alone, the statement and its ``then`` run one
    after the other."""

    statement: Statement
    params: Mapping[str, Any]
    then: Callable[[Connection, list[tuple[Any, ...]]], T]


Work = Callable[[Connection], Any] | Rows | Then[Any]


@dataclass(frozen=True, slots=True)
class Recorded(Generic[T]):
    """What an operation returns when its only writes are rows it never reads back (an audit
    row, a day's count): its answer, and those rows (``Database.run_recorded``)."""

    answer: T
    writes: Sequence[tuple[Statement, Mapping[str, Any]]]


def write_inline(work: Callable[[Connection], Recorded[T]]) -> Callable[[Connection], T]:
    """``work``, its ``Recorded`` rows written on its own connection, in its transaction."""

    def inline(conn: Connection) -> T:
        result = work(conn)
        for statement, params in result.writes:
            statement.run(conn, **params)
        return result.answer

    return inline


@dataclass(slots=True)
class _Job:
    work: Work
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _write_rows(conn: Connection, pieces: Sequence[Rows]) -> None:
    """Every piece's rows, one ``run_many`` per statement, statements in first-seen order (a
    PO's row before its items')."""
    grouped: dict[Statement, list[Mapping[str, Any]]] = {}
    for piece in pieces:
        for statement, params in piece.writes:
            grouped.setdefault(statement, []).append(params)
    for statement, params_list in grouped.items():
        statement.run_many(conn, params_list)


def _perform(conn: Connection, work: Work) -> Any:
    if isinstance(work, Rows):
        _write_rows(conn, [work])
        return None
    if isinstance(work, Then):
        return work.then(conn, work.statement.rows(conn, **work.params))
    return work(conn)


def _runs(batch: Sequence[_Job], together: tuple[type, ...]) -> list[list[_Job]]:
    """The batch in order, consecutive pieces of one of the ``together`` kinds together,
    everything else alone."""
    runs: list[list[_Job]] = []
    for job in batch:
        kind = type(job.work)
        if kind in together and runs and type(runs[-1][0].work) is kind:
            runs[-1].append(job)
        else:
            runs.append([job])
    return runs


#: The WAL is checkpointed at most this often while the writer commits (``SQLiteWriter``).
CHECKPOINT_EVERY = 0.25


class SQLiteWriter:
    """``await writer.run(work)``: ``work(connection)`` in the next shared transaction.

    The writer's own connection never checkpoints the WAL (copies what it holds into the
    database file and syncs the file to disk: what a commit after every 1,000 new pages did,
    in the writer's time). A thread of its own checkpoints after commits instead, at most
    every ``CHECKPOINT_EVERY`` seconds, without holding up the writer (a passive checkpoint
    waits for nobody). Commits stay durable as before: written to the WAL, which a killed
    process leaves behind. (Rakmao creates: 917 -> 1,142 a second in-process, SQLite.)"""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine  # its connections BEGIN IMMEDIATE (core.db)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._written = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()

    async def run(self, work: Work) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._start()
        self._jobs.put(_Job(work, future, loop))
        return await future

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._stop.clear()
                    self._thread = threading.Thread(
                        target=self._serve, name="saphan-sqlite-writer", daemon=True
                    )
                    self._checkpointer = threading.Thread(
                        target=self._checkpoint, name="saphan-sqlite-checkpoint", daemon=True
                    )
                    self._thread.start()
                    self._checkpointer.start()

    def close(self) -> None:
        """Finish what is queued, then stop the threads."""
        with self._lock:
            thread, self._thread = self._thread, None
            checkpointer, self._checkpointer = self._checkpointer, None
        if thread is not None:
            self._jobs.put(None)
            thread.join()
        if checkpointer is not None:
            self._stop.set()
            self._written.set()
            checkpointer.join()

    def _serve(self) -> None:
        conn: Connection | None = None
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                batch = [job]
                while len(batch) < BATCH:
                    try:
                        more = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self._jobs.put(None)  # stop after this batch
                        break
                    batch.append(more)
                try:
                    conn = conn or self._connect()
                except Exception as exc:  # the database cannot be opened: this batch fails
                    self._answer(batch, [(False, exc)] * len(batch))
                    continue
                self._commit(conn, batch)
                self._written.set()
        finally:
            if conn is not None:
                conn.close()

    def _connect(self) -> Connection:
        """The writer's connection, kept while it runs; it leaves checkpoints to
        ``_checkpoint``."""
        conn = self._engine.connect()
        driver = conn.connection.dbapi_connection
        assert driver is not None  # a connection just checked out has one
        driver.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def _commit(self, conn: Connection, batch: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with conn.begin():
                if len(batch) == 1:
                    outcomes.append((True, _perform(conn, batch[0].work)))
                else:
                    for run in _runs(batch, (Rows,)):
                        outcomes += _run_in_savepoint(conn, run)
        except BaseException as exc:  # the lone piece, or the commit itself, failed
            outcomes = [(False, exc)] * len(batch)
        self._answer(batch, outcomes)

    @staticmethod
    def _answer(batch: list[_Job], outcomes: list[tuple[bool, Any]]) -> None:
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            try:
                job.loop.call_soon_threadsafe(_settle, job.future, ok, value)
            except RuntimeError:  # its event loop has closed: nobody is waiting
                continue

    def _checkpoint(self) -> None:
        """After the writer's commits, a passive checkpoint on a connection of its own, then
        a rest of ``CHECKPOINT_EVERY``. One that fails is tried again after the next commits."""
        driver: Any = None
        try:
            while True:
                self._written.wait()
                if self._stop.is_set():
                    return
                self._written.clear()
                try:
                    driver = driver or self._engine.raw_connection()
                    driver.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").close()
                except (sqlite3.Error, DBAPIError) as exc:
                    log.warning("WAL checkpoint failed: %s", exc)
                if self._stop.wait(CHECKPOINT_EVERY):
                    return
        finally:
            if driver is not None:
                driver.close()


def _run_in_savepoint(conn: Connection, run: list[_Job]) -> list[tuple[bool, Any]]:
    """One function, or consecutive ``Rows`` together (and, if that fails, each alone)."""
    if len(run) > 1:
        try:
            with _savepoint(conn):
                _write_rows(conn, [job.work for job in run])  # type: ignore[misc]
            return [(True, None)] * len(run)
        except Exception:  # noqa: S110 (each is retried alone below, and fails with its own error)
            pass
    return [_in_savepoint(conn, job.work) for job in run]


def _in_savepoint(conn: Connection, work: Work) -> tuple[bool, Any]:
    try:
        with _savepoint(conn):
            return True, _perform(conn, work)
    except Exception as exc:
        return False, exc


@contextmanager
def _savepoint(conn: Connection) -> Iterator[None]:
    """A savepoint of the writer's transaction, on the driver's connection: what is done
    inside is rolled back alone if it raises. (SQLAlchemy's ``begin_nested`` compiles and runs
    its ``SAVEPOINT``/``RELEASE`` through the full execution path: a third of the writer
    thread's time for a PowerCapital lookup, measured.) Work in it that opens a savepoint of
    its own (an ORM session: ``Database.run_session``) still may."""
    driver = conn.connection.dbapi_connection
    assert driver is not None  # a connection in a transaction has one
    driver.execute("SAVEPOINT saphan_piece")
    try:
        yield
    except BaseException:
        driver.execute("ROLLBACK TO saphan_piece")
        driver.execute("RELEASE saphan_piece")
        raise
    driver.execute("RELEASE saphan_piece")


class _PieceFailed(Exception):
    """Piece ``index`` raised ``error``; ``index`` None: a group of ``Rows`` failed, which of
    them is not known."""

    def __init__(self, index: int | None, error: Exception) -> None:
        super().__init__(index)
        self.index = index
        self.error = error


class PostgresWriter:
    """``await writer.run(work)``: ``work(connection)`` in the next shared transaction.

    One writer task per event loop (a server has one; a test client that drives the app from
    loops of its own, one after another, gets one on each)."""

    def __init__(self, connections: KeptConnections) -> None:
        self._connections = connections
        self._loops: dict[asyncio.AbstractEventLoop, _LoopWriter] = {}

    async def run(self, work: Work) -> Any:
        loop = asyncio.get_running_loop()
        writer = self._loops.get(loop)
        if writer is None:
            for gone in [other for other in self._loops if other.is_closed()]:
                del self._loops[gone]
            writer = self._loops[loop] = _LoopWriter(self._connections, loop)
        return await writer.run(work)

    async def close(self) -> None:
        """Stop once what is queued on this event loop has been written; close the
        connections."""
        writer = self._loops.pop(asyncio.get_running_loop(), None)
        if writer is not None:
            await writer.close()
        await self._connections.close()


class _LoopWriter:
    def __init__(self, connections: KeptConnections, loop: asyncio.AbstractEventLoop) -> None:
        self._connections = connections
        self._jobs: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._task = loop.create_task(self._serve(), name="saphan-pg-writer")

    async def run(self, work: Work) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.append(_Job(work, future, loop))
        self._wake.set()
        return await future

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        await self._task

    async def _serve(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._jobs:
                batch = [self._jobs.popleft() for _ in range(min(BATCH, len(self._jobs)))]
                await self._commit(batch)
            if self._closing:
                return

    async def _commit(self, batch: list[_Job], *, regroup: bool = True) -> None:
        """``batch`` in one transaction. When a piece raises, it gets its error and the rest
        run again together, once (``regroup``): a request refused inside the writer (a quota
        used up) then costs the others one more pass, not a transaction each. A second
        failure, or one whose piece is not known, sends the rest one by one."""
        try:
            async with self._connections.connection() as aconn, aconn.begin():
                results = await aconn.run_sync(_run_all, batch)
        except _PieceFailed as failed:
            others = batch
            if failed.index is not None and not _transient(failed.error):
                _settle(batch[failed.index].future, False, failed.error)
                others = batch[: failed.index] + batch[failed.index + 1 :]
                if regroup and len(others) > 1:
                    await self._commit(others, regroup=False)
                    return
            for job in others:
                await self._alone(job)
            return
        except Exception as exc:  # the commit itself failed: nobody's write is durable
            for job in batch:
                _settle(job.future, False, exc)
            return
        for job, result in zip(batch, results, strict=True):
            _settle(job.future, True, result)

    async def _alone(self, job: _Job) -> None:
        """``job`` in a transaction of its own; one that lost a deadlock or a serialization
        conflict to another process's transaction is tried again, up to ``RETRIES`` times."""
        for attempt in range(RETRIES + 1):
            try:
                async with self._connections.connection() as aconn, aconn.begin():
                    result = await aconn.run_sync(_perform, job.work)
            except Exception as exc:
                if attempt < RETRIES and _transient(exc):
                    continue
                _settle(job.future, False, exc)
            else:
                _settle(job.future, True, result)
            return


#: How often a piece that lost a deadlock or a serialization conflict is tried again.
RETRIES = 3
#: PostgreSQL's serialization_failure and deadlock_detected.
_TRANSIENT_STATES = {"40001", "40P01"}


def _transient(error: BaseException) -> bool:
    """Whether ``error`` is a conflict with another transaction that a retry can win."""
    original = getattr(error, "orig", error)
    return getattr(original, "sqlstate", None) in _TRANSIENT_STATES


def _run_all(conn: Connection, batch: Sequence[_Job]) -> list[Any]:
    results: list[Any] = []
    for run in _runs(batch, (Rows, Then)):
        if len(run) > 1 and isinstance(run[0].work, Rows):
            try:
                _write_rows(conn, [job.work for job in run])  # type: ignore[misc]
            except Exception as exc:
                raise _PieceFailed(None, exc) from exc
            results += [None] * len(run)
            continue
        if len(run) > 1:
            pieces: list[Then[Any]] = [job.work for job in run]  # type: ignore[misc]
            try:
                found = rows_pipelined(conn, [(piece.statement, piece.params) for piece in pieces])
            except Exception as exc:
                raise _PieceFailed(None, exc) from exc
            for piece, rows in zip(pieces, found, strict=True):
                try:
                    results.append(piece.then(conn, rows))
                except Exception as exc:
                    raise _PieceFailed(len(results), exc) from exc
            continue
        try:
            results.append(_perform(conn, run[0].work))
        except Exception as exc:
            raise _PieceFailed(len(results), exc) from exc
    return results


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # its request went away meanwhile
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
