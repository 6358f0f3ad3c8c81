"""Webhook fixtures: a real receiver on 127.0.0.1, settings that admit it, a clock that starts at
the real time (receivers check signatures' timestamps against theirs) and is moved by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest

from saphan.config import Settings
from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.core.webhooks import create_subscription, enqueue, get_message, list_attempts
from saphan.core.webhooks.outbox import AttemptInfo, MessageInfo
from saphan.core.webhooks.worker import Worker
from tests.conftest import ADMIN_TOKEN, SECRET
from tests.core.webhooks.receiver import Receiver

SERVICE = "testsvc"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=False,
        webhook_allow_cidrs=["127.0.0.1/32"],
        webhook_timeout_seconds=1.0,
        webhook_lease_seconds=30.0,
        webhook_deliver_in_process=False,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime.now(BANGKOK).replace(microsecond=0))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def worker(runtime: Runtime) -> AsyncIterator[Worker]:
    delivering = Worker(runtime, worker_id="test-worker")
    yield delivering
    await delivering.aclose()


def subscribe(
    rt: Runtime, url: str, headers: Mapping[str, str] | None = None, owner: str = "owner-1"
) -> tuple[int, str]:
    """A subscription of SERVICE; its id and signing secret."""
    with rt.db.write() as session:
        info, secret = create_subscription(
            session,
            rt.settings,
            service=SERVICE,
            owner_ref=owner,
            url=url,
            headers=headers or {},
            now=rt.clock.now(),
        )
    return info.id, secret


def send(rt: Runtime, subscription_id: int, payload: Any, event: str = "thing.happened") -> str:
    with rt.db.write() as session:
        return enqueue(session, subscription_id, event, payload, rt.clock.now())


def message(rt: Runtime, message_id: str) -> MessageInfo:
    with rt.db.read() as session:
        return get_message(session, message_id)


def attempts(rt: Runtime, message_id: str) -> list[AttemptInfo]:
    with rt.db.read() as session:
        return list_attempts(session, message_id)


def advance(clock: FixedClock, seconds: float) -> None:
    clock.set(clock.now() + dt.timedelta(seconds=seconds))
