"""``saphan easyslip ...``: operate EasySlip's side from the shell (the database in
SAPHAN_DATABASE_URL), make slip images for testing, and read what a slip says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from saphan.core.clock import BANGKOK
from saphan.core.words import count

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from saphan.config import Settings
    from saphan.core.runtime import Runtime

app = typer.Typer(
    help="Operate EasySlip's side: applications, branches, the ledger; make and read slips.",
    no_args_is_help=True,
)
app_cli = typer.Typer(help="Applications (plan, quota, credit).", no_args_is_help=True)
branch_cli = typer.Typer(help="Branches and their API keys (shown once).", no_args_is_help=True)
ledger_cli = typer.Typer(help="The transaction ledger.", no_args_is_help=True)
app.add_typer(app_cli, name="app")
app.add_typer(branch_cli, name="branch")
app.add_typer(ledger_cli, name="transfers")
console = Console(soft_wrap=True)
T = TypeVar("T")


@contextmanager
def _runtime(*, needs_secret: bool = True) -> Iterator[Runtime]:
    """The database in SAPHAN_DATABASE_URL. Without SAPHAN_SECRET_KEY, commands work on a demo
    database (``core.demo_mark``), and those that touch no key (the ledger, make-slip) on any."""
    from saphan.core.demo_mark import operator_settings
    from saphan.core.runtime import Runtime

    try:
        settings = operator_settings() if needs_secret else _keyless_settings()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    rt = Runtime.from_settings(settings)
    try:
        yield rt
    finally:
        rt.db.dispose()


def _keyless_settings() -> Settings:
    from saphan.config import load_settings

    try:
        return load_settings()
    except ValueError:
        return load_settings(demo=True)  # only the (unused) secret differs


def _write(work: Callable[[Session, Runtime], T], *, needs_secret: bool = True) -> T:
    from saphan.core.errors import ServiceError

    with _runtime(needs_secret=needs_secret) as rt:
        try:
            with rt.db.write() as session:
                return work(session, rt)
        except ServiceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc


def _valid(build: Callable[[], T]) -> T:
    from pydantic import ValidationError

    from saphan.core.errors import describe_validation

    try:
        return build()
    except ValidationError as exc:
        console.print(f"[red]{describe_validation(exc.errors())}[/red]")
        raise typer.Exit(2) from exc


def _show(table: Table) -> None:
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)


# -- applications ------------------------------------------------------------------------------


@app_cli.command("create")
def app_create(
    name: str,
    email: str = typer.Option(..., help="The account's e-mail."),
    plan: str = typer.Option("Free Plan", help="The product (plan) name."),
    quota: int | None = typer.Option(100, help="Verifications per month; omit with --unlimited."),
    unlimited: bool = typer.Option(False, "--unlimited", help="No monthly limit (max: null)."),
    credit: int = typer.Option(0, help="Starting credit."),
) -> None:
    """Create an application; its billing months start today."""
    from saphan.easyslip import operator
    from saphan.easyslip.admin_schemas import ApplicationCreate

    body = _valid(
        lambda: ApplicationCreate(
            name=name,
            email=email,
            productName=plan,
            quotaMax=None if unlimited else quota,
            credit=credit,
        )
    )
    out = _write(
        lambda s, rt: operator.application_out(
            s, operator.create_application(s, body, rt.clock.now()), rt.clock.now()
        )
    )
    console.print(f"application {out.id} created: {out.name} ({out.productName})")


@app_cli.command("list")
def app_list() -> None:
    from saphan.easyslip import operator

    apps = _write(
        lambda s, rt: [
            operator.application_out(s, a, rt.clock.now()) for a in operator.list_applications(s)
        ]
    )
    table = Table("id", "name", "plan", "used", "max", "total", "credit", "status", "created")
    for a in apps:
        table.add_row(
            str(a.id),
            a.name,
            a.productName,
            str(a.used),
            "unlimited" if a.quotaMax is None else str(a.quotaMax),
            str(a.totalUsed),
            str(a.credit),
            a.status,
            a.createdAt,
        )
    _show(table)


@app_cli.command("plan")
def app_plan(
    app_id: int,
    plan: Optional[str] = typer.Option(None, help="The product (plan) name."),  # noqa: UP045
    quota: Optional[int] = typer.Option(None, help="Verifications per month."),  # noqa: UP045
    unlimited: bool = typer.Option(False, "--unlimited", help="No monthly limit."),
    status: Optional[str] = typer.Option(None, help="active, banned or deleted."),  # noqa: UP045
    renew_price: Optional[int] = typer.Option(None, help="Credit a renewal costs."),  # noqa: UP045
    renew_months: Optional[int] = typer.Option(None, help="Months a renewal adds."),  # noqa: UP045
    auto_renew_expired: Optional[bool] = typer.Option(  # noqa: UP045
        None, "--auto-renew-expired/--no-auto-renew-expired", help="Renew from credit on expiry."
    ),
    auto_renew_quota: Optional[bool] = typer.Option(  # noqa: UP045
        None, "--auto-renew-quota/--no-auto-renew-quota", help="Renew when the quota is spent."
    ),
    expires_at: Optional[str] = typer.Option(  # noqa: UP045
        None, help="When the plan expires (ISO 8601, e.g. 2026-01-01T00:00:00+07:00)."
    ),
) -> None:
    """Change an application's plan, quota, renewals, expiry or status."""
    from saphan.easyslip import operator
    from saphan.easyslip.admin_schemas import ApplicationUpdate

    fields: dict[str, object] = {}
    if plan is not None:
        fields["productName"] = plan
    if unlimited:
        fields["quotaMax"] = None
    elif quota is not None:
        fields["quotaMax"] = quota
    options = {
        "status": status,
        "renewPrice": renew_price,
        "renewMonths": renew_months,
        "autoRenewExpired": auto_renew_expired,
        "autoRenewQuota": auto_renew_quota,
        "expiresAt": expires_at,
    }
    fields.update({name: value for name, value in options.items() if value is not None})
    body = _valid(lambda: ApplicationUpdate.model_validate(fields))
    _write(lambda s, _rt: operator.update_application(s, app_id, body))
    console.print(f"application {app_id} updated")


