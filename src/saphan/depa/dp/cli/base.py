"""``saphan depa-dp ...``: the Digital Provider's side of depa, from the shell.

The DP's store is the database in ``SAPHAN_DATABASE_URL`` (national IDs hashed with
``SAPHAN_SECRET_KEY``); depa is reached at ``DEPA_BASE_URL`` with ``DEPA_API_KEY``. This module
holds what the commands share; ``store.py`` and ``run.py`` hold the commands.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from saphan.core.runtime import Runtime
    from saphan.depa.client import DepaClient
    from saphan.depa.dp.settings import DPSettings

app = typer.Typer(
    help="The Digital Provider's side of depa: sync vouchers, link users, report daily usage.",
    no_args_is_help=True,
)
users_cli = typer.Typer(help="The DP's app users.", no_args_is_help=True)
app.add_typer(users_cli, name="users")
console = Console(soft_wrap=True)
log = logging.getLogger("saphan.depa.dp")
T = TypeVar("T")


@dataclass
class Context:
    rt: Runtime
    dp: DPSettings


@contextmanager
def context() -> Iterator[Context]:
    """Settings, and the DP's store migrated to the newest schema (as ``saphan serve`` does on
    start), so a first ``saphan depa-dp users import`` on a new database just works."""
    from saphan.config import load_settings
    from saphan.core import migrate
    from saphan.core.runtime import Runtime
    from saphan.depa.dp.settings import DPSettings

    try:
        settings, dp = load_settings(), load_settings(DPSettings)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    migrate.upgrade(settings.database_url)
    rt = Runtime.from_settings(settings)
    try:
        yield Context(rt, dp)
    finally:
        rt.db.dispose()


def write(ctx: Context, work: Callable[[Session], T]) -> T:
    from saphan.core.errors import ServiceError

    try:
        with ctx.rt.db.write() as session:
            return work(session)
    except ServiceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc


def show(table: Table) -> None:
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        console.print(f"[red]{option} {value!r}: expected YYYY-MM-DD[/red]")
        raise typer.Exit(2) from exc


def parse_days(
    ctx: Context, date: str | None, first: str | None, last: str | None
) -> tuple[dt.date, dt.date]:
    from saphan.depa.dp import report as reporting

    if date and (first or last):
        console.print("[red]--date or --from/--to, not both[/red]")
        raise typer.Exit(2)
    if date:
        day = parse_day(date, "--date")
        return day, day
    if first or last:
        yesterday = reporting.yesterday(ctx.rt.clock.now())
        start = parse_day(first, "--from") if first else yesterday
        end = parse_day(last, "--to") if last else yesterday
        if start > end:
            console.print("[red]--from is after --to[/red]")
            raise typer.Exit(2)
        return start, end
    recent = reporting.recent_days(ctx.rt.clock.now(), ctx.dp.dp_catch_up_days)
    return recent[0], recent[-1]


def environment(ctx: Context, production: bool | None) -> bool:
    return ctx.dp.is_production if production is None else production


@contextmanager
def depa_client(ctx: Context) -> Iterator[DepaClient]:
    from saphan.depa.client import DepaError

    try:
        client = ctx.dp.client()
    except DepaError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    with client:
        try:
            yield client
        except DepaError as exc:
            console.print(f"[red]depa: {exc}[/red]")
            raise typer.Exit(1) from exc
