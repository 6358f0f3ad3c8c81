"""``saphan depa ...``: operate depa's side from the shell (the database in SAPHAN_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TypeVar

import orjson
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from saphan.core.words import count

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from saphan.core.runtime import Runtime

app = typer.Typer(help="Operate depa's side: DPs, API keys, vouchers, usage.", no_args_is_help=True)
dp_cli = typer.Typer(help="Digital Providers.", no_args_is_help=True)
key_cli = typer.Typer(help="API keys (shown once when issued).", no_args_is_help=True)
voucher_cli = typer.Typer(help="Vouchers.", no_args_is_help=True)
app.add_typer(dp_cli, name="dp")
app.add_typer(key_cli, name="key")
app.add_typer(voucher_cli, name="vouchers")
#: soft_wrap: messages keep their lines (a file path is never broken across two).
console = Console(soft_wrap=True)
T = TypeVar("T")


@contextmanager
def _runtime() -> Iterator[Runtime]:
    from saphan.core.demo_mark import operator_settings
    from saphan.core.runtime import Runtime

    try:
        settings = operator_settings()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    rt = Runtime.from_settings(settings)
    try:
        yield rt
    finally:
        rt.db.dispose()


def _write(work: Callable[[Session, Runtime], T]) -> T:
    from saphan.core.errors import ServiceError

    with _runtime() as rt:
        try:
            with rt.db.write() as session:
                return work(session, rt)
        except ServiceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc


def _show(table: Table) -> None:
    """A table at its natural width when the output is not a terminal (a pipe, a file), where
    Rich would otherwise assume 80 columns and cut dates and names short with "…"."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)


def _time(value: str | None) -> dt.datetime | None:
    from saphan.depa.admin_schemas import _wire_time

    parsed = _wire_time(value)
    return parsed if isinstance(parsed, dt.datetime) else None


@dp_cli.command("create")
def dp_create(name: str) -> None:
    """Register a Digital Provider."""
    from saphan.depa import operator

    dp = _write(lambda s, rt: operator.dp_out(operator.create_dp(s, name, rt.clock.now())))
    console.print(f"DP {dp.id} created: {dp.name}")


@dp_cli.command("list")
def dp_list() -> None:
    from saphan.depa import operator

    dps = _write(lambda s, _rt: [operator.dp_out(d) for d in operator.list_dps(s)])
    table = Table("id", "name", "vouchers", "created")
    for dp in dps:
        table.add_row(str(dp.id), dp.name, str(dp.voucherCount), dp.createdAt)
    _show(table)


@key_cli.command("issue")
def key_issue(dp_id: int, label: str = typer.Option("", help="What the key is for.")) -> None:
    """Issue an API key for DP_ID. It is printed once and stored only as a hash."""
    from saphan.depa import operator

    created = _write(
        lambda s, rt: operator.issue_key(s, rt.secret, dp_id, rt.clock.now(), label=label)
    )
    console.print(f"key {created.id} for DP {dp_id} (store it now, it is not shown again):")
    typer.echo(created.key)


@key_cli.command("list")
def key_list(dp_id: int) -> None:
    from saphan.depa import operator

    keys = _write(lambda s, _rt: [operator.key_out(k) for k in operator.list_keys(s, dp_id)])
    table = Table("id", "prefix", "label", "created", "revoked")
    for k in keys:
        table.add_row(str(k.id), k.prefix + "…", k.label, k.createdAt, k.revokedAt)
    _show(table)


@key_cli.command("revoke")
def key_revoke(key_id: int) -> None:
    """Revoke a key at once."""
    from saphan.depa import operator

    _write(lambda s, rt: operator.revoke_key(s, key_id, rt.clock.now()))
    console.print(f"key {key_id} revoked")


@voucher_cli.command("add")
def vouchers_add(
    dp_id: int,
    code: str,
    field: list[str] = typer.Option(
        [],
        "--field",
        "-f",
        help="NAME=VALUE with GetDPVouchers' field names, e.g. -f firstName=สมชาย -f "
        "status=Activated -f 'activatedTime=2025-11-13 17:35:40'. Repeatable.",
    ),
) -> None:
    """Issue one voucher CODE to DP_ID."""
    from saphan.core.errors import ServiceError
    from saphan.depa import operator

    values: dict[str, str] = {"voucherCode": code}
    for item in field:
        name, sep, value = item.partition("=")
        if not sep:
            console.print(f"[red]--field {item!r}: expected NAME=VALUE[/red]")
            raise typer.Exit(2)
        values[name.strip()] = value
    try:
        [voucher] = operator.parse_vouchers(orjson.dumps([values]), "json")
    except ServiceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    _write(lambda s, rt: operator.create_vouchers(s, dp_id, [voucher], rt.clock.now()))
    console.print(f"{code} issued to DP {dp_id} ({voucher.status})")