@app_cli.command("credit")
def app_credit(app_id: int, amount: int) -> None:
    """Add AMOUNT credit (negative takes away)."""
    from saphan.easyslip import operator

    credit = _write(lambda s, _rt: operator.change_credit(s, app_id, amount).credit)
    console.print(f"application {app_id} credit: {credit}")


# -- branches ----------------------------------------------------------------------------------


@branch_cli.command("create")
def branch_create(
    app_id: int,
    name: str,
    quota: Optional[int] = typer.Option(None, help="The branch's own monthly limit."),  # noqa: UP045
) -> None:
    """Create a branch of APP_ID; its API key is printed once and stored only as a hash."""
    from saphan.easyslip import operator
    from saphan.easyslip.admin_schemas import BranchCreate

    body = _valid(lambda: BranchCreate(name=name, quotaMax=quota))
    created = _write(
        lambda s, rt: operator.create_branch(s, rt.secret, app_id, body, rt.clock.now())
    )
    console.print(f"branch {created.id} of application {app_id} (store the key now):")
    typer.echo(created.key)


@branch_cli.command("list")
def branch_list(app_id: int) -> None:
    from saphan.easyslip import operator

    branches = _write(
        lambda s, rt: [
            operator.branch_out(s, b, rt.clock.now()) for b in operator.list_branches(s, app_id)
        ]
    )
    table = Table("id", "name", "key", "active", "used", "max", "total")
    for b in branches:
        table.add_row(
            str(b.id),
            b.name,
            b.prefix + "…",
            "yes" if b.isActive else "no",
            str(b.used),
            "-" if b.quotaMax is None else str(b.quotaMax),
            str(b.totalUsed),
        )
    _show(table)


@branch_cli.command("set")
def branch_set(
    branch_id: int,
    active: Optional[bool] = typer.Option(  # noqa: UP045
        None, "--active/--inactive", help="Activate the branch, or deactivate it (BRANCH_INACTIVE)."
    ),
    quota: Optional[int] = typer.Option(None, help="The branch's own monthly limit."),  # noqa: UP045
) -> None:
    """(De)activate a branch or set its own monthly limit."""
    from saphan.easyslip import operator
    from saphan.easyslip.admin_schemas import BranchUpdate

    fields: dict[str, object] = {}
    if active is not None:
        fields["isActive"] = active
    if quota is not None:
        fields["quotaMax"] = quota
    body = _valid(lambda: BranchUpdate.model_validate(fields))
    _write(lambda s, _rt: operator.update_branch(s, branch_id, body))
    console.print(f"branch {branch_id} updated")


# -- the ledger --------------------------------------------------------------------------------


@ledger_cli.command("import")
def transfers_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
) -> None:
    """Record the transfers in FILE (CSV with a header row of the operator API's field names,
    or JSON), all or nothing."""
    from saphan.core.errors import ServiceError
    from saphan.easyslip import operator

    kind = "csv" if file.suffix.lower() == ".csv" else "json"
    try:
        transfers = operator.parse_transfers(file.read_bytes(), kind)
    except ServiceError as exc:
        console.print(f"[red]{file}: {exc.message}[/red]")
        raise typer.Exit(1) from exc
    rows = _write(
        lambda s, rt: operator.record_transfers(s, transfers, rt.clock.now()), needs_secret=False
    )
    console.print(f"{count(len(rows), 'transfer')} recorded")


@ledger_cli.command("list")
def transfers_list(
    limit: int = typer.Option(20, min=1, max=1000, help="At most this many, newest first."),
) -> None:
    """The newest transfers, with their slips' mini QR text."""
    from saphan.easyslip import operator

    rows = _write(
        lambda s, _rt: [operator.transfer_out(t) for t in operator.list_transfers(s, limit=limit)],
        needs_secret=False,
    )
    table = Table("bank", "transRef", "date", "amount", "from", "to", "payload")
    for t in rows:
        table.add_row(
            t.bankCode or "TMN",
            t.transRef,
            t.date,
            f"{t.amount:,.2f}",
            t.senderNameEn or "",
            t.receiverNameEn or "",
            t.payload,
        )
    _show(table)


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        console.print(f"[red]--amount {text!r} is not a number[/red]")
        raise typer.Exit(2) from exc


