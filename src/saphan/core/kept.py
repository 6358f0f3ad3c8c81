"""PostgreSQL connections kept open on each event loop, lent to one piece of work at a time.

Checking a connection out of SQLAlchemy's async pool and back costs the event loop ~75 us a
request on the bench machine (the pool's events, and the greenlet hops of ``connect`` and
``close`` besides the work's own): a bare Starlette route making one read reached 5,000 req/s
through the pool and 7,900 on a kept connection (issue 12's calibration, bench/RESULTS.md).
These connections are opened once and kept until ``close``; SQLAlchemy still runs the work on
them (``AsyncConnection.run_sync``), so the work is written as before.

psycopg's async connections belong to the event loop they first wait on, so each loop has its
own (a server has one loop; a test client that drives an app from loops of its own, one after
another, gets connections on each). Those of a loop that has closed are closed when another
loop first asks: closing a psycopg connection needs no event loop of its own.

A connection goes back only when it is idle: one whose work was cancelled mid-query, that lost
its server, or that was left in a transaction is closed instead, so the next work never
inherits its state. One open longer than ``recycle`` seconds (30 minutes, as SQLAlchemy's pool
recycled them) is closed and opened again before it is lent, so that one a firewall or the
server dropped for its age does not fail a request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["RECYCLE", "KeptConnections"]

#: Seconds a connection is kept before it is opened anew.
RECYCLE = 1800.0


class KeptConnections:
    """``async with kept.connection() as aconn``: one of at most ``size`` connections of the
    running event loop, opened from ``engine`` (whose pool only ever opens and closes)."""

    def __init__(self, engine: AsyncEngine, size: int, *, recycle: float = RECYCLE) -> None:
        self.engine = engine
        self._size = size
        self._recycle = recycle
        self._loops: dict[asyncio.AbstractEventLoop, _LoopConnections] = {}

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        loop = asyncio.get_running_loop()
        kept = self._loops.get(loop)
        if kept is None:
            for gone in [other for other in self._loops if other.is_closed()]:
                await self._loops.pop(gone).close()
            kept = self._loops[loop] = _LoopConnections(self.engine, self._size, self._recycle)
        async with kept.lend() as aconn:
            yield aconn

    async def close(self) -> None:
        """Close every connection, on whichever loop it was opened, then the engine."""
        loops, self._loops = self._loops, {}
        for kept in loops.values():
            await kept.close()
        await self.engine.dispose()


class _LoopConnections:
    def __init__(self, engine: AsyncEngine, size: int, recycle: float) -> None:
        self._engine = engine
        self._slots = asyncio.Semaphore(size)
        self._recycle = recycle
        #: Idle connections: each with its psycopg connection (to see its state) and when it
        #: was opened (``time.monotonic``).
        self._idle: list[tuple[AsyncConnection, Any, float]] = []
        self._open: set[AsyncConnection] = set()

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[AsyncConnection]:
        async with self._slots:
            aconn, driver, opened = self._idle.pop() if self._idle else await self._connect()
            if time.monotonic() - opened >= self._recycle:
                await self._drop(aconn)
                aconn, driver, opened = await self._connect()
            try:
                yield aconn
            finally:
                if driver.pgconn.transaction_status == TransactionStatus.IDLE and not (
                    aconn.closed or aconn.invalidated
                ):
                    self._idle.append((aconn, driver, opened))
                else:
                    await self._drop(aconn)

    async def _connect(self) -> tuple[AsyncConnection, Any, float]:
        opened = time.monotonic()
        aconn = await self._engine.connect()
        self._open.add(aconn)
        raw = await aconn.get_raw_connection()
        return aconn, raw.driver_connection, opened

    async def _drop(self, aconn: AsyncConnection) -> None:
        self._open.discard(aconn)
        await _close(aconn)

    async def close(self) -> None:
        connections, self._open, self._idle = self._open, set(), []
        for aconn in connections:
            await _close(aconn)


async def _close(aconn: AsyncConnection) -> None:
    """Close ``aconn``; one that lost its server (or was cut off mid-query) may fail to say
    goodbye, which changes nothing: its socket is closed either way."""
    with suppress(Exception):
        await aconn.close()
