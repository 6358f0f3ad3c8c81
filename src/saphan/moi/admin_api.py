"""``/admin/moi``: the operator API for an organisation running the MOI hub."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, FastAPI, Path, Query, Request
from sqlalchemy.orm import Session

from saphan.core.admin import BODY_LIMIT, AdminError, AdminErrorResponse, AdminInvalid, operate
from saphan.core.admin import create_admin_app as base_admin_app
from saphan.core.allow import concrete_first
from saphan.core.body import document_request_models, read_body
from saphan.core.errors import is_json
from saphan.core.runtime import Runtime
from saphan.moi import agent_sessions, lookup_audit, operator
from saphan.moi.admin_schemas import (
    AGENT_ID_PATTERN,
    AccountIn,
    AccountOut,
    AuditPage,
    ClientCreate,
    ClientCreated,
    ClientOut,
    ClientUpdate,
    ImportOut,
    Revoked,
    SessionOut,
    SessionPage,
    SessionsRevoke,
)
from saphan.moi.agent_sessions import SessionStatus
from saphan.moi.importing import ImportFailed, import_bytes

T = TypeVar("T")
router = APIRouter()
#: An import's body may be large (a utility's month of bills): as large as any operator body.
IMPORT_LIMIT = BODY_LIMIT

AgentPath = Annotated[
    str,
    Path(
        description="The agent's 13-digit ID",
        json_schema_extra={"pattern": AGENT_ID_PATTERN, "example": "1100400012345"},
    ),
]
Page = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=1000, alias="perPage")]


class UnsupportedMediaType(AdminError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    message = "Content-Type must be application/json or text/csv"


# -- client systems ----------------------------------------------------------------------------


@router.post("/clients", status_code=201, response_model=ClientCreated)
async def create_client(body: ClientCreate, request: Request) -> ClientCreated:
    """Register a client system. The answer carries its ClientSecret: the only time it is shown."""
    return await operate(
        request,
        lambda s, rt: operator.register_client(
            s,
            rt.secret,
            rt.clock.now(),
            client_id=body.clientId,
            name=body.name,
            any_agent=body.anyAgent,
            agents=body.agents,
        ),
        write=True,
    )


@router.get("/clients", response_model=list[ClientOut])
async def list_clients(request: Request) -> list[ClientOut]:
    """Every client system, revoked ones too; never a secret."""
    return await operate(
        request, lambda s, rt: operator.list_clients(s, rt.clock.now()), write=False
    )


@router.get("/clients/{client_id}", response_model=ClientOut)
async def show_client(client_id: str, request: Request) -> ClientOut:
    return await operate(
        request,
        lambda s, rt: operator.client_out(s, operator.get_client(s, client_id), rt.clock.now()),
        write=False,
    )


@router.patch("/clients/{client_id}", response_model=ClientOut)
async def update_client(client_id: str, body: ClientUpdate, request: Request) -> ClientOut:
    """Rename, or switch "any agent" on or off (off ends unlisted agents' open sessions)."""

    def work(s: Session, rt: Runtime) -> ClientOut:
        now = rt.clock.now()
        client = operator.update_client(s, client_id, now, name=body.name, any_agent=body.anyAgent)
        return operator.client_out(s, client, now)

    return await operate(request, work, write=True)


@router.delete("/clients/{client_id}", response_model=ClientOut)
async def revoke_client(client_id: str, request: Request) -> ClientOut:
    """Revoke a client system: it cannot authenticate, and its open sessions end now."""

    def work(s: Session, rt: Runtime) -> ClientOut:
        now = rt.clock.now()
        return operator.client_out(s, operator.revoke_client(s, client_id, now), now)

    return await operate(request, work, write=True)


@router.post("/clients/{client_id}/secret", response_model=ClientCreated)
async def rotate_secret(client_id: str, request: Request) -> ClientCreated:
    """A new ClientSecret, shown this once. The old one stops working at once, and the
    client's open sessions end (whoever held the old secret may have opened them)."""
    return await operate(
        request,
        lambda s, rt: operator.rotate_secret(s, rt.secret, client_id, rt.clock.now()),
        write=True,
    )


@router.put("/clients/{client_id}/agents/{agent_id}", response_model=ClientOut)
async def allow_agent(client_id: str, agent_id: AgentPath, request: Request) -> ClientOut:
    """Let this AgentID use the client system (allowing it again changes nothing)."""

    def work(s: Session, rt: Runtime) -> ClientOut:
        return operator.client_out(s, operator.allow_agent(s, client_id, agent_id), rt.clock.now())

    return await operate(request, work, write=True)


@router.delete("/clients/{client_id}/agents/{agent_id}", response_model=ClientOut)
async def disallow_agent(client_id: str, agent_id: AgentPath, request: Request) -> ClientOut:
    """The agent can no longer authenticate with this client; its sessions there end now."""

    def work(s: Session, rt: Runtime) -> ClientOut:
        now = rt.clock.now()
        return operator.client_out(s, operator.disallow_agent(s, client_id, agent_id, now), now)

    return await operate(request, work, write=True)


# -- sessions ----------------------------------------------------------------------------------


@router.get("/sessions", response_model=SessionPage)
async def list_sessions(
    request: Request,
    client: Annotated[str | None, Query(description="Only this ClientID")] = None,
    agent: Annotated[
        str | None,
        Query(
            description="Only this AgentID (13 digits)",
            json_schema_extra={"pattern": AGENT_ID_PATTERN},
        ),
    ] = None,
    status: SessionStatus | None = None,
    page: Page = 1,
    per_page: PerPage = 100,
) -> SessionPage:
    """Sessions, oldest first: who, when, until when, whether revoked. Never the token."""

    def work(s: Session, rt: Runtime) -> SessionPage:
        total, items = agent_sessions.list_sessions(
            s,
            rt.clock.now(),
            client_id=client,
            agent_id=agent,
            status=status,
            page=page,
            per_page=per_page,
        )
        return SessionPage(total=total, page=page, perPage=per_page, items=items)

    return await operate(request, work, write=False)


@router.delete("/sessions/{session_id}", response_model=SessionOut)
async def revoke_session(session_id: int, request: Request) -> SessionOut:
    """End one session now; PowerCapital with its token is 401 from now on."""
    return await operate(
        request,
        lambda s, rt: agent_sessions.revoke_session(s, session_id, rt.clock.now()),
        write=True,
    )


@router.post("/sessions/revoke", response_model=Revoked)
async def revoke_sessions(body: SessionsRevoke, request: Request) -> Revoked:
    """End every open session of a client system, of an agent (at every client system), or of
    an agent at one client system."""
    revoked = await operate(
        request,
        lambda s, rt: agent_sessions.revoke_sessions_of(
            s, rt.clock.now(), client_id=body.clientId, agent_id=body.agentId
        ),
        write=True,
    )
    return Revoked(revoked=revoked)


# -- audit -------------------------------------------------------------------------------------


@router.get("/audit", response_model=AuditPage)
async def list_audit(
    request: Request,
    client: Annotated[str | None, Query(description="Only this ClientID")] = None,
    agent: Annotated[
        str | None,
        Query(
            description="Only this AgentID (13 digits)",
            json_schema_extra={"pattern": r"^[0-9]{13}$"},
        ),
    ] = None,
    date: Annotated[dt.date | None, Query(description="Only this Bangkok day")] = None,
    page: Page = 1,
    per_page: PerPage = 100,
) -> AuditPage:
    """PowerCapital lookups, oldest first; citizen IDs masked to their last 4 digits."""

    def work(s: Session, _rt: Runtime) -> AuditPage:
        total, items = lookup_audit.audit_page(
            s, client_id=client, agent_id=agent, day=date, page=page, per_page=per_page
        )
        return AuditPage(total=total, page=page, perPage=per_page, items=items)

    return await operate(request, work, write=False)


# -- accounts ----------------------------------------------------------------------------------

_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/AccountIn"}}
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/imports",
    response_model=ImportOut,
    openapi_extra=_IMPORT_BODY,
    responses={
        413: {"model": AdminErrorResponse, "description": "Body over 64 MiB"},
        415: {"model": AdminErrorResponse, "description": "Neither JSON nor CSV"},
    },
)
async def import_accounts(request: Request) -> ImportOut:
    """Load accounts and bills of both layouts (docs/moi.md, "Loading data"): a JSON list
    (`application/json`) or CSV (`text/csv`). Validated whole and loaded in one transaction,
    upserting by account number and bill date: an error names the item or row and the field,
    and nothing is loaded."""
    content_type = request.headers.get("content-type", "")
    fmt: Literal["json", "csv"]
    if content_type.split(";")[0].strip().lower() == "text/csv":
        fmt = "csv"
    elif is_json(content_type):
        fmt = "json"
    else:
        raise UnsupportedMediaType()
    data = await read_body(request, IMPORT_LIMIT)

    def work(s: Session, rt: Runtime) -> ImportOut:
        try:
            result = import_bytes(s, data, fmt, rt.clock.now())
        except ImportFailed as exc:
            raise AdminInvalid(str(exc)) from exc
        return ImportOut(
            accounts_created=result.accounts_created,
            accounts_updated=result.accounts_updated,
            bills=result.bills,
        )

    return await operate(request, work, write=True)


@router.get("/accounts/{citizen_id}", response_model=list[AccountOut])
async def holder_accounts(
    request: Request,
    citizen_id: Annotated[
        str,
        Path(
            description="13-digit citizen or juristic-person ID",
            json_schema_extra={"pattern": AGENT_ID_PATTERN, "example": "3102400001917"},
        ),
    ],
) -> list[AccountOut]:
    """A holder's accounts of both layouts, with how many bills each holds and their dates."""
    return await operate(
        request, lambda s, _rt: lookup_audit.holder_accounts(s, citizen_id), write=False
    )


def create_admin_app(rt: Runtime) -> FastAPI:
    app = base_admin_app(
        rt,
        title="MOI operator API (Saphan)",
        description="Run the MOI hub: client systems and their agents, sessions, the lookup "
        "audit, and the utilities' accounts and bills. Bearer SAPHAN_ADMIN_TOKEN.",
    )
    concrete_first(router.routes)  # /sessions/revoke is POST's, never session "revoke"
    app.include_router(router)
    document_request_models(app, [AccountIn])
    return app
