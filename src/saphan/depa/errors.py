"""depa's documented errors (spec 001, section 2.4), one class each, and its envelope."""

from __future__ import annotations

from typing import Any

from saphan.core.errors import ServiceError


class DepaError(ServiceError):
    """Rendered as ``{"success": false, "errorMessage": ..., "data": null}``."""


class BadRequest(DepaError):
    status = 400
    code = "BAD_REQUEST"
    message = "Invalid request format or parameters"


class MissingApiKey(DepaError):
    status = 401
    code = "MISSING_API_KEY"
    message = "Missing x-api-key header"


class InvalidApiKey(DepaError):
    status = 401
    code = "INVALID_API_KEY"
    message = "Invalid API key"


class Forbidden(DepaError):
    status = 403
    code = "FORBIDDEN"
    message = "Valid API key but insufficient permissions"


class NotFound(DepaError):
    status = 404
    code = "NOT_FOUND"
    message = "Not found"


class Conflict(DepaError):
    status = 409
    code = "CONFLICT"
    message = "Conflict"


def render(error: ServiceError) -> dict[str, Any]:
    return {"success": False, "errorMessage": error.message, "data": None}
