"""The control API's errors: ``{"error": {"code": ..., "message": ...}}``, the operator APIs'
envelope, so the service operators' own errors (``core.admin``), which seeding raises, read the
same here."""

from __future__ import annotations

from typing import Any

from saphan.core.admin import AdminConflict as Conflict
from saphan.core.admin import AdminErrorResponse as ErrorResponse
from saphan.core.admin import AdminInvalid as Invalid
from saphan.core.admin import render

__all__ = ["ERRORS", "Conflict", "Invalid", "render"]

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
