"""The DP's track API: ``POST /dp/usage``, which the DP's own app (or its backend) calls to
record opens and session time. It is the DP's, not depa's: it runs in the DP's process
(``saphan depa-dp serve-track``), never inside ``saphan serve``, and answers errors as
``{"error": {"code", "message"}}``. Callers send ``Authorization: Bearer $DEPA_DP_TRACK_TOKEN``.

    POST /dp/usage
    {"appUserId": "u1", "opens": 1}                                # the app was opened now
    [{"appUserId": "u1", "seconds": 1800, "at": "2025-11-19T00:20:00+07:00", "lat": 13.75,
      "lon": 100.5}, ...]                                           # sessions that ended
    -> 200 {"recorded": 2, "days": [{"appUserId": "u1", "accessDate": "2025-11-18",
            "accessCount": 0, "accessTime": 10}, ...]}
"""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, RootModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from starlette.responses import Response

from saphan.core.admin import AdminErrorResponse, AdminUnauthorized, render
from saphan.core.body import document_request_models, json_body, read_body
from saphan.core.boundary import check_json
from saphan.core.errors import describe_validation, http_error, install_error_handlers, is_json
from saphan.core.jsonresponse import ORJSONResponse, json_response
from saphan.core.runtime import Runtime
from saphan.core.service import NO_TELEMETRY
from saphan.depa.dp.errors import DPInvalid
from saphan.depa.dp.plan import access_minutes
from saphan.depa.dp.track import MAX_EVENTS, UsageEvent, record

_bearer = HTTPBearer(auto_error=False, description="DEPA_DP_TRACK_TOKEN")


class TrackRequest(RootModel[UsageEvent | list[UsageEvent]]):
    """One event, or a list of at most 1000."""


class DayOut(BaseModel):
    appUserId: str
    accessDate: str
    accessCount: int
    accessTime: int = Field(description="Minutes, as the report will send them (at most 1440)")


class TrackResponse(BaseModel):
    recorded: int
    days: list[DayOut]


def _check_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    token: str = request.app.state.track_token
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AdminUnauthorized("Missing bearer token")
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise AdminUnauthorized("Wrong bearer token")


router = APIRouter(
    responses={
        status: {"model": AdminErrorResponse, "description": text}
        for status, text in [
            (400, "Malformed JSON"),
            (401, "Missing or wrong bearer token"),
            (413, "Body too large"),
            (415, "Not JSON"),
            (422, "An event that does not validate"),
        ]
    }
)


@router.post(
    "/dp/usage",
    response_model=TrackResponse,
    operation_id="recordUsage",
    openapi_extra=json_body(TrackRequest),
)
async def record_usage(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """Record app opens and session time; answers each touched (user, Bangkok day)'s totals."""
    _check_token(request, credentials)
    rt: Runtime = request.app.state.runtime
    body = await read_body(request, rt.settings.max_body_bytes)
    if not is_json(request.headers.get("content-type")):
        raise http_error(415)
    check_json(body)  # the input boundary (core.boundary): no NUL, control character, ...
    events = parse_events(body)
    now = rt.clock.now()
    totals = await anyio.to_thread.run_sync(record, rt.db, events, now)
    return json_response(
        {
            "recorded": len(events),
            "days": [
                {
                    "appUserId": t.app_user_id,
                    "accessDate": t.access_date.isoformat(),
                    "accessCount": t.access_count,
                    "accessTime": access_minutes(t.seconds),
                }
                for t in totals
            ],
        }
    )


_EVENTS = TypeAdapter(list[UsageEvent])


def parse_events(body: bytes) -> list[UsageEvent]:
    """One event object or a list of them, read strictly (``"5"`` is not a count); a bad field
    is named ``opens`` (one event) or ``events[2].opens`` (a list)."""
    text = body.lstrip()
    try:
        if text.startswith(b"["):
            events = _EVENTS.validate_json(body, strict=True)
        else:
            events = [UsageEvent.model_validate_json(body, strict=True)]
    except PydanticValidationError as exc:
        errors = exc.errors()
        if errors[0].get("type") == "json_invalid" or not text:
            raise http_error(400, describe_validation(errors)) from exc
        if text.startswith(b"["):
            errors = [{**e, "loc": ("events", *e.get("loc", ()))} for e in errors]
        raise DPInvalid(describe_validation(errors)) from exc
    if not events:
        raise DPInvalid("no events")
    if len(events) > MAX_EVENTS:
        raise DPInvalid(f"at most {MAX_EVENTS} events per request")
    return events


def create_track_app(rt: Runtime, token: str) -> FastAPI:
    """The track API. (Not ``create_service_app``: that one drops the 422 from the OpenAPI,
    and here a 422 is what an event that does not validate gets.)"""
    app = FastAPI(
        telemetry=NO_TELEMETRY,
        title="Saphan depa DP track API",
        version="1",
        description="Record the DP app's usage per user and Bangkok day, for depa's daily report.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=ORJSONResponse,
    )
    app.state.runtime = rt
    app.state.track_token = token
    install_error_handlers(app, render, validation_status=422)
    app.include_router(router)
    document_request_models(app, [TrackRequest])
    return app
