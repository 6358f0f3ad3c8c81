"""Report, batches, verify, the schedule and the track API's server."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from saphan.core.clock import wire_datetime
from saphan.core.words import count
from saphan.depa.dp.cli.base import (
    Context,
    app,
    console,
    context,
    depa_client,
    environment,
    log,
    parse_days,
    progress_bar,
    show,
)
from saphan.depa.dp.cli.store import print_sync

if TYPE_CHECKING:
    from saphan.depa.dp import report as reporting

# -- report, verify, schedule --------------------------------------------------------------------

DateOpt = typer.Option(
    None,
    "--date",
    help="One Bangkok day, YYYY-MM-DD (default: the DEPA_DP_CATCH_UP_DAYS days up to yesterday).",
)
FromOpt = typer.Option(None, "--from", help="Backfill from this day (YYYY-MM-DD).")
ToOpt = typer.Option(None, "--to", help="Backfill to this day (default: yesterday).")
EnvOpt = typer.Option(None, "--production/--uat", help="Default: DEPA_IS_PRODUCTION.")


def run_report(ctx: Context, first: dt.date, last: dt.date, production: bool) -> bool:
    """Plan and send; print what happened. ``True`` when everything went."""
    from saphan.depa.dp import report as reporting

    days = reporting.date_range(first, last)
    with depa_client(ctx) as client, progress_bar() as progress:
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
    console.print(f"{count(new, 'record')} to send, {unchanged} reported before and unchanged")
    sent = result.sent
    batches = count(sent.batches, "batch", "batches")
    console.print(f"sent {count(sent.records, 'record')} in {batches}")
    for rejected in sent.rejected:
        console.print(
            f"[yellow]rejected by depa: {rejected.voucher_code} {rejected.access_date} "
            f"({rejected.app_user_id}): {rejected.error}[/yellow]"
        )
    if sent.error:
        console.print(
            f"[red]stopped: {sent.error}; {count(sent.pending, 'batch', 'batches')} left pending"
            " for the next run[/red]"
        )


@app.command("report")
def report(
    date: Optional[str] = DateOpt,  # noqa: UP045
    date_from: Optional[str] = FromOpt,  # noqa: UP045
    date_to: Optional[str] = ToOpt,  # noqa: UP045
    production: Optional[bool] = EnvOpt,  # noqa: UP045
) -> None:
    """Send a day's usage (default: the last 3 days up to yesterday, Bangkok) to depa's
    VoucherUsage in batches of
    100, and any batch earlier runs left pending. Safe to run again: nothing is sent twice."""
    with context() as ctx:
        first, last = parse_days(ctx, date, date_from, date_to)
        ok = run_report(ctx, first, last, environment(ctx, production))
    if not ok:
        raise typer.Exit(1)


@app.command("batches")
def batches(
    state: Optional[str] = typer.Option(None, help="pending, sent or rejected."),  # noqa: UP045
) -> None:
    """Report batches: day, environment, state, attempts and the last error."""
    from sqlalchemy import select

    from saphan.depa.dp.models import ReportBatch

    with context() as ctx, ctx.rt.db.read() as session:
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
    show(table)


@app.command("verify")
def verify(
    date: Optional[str] = DateOpt,  # noqa: UP045
    date_from: Optional[str] = FromOpt,  # noqa: UP045
    date_to: Optional[str] = ToOpt,  # noqa: UP045
    production: Optional[bool] = EnvOpt,  # noqa: UP045
) -> None:
    """Read back with GetVoucherUsage what was sent for the day(s) and list every record depa
    does not hold, holds differently, or holds without this DP having sent it. Exit 1 if any."""
    from saphan.depa.dp import verify as verifying

    with context() as ctx:
        first, last = parse_days(ctx, date, date_from, date_to)
        with depa_client(ctx) as client:
            result = verifying.verify(ctx.rt.db, client, first, last, environment(ctx, production))
    console.print(
        f"{count(result.checked, 'record')} of {count(result.vouchers, 'voucher')} checked"
    )
    if result.ok:
        console.print("depa holds every record as sent")
        return
    table = Table("kind", "voucher", "day", "field", "sent", "depa holds")
    for d in result.discrepancies:
        for name, (ours, theirs) in d.fields.items():
            table.add_row(d.kind, d.voucher_code, d.access_date, name, _cell(ours), _cell(theirs))
    show(table)
    raise typer.Exit(1)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


@app.command("schedule")
def schedule(
    hour: int = typer.Option(0, min=0, max=23, help="Bangkok hour."),
    minute: int = typer.Option(30, min=0, max=59, help="Minute."),
) -> None:
    """Run sync + report every day at 00:30 Asia/Bangkok (until stopped)."""
    from saphan.core.observability import configure_logging
    from saphan.depa.client import DepaError
    from saphan.depa.dp.schedule import build_scheduler, daily_run

    with context() as ctx:
        configure_logging(ctx.rt.settings.log_level, json=ctx.rt.settings.log_json)

        def daily() -> None:
            try:
                synced, reported = daily_run(ctx.rt.db, ctx.dp, ctx.rt.secret, ctx.rt.clock)
            except DepaError as exc:  # logged; the next day's run tries again
                log.error("depa-dp daily run failed: %s", exc)
                return
            print_sync(synced)
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
    import uvicorn

    from saphan.core.observability import configure_logging
    from saphan.depa.dp.api import create_track_app

    with context() as ctx:
        if ctx.dp.dp_track_token is None or len(ctx.dp.dp_track_token.get_secret_value()) < 16:
            console.print("[red]set DEPA_DP_TRACK_TOKEN (at least 16 characters) first[/red]")
            raise typer.Exit(2)
        configure_logging(ctx.rt.settings.log_level, json=ctx.rt.settings.log_json)
        track = create_track_app(ctx.rt, ctx.dp.dp_track_token.get_secret_value())
        shown = f"[{host}]" if ":" in host else host
        console.print(
            f"track API on http://{shown}:{port}/dp/usage (docs http://{shown}:{port}/docs);"
            " Ctrl-C to stop",
            highlight=False,
            soft_wrap=True,
        )
        uvicorn.run(track, host=host, port=port, access_log=False, log_level="warning")
