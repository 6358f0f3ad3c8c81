"""``saphan moi ...``: operate the MOI hub from the shell (the database in SAPHAN_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from saphan.config import Settings
from saphan.core.clock import wire_datetime
from saphan.core.runtime import Runtime
from saphan.moi import importing, operator

app = typer.Typer(help="Operate the MOI hub: client systems, audit.", no_args_is_help=True)
client_cli = typer.Typer(help="Client systems (the secret is shown once).", no_args_is_help=True)
app.add_typer(client_cli, name="client")
console = Console(soft_wrap=True)
_ALPHABET = string.ascii_letters + string.digits


def _runtime() -> Runtime:
    try:
        settings = Settings()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    return Runtime.from_settings(settings)


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@client_cli.command("create")
def client_create(
    client_id: Optional[str] = typer.Argument(None, help="ClientID; generated when omitted."),  # noqa: UP045
    agent: list[str] = typer.Option([], "--agent", help="An AgentID this client may use."),
    any_agent: bool = typer.Option(False, "--any-agent", help="Any 13-digit AgentID may use it."),
    name: str = typer.Option("", "--name", help="Who runs the client system."),
) -> None:
    """Register a client system; prints its ClientID and ClientSecret (the secret only now)."""
    bad = [a for a in agent if not (len(a) == 13 and a.isascii() and a.isdigit())]
    if bad:
        console.print(f"[red]AgentID must be 13 digits: {', '.join(bad)}[/red]")
        raise typer.Exit(1)
    if not agent and not any_agent:
        console.print("[red]Give at least one --agent, or --any-agent[/red]")
        raise typer.Exit(1)
    rt = _runtime()
    client_id = client_id or _random(15)
    client_secret = _random(32)
    try:
        with rt.db.write() as session:
            if operator.client_exists(session, client_id):
                console.print(f"[red]ClientID {client_id} exists already[/red]")
                raise typer.Exit(1)
            operator.create_client(
                session,
                rt.secret,
                client_id,
                client_secret,
                rt.clock.now(),
                name=name,
                any_agent=any_agent,
                agents=agent,
            )
    finally:
        rt.db.dispose()
    console.print(f"ClientID     {client_id}")
    console.print(f"ClientSecret {client_secret}  (shown once: store it now)")


@client_cli.command("revoke")
def client_revoke(client_id: str = typer.Argument(..., help="The ClientID.")) -> None:
    """Revoke a client system: it cannot authenticate, and its open sessions end now."""
    rt = _runtime()
    try:
        with rt.db.write() as session:
            if not operator.client_exists(session, client_id):
                console.print(f"[red]No client {client_id}[/red]")
                raise typer.Exit(1)
            operator.revoke_client(session, client_id, rt.clock.now())
    finally:
        rt.db.dispose()
    console.print(f"revoked {client_id}")


@app.command("import")
def import_file(
    path: Path = typer.Argument(..., help="A .json or .csv file of accounts and bills."),
    fmt: Optional[str] = typer.Option(  # noqa: UP045
        None, "--format", help="json or csv (default: from the file's extension)."
    ),
) -> None:
    """Load accounts and bills (both layouts) from JSON or CSV, all or nothing, upserting by
    account number and bill date. Formats: docs/moi.md, "Loading data"."""
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind not in ("json", "csv"):
        console.print("[red]Say --format json or --format csv (or name the file .json/.csv)[/red]")
        raise typer.Exit(2)
    try:
        data = path.read_bytes()
    except OSError as exc:
        console.print(f"[red]Cannot read {path}: {exc.strerror}[/red]")
        raise typer.Exit(1) from exc
    try:
        accounts = importing.parse_json(data) if kind == "json" else importing.parse_csv(data)
    except importing.ImportFailed as exc:
        console.print(f"[red]{path}: {exc}; nothing loaded[/red]")
        raise typer.Exit(1) from exc
    total = sum(len(a.bills) for a in accounts)
    rt = _runtime()
    try:
        with (
            Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar,
            rt.db.write() as session,
        ):
            task = bar.add_task(f"{len(accounts)} accounts", total=total)
            result = importing.import_accounts(
                session, accounts, rt.clock.now(), lambda n: bar.advance(task, n)
            )
    finally:
        rt.db.dispose()
    console.print(
        f"{result.accounts_created} accounts created, {result.accounts_updated} updated, "
        f"{result.bills} bills loaded"
    )


@app.command("audit")
def audit(
    client_id: Optional[str] = typer.Option(None, "--client", help="Only this ClientID."),  # noqa: UP045
    agent_id: Optional[str] = typer.Option(None, "--agent", help="Only this AgentID."),  # noqa: UP045
    day: Optional[str] = typer.Option(None, "--date", help="Only this Bangkok day, YYYY-MM-DD."),  # noqa: UP045
) -> None:
    """PowerCapital lookups: when, which client and agent, the citizen's last 4 digits, rows."""
    try:
        on = dt.date.fromisoformat(day) if day else None
    except ValueError as exc:
        console.print("[red]--date must be YYYY-MM-DD[/red]")
        raise typer.Exit(1) from exc
    rt = _runtime()
    try:
        with rt.db.read() as session:
            rows = operator.list_audit(session, client_id=client_id, agent_id=agent_id, day=on)
    finally:
        rt.db.dispose()
    table = Table("time", "client", "agent", "citizen", "rows")
    for row, client in rows:
        table.add_row(
            wire_datetime(row.at),
            client,
            row.agent_id,
            f"*********{row.citizen_last4}",
            str(row.rows),
        )
    # At its natural width when not a terminal (Rich would assume 80 columns and cut cells).
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)
