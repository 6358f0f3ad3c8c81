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


_JSON = (b"content-type", b"application/json")


class _JSONBody(Response):
    """A ``Response`` whose headers are built directly: Starlette's own ``init_headers`` looks
    the given headers over for a length and a type on every response."""

    def __init__(self, body: bytes, status: int, headers: Mapping[str, str] | None) -> None:
        self.body = body
        self.status_code = status
        self.background = None
        self.raw_headers = [(b"content-length", b"%d" % len(body)), _JSON]
        if headers:
            self.raw_headers += [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in headers.items()
            ]


def json_response(
    content: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return _JSONBody(dumps(content), status, headers)


def rendered(body: bytes, *, status: int = 200) -> Response:
    """A response of JSON already rendered (``dumps``), e.g. kept from an earlier request."""
    return _JSONBody(body, status, None)