@voucher_cli.command("import")
def vouchers_import(
    dp_id: int,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv or json (default: by suffix)."),  # noqa: UP045
) -> None:
    """Issue the vouchers in FILE (CSV or JSON, GetDPVouchers' field names) to DP_ID, all or
    nothing."""
    from saphan.core.errors import ServiceError
    from saphan.depa import operator

    kind = fmt or ("csv" if file.suffix.lower() == ".csv" else "json")
    try:
        vouchers = operator.parse_vouchers(file.read_bytes(), kind)
    except ServiceError as exc:
        console.print(f"[red]{file}: {exc.message}[/red]")
        raise typer.Exit(1) from exc
    # A bar only on a terminal, and erased when done: a failed import must not leave a stale
    # "0%" bar below its error message, nor a piped one stray lines in its output.
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("importing", total=len(vouchers))
        created = _write(
            lambda s, rt: operator.create_vouchers(
                s,
                dp_id,
                vouchers,
                rt.clock.now(),
                on_progress=lambda n: progress.advance(task, n),
            )
        )
    console.print(f"{count(created, 'voucher')} issued to DP {dp_id}")


@voucher_cli.command("activate")
def vouchers_activate(
    code: str,
    at: Optional[str] = typer.Option(None, help="YYYY-MM-DD HH:MM:SS, Bangkok."),  # noqa: UP045
) -> None:
    """Bound -> Activated."""
    from saphan.depa import operator
    from saphan.depa.logic import ACTIVATED

    v = _write(
        lambda s, rt: operator.voucher_out(
            operator.move_voucher(s, code, ACTIVATED, _time(at) or rt.clock.now())
        )
    )
    console.print(f"{v.voucherCode} Activated at {v.activatedTime}")


@voucher_cli.command("revoke")
def vouchers_revoke(
    code: str,
    at: Optional[str] = typer.Option(None, help="YYYY-MM-DD HH:MM:SS, Bangkok."),  # noqa: UP045
) -> None:
    """Bound or Activated -> Revoked."""
    from saphan.depa import operator
    from saphan.depa.logic import REVOKED

    v = _write(
        lambda s, rt: operator.voucher_out(
            operator.move_voucher(s, code, REVOKED, _time(at) or rt.clock.now())
        )
    )
    console.print(f"{v.voucherCode} Revoked at {v.revokedTime}")


@voucher_cli.command("list")
def vouchers_list(
    dp_id: int,
    status: Optional[str] = typer.Option(None, help="Bound, Activated or Revoked."),  # noqa: UP045
    page: int = typer.Option(1, min=1, help="Which page of the list."),
    per_page: int = typer.Option(50, min=1, max=1000, help="Vouchers a page."),
) -> None:
    from saphan.depa import operator

    total, rows = _write(
        lambda s, _rt: (lambda t_r: (t_r[0], [operator.voucher_out(v) for v in t_r[1]]))(
            operator.list_vouchers(s, dp_id, status=status, page=page, per_page=per_page)
        )
    )
    table = Table("code", "status", "bound", "activated", "revoked", title=count(total, "voucher"))
    for v in rows:
        table.add_row(v.voucherCode, v.status, v.bindingTime, v.activatedTime, v.revokedTime)
    _show(table)


@app.command("usage")
def usage(
    dp_id: int,
    date_from: Optional[str] = typer.Option(None, "--from", help="YYYY-MM-DD"),  # noqa: UP045
    date_to: Optional[str] = typer.Option(None, "--to", help="YYYY-MM-DD"),  # noqa: UP045
    production: Optional[bool] = typer.Option(  # noqa: UP045
        None, "--production/--uat", help="Only production or only UAT usage (default: both)."
    ),
    voucher: Optional[str] = typer.Option(None, help="Only this voucher code."),  # noqa: UP045
) -> None:
    """Usage DP_ID reported."""
    from saphan.depa import operator

    rows = _write(
        lambda s, _rt: operator.list_usage(
            s,
            dp_id,
            date_from=dt.date.fromisoformat(date_from) if date_from else None,
            date_to=dt.date.fromisoformat(date_to) if date_to else None,
            is_production=production,
            voucher_code=voucher,
        )
    )
    table = Table("date", "voucher", "env", "user", "count", "minutes", "lat", "lon", "saved")
    for u in rows:
        table.add_row(
            u.accessDate,
            u.voucherCode,
            "prod" if u.isProduction else "UAT",
            u.appUserId,
            str(u.accessCount),
            str(u.accessTime),
            str(u.lat),
            str(u.lon),
            u.createdTime,
        )
    _show(table)
