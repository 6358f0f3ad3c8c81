"""Request bodies of the control API, read by the route: under a size limit, through the input
boundary (``core.boundary``: a NUL or an unpaired surrogate is a 400 naming where, before any
database sees it), then validated as one model (422 naming the field)."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from saphan.control.errors import Invalid
from saphan.core.admin import BODY_LIMIT
from saphan.core.body import read_body
from saphan.core.boundary import check_body
from saphan.core.errors import describe_validation, http_error, is_json

M = TypeVar("M", bound=BaseModel)


async def read_document(request: Request, model: type[M]) -> M:
    content_type = request.headers.get("content-type")
    if not is_json(content_type):
        raise http_error(415)
    body = await read_body(request, BODY_LIMIT)
    if not body.strip():
        raise http_error(400, "Request body is required")
    check_body(body, content_type)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise Invalid(describe_validation(exc.errors(), body.decode(errors="replace"))) from exc
