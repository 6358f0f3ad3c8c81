"""``saphan moi ...``: operate the MOI hub from the shell (the database in SAPHAN_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TypeVar, cast

import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from saphan.core.clock import wire_datetime
from saphan.core.words import count

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from saphan.core.runtime import Runtime

app = typer.Typer(
    help="Operate the MOI hub: client systems, agents, sessions, audit, accounts.",
    no_args_is_help=True,
)
client_cli = typer.Typer(help="Client systems (the secret is shown once).", no_args_is_help=True)
agent_cli = typer.Typer(help="Which agents may use a client system.", no_args_is_help=True)
sessions_cli = typer.Typer(help="Agents' sessions (never their tokens).", no_args_is_help=True)
app.add_typer(client_cli, name="client")
app.add_typer(agent_cli, name="agent")
app.add_typer(sessions_cli, name="sessions")
console = Console(soft_wrap=True)
T = TypeVar("T")


def _runtime() -> Runtime:
    from saphan.core.demo_mark import operator_settings
    from saphan.core.runtime import Runtime

    try:
        settings = operator_settings()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    return Runtime.from_settings(settings)


def _run(work: Callable[[Session, Runtime], T], *, write: bool = True) -> T:
    """``work`` in one transaction; an operator error is its message and exit status 1."""
    from saphan.core.errors import ServiceError

    rt = _runtime()
    try:
        with rt.db.write() if write else rt.db.read() as session:
            return work(session, rt)
    except ServiceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        rt.db.dispose()


def _show(table: Table) -> None:
    """At its natural width when not a terminal (Rich would assume 80 columns and cut cells)."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(file=console.file, width=10_000).print(table)


def _print_secret(client_id: str, client_secret: str) -> None:
    console.print(f"ClientID     {client_id}")
    console.print(f"ClientSecret {client_secret}  (shown once: store it now)")


@client_cli.command("create")
def client_create(
    client_id: Optional[str] = typer.Argument(None, help="ClientID; generated when omitted."),  # noqa: UP045
    agent: list[str] = typer.Option([], "--agent", help="An AgentID this client may use."),
    any_agent: bool = typer.Option(False, "--any-agent", help="Any 13-digit AgentID may use it."),
    name: str = typer.Option("", "--name", help="Who runs the client system."),
) -> None:
    """Register a client system; prints its ClientID and ClientSecret (the secret only now)."""
    from saphan.moi import operator

    if not agent and not any_agent:
        console.print("[red]Give at least one --agent, or --any-agent[/red]")
        raise typer.Exit(1)
    created = _run(
        lambda s, rt: operator.register_client(
            s,
            rt.secret,
            rt.clock.now(),
            client_id=client_id,
            name=name,
            any_agent=any_agent,
            agents=agent,
        )
    )
    _print_secret(created.clientId, created.clientSecret)


@client_cli.command("list")
def client_list() -> None:
    """Every client system, revoked ones too (never a secret)."""
    from saphan.moi import operator

    clients = _run(lambda s, rt: operator.list_clients(s, rt.clock.now()), write=False)
    table = Table("client", "name", "agents", "open sessions", "created", "revoked")
    for c in clients:
        agents = ", ".join(c.agents)
        if c.anyAgent:
            agents = "any" + (f" (listed: {agents})" if agents else "")
        table.add_row(c.clientId, c.name, agents, str(c.activeSessions), c.createdAt, c.revokedAt)
    _show(table)


@client_cli.command("update")
def client_update(
    client_id: str = typer.Argument(..., help="The ClientID."),
    name: Optional[str] = typer.Option(None, "--name", help="A new name."),  # noqa: UP045
    any_agent: Optional[bool] = typer.Option(  # noqa: UP045
        None,
        "--any-agent/--listed-agents",
        help="Any 13-digit AgentID may use it, or only the listed ones (whose open sessions "
        "stay; the others' end).",
    ),
) -> None:
    """Rename a client system, or switch "any agent" on or off."""
    from saphan.moi import operator

    _run(
        lambda s, rt: operator.update_client(
            s, client_id, rt.clock.now(), name=name, any_agent=any_agent
        )
    )
    console.print(f"updated {client_id}")


@client_cli.command("revoke")
def client_revoke(client_id: str = typer.Argument(..., help="The ClientID.")) -> None:
    """Revoke a client system: it cannot authenticate, and its open sessions end now."""
    from saphan.moi import operator

    _run(lambda s, rt: operator.revoke_client(s, client_id, rt.clock.now()))
    console.print(f"revoked {client_id}")


@client_cli.command("rotate-secret")
def client_rotate_secret(client_id: str = typer.Argument(..., help="The ClientID.")) -> None:
    """A new ClientSecret, printed once. The old one stops working now, and the client's open
    sessions end (whoever held the old secret may have opened them)."""
    from saphan.moi import operator

    rotated = _run(lambda s, rt: operator.rotate_secret(s, rt.secret, client_id, rt.clock.now()))
    _print_secret(rotated.clientId, rotated.clientSecret)
    console.print(f"{client_id}: the old secret no longer works; its open sessions ended")


@agent_cli.command("allow")
def agent_allow(
    client_id: str = typer.Argument(..., help="The ClientID."),
    agent_id: str = typer.Argument(..., help="The agent's 13-digit ID."),
) -> None:
    """Let AGENT_ID authenticate with CLIENT_ID."""
    from saphan.moi import operator

    _run(lambda s, _rt: operator.allow_agent(s, client_id, agent_id))
    console.print(f"{agent_id} may use {client_id}")


