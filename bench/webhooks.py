"""Webhook scenario.

- ``webhook-delivery``: a receiver answering 204 in its own uvicorn process on 127.0.0.1; in
  the same run, (1) raw httpx POSTs/s of the same body to it at the same concurrency, (2) the
  engine's deliveries/s draining an outbox of ``MESSAGES`` messages (claim under lease, sign,
  POST, record each attempt), and (3) enqueue -> delivered latency with a worker running and
  messages enqueued one at a time (the worker polls every ``webhook_poll_seconds``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import resource
import secrets
import statistics
import sys
import time

import httpx
from sqlalchemy import create_engine, text
from starlette.types import Receive, Scope, Send

from bench import harness
from bench.harness import BenchError
from bench.scenarios import Options, Report, Target, _log
from saphan.config import Settings
from saphan.core import migrate
from saphan.core.db import normalise_url
from saphan.core.runtime import Runtime
from saphan.core.webhooks import create_subscription, enqueue
from saphan.core.webhooks.worker import Worker

MESSAGES = 5_000
LATENCY_MESSAGES = 300
CONCURRENCY = 16
PAYLOAD = {
    "type": "DocumentReady",
    "PoCode": "PO-251120-0001",
    "TaxId": "112232323",
    "OrgId": "b1b7711b-158f-48fe-adc0-9cfb52565911",
    "Amount": 12345.5,
    "Items": [{"Sku": f"SKU-{n}", "Qty": n, "Price": 10.25} for n in range(5)],
}


async def receiver_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body, answers 204 to a POST (200 to the harness's readiness GET)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    status = 204 if scope["method"] == "POST" else 200
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        secret_key=secrets.token_urlsafe(32),  # type: ignore[arg-type]
        log_level="WARNING",
        webhook_allow_cidrs=["127.0.0.1/32"],
        webhook_endpoint_concurrency=CONCURRENCY,
        webhook_max_in_flight=CONCURRENCY,
    )


async def _raw_posts(url: str, seconds: float) -> tuple[float, float]:
    """POSTs/s of the same JSON with plain httpx, CONCURRENCY at a time; CPU ms per POST."""
    body = httpx.Request("POST", url, json=PAYLOAD).content
    done = 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=CONCURRENCY), trust_env=False
    ) as client:

        async def loop() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                response = await client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                if response.status_code != 204:
                    raise BenchError(f"receiver answered {response.status_code}")
                done += 1

        started, cpu = time.perf_counter(), _cpu()
        await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))
        return done / (time.perf_counter() - started), (_cpu() - cpu) * 1000 / done


def _subscribe(rt: Runtime, url: str) -> int:
    with rt.db.write() as session:
        info, _ = create_subscription(
            session,
            rt.settings,
            service="bench",
            owner_ref="bench",
            url=url,
            headers={"X-Bench": "1"},
            now=rt.clock.now(),
        )
    return info.id


def _cpu() -> float:
    """CPU seconds of this process (all threads): less noisy than rates on a shared machine."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


async def _drain(rt: Runtime, subscription: int) -> tuple[float, int, float]:
    with rt.db.write() as session:
        now = rt.clock.now()
        for _ in range(MESSAGES):
            enqueue(session, subscription, "DocumentReady", PAYLOAD, now)
    worker = Worker(rt)
    try:
        started, cpu = time.perf_counter(), _cpu()
        attempts = await worker.run_once()
        cpu_ms = (_cpu() - cpu) * 1000 / MESSAGES
        return MESSAGES / (time.perf_counter() - started), attempts, cpu_ms
    finally:
        await worker.aclose()


async def _latency(rt: Runtime, subscription: int) -> list[float]:
    """Milliseconds from enqueue (commit) to the recorded delivery, one message at a time."""
    worker = Worker(rt)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    rng = random.Random(7)

    def one() -> None:
        with rt.db.write() as session:
            enqueue(session, subscription, "DocumentReady", PAYLOAD, rt.clock.now())

    try:
        await asyncio.sleep(0.5)
        for _ in range(LATENCY_MESSAGES):
            await rt.db.run(one, write=True)
            await asyncio.sleep(rng.uniform(0.01, 0.05))
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await running
        await worker.aclose()
    engine = create_engine(normalise_url(rt.settings.database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT created_at, delivered_at FROM webhook_message "
                    "WHERE state = 'delivered' ORDER BY created_at DESC LIMIT :n"
                ),
                {"n": LATENCY_MESSAGES},
            ).all()
    finally:
        engine.dispose()
    if len(rows) < LATENCY_MESSAGES:
        raise BenchError(f"only {len(rows)} of {LATENCY_MESSAGES} latency messages delivered")
    return [_ms(created, delivered) for created, delivered in rows]


