"""Rakmao's errors, one class each, and its envelope ``{"status", "message", "data": null}``."""

from __future__ import annotations

from typing import Any

from saphan.core.errors import ServiceError


class RakmaoError(ServiceError):
    """Rendered as the Rakmao Standard Object with ``data: null``."""


class BadRequest(RakmaoError):
    status = 400
    code = "BAD_REQUEST"
    message = "Bad request"


class Unauthorized(RakmaoError):
    status = 401
    code = "UNAUTHORIZED"
    message = "Missing or invalid access token"


class InvalidCredentials(RakmaoError):
    status = 401
    code = "INVALID_CREDENTIALS"
    message = "Invalid username or password"


class InvalidRefreshToken(RakmaoError):
    status = 401
    code = "INVALID_REFRESH_TOKEN"
    message = "Invalid or expired refresh token"


class Forbidden(RakmaoError):
    status = 403
    code = "FORBIDDEN"
    message = "Forbidden"


class NotFound(RakmaoError):
    status = 404
    code = "NOT_FOUND"
    message = "Not found"


class Conflict(RakmaoError):
    status = 409
    code = "CONFLICT"
    message = "Conflict"


class WebhookRequired(RakmaoError):
    """ "Register a webhook before using the system" (spec 002), naming what is missing."""

    status = 403
    code = "WEBHOOK_REQUIRED"
    message = "Register a webhook before using the system"


class TooManyAttempts(RakmaoError):
    status = 429
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many failed logins for this username; try again later"


class TooManyAddressAttempts(RakmaoError):
    status = 429
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many failed logins from this address; try again later"


def render(error: ServiceError) -> dict[str, Any]:
    return {"status": error.status, "message": error.message, "data": None}
