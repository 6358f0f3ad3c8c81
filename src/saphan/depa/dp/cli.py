"""``saphan depa-dp ...``: the Digital Provider's side of depa, from the shell.

The DP's store is the database in ``SAPHAN_DATABASE_URL`` (national IDs hashed with
``SAPHAN_SECRET_KEY``); depa is reached at ``DEPA_BASE_URL`` with ``DEPA_API_KEY``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saphan.config import Settings
from saphan.core import migrate
from saphan.core.clock import wire_datetime
from saphan.core.errors import ServiceError
from saphan.core.observability import configure_logging
from saphan.core.runtime import Runtime
from saphan.depa.client import DepaClient, DepaError
from saphan.depa.dp import report as reporting
from saphan.depa.dp import sync as syncing
from saphan.depa.dp import verify as verifying
from saphan.depa.dp.models import AppUser, ReportBatch, SyncedVoucher
from saphan.depa.dp.settings import DPSettings
from saphan.depa.dp.users import parse_users_csv, upsert_users

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
def _context() -> Iterator[Context]:
    try:
        settings, dp = Settings(), DPSettings()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    rt = Runtime.from_settings(settings)
    try:
        yield Context(rt, dp)
    finally:
        rt.db.dispose()


def _write(ctx: Context, work: Callable[[Session], T]) -> T:
    try:
        with ctx.rt.db.write() as session:
            return work(session)
    except ServiceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc


def _show(table: Table) -> None:
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        console.print(f"[red]{option} {value!r}: expected YYYY-MM-DD[/red]")
        raise typer.Exit(2) from exc


def _days(
    ctx: Context, date: str | None, first: str | None, last: str | None
) -> tuple[dt.date, dt.date]:
    if date and (first or last):
        console.print("[red]--date or --from/--to, not both[/red]")
        raise typer.Exit(2)
    if date:
        day = _day(date, "--date")
        return day, day
    if first or last:
        yesterday = reporting.yesterday(ctx.rt.clock.now())
        start = _day(first, "--from") if first else yesterday
        end = _day(last, "--to") if last else yesterday
        if start > end:
            console.print("[red]--from is after --to[/red]")
            raise typer.Exit(2)
        return start, end
    yesterday = reporting.yesterday(ctx.rt.clock.now())
    return yesterday, yesterday


def _production(ctx: Context, production: bool | None) -> bool:
    return ctx.dp.is_production if production is None else production


@contextmanager
def _depa(ctx: Context) -> Iterator[DepaClient]:
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


# -- users ---------------------------------------------------------------------------------------


@users_cli.command("import")
def users_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
) -> None:
    """Load app users from a CSV file (header: appUserId,phone,idCard), all or nothing;
    existing users (by appUserId) are updated."""
    with _context() as ctx:
        try:
            users = parse_users_csv(file.read_bytes())
        except ServiceError as exc:
            console.print(f"[red]{file}: {exc.message}[/red]")
            raise typer.Exit(1) from exc
        loaded = _write(ctx, lambda s: upsert_users(s, ctx.rt.secret, users, ctx.rt.clock.now()))
    console.print(f"{loaded.created} users added, {loaded.updated} updated")


@users_cli.command("list")
def users_list() -> None:
    """App users, their phone and whether a national ID is on file, and their vouchers."""
    with _context() as ctx, ctx.rt.db.read() as session:
        vouchers = dict(
            session.execute(
                select(SyncedVoucher.user_id, func.count())
                .where(SyncedVoucher.user_id.is_not(None))
                .group_by(SyncedVoucher.user_id)
            ).all()
        )
        table = Table("appUserId", "phone", "national ID", "vouchers")
        for user in session.scalars(select(AppUser).order_by(AppUser.app_user_id)):
            table.add_row(
                user.app_user_id,
                user.phone or "",
                "on file" if user.id_card_digest else "",
                str(vouchers.get(user.id, 0)),
            )
    _show(table)


# -- sync and linking ----------------------------------------------------------------------------


@app.command("sync")
def sync() -> None:
    """Fetch every voucher from depa (500 a page), keep their status history, and link them
    to app users by mobile number, then national ID."""
    with _context() as ctx, _depa(ctx) as client, _progress() as progress:
        task = progress.add_task("syncing vouchers", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = syncing.sync(ctx.rt.db, client, ctx.rt.secret, ctx.rt.clock.now, on_page=advance)
    _print_sync(result)
    if result.conflicts or result.unmatched:
        console.print("link the rest with: saphan depa-dp link VOUCHER APP_USER_ID")


def _print_sync(result: syncing.SyncResult) -> None:
    console.print(
        f"{result.vouchers} vouchers in {result.pages} page(s): {result.new} new, "
        f"{result.changed} changed status"
    )
    console.print(
        f"linked now: {len(result.by_mobile)} by mobileNo, {len(result.by_id_card)} by idCard; "
        f"linked before: {result.already_linked}; unmatched: {len(result.unmatched)}; "
        f"conflicts: {len(result.conflicts)}"
    )
    if result.unmatched:
        console.print("unmatched: " + ", ".join(result.unmatched))
    for conflict in result.conflicts:
        console.print(
            f"conflict: {conflict.voucher_code}: {len(conflict.app_user_ids)} users share its "
            f"{conflict.key} ({', '.join(conflict.app_user_ids)})"
        )


@app.command("link")
def link(
    voucher: str,
    app_user_id: str,
    force: bool = typer.Option(False, "--force", help="Replace a link to another user."),
) -> None:
    """Link VOUCHER to the app user APP_USER_ID by hand."""
    with _context() as ctx:
        _write(
            ctx,
            lambda s: syncing.link(s, voucher, app_user_id, ctx.rt.clock.now(), force=force),
        )
    console.print(f"{voucher} linked to {app_user_id}")


@app.command("unlink")
def unlink(voucher: str) -> None:
    """Remove VOUCHER's link (sync will try to match it again)."""
    with _context() as ctx:
        _write(ctx, lambda s: syncing.unlink(s, voucher))
    console.print(f"{voucher} unlinked")


