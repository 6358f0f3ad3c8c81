"""State read from the database, kept in memory for a bounded time: who a key belongs to, a
session's agent, an application's quota.

Correctness across processes and machines comes from the database, not from any message
between processes: an entry is used for at most ``ttl`` seconds (default 0.5) after it was
read, then read again. So a key revoked, a session ended or an account disabled by any process
on any machine stops working everywhere within ``ttl`` plus one read, and nothing local to one
host (signals, files, shared memory) is involved. Each process re-reads a hot entry at most
about twice a second, whatever its request rate.

Within the process, writes are seen at once: an entry also records the ``Database.generation``
it was read at, and every write made outside the request path's own hot writes (operator
routes, commands, tests) bumps it; the hot writes that change cached state drop their own
entries (``discard``).

Concurrent misses of one key share one read (single flight). Entries are bounded in number;
the least recently used go first.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import Connection

from saphan.core.db import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

__all__ = ["FreshCache"]


class FreshCache(Generic[K, V]):
    """``await cache.get(key, load)``: ``load()``'s value, from memory while it is fresh."""

    def __init__(self, db: Database, *, ttl: float = 0.5, max_entries: int = 10_000) -> None:
        self._db = db
        self._ttl = ttl
        self._max = max_entries
        #: key -> (value, read at (monotonic), database generation when read)
        self._entries: OrderedDict[K, tuple[V, float, int]] = OrderedDict()
        self._loading: dict[K, asyncio.Future[V]] = {}
        #: Bumped by ``discard``/``clear``: a read that was in flight meanwhile is not kept.
        self._drops = 0

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry[2] == self._db.generation
            and time.monotonic() - entry[1] < self._ttl
        ):
            self._entries.move_to_end(key)
            return entry[0]
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            generation, drops, read_at = self._db.generation, self._drops, time.monotonic()
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._loading[key]
        future.set_result(value)
        if drops == self._drops:
            self._store(key, value, read_at, generation)
        return value

    async def read(self, key: K, query: Callable[[Connection, K], V]) -> V:
        """``get`` whose load is ``query(connection, key)``, one read on the database."""
        return await self.get(key, lambda: self._db.run(lambda conn: query(conn, key), write=False))

    def _store(self, key: K, value: V, read_at: float, generation: int) -> None:
        self._entries[key] = (value, read_at, generation)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        """Forget ``key`` (this process changed what it holds)."""
        self._drops += 1
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._drops += 1
        self._entries.clear()
