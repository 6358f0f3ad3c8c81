"""JSON request bodies read by the route itself, not by FastAPI.

A service whose key must be checked before its body is looked at (a bad key is 401 whatever the
body holds) reads the body in its handler: ``parse_json`` validates it with Pydantic's JSON
parser (one pass, in Rust) and raises the same errors FastAPI would, as ``ServiceError``s the
service renders in its envelope. ``document_request_models`` puts the models in the OpenAPI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from saphan.core.errors import describe_validation, http_error, is_json
from saphan.core.openapi_text import JSON_VALUE, say_text_rule

M = TypeVar("M", bound=BaseModel)


def parse_json(model: type[M], body: bytes, content_type: str | None) -> M:
    if not is_json(content_type):
        raise http_error(415)
    if not body.strip():
        raise http_error(400, "Request body is required")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise http_error(400, describe_validation(exc.errors())) from exc


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or 413 in the service's envelope past ``limit`` bytes. (Starlette's own limit
    answers a plain-text 413.)"""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise http_error(413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise http_error(413)
        chunks.append(chunk)
    return b"".join(chunks)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route whose JSON body is ``model``."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


def document_request_models(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """Add ``models`` (and the models they use) to the app's OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        _, defs = models_json_schema(
            [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(defs.get("$defs", {}))
        if JSON_VALUE in schemas:  # the document says the text rule: of these models too
            say_text_rule(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