@app.command("vouchers")
def vouchers(
    unlinked: bool = typer.Option(False, "--unlinked", help="Only vouchers without a user."),
) -> None:
    """Synced vouchers: status, times and the app user each is linked to."""
    with _context() as ctx, ctx.rt.db.read() as session:
        query = (
            select(SyncedVoucher, AppUser.app_user_id)
            .outerjoin(AppUser, AppUser.id == SyncedVoucher.user_id)
            .order_by(SyncedVoucher.id)
        )
        if unlinked:
            query = query.where(SyncedVoucher.user_id.is_(None))
        table = Table("voucher", "status", "activated", "revoked", "user", "linked by")
        for v, user in session.execute(query).all():
            table.add_row(
                v.voucher_code,
                v.status,
                wire_datetime(v.activated_time),
                wire_datetime(v.revoked_time),
                user or "",
                v.link_method or "",
            )
    _show(table)


# -- report, verify, schedule --------------------------------------------------------------------

DateOpt = typer.Option(None, "--date", help="One Bangkok day, YYYY-MM-DD (default: yesterday).")
FromOpt = typer.Option(None, "--from", help="Backfill from this day (YYYY-MM-DD).")
ToOpt = typer.Option(None, "--to", help="Backfill to this day (default: yesterday).")
EnvOpt = typer.Option(None, "--production/--uat", help="Default: DEPA_IS_PRODUCTION.")