@app.command("make-slip")
def make_slip(
    out: Path = typer.Option(..., "--out", "-o", help="slip.png, .jpg, .webp or .gif"),
    bank: str = typer.Option("004", help="The sending bank's code (see GET /v2/banks)."),
    amount: Optional[str] = typer.Option(None, help="Baht, e.g. 250.00."),  # noqa: UP045
    to: str = typer.Option("SAPHAN DEMO SHOP", "--to", help="The receiver's name."),
    to_bank: Optional[str] = typer.Option(None, help="The receiver's bank (default --bank)."),  # noqa: UP045
    to_account: str = typer.Option("1234567890", help="The receiver's account number."),
    sender: str = typer.Option("SOMCHAI JAIDEE", "--from", help="The sender's name."),
    from_account: str = typer.Option("9876543210", help="The sender's account number."),
    ref: Optional[str] = typer.Option(  # noqa: UP045
        None, help="transRef. An existing transfer's ref draws its slip again (nothing recorded)."
    ),
    date: Optional[dt.datetime] = typer.Option(None, help="When (Bangkok); default now."),  # noqa: UP045
    truewallet: bool = typer.Option(False, "--truewallet", help="A TrueMoney Wallet slip."),
    to_phone: str = typer.Option("0812345678", help="TrueMoney: the receiver's phone."),
) -> None:
    """Record a transfer in the ledger and write its slip image, carrying the slip's mini QR:
    what a customer would upload. With --ref of a recorded transfer, draw that one's slip."""
    from saphan.easyslip import operator
    from saphan.easyslip.admin_schemas import TransferIn
    from saphan.easyslip.ledger import BANK, TRUEWALLET
    from saphan.easyslip.slipimage import format_for
    from saphan.easyslip.slips import slip_image

    try:
        fmt = format_for(out)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    kind = TRUEWALLET if truewallet else BANK
    code = "" if truewallet else bank

    def work(s: Session, rt: Runtime) -> tuple[bytes, str, bool]:
        existing = operator.find_transfer(s, kind, code, ref) if ref else None
        if existing is not None:
            return slip_image(existing, fmt), operator.payload_of(existing), False
        if amount is None:
            console.print("[red]--amount is required to record a new transfer[/red]")
            raise typer.Exit(2)
        fields: dict[str, object] = {
            "kind": kind,
            "bankCode": bank,
            "transRef": ref,
            "date": date.replace(tzinfo=BANGKOK) if date and not date.tzinfo else date,
            "amount": _amount(amount),
            "senderNameEn": sender,
            "receiverNameEn": to,
        }
        if truewallet:
            fields |= {"receiverProxy": to_phone, "receiverProxyType": "MSISDN"}
        else:
            fields |= {
                "receiverBankCode": to_bank or bank,
                "receiverAccount": to_account,
                "senderAccount": from_account,
            }
        transfer_in = _valid(lambda: TransferIn.model_validate(fields))
        [row] = operator.record_transfers(s, [transfer_in], rt.clock.now())
        return slip_image(row, fmt), operator.payload_of(row), True

    data, payload, recorded = _write(work, needs_secret=False)
    out.write_bytes(data)
    console.print(f"{'recorded and ' if recorded else ''}wrote {out} ({len(data):,} bytes)")
    typer.echo(payload)


@app.command("decode")
def decode(source: str = typer.Argument(..., help="An image file, or a mini QR text.")) -> None:
    """Print what a slip says: the QR codes in an image (or the text given), each read as a bank
    or TrueMoney slip mini QR with its CRC checked."""
    from saphan.core.errors import ServiceError
    from saphan.easyslip import images, miniqr

    path = Path(source)
    if path.is_file():
        try:
            data = path.read_bytes()
            images.check_image(data)
            texts = images.qr_texts(data)
        except ServiceError as exc:
            console.print(f"[red]{source}: {exc.message}[/red]")
            raise typer.Exit(1) from exc
        if not texts:
            console.print(f"[red]{source}: no QR code found[/red]")
            raise typer.Exit(1)
    else:
        texts = [source]
    found = False
    for text in texts:
        try:
            slip = miniqr.parse_bank(text)
            console.print(f"bank slip: bank {slip.bank_code}  transRef {slip.trans_ref}  CRC ok")
            found = True
            continue
        except miniqr.NotASlip:
            pass
        try:
            tw = miniqr.parse_truewallet(text)
            console.print(
                f"TrueMoney slip: transaction {tw.transaction_id}  event {tw.event_type}  "
                f"date {tw.date.isoformat()}  CRC ok"
            )
            found = True
        except miniqr.NotASlip as exc:
            console.print(f"not a slip mini QR ({exc}): {text}")
    if not found:
        raise typer.Exit(1)
