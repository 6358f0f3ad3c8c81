"""Delivery inside ``saphan serve`` (the app's lifespan): on SQLite by default, where one
process usually is the whole deployment; PostgreSQL deployments run ``saphan worker``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry

from saphan.core.runtime import Runtime
from saphan.core.webhooks.metrics import WebhookMetrics
from saphan.core.webhooks.worker import Worker


def enabled(rt: Runtime) -> bool:
    choice = rt.settings.webhook_deliver_in_process
    return rt.db.sqlite if choice is None else choice


@asynccontextmanager
async def deliver_in_process(rt: Runtime, registry: CollectorRegistry) -> AsyncIterator[None]:
    metrics = WebhookMetrics(registry)
    if not enabled(rt):
        yield
        return
    worker = Worker(rt, metrics=metrics)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), rt.settings.webhook_timeout_seconds + 1)
        except TimeoutError:
            task.cancel()
        await worker.aclose()
