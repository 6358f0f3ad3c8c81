"""CPU-heavy steps of requests, off the event loop and a few at a time.

A step that costs more than a fraction of a millisecond of CPU (an argon2 verification, about
0.1 s of a core at the production cost; decoding a slip image and reading its QR codes, tens of
milliseconds and more) runs on a worker thread, and at most ``CONCURRENCY`` such steps run at
once per app (half the CPUs, at least one). The rest wait for their turn as coroutines: they
hold neither the event loop nor the worker threads that database work shares (anyio's default
limiter), and the steps running leave the loop a core's share. Unbounded, 20 logins at once with
unknown usernames kept ``/healthz`` waiting 1-4 s.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import anyio

__all__ = ["CONCURRENCY", "CpuWork"]

T = TypeVar("T")

#: CPU-heavy steps at once in a process: half the CPUs, at least one.
CONCURRENCY = max(1, (os.cpu_count() or 1) // 2)


class CpuWork:
    """``await cpu.run(work, *args)``: ``work(*args)`` on a worker thread, in turn (see the
    module docstring). One per app (``Runtime.cpu``)."""

    def __init__(self, concurrency: int = CONCURRENCY) -> None:
        self._limiter = anyio.CapacityLimiter(concurrency)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        return await anyio.to_thread.run_sync(work, *args, limiter=self._limiter)
