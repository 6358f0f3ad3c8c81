"""``saphan worker`` and ``saphan webhooks ...``: deliver, and look after deliveries."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Optional, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from saphan.core.clock import wire_datetime
from saphan.core.words import count

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from saphan.config import Settings
    from saphan.core.runtime import Runtime

app = typer.Typer(
    help="Webhook deliveries of every service: messages, attempts, replay, test events.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)
T = TypeVar("T")


def _settings() -> Settings:
    from saphan.core.demo_mark import operator_settings

    try:
        return operator_settings()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _run(work: Callable[[Session, Runtime], T], *, write: bool = True) -> T:
    from saphan.core.errors import ServiceError
    from saphan.core.runtime import Runtime

    rt = Runtime.from_settings(_settings())
    try:
        with rt.db.write() if write else rt.db.read() as session:
            return work(session, rt)
    except ServiceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        rt.db.dispose()


def _show(table: Table) -> None:
    """At its natural width when not a terminal (Rich would assume 80 columns and cut cells)."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)


@app.command("messages")
def messages(
    service: Optional[str] = typer.Option(None, help="Only this service's messages."),  # noqa: UP045
    subscription: Optional[int] = typer.Option(None, help="Only this subscription's."),  # noqa: UP045
    state: Optional[str] = typer.Option(None, help="pending, delivered or failed."),  # noqa: UP045
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many, newest first."),
) -> None:
    """Messages, newest first (never their payloads)."""
    from saphan.core.webhooks import outbox
    from saphan.core.webhooks.models import STATES

    if state is not None and state not in STATES:
        console.print(f"[red]--state must be one of {', '.join(STATES)}[/red]")
        raise typer.Exit(2)
    found = _run(
        lambda s, _rt: outbox.list_messages(
            s, service=service, subscription_id=subscription, state=state, limit=limit
        ),
        write=False,
    )
    table = Table(
        "id",
        "service",
        "subscription",
        "event",
        "state",
        "attempts",
        "next attempt",
        "created",
        "last status",
        "last error",
    )
    for m in found:
        table.add_row(
            m.id,
            m.service,
            str(m.subscription_id),
            m.event_type,
            m.state,
            str(m.attempts),
            wire_datetime(m.next_attempt_at),
            wire_datetime(m.created_at),
            "" if m.last_status is None else str(m.last_status),
            m.last_error or "",
        )
    _show(table)


@app.command("attempts")
def attempts(message_id: str = typer.Argument(..., help="A message id (msg_...).")) -> None:
    """Every attempt to deliver one message, oldest first."""
    from saphan.core.webhooks import outbox

    found = _run(lambda s, _rt: outbox.list_attempts(s, message_id), write=False)
    table = Table("at", "status", "ms", "error", "response (first 1 KB)", "worker")
    for a in found:
        table.add_row(
            wire_datetime(a.at),
            "" if a.status_code is None else str(a.status_code),
            f"{a.latency_ms:.1f}",
            a.error or "",
            a.response_body[:80],
            a.worker,
        )
    _show(table)


@app.command("replay")
def replay(
    message_id: Optional[str] = typer.Argument(None, help="One message to deliver again."),  # noqa: UP045
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed message."),
    service: Optional[str] = typer.Option(None, help="With --all-failed: of this service."),  # noqa: UP045
    subscription: Optional[int] = typer.Option(None, help="With --all-failed: of this one."),  # noqa: UP045
) -> None:
    """Deliver a message again (same webhook-id), or every failed one."""
    from saphan.core.webhooks import outbox

    if (message_id is None) == (not all_failed):
        console.print("[red]give a message id or --all-failed (not both)[/red]")
        raise typer.Exit(2)
    if message_id is not None:
        m = _run(lambda s, rt: outbox.replay(s, message_id, rt.clock.now()))
        typer.echo(f"{m.id} will be delivered again")
        return
    replayed = _run(
        lambda s, rt: outbox.replay_failed(
            s, rt.clock.now(), service=service, subscription_id=subscription
        )
    )
    typer.echo(f"{count(replayed, 'failed message')} will be delivered again")


@app.command("test")
def send_test(subscription_id: int = typer.Argument(..., help="The subscription to test.")) -> None:
    """Enqueue a signed webhook.test event for a subscription."""
    from saphan.core.webhooks import outbox

    message_id = _run(lambda s, rt: outbox.send_test(s, subscription_id, rt.clock.now()))
    typer.echo(message_id)


def worker(
    once: bool = typer.Option(False, "--once", help="Deliver what is due now, then exit."),
    metrics_port: Optional[int] = typer.Option(  # noqa: UP045
        None, "--metrics-port", help="Serve Prometheus metrics on this port."
    ),
) -> None:
    """Deliver webhooks until stopped (SIGTERM/SIGINT finish the deliveries in flight)."""
    from saphan.core.observability import configure_logging
    from saphan.core.runtime import Runtime
    from saphan.core.webhooks.metrics import WebhookMetrics
    from saphan.core.webhooks.worker import Worker

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    rt = Runtime.from_settings(settings)
    metrics = WebhookMetrics()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)

    async def main() -> None:
        delivering = Worker(rt, metrics=metrics)
        try:
            if once:
                attempts = await delivering.run_once()
                typer.echo(count(attempts, "attempt"))
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await delivering.run(stop)
        finally:
            await delivering.aclose()
            await rt.db.aclose()

    try:
        asyncio.run(main())
    finally:
        rt.db.dispose()
