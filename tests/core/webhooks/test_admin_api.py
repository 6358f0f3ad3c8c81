"""``/admin/webhooks`` over HTTP: messages and attempts listed and filtered, replay of one or all
failed, test events; bad requests answered in the operator envelope, changing nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from saphan.core.runtime import Runtime
from saphan.core.webhooks import FAILED, PENDING, disable_subscription
from saphan.core.webhooks.worker import Worker
from tests.conftest import ADMIN_TOKEN
from tests.core.webhooks.conftest import attempts, message, send, subscribe
from tests.core.webhooks.receiver import Receiver, Reply

ADMIN = "/admin/webhooks"


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def fail_all(rt: Runtime, subscription_id: int) -> None:
    with rt.db.write() as session:
        disable_subscription(session, subscription_id, "gone", rt.clock.now(), cancel_pending=True)


async def test_the_operator_token_is_required(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    msg = send(runtime, sub, {"n": 1})
    fail_all(runtime, sub)
    for method, path in [
        ("GET", "/messages"),
        ("GET", "/subscriptions"),
        ("POST", f"/messages/{msg}/replay"),
        ("POST", "/replay-failed"),
        ("POST", f"/subscriptions/{sub}/test"),
    ]:
        response = await client.request(
            method, ADMIN + path, headers={"Authorization": "Bearer wrong"}
        )
        assert response.status_code == 401
        assert response.json() == error("UNAUTHORIZED", "Missing or wrong operator token")
    assert message(runtime, msg).state == FAILED
    assert len(await _messages(client)) == 1


async def _messages(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get(
        f"{ADMIN}/messages", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 200
    body: list[dict[str, Any]] = response.json()
    return body


async def test_messages_and_attempts_are_listed_and_filtered(
    admin: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    one, _ = subscribe(runtime, receiver.url("one"), {"X-Secret-Header": "value"})
    two, _ = subscribe(runtime, receiver.url("two"), owner="owner-2")
    receiver.script("one", Reply(500, "nope"))
    first = send(runtime, one, {"n": 1}, event="a.b")
    second = send(runtime, two, {"n": 2}, event="c.d")
    await worker.run_once()

    listed = (await admin.get(f"{ADMIN}/messages")).json()
    assert [m["id"] for m in listed] == [second, first]  # newest first
    by_id = {m["id"]: m for m in listed}
    assert by_id[first]["state"] == "pending"
    assert (by_id[first]["attempts"], by_id[first]["lastStatus"]) == (1, 500)
    assert by_id[first]["lastError"] == "HTTP 500"
    assert by_id[second]["state"] == "delivered"
    assert by_id[second]["eventType"] == "c.d"
    assert "payload" not in by_id[second]

    only = await admin.get(f"{ADMIN}/messages", params={"subscription": one})
    assert [m["id"] for m in only.json()] == [first]
    delivered = await admin.get(f"{ADMIN}/messages", params={"state": "delivered"})
    assert [m["id"] for m in delivered.json()] == [second]
    other = await admin.get(f"{ADMIN}/messages", params={"service": "nobody"})
    assert other.json() == []
    paged = await admin.get(f"{ADMIN}/messages", params={"limit": 1, "before": second})
    assert [m["id"] for m in paged.json()] == [first]

    detail = (await admin.get(f"{ADMIN}/messages/{first}")).json()
    assert detail["payload"] == '{"n":1}'
    tried = (await admin.get(f"{ADMIN}/messages/{first}/attempts")).json()
    assert [(a["statusCode"], a["error"], a["responseBody"]) for a in tried] == [
        (500, "HTTP 500", "nope")
    ]
    assert tried[0]["worker"] == "test-worker"

    subs = (await admin.get(f"{ADMIN}/subscriptions", params={"owner": "owner-1"})).json()
    assert [(s["id"], s["headerNames"], s["enabled"]) for s in subs] == [
        (one, ["X-Secret-Header"], True)
    ]
    assert "value" not in str(subs)
    assert "whsec" not in str(subs)


@pytest.mark.parametrize(
    ("path", "params", "status", "body"),
    [
        ("/messages", {"state": "lost"}, 422, None),
        ("/messages", {"limit": 0}, 422, None),
        ("/messages", {"subscription": "x"}, 422, None),
        ("/messages/msg_nope", {}, 404, error("NOT_FOUND", "No such webhook message")),
        ("/messages/msg_nope/attempts", {}, 404, error("NOT_FOUND", "No such webhook message")),
    ],
)
async def test_bad_reads(
    admin: httpx.AsyncClient,
    path: str,
    params: dict[str, Any],
    status: int,
    body: dict[str, Any] | None,
) -> None:
    response = await admin.get(ADMIN + path, params=params)
    assert response.status_code == status
    if body is not None:
        assert response.json() == body
    else:
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_replay_one_and_all_failed(
    admin: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    failed = [send(runtime, sub, {"n": n}) for n in range(3)]
    fail_all(runtime, sub)
    await admin.post(f"{ADMIN}/subscriptions/{sub}/enable")
    pending = send(runtime, sub, {"n": 9})

    refused = await admin.post(f"{ADMIN}/messages/{pending}/replay")
    assert refused.status_code == 409
    assert refused.json() == error(
        "CONFLICT", "The message is pending; it will be delivered without a replay"
    )
    unknown = await admin.post(f"{ADMIN}/messages/msg_nope/replay")
    assert unknown.status_code == 404
    assert {message(runtime, m).state for m in failed} == {FAILED}

    one = await admin.post(f"{ADMIN}/messages/{failed[0]}/replay")
    assert one.status_code == 200
    assert (one.json()["state"], one.json()["attempts"]) == ("pending", 0)
    rest = await admin.post(f"{ADMIN}/replay-failed", params={"subscription": sub})
    assert rest.json() == {"replayed": 2}
    assert (await admin.post(f"{ADMIN}/replay-failed")).json() == {"replayed": 0}
    assert await worker.run_once() == 4
    assert sorted(r.id for r in receiver.received) == sorted([*failed, pending])


async def test_test_event_is_signed_and_delivered(
    admin: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    sub, secret = subscribe(runtime, receiver.url())
    response = await admin.post(f"{ADMIN}/subscriptions/{sub}/test")
    assert response.status_code == 202
    msg = response.json()["messageId"]
    await worker.run_once()
    (got,) = receiver.received
    body = Webhook(secret).verify(got.body, got.headers)
    assert body["type"] == "webhook.test"
    assert got.id == msg
    assert [a.status_code for a in attempts(runtime, msg)] == [200]

    missing = await admin.post(f"{ADMIN}/subscriptions/999/test")
    assert missing.status_code == 404
    assert missing.json() == error("NOT_FOUND", "No such webhook subscription")
    assert len((await admin.get(f"{ADMIN}/messages")).json()) == 1


async def test_disable_and_enable(
    admin: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    sub, _ = subscribe(runtime, receiver.url())
    bad = await admin.post(f"{ADMIN}/subscriptions/{sub}/disable", json={"reason": ""})
    assert bad.status_code == 422
    assert (await admin.get(f"{ADMIN}/subscriptions")).json()[0]["enabled"] is True
    off = await admin.post(f"{ADMIN}/subscriptions/{sub}/disable", json={"reason": "moved"})
    assert (off.json()["enabled"], off.json()["disabledReason"]) == (False, "moved")
    msg = send(runtime, sub, {"n": 1})
    assert await worker.run_once() == 0
    assert message(runtime, msg).state == PENDING
    on = await admin.post(f"{ADMIN}/subscriptions/{sub}/enable")
    assert on.json()["enabled"] is True
    assert await worker.run_once() == 1
