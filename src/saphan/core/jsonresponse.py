"""Fast JSON responses with orjson (``Decimal`` as JSON numbers, non-ASCII kept as UTF-8)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default)


class ORJSONResponse(JSONResponse):
    """A ``JSONResponse`` (so FastAPI documents the route's ``response_model`` in the OpenAPI,
    which it does only for JSONResponse subclasses) rendered by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def json_response(
    content: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        dumps(content),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )
