"""MOI's wire (spec 000): Authenticate and PowerCapital under /api/v1."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.security import APIKeyHeader
from starlette.responses import Response

from saphan.core.body import json_body, parse_json, read_body
from saphan.core.jsonresponse import json_response
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

_token = APIKeyHeader(name="Token", auto_error=False, description="The session token")
Token = Annotated[str | None, Depends(_token)]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed AgentID, CitizenID or body"},
    401: {"model": ErrorResponse, "description": "Wrong credentials, or no valid session"},
    429: {"model": ErrorResponse, "description": "The client system's lookup quota is used up"},
    500: {"model": ErrorResponse, "description": "Server-side error"},
}

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
    """Open an 8-hour session for the agent with the client system's ClientID and ClientSecret."""
    rt: Runtime = request.app.state.runtime
    logic.check_agent_id(AgentID)
    body = await read_body(request, rt.settings.max_body_bytes)
    content_type = request.headers.get("content-type")
    credentials = parse_json(AuthenticateRequest, body, content_type)
    now = rt.clock.now()

    def run() -> str:
        with rt.db.write() as session:
            return logic.authenticate(session, rt.secret, AgentID, credentials, now)

    token = await rt.db.run(run, write=True)
    return json_response(logic.AUTHORIZED, headers={"Token": token})


@router.get(
    "/PowerCapital/{CitizenID}",
    response_model=PowerCapitalResponse,
    response_model_exclude_none=True,
    operation_id="PowerCapital",
)
async def power_capital(
    request: Request,
    token: Token,
    CitizenID: Annotated[
        str,
        Path(
            description="13-digit citizen or juristic-person ID",
            json_schema_extra={"pattern": "^[0-9]{13}$", "example": "3102400001917"},
        ),
    ],
) -> Response:
    """A citizen's electricity accounts, each with its latest 6 bills, newest first.

    No accounts: 200 with `rowCount` `"0"` and `empty` `"Y"`.
    """
    rt: Runtime = request.app.state.runtime
    now = rt.clock.now()
    checksum = rt.settings.moi_citizen_checksum
    settings = rt.settings
    quota = logic.Quota(settings.moi_quota_per_minute or None, settings.moi_quota_per_day or None)

    def run() -> dict[str, Any]:
        try:
            with rt.db.begin() as conn:
                who = logic.caller(conn, rt.secret, token, now)
                return logic.power_capital(
                    conn, rt.secret, who, CitizenID, now, checksum=checksum, quota=quota
                )
        except MoiError as error:
            error.citizen_id = CitizenID  # echoed in `id`, as a successful answer does
            raise

    return json_response(await rt.db.run(run, write=True))


def create_app(rt: Runtime) -> FastAPI:
    return create_service_app(
        rt,
        title="MOI central electricity data API",
        version="1",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[AuthenticateRequest],
    )
