"""The control API's errors: ``{"error": {"code": ..., "message": ...}}``, the operator APIs'
envelope, so the service operators' own errors (``core.admin``), which seeding raises, read the
same here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from saphan.core.errors import ServiceError


class ControlError(ServiceError):
    pass


class Invalid(ControlError):
    """A document that parses but does not validate."""

    status = 422
    code = "VALIDATION_ERROR"
    message = "Invalid request"


class Conflict(ControlError):
    status = 409
    code = "CONFLICT"
    message = "Conflict"


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """What every control API error looks like."""

    error: ErrorDetail


def render(error: ServiceError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message}}


#: The errors every route may answer, for the OpenAPI document.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in [
        (400, "Bad request: a value the input boundary refuses, or no body"),
        (409, "Conflict with what the server holds (a key, code or username taken)"),
        (413, "Request body too large"),
        (415, "Content-Type must be application/json"),
        (422, "Invalid document, naming the field"),
    ]
}
