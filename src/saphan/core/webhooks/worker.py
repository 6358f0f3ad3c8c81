"""The delivery loop: claim due messages, send each (asyncio, one httpx client), record.

Any number of workers may run against one database (``saphan worker``; on SQLite ``saphan
serve`` also runs one in-process). A worker keeps up to ``webhook_endpoint_concurrency``
requests in flight per endpoint and ``webhook_max_in_flight`` in all, so one slow endpoint holds
up only its own messages. It claims up to twice that many (the rest wait in a local queue under
their lease), so the database is asked for more work once per several deliveries, not once per
delivery; finished attempts are recorded together, in one transaction per batch.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import secrets
import socket
from collections import Counter, deque

import httpx
from sqlalchemy import Connection

from saphan.core.netguard import Resolver, system_resolver
from saphan.core.runtime import Runtime
from saphan.core.webhooks import queue
from saphan.core.webhooks.metrics import WebhookMetrics
from saphan.core.webhooks.policy import guard_for
from saphan.core.webhooks.queue import Claimed, Finished
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
        self.per_endpoint = self.settings.webhook_endpoint_concurrency
        self.max_in_flight = self.settings.webhook_max_in_flight
        self.in_flight: Counter[str] = Counter()
        self.queued: dict[str, deque[Claimed]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self._unrecorded: list[Finished] = []
        self._recording = False
        self._wake = asyncio.Event()
        limits = httpx.Limits(
            max_connections=self.max_in_flight, max_keepalive_connections=self.max_in_flight
        )
        self.client = httpx.AsyncClient(
            transport=guard_for(self.settings, resolver).transport(limits=limits),
            follow_redirects=False,
            timeout=self.settings.webhook_timeout_seconds,
        )

    # -- claiming and dispatching ---------------------------------------------------------------

    def _held(self, endpoint: str) -> int:
        queued = self.queued.get(endpoint)
        return self.in_flight[endpoint] + (len(queued) if queued else 0)

    def _total_held(self) -> int:
        return sum(self.in_flight.values()) + sum(len(q) for q in self.queued.values())

    async def claim(self) -> int:
        """Claim what is due (within this worker's limits); how many were claimed."""
        free = 2 * self.max_in_flight - self._total_held()
        if free <= 0:
            return 0
        db, now = self.rt.db, self.rt.clock.now()

        # SQLite: look before taking the write lock. PostgreSQL: the claim (SKIP LOCKED) is
        # itself the cheap look.
        if db.sqlite and not await db.run(lambda conn: queue.any_due(conn, now), write=False):
            return 0
        held = {endpoint: self._held(endpoint) for endpoint in self.in_flight | self.queued.keys()}

        def take(conn: Connection) -> list[Claimed]:
            return queue.claim(
                conn,
                self.settings,
                self.id,
                now,
                limit=free,
                room=lambda endpoint: 2 * self.per_endpoint - held.get(endpoint, 0),
            )

        claimed = await db.run(take, write=True)
        for message in claimed:
            self.queued.setdefault(message.endpoint, deque()).append(message)
        self._dispatch()
        return len(claimed)

    def _dispatch(self) -> None:
        total = sum(self.in_flight.values())
        for endpoint, waiting in list(self.queued.items()):
            while waiting and self.in_flight[endpoint] < self.per_endpoint:
                if total >= self.max_in_flight:
                    return
                message = waiting.popleft()
                self.in_flight[message.endpoint] += 1
                total += 1
                task = asyncio.create_task(self._deliver(message))
                self.tasks.add(task)
                task.add_done_callback(self._done)
            if not waiting:
                del self.queued[endpoint]

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not self.tasks:
            self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery task failed", exc_info=task.exception())

    # -- delivering and recording ---------------------------------------------------------------

    async def _deliver(self, message: Claimed) -> None:
        try:
            started = self.rt.clock.now()
            result = await send(self.client, self.settings, message, started)
            self._unrecorded.append(Finished(message, result, started, self.rt.clock.now()))
        finally:
            self.in_flight[message.endpoint] -= 1
            if self.in_flight[message.endpoint] <= 0:
                del self.in_flight[message.endpoint]
            self._dispatch()
            if self._held(message.endpoint) in (0, self.per_endpoint):
                # Its local queue just ran dry (or it went idle): time to claim more.
                self._wake.set()
        if not self._recording:
            await self._record()

    async def _record(self) -> None:
        """Record every finished attempt, batch by batch, until none is left (one recorder at a
        time: attempts that finish meanwhile join the next batch)."""
        self._recording = True
        try:
            while self._unrecorded:
                batch, self._unrecorded = self._unrecorded, []

                def save(conn: Connection, batch: list[Finished] = batch) -> list[str]:
                    return queue.record_many(
                        conn, self.settings, batch, worker=self.id, rng=self.rng
                    )

                try:
                    outcomes = await self.rt.db.run(save, write=True)
                except Exception:
                    # Unrecorded, the messages fall due again when their lease ends.
                    log.exception("webhook attempts could not be recorded")
                    continue
                for finished, outcome in zip(batch, outcomes, strict=True):
                    self._observe(finished, outcome)
        finally:
            self._recording = False

    def _observe(self, finished: Finished, outcome: str) -> None:
        message, result = finished.claimed, finished.result
        self.metrics.attempts.labels(message.service, outcome).inc()
        self.metrics.attempt_seconds.labels(message.service).observe(result.latency_ms / 1000)
        if outcome == "delivered":
            created = message.created_at.replace(tzinfo=dt.UTC)
            lag = max(0.0, (finished.now - created).total_seconds())
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
                "status": result.status,
                "outcome": outcome,
                "ms": round(result.latency_ms, 2),
                "error": result.error,
            },
        )

    # -- loops ------------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Deliver what is due now, and wait until it is sent and recorded; how many attempts
        were made (for tests, and ``saphan worker --once``)."""
        total = 0
        while True:
            self._wake.clear()
            claimed = await self.claim()
            total += claimed
            if not self.tasks:
                if claimed == 0 and not self.queued:
                    return total
                continue
            if claimed and self._total_held() < 2 * self.max_in_flight:
                continue  # perhaps more is due
            await self._wake.wait()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; then finish what is in flight and give back the rest."""
        log.info("webhook worker started", extra={"worker": self.id})
        poll = self.settings.webhook_poll_seconds
        while not stop.is_set():
            self._wake.clear()
            try:
                claimed = await self.claim()
            except Exception:
                log.exception("webhook worker could not claim messages")
                claimed = 0
                await asyncio.sleep(min(5.0, poll * 20))
            if claimed and self._total_held() < 2 * self.max_in_flight:
                continue  # perhaps more is due
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
        await self._give_back()
        if self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        log.info("webhook worker stopped", extra={"worker": self.id})

    async def _give_back(self) -> None:
        ids = [m.message_id for waiting in self.queued.values() for m in waiting]
        self.queued.clear()
        if not ids:
            return
        now = self.rt.clock.now()

        await self.rt.db.run(lambda conn: queue.release(conn, self.id, ids, now), write=True)

    async def aclose(self) -> None:
        await self._give_back()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.aclose()
