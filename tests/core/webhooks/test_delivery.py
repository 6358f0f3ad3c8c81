"""Delivery end to end: the engine's worker POSTs to a real receiver on 127.0.0.1, on SQLite and
PostgreSQL; the retry clock is the settable one, so the whole schedule runs in seconds."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook, WebhookVerificationError

from saphan.core.clock import FixedClock
from saphan.core.runtime import Runtime
from saphan.core.webhooks import (
    DELIVERED,
    FAILED,
    PENDING,
    Outgoing,
    enqueue,
    get_subscription,
    register_header_provider,
    replay,
    rotate_secret,
    unregister_header_provider,
    update_subscription,
)
from saphan.core.webhooks.worker import Worker
from tests.core.webhooks.conftest import (
    SERVICE,
    advance,
    attempts,
    message,
    send,
    subscribe,
)
from tests.core.webhooks.receiver import Receiver, Reply

SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


async def test_signed_delivery_verifies_with_standardwebhooks(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    sub, secret = subscribe(
        runtime, receiver.url(), {"X-Api-Key": "abc", "Authorization": "Basic x"}
    )
    payload = {"PoCode": "PO-251120-0001", "Amount": Decimal("12.50"), "ชื่อ": "ทดสอบ"}
    msg = send(runtime, sub, payload)

    assert await worker.run_once() == 1

    (got,) = receiver.received
    assert Webhook(secret).verify(got.body, got.headers) == {**payload, "Amount": 12.5}
    assert "ทดสอบ".encode() in got.body  # UTF-8, not \u escapes
    assert b'"Amount":12.50' in got.body  # the Decimal digit for digit, never via a float
    assert got.headers["webhook-id"] == msg
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-api-key"] == "abc"
    assert got.headers["authorization"] == "Basic x"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(got.body, got.headers)
    m = message(runtime, msg)
    assert (m.state, m.attempts, m.last_status) == (DELIVERED, 1, 200)
    (attempt,) = attempts(runtime, msg)
    assert (attempt.status_code, attempt.error, attempt.response_body) == (200, None, "ok")
    assert attempt.latency_ms > 0


async def test_header_provider_replaces_registered_authorization(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    seen: list[Outgoing] = []

    def provider(outgoing: Outgoing) -> dict[str, str]:
        """Like Rakmao's IsLogin: a bearer token only for subscriptions that asked for one."""
        seen.append(outgoing)
        if not outgoing.attributes.get("is_login"):
            return {}
        return {"authorization": f"Bearer for-{outgoing.owner_ref}"}

    register_header_provider(SERVICE, provider)
    try:
        sub, _ = subscribe(runtime, receiver.url(), {"Authorization": "Basic old", "X-A": "1"})
        with runtime.db.write() as session:
            update_subscription(
                session, runtime.settings, sub, now=runtime.clock.now(), attributes={"is_login": 1}
            )
        msg = send(runtime, sub, {"n": 1}, event="po.ready")
        await worker.run_once()
        with runtime.db.write() as session:
            update_subscription(
                session, runtime.settings, sub, now=runtime.clock.now(), attributes={}
            )
        send(runtime, sub, {"n": 2})
        await worker.run_once()
    finally:
        unregister_header_provider(SERVICE)
    first, second = receiver.received
    assert first.headers["authorization"] == "Bearer for-owner-1"
    assert first.headers["x-a"] == "1"
    assert second.headers["authorization"] == "Basic old"
    assert [(o.subscription_id, o.message_id, o.event_type, o.url) for o in seen[:1]] == [
        (sub, msg, "po.ready", receiver.url())
    ]


