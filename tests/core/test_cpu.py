"""``core.cpu``: CPU-heavy steps of requests run on worker threads, at most so many at once; the
rest wait their turn without holding the event loop."""

from __future__ import annotations

import threading
import time

import anyio

from saphan.core.cpu import CpuWork


async def test_at_most_the_bound_run_at_once_and_the_loop_stays_free() -> None:
    cpu = CpuWork(2)
    lock = threading.Lock()
    running = peak = 0
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def step(seconds: float) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            threads.add(threading.get_ident())
        time.sleep(seconds)
        with lock:
            running -= 1
        return 1

    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.005)
            ticks += 1

    results: list[int] = []

    async def one() -> None:
        results.append(await cpu.run(step, 0.05))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(ticking)
        async with anyio.create_task_group() as steps:
            for _ in range(8):
                steps.start_soon(one)
        tasks.cancel_scope.cancel()

    assert results == [1] * 8
    assert peak == 2
    assert loop_thread not in threads
    assert ticks >= 20  # 8 steps of 50 ms, two at a time: the loop ticked throughout
