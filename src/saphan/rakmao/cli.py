"""``saphan rakmao ...``: operate Rakmao from the shell (the database in SAPHAN_DATABASE_URL):
accounts and their authen strings, signing keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table

from saphan.rakmao import cli_webhooks

if TYPE_CHECKING:
    from saphan.core.runtime import Runtime

app = typer.Typer(
    help="Operate Rakmao: accounts, authen strings, signing keys.", no_args_is_help=True
)
accounts_cli = typer.Typer(help="API accounts (buyer orgs and sellers).", no_args_is_help=True)
keys_cli = typer.Typer(help="The keys that sign Rakmao's tokens.", no_args_is_help=True)
app.add_typer(accounts_cli, name="accounts")
app.add_typer(keys_cli, name="keys")
app.add_typer(cli_webhooks.app, name="webhooks")
app.command("listen")(cli_webhooks.listen)
console = Console(soft_wrap=True)


def _runtime() -> Runtime:
    from saphan.core.demo_mark import operator_settings
    from saphan.core.runtime import Runtime

    try:
        settings = operator_settings()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    return Runtime.from_settings(settings)


def _show(table: Table) -> None:
    """At its natural width when not a terminal (Rich would assume 80 columns and cut cells)."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(1)


@accounts_cli.command("create")
def accounts_create(
    username: str = typer.Argument(..., help="The account's UserName."),
    password: str = typer.Option(
        None,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 12 characters; asked for when not given.",
    ),
    org_id: Optional[str] = typer.Option(None, "--org-id", help="Buyer OrgId (GUID)."),  # noqa: UP045
    org_name: str = typer.Option("", "--org-name", help="Buyer organisation's name."),
    buyer_tax_id: Optional[str] = typer.Option(  # noqa: UP045
        None, "--buyer-tax-id", help="Buyer organisation's TaxId."
    ),
    seller_tax_id: Optional[str] = typer.Option(None, "--seller-tax-id", help="Seller TaxId."),  # noqa: UP045
) -> None:
    """Register an account for a buyer org and/or a seller; prints its authenString."""
    from pydantic import ValidationError

    from saphan.core.admin import AdminError
    from saphan.core.errors import describe_validation
    from saphan.rakmao import operator
    from saphan.rakmao.admin_schemas import AccountCreate

    try:
        body = AccountCreate(
            username=username,
            password=password,
            orgId=org_id,
            orgName=org_name,
            buyerTaxId=buyer_tax_id,
            sellerTaxId=seller_tax_id,
        )
    except ValidationError as exc:
        raise _fail(describe_validation(exc.errors())) from exc
    rt = _runtime()
    try:
        with rt.db.write() as session:
            created = operator.create_account(session, body, rt.clock.now())
    except AdminError as exc:
        raise _fail(exc.message) from exc
    finally:
        rt.db.dispose()
    console.print(f"account      {created.username} (id {created.id})")
    if created.orgId:
        console.print(f"buyer        OrgId {created.orgId} {created.orgName}".rstrip())
    if created.sellerTaxId:
        console.print(f"seller       TaxId {created.sellerTaxId}")
    console.print(f"authenString {created.authenString}")


@accounts_cli.command("list")
def accounts_list() -> None:
    """Every account, disabled ones too."""
    from saphan.rakmao import operator

    rt = _runtime()
    try:
        with rt.db.read() as session:
            rows = [operator.account_out(a) for a in operator.list_accounts(session)]
    finally:
        rt.db.dispose()
    table = Table(
        "id", "username", "OrgId", "org name", "buyer TaxId", "seller TaxId", "created", "disabled"
    )
    for a in rows:
        table.add_row(
            str(a.id),
            a.username,
            a.orgId or "",
            a.orgName or "",
            a.buyerTaxId or "",
            a.sellerTaxId or "",
            a.createdAt,
            a.disabledAt or "",
        )
    _show(table)


@accounts_cli.command("disable")
def accounts_disable(username: str = typer.Argument(..., help="The account's UserName.")) -> None:
    """Disable an account; every token it holds stops working at once."""
    from saphan.core.admin import AdminError
    from saphan.rakmao import operator

    rt = _runtime()
    try:
        with rt.db.write() as session:
            account = operator.disable_account(session, username, rt.clock.now())
            name = account.username
    except AdminError as exc:
        raise _fail(exc.message) from exc
    finally:
        rt.db.dispose()
    console.print(f"{name} disabled; its tokens are revoked")


@accounts_cli.command("authen-string")
def accounts_authen_string(
    username: str = typer.Argument(..., help="The account's UserName."),
    password: str = typer.Option(
        None, prompt=True, hide_input=True, help="Its password; asked for when not given."
    ),
) -> None:
    """Print an account's authenString again (the password is checked, not stored)."""
    from saphan.core.admin import AdminError
    from saphan.rakmao import operator

    rt = _runtime()
    try:
        with rt.db.read() as session:
            authen = operator.authen_string_for(session, username, password)
    except AdminError as exc:
        raise _fail(exc.message) from exc
    finally:
        rt.db.dispose()
    console.print(authen)


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; the old one verifies until its tokens expire."""
    from saphan.rakmao import operator

    rt = _runtime()
    try:
        with rt.db.write() as session:
            key = operator.key_out(operator.rotate_key(session, rt.secret, rt.clock.now()))
    finally:
        rt.db.dispose()
    console.print(f"new signing key {key.kid}; running servers use it within a minute")


@keys_cli.command("list")
def keys_list() -> None:
    """The signing keys: kid, when made, when retired (Bangkok time)."""
    from saphan.rakmao import operator

    rt = _runtime()
    try:
        with rt.db.read() as session:
            rows = [operator.key_out(k) for k in operator.list_keys(session)]
    finally:
        rt.db.dispose()
    table = Table("kid", "created", "retired")
    for k in rows:
        table.add_row(k.kid, k.createdAt, k.retiredAt or "")
    _show(table)
