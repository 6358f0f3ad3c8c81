"""SQLite's one writer, with group commit.

SQLite writes one transaction at a time. Rather than hand each request's write to a thread of
its own turn (a thread hop, ``BEGIN IMMEDIATE``, the work, ``COMMIT``, a hop back), requests
queue their work for one writer thread, which takes whatever is waiting (up to ``BATCH``), runs
each piece in a savepoint of one shared transaction and commits once. Each request still gets
its answer only after the commit that holds its write, so nothing answered is lost if the
process dies; a piece that raises is rolled back to its savepoint alone, and its request gets
the exception as if it had run by itself. If the commit itself fails, every request of the
batch gets that error.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")

__all__ = ["SQLiteWriter"]

#: At most this many requests' writes share a transaction.
BATCH = 64


@dataclass(slots=True)
class _Job:
    work: Callable[[Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class SQLiteWriter:
    """``await writer.run(work)``: ``work(connection)`` in the next shared transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine  # its connections BEGIN IMMEDIATE (core.db)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._start()
        self._jobs.put(_Job(work, future, loop))
        return await future

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._serve, name="saphan-sqlite-writer", daemon=True
                    )
                    self._thread.start()

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join()

    def _serve(self) -> None:
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
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._engine.begin() as conn:
                if len(batch) == 1:
                    outcomes.append((True, batch[0].work(conn)))
                else:
                    for job in batch:
                        outcomes.append(_in_savepoint(conn, job.work))
        except BaseException as exc:  # the lone piece, or the commit itself, failed
            outcomes = [(False, exc)] * len(batch)
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            try:
                job.loop.call_soon_threadsafe(_settle, job.future, ok, value)
            except RuntimeError:  # its event loop has closed: nobody is waiting
                continue


def _in_savepoint(conn: Connection, work: Callable[[Connection], Any]) -> tuple[bool, Any]:
    try:
        with conn.begin_nested():
            return True, work(conn)
    except Exception as exc:
        return False, exc


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # its request went away meanwhile
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
