"""Users, sync and links."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from saphan.cli_help import invoked_as
from saphan.core.clock import wire_datetime
from saphan.core.words import count
from saphan.depa.dp.cli.base import (
    app,
    console,
    context,
    depa_client,
    progress_bar,
    show,
    users_cli,
    write,
)

if TYPE_CHECKING:
    from saphan.depa.dp import sync as syncing

# -- users ---------------------------------------------------------------------------------------


#: Unmatched vouchers listed by name after a sync; the rest are counted.
SHOWN = 20


@users_cli.command("import")
def users_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
) -> None:
    """Load app users from a CSV file (header: appUserId,phone,idCard), all or nothing;
    existing users (by appUserId) are updated."""
    from saphan.core.errors import ServiceError
    from saphan.depa.dp.users import parse_users_csv, upsert_users

    with context() as ctx:
        try:
            users = parse_users_csv(file.read_bytes())
        except ServiceError as exc:
            console.print(f"[red]{file}: {exc.message}[/red]")
            raise typer.Exit(1) from exc
        loaded = write(ctx, lambda s: upsert_users(s, ctx.rt.secret, users, ctx.rt.clock.now()))
    console.print(f"{count(loaded.created, 'user')} added, {loaded.updated} updated")


@users_cli.command("list")
def users_list() -> None:
    """App users, their phone and whether a national ID is on file, and their vouchers."""
    from sqlalchemy import func, select

    from saphan.depa.dp.models import AppUser, SyncedVoucher

    with context() as ctx, ctx.rt.db.read() as session:
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
    show(table)


# -- sync and linking ----------------------------------------------------------------------------


@app.command("sync")
def sync() -> None:
    """Fetch every voucher from depa (500 a page), keep their status history, and link them
    to app users by mobile number, then national ID."""
    from saphan.depa.dp import sync as syncing

    with context() as ctx, depa_client(ctx) as client, progress_bar() as progress:
        task = progress.add_task("syncing vouchers", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = syncing.sync(ctx.rt.db, client, ctx.rt.secret, ctx.rt.clock.now, on_page=advance)
    print_sync(result)
    if result.conflicts or result.unmatched:
        console.print(f"link the rest with: {invoked_as()} depa-dp link VOUCHER APP_USER_ID")


def print_sync(result: syncing.SyncResult) -> None:
    console.print(
        f"{count(result.vouchers, 'voucher')} in {count(result.pages, 'page')}: {result.new} new, "
        f"{result.changed} changed status"
    )
    console.print(
        f"linked now: {len(result.by_mobile)} by mobileNo, {len(result.by_id_card)} by idCard; "
        f"linked before: {result.already_linked}; unmatched: {len(result.unmatched)}; "
        f"conflicts: {len(result.conflicts)}"
    )
    if result.unmatched:
        shown = result.unmatched[:SHOWN]
        more = len(result.unmatched) - len(shown)
        tail = f" and {more} more ({invoked_as()} depa-dp vouchers --unlinked)" if more else ""
        console.print("unmatched: " + ", ".join(shown) + tail)
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
    from saphan.depa.dp import sync as syncing

    with context() as ctx:
        write(
            ctx,
            lambda s: syncing.link(s, voucher, app_user_id, ctx.rt.clock.now(), force=force),
        )
    console.print(f"{voucher} linked to {app_user_id}")


@app.command("unlink")
def unlink(voucher: str) -> None:
    """Remove VOUCHER's link (sync will try to match it again)."""
    from saphan.depa.dp import sync as syncing

    with context() as ctx:
        write(ctx, lambda s: syncing.unlink(s, voucher))
    console.print(f"{voucher} unlinked")


@app.command("vouchers")
def vouchers(
    unlinked: bool = typer.Option(False, "--unlinked", help="Only vouchers without a user."),
) -> None:
    """Synced vouchers: status, times and the app user each is linked to."""
    from sqlalchemy import select

    from saphan.depa.dp.models import AppUser, SyncedVoucher

    with context() as ctx, ctx.rt.db.read() as session:
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
    show(table)
