"""``saphan rakmao webhooks ...`` (thin wrappers over the engine, by registration Id) and
``saphan rakmao listen`` (a verifying receiver that prints events, for work against the demo)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from saphan.core.clock import wire_datetime
from saphan.core.words import count

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from saphan.core.runtime import Runtime
    from saphan.core.webhooks import outbox

app = typer.Typer(help="Rakmao's webhook registrations and their deliveries.", no_args_is_help=True)
console = Console(soft_wrap=True)
T = TypeVar("T")


def _run(work: Callable[[Session, Runtime], T], *, write: bool = True) -> T:
    from saphan.core.demo_mark import operator_settings
    from saphan.core.errors import ServiceError
    from saphan.core.runtime import Runtime

    try:
        rt = Runtime.from_settings(operator_settings())
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        with rt.db.write() if write else rt.db.read() as session:
            return work(session, rt)
    except ServiceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        rt.db.dispose()


def _show(table: Table) -> None:
    Console(file=console.file, width=None if console.is_terminal else 10_000).print(table)


@app.command("list")
def list_registrations(
    account: Optional[str] = typer.Option(None, help="Only this account's (UserName)."),  # noqa: UP045
) -> None:
    """Registrations: Id, account, type, endpoint, IsLogin, header names (never values)."""
    from saphan.rakmao import hooks
    from saphan.rakmao import status as machine

    found = _run(lambda s, _rt: hooks.all_registrations(s, account), write=False)
    table = Table(
        "Id", "account", "type", "endpoint", "IsLogin", "headers", "state", "subscription"
    )
    for row, username, info in found:
        table.add_row(
            row.id,
            username,
            f"{row.type} {machine.EVENT_NAMES[row.type]}",
            info.url,
            str(bool(info.attributes.get("is_login"))).lower(),
            ", ".join(info.headers),
            "enabled" if info.enabled else f"disabled: {info.disabled_reason}",
            str(info.id),
        )
    _show(table)


@app.command("messages")
def messages(
    registration: Optional[str] = typer.Option(None, "--id", help="Only this registration's."),  # noqa: UP045
    state: Optional[str] = typer.Option(None, help="pending, delivered or failed."),  # noqa: UP045
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many, newest first."),
) -> None:
    """Rakmao's messages, newest first (never their payloads)."""
    from saphan.core.webhooks import outbox
    from saphan.core.webhooks.models import STATES
    from saphan.rakmao import hooks

    if state is not None and state not in STATES:
        console.print(f"[red]--state must be one of {', '.join(STATES)}[/red]")
        raise typer.Exit(2)

    def work(session: Session, _rt: Runtime) -> list[outbox.MessageInfo]:
        sub = None if registration is None else hooks.registration(session, registration)
        return outbox.list_messages(
            session,
            service=hooks.SERVICE,
            subscription_id=None if sub is None else sub.subscription_id,
            state=state,
            limit=limit,
        )

    table = Table("id", "event", "state", "attempts", "created", "last status", "last error")
    for m in _run(work, write=False):
        table.add_row(
            m.id,
            m.event_type,
            m.state,
            str(m.attempts),
            wire_datetime(m.created_at),
            "" if m.last_status is None else str(m.last_status),
            m.last_error or "",
        )
    _show(table)


@app.command("replay")
def replay(
    message_id: Optional[str] = typer.Argument(None, help="One message (msg_...)."),  # noqa: UP045
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed Rakmao message."),
    registration: Optional[str] = typer.Option(None, "--id", help="With --all-failed: of this."),  # noqa: UP045
) -> None:
    """Deliver a message again (same webhook-id), or every failed one."""
    from saphan.core.webhooks import outbox
    from saphan.rakmao import hooks

    if (message_id is None) == (not all_failed):
        console.print("[red]give a message id or --all-failed (not both)[/red]")
        raise typer.Exit(2)
    if message_id is not None:
        m = _run(lambda s, rt: outbox.replay(s, message_id, rt.clock.now()))
        typer.echo(f"{m.id} will be delivered again")
        return

    def work(session: Session, rt: Runtime) -> int:
        sub = None if registration is None else hooks.registration(session, registration)
        return outbox.replay_failed(
            session,
            rt.clock.now(),
            service=hooks.SERVICE,
            subscription_id=None if sub is None else sub.subscription_id,
        )

    typer.echo(f"{count(_run(work), 'failed message')} will be delivered again")


@app.command("test")
def send_test(registration: str = typer.Argument(..., help="A registration's Id.")) -> None:
    """Enqueue a signed webhook.test event to a registration's endpoint; prints its id."""
    from saphan.core.webhooks import outbox
    from saphan.rakmao import hooks

    typer.echo(
        _run(
            lambda s, rt: outbox.send_test(
                s, hooks.registration(s, registration).subscription_id, rt.clock.now()
            )
        )
    )


@app.command("rotate-secret")
def rotate_secret(registration: str = typer.Argument(..., help="A registration's Id.")) -> None:
    """A new signing secret (printed once); the previous one keeps signing for the overlap."""
    from saphan.rakmao import hooks

    typer.echo(_run(lambda s, rt: hooks.rotate(s, rt.settings, registration, rt.clock.now())))


def listen_app(secret: str, echo: Callable[[str], None]) -> Starlette:
    """A receiver on any path: verifies each delivery, prints it, answers 204 (400 if forged)."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from saphan.rakmao.webhooks import InvalidDelivery, WebhookReceiver

    receiver = WebhookReceiver(secret)

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            delivery = receiver.verify(body, request.headers)
        except InvalidDelivery as exc:
            echo(f"REFUSED {request.url.path}: {exc}")
            return PlainTextResponse(f"invalid webhook: {exc}", status_code=400)
        kind = type(delivery.event).__name__
        again = " (duplicate)" if delivery.duplicate else ""
        echo(f"{delivery.id} {kind} {request.url.path}{again}")
        echo(orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode())
        return Response(status_code=204)

    return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])


def listen(
    port: int = typer.Option(8787, "--port", help="Listen on 127.0.0.1:PORT."),
    secret: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--secret",
        envvar="RAKMAO_WEBHOOK_SECRET",
        show_envvar=False,
        hidden=True,  # on a command line it stays in the shell's history and in ps
    ),
) -> None:
    """Receive webhooks on http://127.0.0.1:PORT/<any path>: verify, print, answer 204.

    The registration's signing secret (the whsec_... its Webhook-Secret header showed) is read
    from the environment variable RAKMAO_WEBHOOK_SECRET."""
    import uvicorn

    if secret is None or not secret.startswith("whsec_"):
        console.print(
            "[red]set RAKMAO_WEBHOOK_SECRET to the whsec_... shown when you registered[/red]"
        )
        raise typer.Exit(2)
    console.print(f"listening on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    uvicorn.run(
        listen_app(secret, lambda line: console.print(line, highlight=False)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
