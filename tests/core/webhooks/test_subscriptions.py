"""Subscriptions: bad endpoints and headers refused with nothing stored, secrets encrypted at
rest, and names that resolve to private addresses refused at send time (injected resolver)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from saphan.config import Settings
from saphan.core.runtime import Runtime
from saphan.core.webhooks import (
    FAILED,
    PENDING,
    InvalidSubscription,
    UnknownSubscription,
    create_subscription,
    disable_subscription,
    enable_subscription,
    enqueue,
    list_subscriptions,
    update_subscription,
)
from saphan.core.webhooks.worker import Worker
from tests.conftest import SECRET
from tests.core.webhooks.conftest import SERVICE, attempts, message, send, subscribe
from tests.core.webhooks.receiver import Receiver


def count(rt: Runtime, table: str) -> int:
    with rt.db.read() as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize(
    ("url", "headers", "why"),
    [
        ("ftp://example.com/", {}, "scheme"),
        ("http://169.254.169.254/latest", {}, "link-local"),
        ("http://10.0.0.1/", {}, "private"),
        ("http://0x7f.1/", {}, "dotted-quad"),
        ("http://[::ffff:192.168.0.1]/", {}, "embeds"),
        ("https://example.com/" + "a" * 2100, {}, "longer than 2048"),
        ("https://example.com/", {"Bad Name": "x"}, "not a valid HTTP header name"),
        ("https://example.com/", {"X-A": "a\r\nInjected: 1"}, "line break"),
        ("https://example.com/", {"Host": "evil"}, "set by the delivery"),
        ("https://example.com/", {"webhook-signature": "v1,x"}, "set by the delivery"),
        ("https://example.com/", {"X-A": "1", "x-a": "2"}, "given twice"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_stored(
    runtime: Runtime, url: str, headers: dict[str, str], why: str
) -> None:
    with pytest.raises(InvalidSubscription, match=re.escape(why)), runtime.db.write() as session:
        create_subscription(
            session,
            runtime.settings,
            service=SERVICE,
            owner_ref="o",
            url=url,
            headers=headers,
            now=runtime.clock.now(),
        )
    assert count(runtime, "webhook_subscription") == 0


def test_a_bad_update_changes_nothing(runtime: Runtime) -> None:
    sub, _ = subscribe(runtime, "https://example.com/hook", {"X-A": "1"})
    with pytest.raises(InvalidSubscription), runtime.db.write() as session:
        update_subscription(
            session,
            runtime.settings,
            sub,
            now=runtime.clock.now(),
            headers={"X-B": "2"},
            url="http://192.168.0.1/",
        )
    with runtime.db.read() as session:
        (info,) = list_subscriptions(session, service=SERVICE)
    assert (info.url, info.headers) == ("https://example.com/hook", {"X-A": "1"})


def test_the_signing_secret_is_stored_encrypted(runtime: Runtime) -> None:
    _, secret = subscribe(runtime, "https://example.com/hook")
    assert secret.startswith("whsec_")
    Webhook(secret)  # a secret standardwebhooks reads
    with runtime.db.read() as session:
        row = session.execute(text("SELECT * FROM webhook_subscription")).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored


def test_enqueue_for_an_unknown_subscription_is_refused(runtime: Runtime) -> None:
    with pytest.raises(UnknownSubscription), runtime.db.write() as session:
        enqueue(session, 999, "x", {}, runtime.clock.now())
    assert count(runtime, "webhook_message") == 0


async def test_a_name_resolving_to_a_private_address_is_never_contacted(
    runtime: Runtime, receiver: Receiver
) -> None:
    async def resolver(host: str, port: int) -> Sequence[str]:
        return {"hooks.example": ["10.9.8.7"], "receiver.example": ["127.0.0.1"]}[host]

    bad, _ = subscribe(runtime, f"http://hooks.example:{receiver.port}/hook")
    good, secret = subscribe(runtime, f"http://receiver.example:{receiver.port}/hook", owner="2")
    refused = send(runtime, bad, {"n": 1})
    delivered = send(runtime, good, {"n": 2})
    worker = Worker(runtime, resolver=resolver)
    try:
        assert await worker.run_once() == 2
    finally:
        await worker.aclose()
    (attempt,) = attempts(runtime, refused)
    assert (attempt.status_code, attempt.error) == (None, "refused: 10.9.8.7 is private")
    assert message(runtime, refused).state == PENDING  # DNS may change: retried on schedule
    (got,) = receiver.received
    assert got.headers["host"] == f"receiver.example:{receiver.port}"
    assert Webhook(secret).verify(got.body, got.headers) == {"n": 2}
    assert got.id == delivered


async def test_disabled_subscriptions_wait_then_deliver_or_cancel(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    waiting = send(runtime, sub, {"n": 1})
    with runtime.db.write() as session:
        disable_subscription(session, sub, "maintenance", runtime.clock.now())
    assert await worker.run_once() == 0
    with runtime.db.write() as session:
        enable_subscription(session, sub, runtime.clock.now())
    assert await worker.run_once() == 1
    assert receiver.received[0].id == waiting

    cancelled = send(runtime, sub, {"n": 2})
    with runtime.db.write() as session:
        disable_subscription(session, sub, "deleted", runtime.clock.now(), cancel_pending=True)
    m = message(runtime, cancelled)
    assert (m.state, m.last_error) == (FAILED, "subscription disabled: deleted")


def test_a_bad_allow_list_is_refused_at_start_up(database_url: str) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        Settings(
            database_url=database_url,
            secret_key=SECRET,  # type: ignore[arg-type]
            webhook_allow_cidrs=["127.0.0.1/32", "localhost"],
        )
