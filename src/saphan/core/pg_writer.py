"""PostgreSQL's request writes, committed in groups.

Each request's write used to be a transaction of its own: ``BEGIN``, its statements, ``COMMIT``
(a WAL flush), each a round trip through the async driver. Here requests queue their work for
one writer task on one connection, which runs whatever is waiting (up to ``BATCH``) one after
another in a single transaction and commits once: per request only its own statements, and one
flush for the group. Each request is answered after the commit that holds its write.

No savepoints (two more round trips a request): when a piece raises, the whole transaction
rolls back, that request gets its exception, and the rest of the group runs again, each in a
transaction of its own, so a failure never costs more than one extra pass. What a piece saw
is what it would have seen run alone after the pieces before it: the group runs in order.
One writer means hot writes never wait on each other's row locks in an order that could
deadlock; operator writes run on their own connections as before.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

__all__ = ["PostgresWriter"]

#: At most this many requests' writes share a transaction.
BATCH = 64


@dataclass(slots=True)
class _Job:
    work: Callable[[Connection], Any]
    future: asyncio.Future[Any]


class _PieceFailed(Exception):
    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index)
        self.index = index
        self.error = error


class PostgresWriter:
    """``await writer.run(work)``: ``work(connection)`` in the next shared transaction.

    One writer task per event loop (a server has one; a test client that drives the app from
    loops of its own, one after another, gets one on each)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._loops: dict[asyncio.AbstractEventLoop, _LoopWriter] = {}

    async def run(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        writer = self._loops.get(loop)
        if writer is None:
            for gone in [other for other in self._loops if other.is_closed()]:
                del self._loops[gone]
            writer = self._loops[loop] = _LoopWriter(self._engine, loop)
        return await writer.run(work)

    async def close(self) -> None:
        """Stop once what is queued on this event loop has been written."""
        writer = self._loops.pop(asyncio.get_running_loop(), None)
        if writer is not None:
            await writer.close()


class _LoopWriter:
    def __init__(self, engine: AsyncEngine, loop: asyncio.AbstractEventLoop) -> None:
        self._engine = engine
        self._jobs: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._task = loop.create_task(self._serve(), name="saphan-pg-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.append(_Job(work, future))
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

    async def _commit(self, batch: list[_Job]) -> None:
        try:
            async with self._engine.begin() as aconn:
                results = await aconn.run_sync(_run_all, [job.work for job in batch])
        except _PieceFailed as failed:
            _settle(batch[failed.index].future, False, failed.error)
            for job in batch[: failed.index] + batch[failed.index + 1 :]:
                await self._alone(job)
            return
        except Exception as exc:  # the commit itself failed: nobody's write is durable
            for job in batch:
                _settle(job.future, False, exc)
            return
        for job, result in zip(batch, results, strict=True):
            _settle(job.future, True, result)

    async def _alone(self, job: _Job) -> None:
        try:
            async with self._engine.begin() as aconn:
                result = await aconn.run_sync(job.work)
        except Exception as exc:
            _settle(job.future, False, exc)
        else:
            _settle(job.future, True, result)


def _run_all(conn: Connection, works: Sequence[Callable[[Connection], Any]]) -> list[Any]:
    results = []
    for index, work in enumerate(works):
        try:
            results.append(work(conn))
        except Exception as exc:
            raise _PieceFailed(index, exc) from exc
    return results


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # its request went away meanwhile
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
