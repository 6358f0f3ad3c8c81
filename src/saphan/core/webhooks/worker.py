"""The delivery loop: claim due messages, send each (asyncio, one httpx client), record.

Any number of workers may run against one database (``saphan worker``; on SQLite ``saphan
serve`` also runs one in-process). Each keeps at most ``webhook_max_in_flight`` deliveries in
flight, and at most ``webhook_endpoint_concurrency`` per endpoint, so one slow endpoint holds up
only its own messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import secrets
import socket
from collections import Counter

import httpx

from saphan.core.netguard import Resolver, system_resolver
from saphan.core.runtime import Runtime
from saphan.core.webhooks import queue
from saphan.core.webhooks.metrics import WebhookMetrics
from saphan.core.webhooks.policy import guard_for
from saphan.core.webhooks.queue import Claimed
from saphan.core.webhooks.sender import send

log = logging.getLogger("saphan.webhooks")


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        rt: Runtime,
        *,
        metrics: WebhookMetrics | None = None,
        resolver: Resolver = system_resolver,
        worker_id: str | None = None,
    ) -> None:
        self.rt = rt
        self.settings = rt.settings
        self.metrics = metrics or WebhookMetrics()
        self.id = worker_id or new_worker_id()
        self.rng = random.Random()  # noqa: S311 (retry jitter, not a secret)
        self.in_flight: Counter[str] = Counter()
        self.tasks: set[asyncio.Task[None]] = set()
        limits = httpx.Limits(
            max_connections=self.settings.webhook_max_in_flight,
            max_keepalive_connections=self.settings.webhook_max_in_flight,
        )
        self.client = httpx.AsyncClient(
            transport=guard_for(self.settings, resolver).transport(limits=limits),
            follow_redirects=False,
            timeout=self.settings.webhook_timeout_seconds,
        )
        self._finished = asyncio.Event()

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.aclose()

    def _room(self, snapshot: dict[str, int], endpoint: str) -> int:
        return self.settings.webhook_endpoint_concurrency - snapshot.get(endpoint, 0)

    async def claim_and_start(self) -> int:
        """Claim what is due and has room, start delivering it; how many were started."""
        free = self.settings.webhook_max_in_flight - sum(self.in_flight.values())
        if free <= 0:
            return 0
        db, now = self.rt.db, self.rt.clock.now()

        def due() -> bool:
            with db.read() as session:
                return queue.any_due(session, now)

        if not await db.run(due, write=False):
            return 0
        snapshot = dict(self.in_flight)

        def take() -> list[Claimed]:
            with db.write() as session:
                return queue.claim(
                    session,
                    self.settings,
                    self.id,
                    now,
                    limit=free,
                    room=lambda endpoint: self._room(snapshot, endpoint),
                )

        claimed = await db.run(take, write=True)
        for message in claimed:
            self.in_flight[message.endpoint] += 1
            task = asyncio.create_task(self._deliver(message))
            self.tasks.add(task)
            task.add_done_callback(self._done)
        return len(claimed)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._finished.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery task failed", exc_info=task.exception())

    async def _deliver(self, message: Claimed) -> None:
        try:
            started = self.rt.clock.now()
            result = await send(self.client, self.settings, message, started)
            now = self.rt.clock.now()

            def save() -> str:
                with self.rt.db.write() as session:
                    return queue.record(
                        session,
                        self.settings,
                        message,
                        result,
                        worker=self.id,
                        started=started,
                        now=now,
                        rng=self.rng,
                    )

            outcome = await self.rt.db.run(save, write=True)
        finally:
            self.in_flight[message.endpoint] -= 1
            if self.in_flight[message.endpoint] <= 0:
                del self.in_flight[message.endpoint]
        self._observe(message, result.status, result.latency_ms, outcome, result.error, now)

    def _observe(
        self,
        message: Claimed,
        status: int | None,
        latency_ms: float,
        outcome: str,
        error: str | None,
        now: dt.datetime,
    ) -> None:
        self.metrics.attempts.labels(message.service, outcome).inc()
        self.metrics.attempt_seconds.labels(message.service).observe(latency_ms / 1000)
        if outcome == "delivered":
            created = message.created_at.replace(tzinfo=dt.UTC)
            lag = max(0.0, (now - created).total_seconds())
            self.metrics.lag_seconds.labels(message.service).observe(lag)
        log.log(
            logging.INFO if outcome == "delivered" else logging.WARNING,
            "webhook attempt",
            extra={
                "message_id": message.message_id,
                "subscription_id": message.subscription_id,
                "service": message.service,
                "event_type": message.event_type,
                "endpoint": message.endpoint,
                "attempt": message.attempts + 1,
                "status": status,
                "outcome": outcome,
                "ms": round(latency_ms, 2),
                "error": error,
            },
        )

    async def run_once(self) -> int:
        """Deliver what is due now and wait for it; how many attempts were made (for tests,
        and for ``saphan worker --once``)."""
        total = 0
        while True:
            started = await self.claim_and_start()
            total += started
            if self.tasks:
                await asyncio.wait(list(self.tasks), return_when=asyncio.FIRST_COMPLETED)
            elif started == 0:
                return total

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; then let deliveries in flight finish."""
        log.info("webhook worker started", extra={"worker": self.id})
        poll = self.settings.webhook_poll_seconds
        while not stop.is_set():
            try:
                started = await self.claim_and_start()
            except Exception:
                log.exception("webhook worker could not claim messages")
                started = 0
                await asyncio.sleep(min(5.0, poll * 20))
            if started:
                continue
            self._finished.clear()
            waits = [
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self._finished.wait()),
            ]
            await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
        if self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        log.info("webhook worker stopped", extra={"worker": self.id})