def run_report(ctx: Context, first: dt.date, last: dt.date, production: bool) -> bool:
    """Plan and send; print what happened. ``True`` when everything went."""
    days = reporting.date_range(first, last)
    with _depa(ctx) as client, _progress() as progress:
        task = progress.add_task("reporting", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = reporting.report(
            ctx.rt.db,
            client,
            days,
            production,
            ctx.rt.clock.now,
            batch_size=ctx.dp.dp_batch_size,
            on_batch=advance,
        )
    env = "production" if production else "UAT"
    span = first.isoformat() if first == last else f"{first} to {last}"
    console.print(f"{span} ({env}):")
    _print_report(result)
    return result.ok


def _print_report(result: reporting.ReportResult) -> None:
    new = sum(p.new for p in result.planned)
    unchanged = sum(p.unchanged for p in result.planned)
    console.print(f"{new} records to send, {unchanged} reported before and unchanged")
    sent = result.sent
    console.print(f"sent {sent.records} records in {sent.batches} batch(es)")
    for rejected in sent.rejected:
        console.print(
            f"[yellow]rejected by depa: {rejected.voucher_code} {rejected.access_date} "
            f"({rejected.app_user_id}): {rejected.error}[/yellow]"
        )
    if sent.error:
        console.print(
            f"[red]stopped: {sent.error}; {sent.pending} batch(es) left pending for the next "
            "run[/red]"
        )


@app.command("report")
def report(
    date: Optional[str] = DateOpt,  # noqa: UP045
    date_from: Optional[str] = FromOpt,  # noqa: UP045
    date_to: Optional[str] = ToOpt,  # noqa: UP045
    production: Optional[bool] = EnvOpt,  # noqa: UP045
) -> None:
    """Send a day's usage (default: yesterday, Bangkok) to depa's VoucherUsage in batches of
    100, and any batch earlier runs left pending. Safe to run again: nothing is sent twice."""
    with _context() as ctx:
        first, last = _days(ctx, date, date_from, date_to)
        ok = run_report(ctx, first, last, _production(ctx, production))
    if not ok:
        raise typer.Exit(1)


@app.command("batches")
def batches(
    state: Optional[str] = typer.Option(None, help="pending, sent or rejected."),  # noqa: UP045
) -> None:
    """Report batches: day, environment, state, attempts and the last error."""
    with _context() as ctx, ctx.rt.db.read() as session:
        query = select(ReportBatch).order_by(ReportBatch.access_date, ReportBatch.id)
        if state:
            query = query.where(ReportBatch.state == state)
        table = Table("id", "day", "env", "state", "attempts", "sent", "last error")
        for b in session.scalars(query):
            table.add_row(
                str(b.id),
                b.access_date.isoformat(),
                "production" if b.is_production else "UAT",
                b.state,
                str(b.attempts),
                wire_datetime(b.sent_at),
                b.last_error,
            )
    _show(table)


@app.command("verify")
def verify(
    date: Optional[str] = DateOpt,  # noqa: UP045
    date_from: Optional[str] = FromOpt,  # noqa: UP045
    date_to: Optional[str] = ToOpt,  # noqa: UP045
    production: Optional[bool] = EnvOpt,  # noqa: UP045
) -> None:
    """Read back with GetVoucherUsage what was sent for the day(s) and list every record depa
    does not hold, holds differently, or holds without this DP having sent it. Exit 1 if any."""
    with _context() as ctx:
        first, last = _days(ctx, date, date_from, date_to)
        with _depa(ctx) as client:
            result = verifying.verify(ctx.rt.db, client, first, last, _production(ctx, production))
    console.print(f"{result.checked} records of {result.vouchers} vouchers checked")
    if result.ok:
        console.print("depa holds every record as sent")
        return
    table = Table("kind", "voucher", "day", "field", "sent", "depa holds")
    for d in result.discrepancies:
        for name, (ours, theirs) in d.fields.items():
            table.add_row(d.kind, d.voucher_code, d.access_date, name, _cell(ours), _cell(theirs))
    _show(table)
    raise typer.Exit(1)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


@app.command("schedule")
def schedule(
    hour: int = typer.Option(0, min=0, max=23, help="Bangkok hour."),
    minute: int = typer.Option(30, min=0, max=59, help="Minute."),
) -> None:
    """Run sync + report every day at 00:30 Asia/Bangkok (until stopped)."""
    from saphan.depa.dp.schedule import build_scheduler, daily_run

    with _context() as ctx:
        configure_logging(ctx.rt.settings.log_level, json=ctx.rt.settings.log_json)

        def daily() -> None:
            try:
                synced, reported = daily_run(ctx.rt.db, ctx.dp, ctx.rt.secret, ctx.rt.clock)
            except DepaError as exc:  # logged; the next day's run tries again
                log.error("depa-dp daily run failed: %s", exc)
                return
            _print_sync(synced)
            _print_report(reported)

        scheduler = build_scheduler(daily, hour=hour, minute=minute)
        console.print(f"depa-dp: sync + report daily at {hour:02d}:{minute:02d} Asia/Bangkok")
        with suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()


@app.command("serve-track")
def serve_track(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8100, help="Port to listen on."),
) -> None:
    """Serve POST /dp/usage for the DP's app (bearer DEPA_DP_TRACK_TOKEN)."""
    from saphan.depa.dp.api import create_track_app

    with _context() as ctx:
        if ctx.dp.dp_track_token is None or len(ctx.dp.dp_track_token.get_secret_value()) < 16:
            console.print("[red]set DEPA_DP_TRACK_TOKEN (at least 16 characters) first[/red]")
            raise typer.Exit(2)
        configure_logging(ctx.rt.settings.log_level, json=ctx.rt.settings.log_json)
        migrate.upgrade(ctx.rt.settings.database_url)
        track = create_track_app(ctx.rt, ctx.dp.dp_track_token.get_secret_value())
        uvicorn.run(track, host=host, port=port, access_log=False, log_level="warning")
