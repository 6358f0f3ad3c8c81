"""Rendered answers kept in memory under the version of the data they were made from.

For reads whose answer is large and whose data changes rarely (a page of depa's vouchers is
~73 KiB of JSON): when the caller's state, read at most half a second ago (``core.fresh``),
names the same version the answer was kept under, the kept bytes are the answer, with no
database read and no JSON to build. A version is whatever the data carries that every write
changes (depa: the DP's revision, set by triggers in the writing transaction, and its voucher
count).

Bounded by the bytes held; the least recently used answers go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

__all__ = ["AnswerCache"]


class AnswerCache(Generic[K]):
    """``cache.get(key, version)``: the bytes kept for ``key`` at ``version``, or None."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._held = 0
        #: key -> (version, answer)
        self._entries: OrderedDict[K, tuple[Hashable, bytes]] = OrderedDict()

    def get(self, key: K, version: Hashable) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def keep(self, key: K, version: Hashable, answer: bytes) -> None:
        if len(answer) > self._max:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._held -= len(old[1])
        self._entries[key] = (version, answer)
        self._held += len(answer)
        while self._held > self._max:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._held -= len(dropped)
