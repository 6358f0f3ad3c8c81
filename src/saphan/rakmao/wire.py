"""What both Rakmao apps share on the wire: the envelope and reading a request body."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from saphan.core.body import read_body
from saphan.core.errors import describe_validation, http_error, is_json
from saphan.core.jsonresponse import json_response
from saphan.core.runtime import Runtime
from saphan.rakmao.errors import BadRequest
from saphan.rakmao.jsonread import MalformedJSON, canonical_keys, tolerant_loads
from saphan.rakmao.schemas import Envelope
from saphan.rakmao.tokens import TokenPolicy

M = TypeVar("M", bound=BaseModel)


def success(data: Any) -> Response:
    return json_response({"status": 200, "message": "Success", "data": data})


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def policy(rt: Runtime) -> TokenPolicy:
    s = rt.settings
    return TokenPolicy(
        issuer=s.rakmao_issuer,
        access_seconds=s.rakmao_access_token_seconds,
        refresh_seconds=s.rakmao_refresh_token_seconds,
        max_failures=s.rakmao_login_max_failures,
        window_seconds=s.rakmao_login_window_seconds,
    )


async def read_json(request: Request, *, allow_text: bool = False) -> Any:
    """The body as JSON (trailing commas allowed, fractions as ``Decimal``). With ``allow_text``
    a ``text/plain`` body, or one that is not JSON at all, is taken as a bare string."""
    rt = runtime(request)
    body = await read_body(request, rt.settings.max_body_bytes)
    content_type = request.headers.get("content-type")
    text_plain = (content_type or "").split(";")[0].strip().lower() == "text/plain"
    if not is_json(content_type) and not (allow_text and text_plain):
        raise http_error(415)
    if not body.strip():
        raise BadRequest("Request body is required")
    if allow_text and text_plain:
        try:
            return body.decode().strip()
        except UnicodeDecodeError:
            raise BadRequest("The body is not UTF-8") from None
    try:
        return tolerant_loads(body)
    except MalformedJSON as exc:
        stripped = body.strip()
        if allow_text and stripped[:1] not in (b'"', b"{", b"["):
            try:
                return stripped.decode()
            except UnicodeDecodeError:
                pass
        raise BadRequest(f"Malformed JSON body: {exc}") from None


def validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    try:
        return model.model_validate(canonical_keys(data, model))
    except ValidationError as exc:
        raise BadRequest(describe_validation(exc.errors())) from None


async def parse(request: Request, model: type[M]) -> M:
    return validate(model, await read_json(request))


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Envelope[None], "description": "Malformed body or parameter (named)"},
    401: {"model": Envelope[None], "description": "Missing, invalid or expired token"},
    500: {"model": Envelope[None], "description": "Server-side error"},
}
