"""The ``saphan`` command.

It starts in a fraction of a second: each service's command group is imported only when it is
run (``LazyGroup``), and the heavy libraries (SQLAlchemy, Alembic, the HTTP servers) only by the
commands that use them. ``saphan --help`` lists every group from ``COMMANDS`` without importing it.
"""

from __future__ import annotations

import enum
import functools
import importlib
import os
import secrets
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from saphan import cli_help

if TYPE_CHECKING:
    from saphan.config import Settings

cli_help.install()


@dataclass(frozen=True)
class Lazy:
    """A command defined elsewhere: ``target`` is ``module:attribute``, a Typer app (a group) or
    a command function; ``help`` is what ``saphan --help`` lists for it, the target's own help
    (tests/core/test_cli_help.py checks that they agree); ``needs``: modules imported when it
    runs, for what they register (Rakmao's IsLogin headers, which ``saphan worker`` sends), and
    not for its ``--help``."""

    target: str
    help: str
    needs: tuple[str, ...] = ()


#: Every command of ``saphan`` in the order ``saphan --help`` lists them; None: defined here.
COMMANDS: dict[str, Lazy | None] = {
    "worker": Lazy(
        "saphan.core.webhooks.cli:worker",
        "Deliver webhooks until stopped (SIGTERM/SIGINT finish the deliveries in flight).",
        needs=("saphan.rakmao.webhook_login",),
    ),
    "serve": None,
    "db": None,
    "demo": None,
    "moi": Lazy(
        "saphan.moi.cli:app",
        "Operate the MOI hub: client systems, agents, sessions, audit, accounts.",
    ),
    "depa": Lazy("saphan.depa.cli:app", "Operate depa's side: DPs, API keys, vouchers, usage."),
    "easyslip": Lazy(
        "saphan.easyslip.cli:app",
        "Operate EasySlip's side: applications, branches, the ledger; make and read slips.",
    ),
    "depa-dp": Lazy(
        "saphan.depa.dp.cli:app",
        "The Digital Provider's side of depa: sync vouchers, link users, report daily usage.",
    ),
    "webhooks": Lazy(
        "saphan.core.webhooks.cli:app",
        "Webhook deliveries of every service: messages, attempts, replay, test events.",
    ),
    "rakmao": Lazy(
        "saphan.rakmao.cli:app", "Operate Rakmao: accounts, authen strings, signing keys."
    ),
}


def load(name: str, lazy: Lazy) -> Any:
    """The click command ``lazy.target`` names, imported now (its ``needs`` when it runs)."""
    module, _, attribute = lazy.target.partition(":")
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        for needed in lazy.needs:
            importlib.import_module(needed)
        return typer.main.get_group(target)
    if lazy.needs:
        target = _needing(target, lazy.needs)
    single = typer.Typer(add_completion=False)  # a command function: a Typer of that one command
    single.command(name)(target)
    return typer.main.get_command(single)


def _needing(command: Any, needs: tuple[str, ...]) -> Any:
    """``command``, importing ``needs`` first when it is called (its signature, which Typer
    reads for the options, is the command's own)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        for needed in needs:
            importlib.import_module(needed)
        return command(*args, **kwargs)

    return run


class LazyCommand(TyperCommand):
    """Stands for a command in ``saphan --help`` (its name and help) until it is run."""

    def __init__(self, name: str, lazy: Lazy) -> None:
        super().__init__(name=name, help=lazy.help)
        self.lazy = lazy

    def load(self) -> Any:
        return load(self.name or "", self.lazy)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        return self.load().make_context(info_name, args, parent=parent, **extra)


class LazyGroup(TyperGroup):
    """Click's lazy subcommands (``get_command`` imports on demand), for Typer: the help lists
    the stand-ins; ``get_command`` (running a command, completing, walking the tree) loads."""

    listing: ClassVar[bool] = False

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        here = dict(self.commands)
        self.commands = {
            name: here[name] if lazy is None else LazyCommand(name, lazy)
            for name, lazy in COMMANDS.items()
        }
        self.commands.update(here)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, LazyCommand) and not LazyGroup.listing:
            command = command.load()
            self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        LazyGroup.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            LazyGroup.listing = False


class Server(enum.StrEnum):
    granian = "granian"
    uvicorn = "uvicorn"


app = typer.Typer(
    cls=LazyGroup, help="Saphan: Thai integration APIs as one service.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo data.", no_args_is_help=True)
app.add_typer(db_cli, name="db")
app.add_typer(demo_cli, name="demo")


def settings_or_exit(*, operator: bool = False) -> Settings:
    """The settings, or their error as sentences and exit 2. ``operator``: a command that works
    on the database, which may be a demo database (``core.demo_mark.operator_settings``)."""
    from saphan.config import load_settings
    from saphan.core.demo_mark import operator_settings

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
    from saphan.core import demo_mark, migrate
    from saphan.core.observability import configure_logging
    from saphan.core.runtime import Runtime

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
        import uvicorn

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
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels

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
    from saphan.core import migrate

    migrate.upgrade(settings_or_exit(operator=True).database_url, revision)
    typer.echo("database is up to date")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Load the demo data into SAPHAN_DATABASE_URL (idempotent)."""
    from saphan.core import migrate
    from saphan.core.runtime import Runtime

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
