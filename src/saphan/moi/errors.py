"""MOI's errors, one class each, and its envelope: the PowerCapital response's top-level keys."""

from __future__ import annotations

from typing import Any

from saphan.core.errors import ServiceError


class MoiError(ServiceError):
    """Rendered in the example response's keys: ``error`` the code, ``status`` the HTTP status as
    a string, ``statusDetail`` the message, no accounts (``rowCount`` ``"0"``)."""

    #: The CitizenID asked about, echoed in ``id`` (empty for Authenticate).
    citizen_id: str = ""


class InvalidAgentId(MoiError):
    status = 400
    code = "INVALID_AGENT_ID"
    message = "AgentID must be 13 digits"


class InvalidCitizenId(MoiError):
    status = 400
    code = "INVALID_CITIZEN_ID"
    message = "CitizenID must be 13 digits"


class InvalidClient(MoiError):
    status = 401
    code = "INVALID_CLIENT"
    message = "Invalid ClientID or ClientSecret"


class AgentNotAllowed(MoiError):
    status = 401
    code = "AGENT_NOT_ALLOWED"
    message = "AgentID is not registered for this client"


class MissingToken(MoiError):
    status = 401
    code = "MISSING_TOKEN"
    message = "Missing Token header"


class InvalidToken(MoiError):
    status = 401
    code = "INVALID_TOKEN"
    message = "Invalid token"


class TokenExpired(MoiError):
    status = 401
    code = "TOKEN_EXPIRED"
    message = "Session expired; authenticate again"


class TooManyAttempts(MoiError):
    status = 429
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many failed authentications for this ClientID; try again later"


class TooManyAddressAttempts(MoiError):
    status = 429
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many failed authentications from this address; try again later"


class QuotaExceeded(MoiError):
    status = 429
    code = "QUOTA_EXCEEDED"
    message = "Lookup quota exceeded"


def envelope(
    *,
    citizen_id: str,
    customerinfo: list[dict[str, Any]],
    ca_list: list[dict[str, Any]] | None,
    empty: str,
    error: str,
    status: str,
    status_detail: str,
) -> dict[str, Any]:
    """The PowerCapital response; ``CAList`` only when the provincial layout has accounts."""
    body: dict[str, Any] = {}
    if ca_list:
        body["CAList"] = ca_list
    body.update(
        {
            "customerinfo": customerinfo,
            "empty": empty,
            "error": error,
            "id": citizen_id,
            "rowCount": str(len(customerinfo) + len(ca_list or [])),
            "status": status,
            "statusDetail": status_detail,
        }
    )
    return body


def render(error: ServiceError) -> dict[str, Any]:
    return envelope(
        citizen_id=getattr(error, "citizen_id", ""),
        customerinfo=[],
        ca_list=None,
        empty="",
        error=error.code,
        status=str(error.status),
        status_detail=error.message,
    )
