"""MOI's wire (spec 000): Authenticate and PowerCapital under /api/v1."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.security import APIKeyHeader
from starlette.responses import Response

from saphan.config import Settings
from saphan.core import login_limit
from saphan.core.body import json_body
from saphan.core.fresh import FreshCache
from saphan.core.request_path import RequestPath, anyone, runtime
from saphan.core.runtime import Runtime
from saphan.core.service import create_service_app
from saphan.moi import logic
from saphan.moi.errors import MoiError, render
from saphan.moi.schemas import AuthenticateRequest, ErrorResponse, PowerCapitalResponse

DESCRIPTION = """\
The Ministry of Industry's central electricity data (spec: the ministry's API connection manual
for central electricity data, revision 1). An agent of a registered client system authenticates
(an 8-hour session; the token comes back in the `Token` response header) and looks up a citizen's
or company's electricity accounts with their latest six bills. Every lookup is audited.
"""

_token_header = APIKeyHeader(name="Token", auto_error=False, description="The session token")
Token = Annotated[str | None, Depends(_token_header)]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed AgentID, CitizenID or body"},
    401: {"model": ErrorResponse, "description": "Wrong credentials, or no valid session"},
    429: {
        "model": ErrorResponse,
        "description": "The client system's lookup quota is used up (PowerCapital), or too many"
        " failed authentications for the ClientID or from the address (Authenticate)",
    },
    500: {"model": ErrorResponse, "description": "Server-side error"},
}


async def identify(request: Request) -> logic.Caller:
    """The agent behind the ``Token`` header. Its session is served from memory while fresh
    (``core.fresh``); whether it has expired is decided anew at each request's time."""
    rt = runtime(request)
    digest = logic.token_digest(rt.secret, request.headers.get("Token"))
    sessions: FreshCache[str, logic.LiveSession | None] = request.app.state.sessions
    session = await sessions.read(digest, logic.find_session)
    return logic.session_caller(session, rt.clock.now())


#: PowerCapital's: the session first; then the lookup and its audit row (``logic.power_capital``).
PATH = RequestPath(identify=identify)
#: Authenticate's: its credentials are in its body, checked by the operation.
AUTH_PATH = RequestPath(identify=anyone)


def _auth_limits(settings: Settings) -> logic.AuthLimits:
    return logic.AuthLimits(
        client=login_limit.Limit(settings.moi_auth_max_failures, settings.moi_auth_window_seconds),
        address=login_limit.Limit(
            settings.login_address_max_failures, settings.login_address_window_seconds
        ),
    )


def _quota(settings: Settings) -> logic.Quota | None:
    """The lookup quota, or None when neither limit is set."""
    if not settings.moi_quota_per_minute and not settings.moi_quota_per_day:
        return None
    return logic.Quota(settings.moi_quota_per_minute or None, settings.moi_quota_per_day or None)


router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.post(
    "/Authenticate/{AgentID}",
    operation_id="Authenticate",
    openapi_extra=json_body(AuthenticateRequest),
    responses={
        200: {
            "description": 'The JSON string "Authorized"; the session token in the `Token` header',
            "content": {"application/json": {"schema": {"type": "string", "const": "Authorized"}}},
            "headers": {"Token": {"schema": {"type": "string"}, "description": "Session token"}},
        }
    },
)
async def authenticate(
    request: Request,
    AgentID: Annotated[
        str,
        Path(
            description="The agent's 13-digit ID",
            json_schema_extra={"pattern": "^[0-9]{13}$", "example": "1234567890123"},
        ),
    ],
) -> Response:
    """Open an 8-hour session for the agent with the client system's ClientID and ClientSecret.

    Too many failed authentications for the ClientID, or from the caller's address, within a
    few minutes: 429 with `Retry-After`, until the window has passed.
    """
    logic.check_agent_id(AgentID)
    call = await AUTH_PATH.call(request, AuthenticateRequest)
    body: AuthenticateRequest = call.body
    rt, address = call.rt, request.client.host if request.client else None
    limits = _auth_limits(rt.settings)
    # Counted (committed) as a failure first, then checked: parallel wrong secrets cannot all
    # pass the limit before any is counted (core.login_limit).
    attempt = await rt.db.run_session(
        lambda session: logic.authenticate_attempt(
            session, rt.secret, limits, body.ClientID, address, call.now
        ),
        write=True,
    )
    token = await rt.db.run_session(
        lambda session: logic.authenticate(session, rt.secret, AgentID, body, call.now, attempt),
        write=True,
    )
    return AUTH_PATH.render(logic.AUTHORIZED, 200, {"Token": token})


@router.get(
    "/PowerCapital/{CitizenID}",
    response_model=PowerCapitalResponse,
    response_model_exclude_none=True,
    operation_id="PowerCapital",
)
async def power_capital(
    request: Request,
    CitizenID: Annotated[
        str,
        Path(
            description="13-digit citizen or juristic-person ID",
            json_schema_extra={"pattern": "^[0-9]{13}$", "example": "3102400001917"},
        ),
    ],
    _token: Token = None,
) -> Response:
    """A citizen's electricity accounts, each with its latest 6 bills, newest first.

    No accounts: 200 with `rowCount` `"0"` and `empty` `"Y"`.
    """
    rt = runtime(request)
    quota, checksum = _quota(rt.settings), rt.settings.moi_citizen_checksum
    try:
        if quota is None and not rt.db.sqlite:
            call = await PATH.call(request)
            answer = await rt.db.run_piece(
                logic.power_capital_in_one(
                    rt.secret, call.caller, CitizenID, call.now, checksum=checksum
                )
            )
        else:
            answer = await PATH.run_recorded(
                request,
                lambda conn, call: logic.power_capital(
                    conn,
                    rt.secret,
                    call.caller,
                    CitizenID,
                    call.now,
                    checksum=checksum,
                    quota=quota,
                ),
                write=quota is not None,
            )
    except MoiError as error:
        error.citizen_id = CitizenID  # echoed in `id`, as a successful answer does
        raise
    return PATH.render(answer, 200, None)


def create_app(rt: Runtime) -> FastAPI:
    app = create_service_app(
        rt,
        title="MOI central electricity data API",
        version="1",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[AuthenticateRequest],
    )
    app.state.sessions = FreshCache[str, logic.LiveSession | None](rt.db)
    return app
