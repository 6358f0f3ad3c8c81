"""The ``saphan`` command."""

from __future__ import annotations

import enum
import os
import secrets
import socket

import typer
import uvicorn
from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.log import LogLevels

from saphan import cli_help
from saphan.config import Settings, load_settings
from saphan.core import demo_mark, migrate
from saphan.core.demo_mark import operator_settings
from saphan.core.observability import configure_logging
from saphan.core.runtime import Runtime
from saphan.core.webhooks.cli import app as webhooks_cli
from saphan.core.webhooks.cli import worker as webhooks_worker
from saphan.depa.cli import app as depa_cli
from saphan.depa.dp.cli import app as depa_dp_cli
from saphan.easyslip.cli import app as easyslip_cli
from saphan.moi.cli import app as moi_cli
from saphan.rakmao.cli import app as rakmao_cli

cli_help.install()


class Server(enum.StrEnum):
    granian = "granian"
    uvicorn = "uvicorn"


app = typer.Typer(help="Saphan: Thai integration APIs as one service.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo data.", no_args_is_help=True)
app.add_typer(db_cli, name="db")
app.add_typer(demo_cli, name="demo")
app.add_typer(moi_cli, name="moi")
app.add_typer(depa_cli, name="depa")
app.add_typer(easyslip_cli, name="easyslip")
app.add_typer(depa_dp_cli, name="depa-dp")
app.add_typer(webhooks_cli, name="webhooks")
app.command("worker")(webhooks_worker)
app.add_typer(rakmao_cli, name="rakmao")


def settings_or_exit(*, operator: bool = False) -> Settings:
    """The settings, or their error as sentences and exit 2. ``operator``: a command that works
    on the database, which may be a demo database (``core.demo_mark.operator_settings``)."""
    try:
        return operator_settings() if operator else load_settings()
    except ValueError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


def cannot_listen(host: str, port: int) -> str | None:
    """Why ``saphan serve`` could not listen on ``host:port`` (a busy port, an unknown
    interface), in one line; None when it can. Checked before migrating and seeding, so a busy
    port fails at once rather than after the demo banner."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot listen on {host}:{port}: {exc}"
    with socket.socket(family, kind, proto) as probe:
        # As the servers bind: a port only in TIME_WAIT is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            return (
                f"cannot listen on {host}:{port}: {reason}; stop what listens there or choose"
                f" another port ({cli_help.invoked_as()} serve --port N, make demo PORT=N)"
            )
    return None


@app.command()
def serve(
    demo: bool = typer.Option(False, "--demo", help="Seed demo data; fixed demo credentials."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    server: Server = typer.Option(
        Server.granian, help="HTTP server: granian (faster, see bench/RESULTS.md) or uvicorn."
    ),
) -> None:
    """Migrate the database, then serve every API."""
    if demo:
        os.environ["SAPHAN_DEMO"] = "true"
        os.environ.setdefault("SAPHAN_ADMIN_TOKEN", "demo-" + secrets.token_urlsafe(18))
    settings = settings_or_exit()
    busy = cannot_listen(host, port)
    if busy is not None:
        typer.secho(busy, fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    configure_logging(settings.log_level, json=settings.log_json)
    if settings.demo:  # what the demo does before its banner, so a first start is not silent
        typer.echo("Saphan demo: migrating the database ...", err=True)
    migrate.upgrade(settings.database_url)
    if not settings.demo:
        # Served for real from now on: the operator commands must never take it for a demo.
        demo_mark.forget(settings.database_url)
    if settings.demo:
        from saphan import demo as demo_data

        typer.echo("Saphan demo: loading the demo data ...", err=True)
        rt = Runtime.from_settings(settings)
        demo_data.seed(rt)
        rt.db.dispose()
        shown = "localhost" if host in ("0.0.0.0", "127.0.0.1") else host  # noqa: S104
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        demo_data.print_banner(f"http://{shown}:{port}", token)
    if server is Server.uvicorn:
        uvicorn.run(
            "saphan.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_level="warning",
            proxy_headers=True,
        )
        return
    Granian(
        "saphan.app:behind_proxy",
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        log_level=LogLevels.warning,
        log_access=False,
    ).serve()


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(settings_or_exit(operator=True).database_url, revision)
    typer.echo("database is up to date")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Load the demo data into SAPHAN_DATABASE_URL (idempotent)."""
    os.environ["SAPHAN_DEMO"] = "true"
    settings = settings_or_exit()
    migrate.upgrade(settings.database_url)
    from saphan import demo as demo_data

    rt = Runtime.from_settings(settings)
    added = demo_data.seed(rt)
    rt.db.dispose()
    typer.echo("demo data loaded" if added else "demo data present already; nothing added")


def main() -> None:
    app()