def _ms(created: dt.datetime | str, delivered: dt.datetime | str) -> float:
    def parse(value: dt.datetime | str) -> dt.datetime:
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)

    return (parse(delivered) - parse(created)).total_seconds() * 1000


def webhook_delivery(db: str, opts: Options) -> Report:
    scenario = "webhook-delivery"
    report = Report(scenario, db)
    url = harness.fresh_database(db, scenario)
    migrate.upgrade(url)
    rt = Runtime.from_settings(_settings(url))
    port = harness.free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.webhooks:receiver_app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--lifespan",
        "off",
    ]
    env = {**os.environ, "PYTHONPATH": str(harness.REPO)}
    try:
        with harness.serve("webhook-receiver", command, port, env=env, ready_path="/") as server:
            hook = f"{server.base_url}/hook"
            subscription = _subscribe(rt, hook)
            if opts.quiet_wait > 0:
                harness.wait_until_quiet(opts.quiet_wait)
            _log(f"{scenario}/{db}: raw httpx POSTs for {opts.duration:.0f}s")
            raw_before, raw_cpu_before = asyncio.run(_raw_posts(hook, opts.duration))
            _log(f"{scenario}/{db}: raw {raw_before:,.0f} POSTs/s; draining {MESSAGES:,} messages")
            delivered, attempts, engine_cpu = asyncio.run(_drain(rt, subscription))
            if attempts != MESSAGES:
                raise BenchError(f"{attempts} attempts for {MESSAGES} messages")
            _log(f"{scenario}/{db}: {delivered:,.0f} deliveries/s; raw POSTs again")
            raw_after, raw_cpu_after = asyncio.run(_raw_posts(hook, opts.duration))
            raw = (raw_before + raw_after) / 2
            raw_cpu = (raw_cpu_before + raw_cpu_after) / 2
            _log(f"{scenario}/{db}: {delivered:,.0f} deliveries/s; measuring latency")
            lags = asyncio.run(_latency(rt, subscription))
    finally:
        rt.db.dispose()
    p50 = statistics.median(lags)
    p99 = statistics.quantiles(lags, n=100)[98]
    ratio = delivered / raw
    report.throughput += [
        (f"engine deliveries ({MESSAGES:,} queued)", delivered, 0.0, 0.0, ratio),
        (f"raw httpx POSTs, {CONCURRENCY} concurrent (mean of before and after)", raw, 0, 0, 1.0),
        (f"enqueue -> delivered, one at a time ({LATENCY_MESSAGES})", 0.0, p50, p99, 0.0),
    ]
    report.targets += [
        Target("deliveries/s vs raw httpx POSTs/s", f"{ratio:.3f}x", ">= 0.5x", ratio >= 0.5),
        Target("enqueue -> delivery p50", f"{p50:.1f} ms", "<= 50 ms", p50 <= 50),
    ]
    report.notes += [
        f"raw httpx POSTs/s before the engine's run {raw_before:,.0f}, after {raw_after:,.0f}",
        f"CPU of the sending process (all threads; the receiver and PostgreSQL not counted): "
        f"{engine_cpu:.2f} ms per engine delivery, {raw_cpu:.2f} ms per raw POST "
        f"(ratio {raw_cpu / engine_cpu:.2f}); less sensitive to other programs' load than rates",
        f"receiver: bench.webhooks:receiver_app (204, body read) under uvicorn, its own process; "
        f"engine and raw client: one asyncio process, {CONCURRENCY} requests in flight "
        f"(webhook_endpoint_concurrency={CONCURRENCY})",
        "engine deliveries/s include claiming under lease, signing (standardwebhooks), the POST "
        "and recording the attempt and the message's new state, each in its own transaction",
        "latency: created_at to delivered_at (recorded after the response), worker polling "
        f"every {rt.settings.webhook_poll_seconds * 1000:.0f} ms, messages 10-50 ms apart",
    ]
    return report


SCENARIOS = {"webhook-delivery": webhook_delivery}
