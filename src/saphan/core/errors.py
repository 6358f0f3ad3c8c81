"""Error plumbing: each service renders every error in its own envelope.

Rules raise a service's ``ServiceError`` subclasses (status, code, message, nothing about HTTP
responses). ``install_error_handlers`` wires one renderer per service so that everything a
service answers, 404/405/413/415/422/500 included, is in that service's envelope and never
FastAPI's ``{"detail": ...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from email.message import Message
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from saphan.core.jsonresponse import json_response

log = logging.getLogger("saphan.errors")


class ServiceError(Exception):
    """An error a service answers on the wire. Subclasses set the defaults."""

    status: int = 400
    code: str = "BAD_REQUEST"
    message: str = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else type(self).message
        self.status = status if status is not None else type(self).status
        self.code = code if code is not None else type(self).code
        self.headers = dict(headers or {})
        super().__init__(self.message)


#: How a service turns an error into its envelope's JSON body.
Renderer = Callable[[ServiceError], dict[str, Any]]

_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BAD_REQUEST", "Bad request"),
    401: ("UNAUTHORIZED", "Unauthorized"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    413: ("PAYLOAD_TOO_LARGE", "Request body too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"),
    422: ("VALIDATION_ERROR", "Invalid request"),
    429: ("RATE_LIMITED", "Too many requests"),
    500: ("INTERNAL_SERVER_ERROR", "Internal server error"),
}


def http_error(status: int, message: str | None = None) -> ServiceError:
    code, default = _HTTP_ERRORS.get(status, ("ERROR", "Error"))
    return ServiceError(message or default, status=status, code=code)


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "vouchers", 3, "accessDate")`` -> ``"vouchers[3].accessDate"``."""
    out = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def describe_validation(errors: Sequence[Any], document: object = None) -> str:
    """One readable sentence for the first problem, naming its field (``document``: the text
    FastAPI failed to read as JSON, to say where).

    Our own validators (``PydanticCustomError``) carry the provider's documented wording; those
    marked ``bare`` are whole-request messages and are sent exactly as the spec writes them.
    """
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    kind = first.get("type", "")
    ctx = first.get("ctx") or {}
    if kind == "json_invalid":
        return f"Malformed JSON body: {_json_problem(ctx.get('error'), loc, document)}"
    path = field_path(loc)
    if kind == "missing" and not path:
        return "Request body is required"
    message = str(first.get("msg", "Invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if ctx.get("bare") or not path:
        return message
    return f"{message} ({path})"


def _json_problem(error: object, loc: Sequence[Any], document: object) -> str:
    """The JSON reader's complaint with where it is: the standard library's messages end in
    "at" and leave the place to its own formatting ("Unterminated string starting at"), so the
    line and column are added to it, never a second "at"."""
    what = str(error or "invalid JSON").removesuffix(" at").removesuffix(":")
    pos = loc[-1] if loc else None
    if not isinstance(pos, int) or not isinstance(document, str) or pos > len(document):
        return what
    line = document.count("\n", 0, pos) + 1
    column = pos - document.rfind("\n", 0, pos)
    return f"{what} at line {line} column {column}"


def is_json(content_type: str | None) -> bool:
    """``application/json``, ``application/*+json``, or no Content-Type at all."""
    if not content_type:
        return True
    parsed = Message()
    parsed["content-type"] = content_type
    sub = parsed.get_content_subtype()
    return parsed.get_content_maintype() == "application" and (
        sub == "json" or sub.endswith("+json")
    )


def install_error_handlers(
    app: FastAPI,
    render: Renderer,
    *,
    validation_status: int = 400,
) -> None:
    def respond(error: ServiceError) -> Response:
        return json_response(render(error), status=error.status, headers=error.headers)

    async def on_service_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return respond(exc)

    # Imported here: core.allow imports core.boundary, which imports this module.
    from saphan.core.allow import AllowedMethods

    allowed = AllowedMethods(lambda: app.routes)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        # Starlette's own details are bare phrases ("Not Found"); ours read better.
        error = http_error(exc.status_code)
        error.headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the first matching route's methods only (core.allow).
            error.headers["Allow"] = allowed.header(request.scope) or error.headers.get("Allow", "")
        return respond(error)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        if request.method in ("POST", "PUT", "PATCH") and not is_json(
            request.headers.get("content-type")
        ):
            return respond(http_error(415))
        message = describe_validation(errors, getattr(exc, "body", None))
        return respond(http_error(validation_status, message))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"method": request.method, "route": _route(request)})
        return respond(http_error(500))

    app.add_exception_handler(ServiceError, on_service_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "?")
