"""``saphan webhooks messages|attempts|replay|test``, in-process against the test's database."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from click.testing import Result
from sqlalchemy import text
from typer.testing import CliRunner

from saphan.cli import app as saphan
from saphan.core.runtime import Runtime
from saphan.core.webhooks import DELIVERED, FAILED, PENDING, disable_subscription
from saphan.core.webhooks.worker import Worker
from tests.conftest import SECRET
from tests.core.webhooks.conftest import message, send, subscribe
from tests.core.webhooks.receiver import Receiver, Reply

Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        env: dict[str, str | None] = {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": SECRET,
            "SAPHAN_DEMO": None,
            "SAPHAN_ADMIN_TOKEN": None,
            "COLUMNS": None,
            "SAPHAN_WEBHOOK_ALLOW_CIDRS": '["127.0.0.1/32"]',
        }
        return runner.invoke(saphan, list(args), env=env)

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.output


async def test_messages_attempts_replay_and_test(
    run: Run, runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    invoke = run
    sub, _ = subscribe(runtime, receiver.url())
    receiver.script("hook", Reply(500, "server error body"))
    msg = send(runtime, sub, {"n": 1}, event="po.ready")
    await worker.run_once()

    listed = ok(invoke("webhooks", "messages", "--state", "pending"))
    assert msg in listed
    assert "po.ready" in listed
    assert "HTTP 500" in listed
    assert msg not in ok(invoke("webhooks", "messages", "--state", "delivered"))
    tried = ok(invoke("webhooks", "attempts", msg))
    assert "500" in tried
    assert "server error body" in tried

    pending = invoke("webhooks", "replay", msg)
    assert pending.exit_code == 1
    assert "pending" in pending.output
    with runtime.db.write() as session:
        disable_subscription(session, sub, "x", runtime.clock.now(), cancel_pending=True)
    assert message(runtime, msg).state == FAILED
    assert "1 failed message will be delivered again" in ok(
        invoke("webhooks", "replay", "--all-failed")
    )
    assert message(runtime, msg).state == PENDING

    test_id = ok(invoke("webhooks", "test", str(sub))).strip()
    assert test_id.startswith("msg_")
    assert message(runtime, test_id).event_type == "webhook.test"


def test_bad_arguments(run: Run, runtime: Runtime) -> None:
    invoke = run
    both = invoke("webhooks", "replay", "msg_x", "--all-failed")
    assert both.exit_code == 2
    neither = invoke("webhooks", "replay")
    assert neither.exit_code == 2
    bad_state = invoke("webhooks", "messages", "--state", "lost")
    assert bad_state.exit_code == 2
    unknown = invoke("webhooks", "test", "999")
    assert unknown.exit_code == 1
    assert "No such webhook subscription" in unknown.output
    missing = invoke("webhooks", "attempts", "msg_nope")
    assert missing.exit_code == 1
    with runtime.db.read() as session:
        assert session.execute(text("SELECT count(*) FROM webhook_message")).scalar() == 0


def test_worker_once_delivers(run: Run, runtime: Runtime, receiver: Receiver) -> None:
    sub, secret = subscribe(runtime, receiver.url(), {"X-Api-Key": "key-value-1234"})
    msg = send(runtime, sub, {"n": 1})
    logger = logging.getLogger("saphan")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    try:
        output = ok(run("worker", "--once"))
    finally:  # the command configures the process's logging; give the test run its own back
        logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
    assert output.endswith("1 attempt\n")
    assert '"outcome":"delivered"' in output  # the JSON log line (stderr)
    for private in ('{"n":1}', secret, secret.removeprefix("whsec_"), "key-value-1234", "/hook"):
        assert private not in output  # never a payload, secret, header value or URL path
    assert message(runtime, msg).state == DELIVERED
    assert [r.id for r in receiver.received] == [msg]
