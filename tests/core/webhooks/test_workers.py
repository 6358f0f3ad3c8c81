"""Workers as production runs them: ``saphan worker`` processes (killed mid-delivery, two at
once) and ``saphan serve`` delivering in-process on SQLite."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import text

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.core.webhooks import DELIVERED, enqueue
from saphan.core.webhooks.worker import Worker
from tests.conftest import LIVE_START_SECONDS, SECRET, start_live_server
from tests.core.webhooks.conftest import attempts, message, send, subscribe
from tests.core.webhooks.receiver import Receiver, Reply

pytestmark = pytest.mark.live


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SAPHAN_DATABASE_URL": database_url,
        "SAPHAN_SECRET_KEY": SECRET,
        "SAPHAN_WEBHOOK_ALLOW_CIDRS": '["127.0.0.1/32"]',
        "SAPHAN_LOG_LEVEL": "INFO",
        **extra,
    }


@pytest.fixture
def start_worker(database_url: str) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(**extra: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "saphan", "worker"],
            env=worker_env(database_url, **extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def wait_started(process: subprocess.Popen[bytes]) -> None:
    """Until the worker logs that it started (JSON logs on stderr)."""
    assert process.stderr is not None
    deadline = time.monotonic() + LIVE_START_SECONDS  # a process start, on a loaded machine
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if b"webhook worker started" in line:
            return
        if not line and process.poll() is not None:
            raise AssertionError(f"saphan worker exited with {process.returncode}")
    raise AssertionError("saphan worker did not start")


async def test_a_worker_killed_mid_delivery_loses_nothing(
    runtime: Runtime,
    receiver: Receiver,
    clock: FixedClock,
    start_worker: Callable[..., subprocess.Popen[bytes]],
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    receiver.script("hook", Reply(200, delay=60))  # the first request hangs
    msg = send(runtime, sub, {"n": 1})
    doomed = start_worker(SAPHAN_WEBHOOK_LEASE_SECONDS="2")
    wait_for(lambda: len(receiver.received) == 1, 30, "the first delivery")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)

    m = message(runtime, msg)
    assert m.state == "pending"
    assert attempts(runtime, msg) == []  # the killed worker recorded nothing
    survivor = Worker(runtime, worker_id="survivor")
    try:
        clock.set(dt.datetime.now(BANGKOK))
        assert await survivor.run_once() == 0  # the lease still holds
        clock.set(dt.datetime.now(BANGKOK) + dt.timedelta(seconds=3))
        assert await survivor.run_once() == 1
    finally:
        await survivor.aclose()
    assert [r.id for r in receiver.received] == [msg, msg]  # at least once, same webhook-id
    m = message(runtime, msg)
    assert (m.state, m.attempts) == (DELIVERED, 1)
    assert [a.worker for a in attempts(runtime, msg)] == ["survivor"]


async def test_two_workers_never_have_one_message_in_flight_twice(
    runtime: Runtime,
    receiver: Receiver,
    start_worker: Callable[..., subprocess.Popen[bytes]],
) -> None:
    receiver.default = Reply(200, delay=0.05)
    subs = [subscribe(runtime, receiver.url(f"hook{i}"), owner=str(i))[0] for i in range(4)]
    workers = [start_worker(), start_worker()]
    for process in workers:
        wait_started(process)
    with runtime.db.write() as session:
        sent = [
            enqueue(session, subs[n % 4], "thing.happened", {"n": n}, runtime.clock.now())
            for n in range(200)
        ]

    def delivered() -> int:
        with runtime.db.read() as session:
            return int(
                session.execute(
                    text("SELECT count(*) FROM webhook_message WHERE state = 'delivered'")
                ).scalar_one()
            )

    wait_for(lambda: delivered() == 200, 90, "200 deliveries")
    received = Counter(r.id for r in receiver.received)
    assert set(received) == set(sent)
    assert set(received.values()) == {1}
    assert receiver.max_in_flight_per_id == 1
    with runtime.db.read() as session:
        rows = session.execute(text("SELECT worker, count(*) FROM webhook_attempt GROUP BY worker"))
        by_worker = {worker: int(n) for worker, n in rows}
    assert sum(by_worker.values()) == 200
    assert len(by_worker) == 2  # both took part


def test_saphan_serve_delivers_in_process_on_sqlite(
    backend: str, database_url: str, runtime: Runtime, receiver: Receiver
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL deployments run saphan worker")
    sub, _ = subscribe(runtime, receiver.url())
    server = start_live_server(
        database_url, extra_env={"SAPHAN_WEBHOOK_ALLOW_CIDRS": '["127.0.0.1/32"]'}
    )
    try:
        msg = send(runtime, sub, {"n": 1})
        wait_for(lambda: len(receiver.received) == 1, 20, "in-process delivery")
        wait_for(lambda: message(runtime, msg).state == DELIVERED, 5, "the delivery recorded")
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=5).text
    finally:
        server.stop()
    assert receiver.received[0].id == msg
    assert 'saphan_webhook_attempts_total{outcome="delivered",service="testsvc"} 1.0' in metrics
    assert 'saphan_webhook_delivery_lag_seconds_count{service="testsvc"} 1.0' in metrics