@agent_cli.command("disallow")
def agent_disallow(
    client_id: str = typer.Argument(..., help="The ClientID."),
    agent_id: str = typer.Argument(..., help="The agent's 13-digit ID."),
) -> None:
    """AGENT_ID may no longer authenticate with CLIENT_ID; its sessions there end now."""
    from saphan.moi import operator

    _run(lambda s, rt: operator.disallow_agent(s, client_id, agent_id, rt.clock.now()))
    console.print(f"{agent_id} may no longer use {client_id}; its sessions there ended")


@app.command("import")
def import_file(
    path: Path = typer.Argument(..., help="A .json or .csv file of accounts and bills."),
    fmt: Optional[str] = typer.Option(  # noqa: UP045
        None, "--format", help="json or csv (default: from the file's extension)."
    ),
) -> None:
    """Load accounts and bills (both layouts) from JSON or CSV, all or nothing.

    Accounts are upserted by account number, bills by date. Formats: docs/moi.md.
    """
    from saphan.moi import importing

    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind not in ("json", "csv"):
        console.print("[red]Say --format json or --format csv (or name the file .json/.csv)[/red]")
        raise typer.Exit(2)
    try:
        with path.open("rb") as file:
            accounts = (
                importing.parse_json(file.read()) if kind == "json" else importing.parse_csv(file)
            )
    except OSError as exc:
        console.print(f"[red]Cannot read {path}: {exc.strerror}[/red]")
        raise typer.Exit(1) from exc
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
            task = bar.add_task(count(len(accounts), "account"), total=total)
            result = importing.import_accounts(
                session, accounts, rt.clock.now(), lambda n: bar.advance(task, n)
            )
    finally:
        rt.db.dispose()
    console.print(
        f"{count(result.accounts_created, 'account')} created, {result.accounts_updated} updated, "
        f"{count(result.bills, 'bill')} loaded"
    )


@app.command("audit")
def audit(
    client_id: Optional[str] = typer.Option(None, "--client", help="Only this ClientID."),  # noqa: UP045
    agent_id: Optional[str] = typer.Option(None, "--agent", help="Only this AgentID."),  # noqa: UP045
    day: Optional[str] = typer.Option(None, "--date", help="Only this Bangkok day, YYYY-MM-DD."),  # noqa: UP045
) -> None:
    """PowerCapital lookups: when, which client and agent, the citizen's last 4 digits, rows."""
    from saphan.moi import lookup_audit

    try:
        on = dt.date.fromisoformat(day) if day else None
    except ValueError as exc:
        console.print("[red]--date must be YYYY-MM-DD[/red]")
        raise typer.Exit(1) from exc
    rt = _runtime()
    try:
        with rt.db.read() as session:
            rows = lookup_audit.list_audit(session, client_id=client_id, agent_id=agent_id, day=on)
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


@sessions_cli.command("list")
def sessions_list(
    client_id: Optional[str] = typer.Option(None, "--client", help="Only this ClientID."),  # noqa: UP045
    agent_id: Optional[str] = typer.Option(None, "--agent", help="Only this AgentID."),  # noqa: UP045
    status: Optional[str] = typer.Option(  # noqa: UP045
        None, "--status", help="active, expired or revoked."
    ),
    page: int = typer.Option(1, min=1, max=1_000_000, help="Which page of the list."),
    per_page: int = typer.Option(100, "--per-page", min=1, max=1000, help="Sessions a page."),
) -> None:
    """Sessions, oldest first: id, client, agent, opened, expires, revoked, state (never the
    token)."""
    from saphan.moi import agent_sessions
    from saphan.moi.agent_sessions import SessionStatus

    if status not in (None, "active", "expired", "revoked"):
        console.print("[red]--status must be active, expired or revoked[/red]")
        raise typer.Exit(1)
    state = cast(SessionStatus | None, status)
    total, rows = _run(
        lambda s, rt: agent_sessions.list_sessions(
            s,
            rt.clock.now(),
            client_id=client_id,
            agent_id=agent_id,
            status=state,
            page=page,
            per_page=per_page,
        ),
        write=False,
    )
    columns = ("id", "client", "agent", "opened", "expires", "revoked", "state")
    table = Table(*columns, title=count(total, "session"))
    for r in rows:
        table.add_row(
            str(r.id), r.clientId, r.agentId, r.createdAt, r.expiresAt, r.revokedAt, r.status
        )
    _show(table)


@sessions_cli.command("revoke")
def sessions_revoke(
    session_id: Optional[int] = typer.Argument(None, help="One session, by its id."),  # noqa: UP045
    client_id: Optional[str] = typer.Option(  # noqa: UP045
        None, "--client", help="Every open session of this ClientID."
    ),
    agent_id: Optional[str] = typer.Option(  # noqa: UP045
        None, "--agent", help="Every open session of this AgentID (with --client: there only)."
    ),
) -> None:
    """End one session (by id), or every open one of a client, an agent, or both."""
    from saphan.moi import agent_sessions

    if session_id is not None:
        if client_id is not None or agent_id is not None:
            console.print("[red]Give a session id, or --client/--agent, not both[/red]")
            raise typer.Exit(1)
        ended = _run(lambda s, rt: agent_sessions.revoke_session(s, session_id, rt.clock.now()))
        console.print(f"session {ended.id} ({ended.clientId}, {ended.agentId}) {ended.status}")
        return
    if client_id is None and agent_id is None:
        console.print("[red]Give a session id, --client or --agent[/red]")
        raise typer.Exit(1)
    ended_count = _run(
        lambda s, rt: agent_sessions.revoke_sessions_of(
            s, rt.clock.now(), client_id=client_id, agent_id=agent_id
        )
    )
    console.print(f"{count(ended_count, 'open session')} ended")