async def test_retries_after_500s_and_timeouts_then_delivers(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    receiver.script("hook", Reply(500, "boom"), Reply(200, "slow", delay=1.5), Reply(204, ""))
    msg = send(runtime, sub, {"n": 1})

    assert await worker.run_once() == 1
    m = message(runtime, msg)
    assert (m.state, m.attempts, m.last_status, m.last_error) == (PENDING, 1, 500, "HTTP 500")
    assert m.next_attempt_at is not None
    wait = (m.next_attempt_at - clock.now().astimezone(dt.UTC).replace(tzinfo=None)).total_seconds()
    assert 4.5 <= wait <= 5.5  # the schedule's 5 s, with jitter

    assert await worker.run_once() == 0  # not due yet
    advance(clock, 5.6)
    assert await worker.run_once() == 1  # times out (the timeout is 1 s in these tests)
    m = message(runtime, msg)
    assert (m.state, m.attempts, m.last_status) == (PENDING, 2, None)
    assert m.last_error == "timed out after 1 s"

    advance(clock, 331)  # 5 min + jitter
    assert await worker.run_once() == 1
    m = message(runtime, msg)
    assert (m.state, m.attempts, m.last_status) == (DELIVERED, 3, 204)
    assert [a.status_code for a in attempts(runtime, msg)] == [500, None, 204]
    assert [a.response_body for a in attempts(runtime, msg)] == ["boom", "", ""]
    assert len({r.id for r in receiver.received}) == 1  # every attempt: the same webhook-id


async def test_after_the_last_attempt_failed_and_replayable(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    receiver.default = Reply(502, "x" * 5000)
    msg = send(runtime, sub, {"n": 1})
    for delay in SCHEDULE:
        advance(clock, delay * 1.1 + 1)
        assert await worker.run_once() == 1
    advance(clock, 10 * 36000)
    assert await worker.run_once() == 0
    m = message(runtime, msg)
    assert (m.state, m.attempts, m.next_attempt_at) == (FAILED, 8, None)
    tried = attempts(runtime, msg)
    assert len(tried) == 8
    assert all(len(a.response_body) == 1024 for a in tried)  # truncated to 1 KB

    receiver.default = Reply(200)
    with runtime.db.write() as session:
        replay(session, msg, clock.now())
    assert await worker.run_once() == 1
    m = message(runtime, msg)
    assert (m.state, m.attempts) == (DELIVERED, 1)
    assert len(attempts(runtime, msg)) == 9
    assert {r.id for r in receiver.received} == {msg}


async def test_410_disables_the_subscription(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    receiver.script("hook", Reply(410, "gone"))
    first = send(runtime, sub, {"n": 1})
    assert await worker.run_once() == 1
    second = send(runtime, sub, {"n": 2})
    advance(clock, 100_000)
    assert await worker.run_once() == 0  # disabled: nothing is sent

    assert message(runtime, first).state == FAILED
    assert message(runtime, second).state == PENDING
    with runtime.db.read() as session:
        info = get_subscription(session, sub)
    assert (info.enabled, info.disabled_reason) == (False, "the endpoint answered 410 Gone")
    assert len(receiver.received) == 1


@pytest.mark.parametrize(("status", "retry_after"), [(429, "120"), (503, "3600")])
async def test_retry_after_is_honoured(
    runtime: Runtime,
    receiver: Receiver,
    worker: Worker,
    clock: FixedClock,
    status: int,
    retry_after: str,
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    receiver.script("hook", Reply(status, "later", headers={"Retry-After": retry_after}))
    msg = send(runtime, sub, {"n": 1})
    await worker.run_once()
    advance(clock, float(retry_after) - 2)
    assert await worker.run_once() == 0  # the schedule alone would have retried after 5 s
    advance(clock, 3)
    assert await worker.run_once() == 1
    assert message(runtime, msg).state == DELIVERED


async def test_redirects_are_failures_never_followed(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    receiver.script("hook", Reply(307, "", headers={"Location": receiver.url("elsewhere")}))
    msg = send(runtime, sub, {"n": 1})
    await worker.run_once()
    m = message(runtime, msg)
    assert (m.state, m.last_status, m.last_error) == (PENDING, 307, "redirect (307) not followed")
    assert receiver.at("elsewhere") == []


async def test_enqueue_in_a_rolled_back_transaction_sends_nothing(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    sub, _ = subscribe(runtime, receiver.url())

    class StateChangeFailed(Exception):
        pass

    def change_state_then_fail() -> None:
        with runtime.db.begin() as conn:
            enqueue(conn, sub, "thing.happened", {"n": 1}, runtime.clock.now())
            raise StateChangeFailed

    with pytest.raises(StateChangeFailed):
        change_state_then_fail()
    assert await worker.run_once() == 0
    assert receiver.received == []
    with runtime.db.read() as session:
        assert session.execute(text("SELECT count(*) FROM webhook_message")).scalar() == 0


async def test_rotation_signs_with_both_secrets_until_the_overlap_ends(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    sub, old = subscribe(runtime, receiver.url())
    with runtime.db.write() as session:
        new = rotate_secret(
            session, runtime.settings, sub, clock.now(), overlap=dt.timedelta(seconds=60)
        )
    assert new != old
    assert new.startswith("whsec_")
    send(runtime, sub, {"n": 1})
    await worker.run_once()
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(during.body, during.headers) == {"n": 1}
    assert Webhook(new).verify(during.body, during.headers) == {"n": 1}

    advance(clock, 61)
    send(runtime, sub, {"n": 2})
    await worker.run_once()
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(after.body, after.headers) == {"n": 2}
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


async def test_receiver_down_then_back_every_message_arrives(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    sub, secret = subscribe(runtime, receiver.url())
    receiver.stop()
    sent = [send(runtime, sub, {"n": n}) for n in range(20)]
    assert await worker.run_once() == 20  # connection refused, each
    advance(clock, 6)
    assert await worker.run_once() == 20
    receiver.start()
    receiver.script("hook", *[Reply(200, delay=2.0)] * 3)  # three time out: sent twice
    advance(clock, 331)
    await worker.run_once()
    advance(clock, 1981)
    await worker.run_once()

    assert {message(runtime, m).state for m in sent} == {DELIVERED}
    ids = [r.id for r in receiver.received]
    assert set(ids) == set(sent)
    assert 20 <= len(ids) <= 23  # duplicates only as a repeated webhook-id
    for r in receiver.received:
        body = json.loads(r.body)
        assert body == {"n": sent.index(r.id)}
    assert all(a.error and "ConnectError" in a.error for a in attempts(runtime, sent[0])[:2])
    assert secret


async def test_one_slow_endpoint_does_not_hold_up_others(
    runtime: Runtime, receiver: Receiver
) -> None:
    runtime.settings.webhook_timeout_seconds = 10.0  # the slow one is slow, not failing
    worker = Worker(runtime)
    other = Receiver()
    other.start()
    try:
        slow, _ = subscribe(runtime, receiver.url("slow"))
        fast, _ = subscribe(runtime, other.url("fast"), owner="owner-2")
        receiver.default = Reply(200, delay=1.0)
        for n in range(12):
            send(runtime, slow, {"n": n})
            send(runtime, fast, {"n": n})
        await worker.run_once()
    finally:
        other.stop()
        await worker.aclose()
    assert len(receiver.at("slow")) == len(other.at("fast")) == 12
    assert {message(runtime, r.id).state for r in receiver.received} == {DELIVERED}
    # The fast endpoint's twelve were all answered before the slow one got its last few.
    assert max(r.at for r in other.at("fast")) < sorted(r.at for r in receiver.at("slow"))[-4]
    # Per-endpoint concurrency (4 by default) bounds the slow endpoint's requests in flight.
    limit = runtime.settings.webhook_endpoint_concurrency
    assert receiver.max_in_flight_per_path["/slow"] == limit
