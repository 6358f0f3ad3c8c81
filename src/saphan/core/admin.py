"""The operator API's shared parts: bearer-token check and its envelope.

Operator APIs live at ``/admin/<service>`` and exist only when ``SAPHAN_ADMIN_TOKEN`` is set.
Their errors are ``{"error": {"code": ..., "message": ...}}``.

Every request passes ``OperatorBoundary`` (a middleware) before FastAPI reads it: the URL through
the input boundary (``core.boundary``), then, once the operator token is right, the body, read
under ``BODY_LIMIT`` (413 in the envelope past it); a request without the right token never has
its body read (it is 401 whatever the body holds).
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, SecretStr
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from saphan.core.boundary import UrlCheck, check_body, route_templates
from saphan.core.errors import ServiceError, http_error, install_error_handlers
from saphan.core.jsonresponse import ORJSONResponse
from saphan.core.openapi_text import document_text_rule
from saphan.core.request_path import RequestPath, anyone, runtime
from saphan.core.runtime import Runtime
from saphan.core.service import NO_TELEMETRY

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="SAPHAN_ADMIN_TOKEN")


#: The largest body an operator route reads (an import of a utility's month of bills).
BODY_LIMIT = 64 * 1024 * 1024

#: Row ids are 32-bit: a larger id names no row (and PostgreSQL refuses it as an integer
#: parameter, so it must not reach the database).
MAX_ROW_ID = 2**31 - 1


class AdminError(ServiceError):
    pass


class AdminUnauthorized(AdminError):
    status = 401
    code = "UNAUTHORIZED"
    message = "Missing or wrong operator token"


class AdminNotFound(AdminError):
    status = 404
    code = "NOT_FOUND"
    message = "Not found"


class AdminConflict(AdminError):
    status = 409
    code = "CONFLICT"
    message = "Conflict"


class AdminBadRequest(AdminError):
    status = 400
    code = "BAD_REQUEST"
    message = "Bad request"


class AdminInvalid(AdminError):
    """A request that parses but does not validate (as FastAPI's own validation errors are)."""

    status = 422
    code = "VALIDATION_ERROR"
    message = "Invalid request"


class ErrorDetail(BaseModel):
    code: str
    message: str


class AdminErrorResponse(BaseModel):
    """What every operator API error looks like (documented in place of FastAPI's ``detail``)."""

    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": AdminErrorResponse, "description": description}
    for status, description in [
        (400, "Bad request"),
        (401, "Missing or wrong operator token"),
        (404, "Not found"),
        (409, "Conflict"),
        (422, "Invalid request"),
    ]
}


def render(error: ServiceError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message}}


def is_operator(rt: Runtime, authorization: str | None) -> bool:
    """Whether ``Authorization`` is ``Bearer <SAPHAN_ADMIN_TOKEN>`` (compared in constant time)."""
    token = rt.settings.admin_token
    return token is not None and bearer_matches(token, authorization)


def bearer_matches(token: SecretStr | None, authorization: str | None) -> bool:
    """Whether ``Authorization`` is ``Bearer <token>``, compared in constant time; any request
    matches when there is no token (``SAPHAN_METRICS_TOKEN`` unset: /metrics is open)."""
    if token is None:
        return True
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.encode(), token.get_secret_value().encode())


async def require_operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None or not is_operator(
        runtime(request), f"{credentials.scheme} {credentials.credentials}"
    ):
        raise AdminUnauthorized()


class OperatorBoundary:
    """The operator API's input boundary (see the module docstring), as ASGI middleware: it
    runs before FastAPI reads the body, which FastAPI does before any dependency."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self.url = UrlCheck(lambda: route_templates(api.routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused: ServiceError | None = self.url.problem(scope)
        if refused is None and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            request = Request(scope)
            if is_operator(runtime(request), request.headers.get("authorization")):
                try:
                    body = await _whole_body(request, receive)
                    check_body(body, request.headers.get("content-type"))
                except ServiceError as error:
                    refused, body = error, b""
            else:
                body = b""  # never read: the route answers 401 before it would want it
            receive = _replay(body, receive)
        if refused is not None:
            answer = self.api.exception_handlers[ServiceError](
                Request(scope, receive, send), refused
            )
            response = await answer if inspect.isawaitable(answer) else answer
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _whole_body(request: Request, receive: Receive) -> bytes:
    """The body, or 413 past ``BODY_LIMIT`` (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_LIMIT:
        raise http_error(413)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > BODY_LIMIT:
            raise http_error(413)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that gives ``body`` first, then what the client sends after it."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


#: Every operator route's request path: the token is checked by the app's dependency (below),
#: bodies by FastAPI; the work runs on a worker thread in an ORM session (operator work is not
#: hot, and some of it hashes passwords). Its writes bump ``Database.generation``, so this
#: process's caches drop what they hold at once.
OPERATOR: RequestPath[None] = RequestPath(identify=anyone, thread=True)


async def operate(request: Request, work: Callable[[Session, Runtime], T], *, write: bool) -> T:
    """Run an operator route's ``work(session, runtime)`` on the operator request path."""
    return await OPERATOR.run_session(
        request, lambda session, call: work(session, call.rt), write=write
    )


def rows_body(schema: str) -> dict[str, Any]:
    """``openapi_extra`` for an operator route that takes rows: one ``schema`` object or a list of
    them as JSON, or the same rows as CSV text (which no JSON Schema can describe)."""
    row = {"$ref": f"#/components/schemas/{schema}"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"oneOf": [row, {"type": "array", "items": row}]}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }


def create_admin_app(rt: Runtime, *, title: str, description: str) -> FastAPI:
    """A FastAPI app whose every route needs the operator token; routers are added by services."""
    app = FastAPI(
        telemetry=NO_TELEMETRY,
        title=title,
        description=description,
        version="1",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=ORJSONResponse,
        dependencies=[Depends(require_operator)],
        responses=_ERRORS,
    )
    app.state.runtime = rt
    install_error_handlers(app, render, validation_status=422)
    app.add_middleware(OperatorBoundary, api=app)
    document_text_rule(app)  # the input boundary's text rule, said
    return app
