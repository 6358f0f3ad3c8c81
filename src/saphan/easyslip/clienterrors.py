"""EasySlip client errors: one exception per documented code (``QuotaExceededError``,
``SlipNotFoundError`` ...) under the status classes of ``saphan.core.http_client``, each carrying
``code`` and ``message``; and how the envelope is read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from saphan.core import http_client as core
from saphan.core.http_client import ServiceErrors


class EasySlipError(Exception):
    """Every failure of this client."""


class EasySlipStatusError(EasySlipError, core.APIStatusError):
    """EasySlip answered with an error: ``status_code``, ``code`` and ``message``."""

    code: str = ""

    def __init__(self, message: str, *, response: httpx.Response, body: object = None) -> None:
        super().__init__(message, response=response, body=body)
        self.code = envelope_code(body) or type(self).code


def _status(name: str, base: type[core.APIStatusError], code: str) -> type[EasySlipStatusError]:
    return type(name, (EasySlipStatusError, base), {"code": code, "__doc__": f"``{code}``"})


# One class per documented code, under its status class.
MissingApiKeyError = _status("MissingApiKeyError", core.AuthenticationError, "MISSING_API_KEY")
InvalidApiKeyError = _status("InvalidApiKeyError", core.AuthenticationError, "INVALID_API_KEY")
BranchInactiveError = _status("BranchInactiveError", core.PermissionDeniedError, "BRANCH_INACTIVE")
ServiceBannedError = _status("ServiceBannedError", core.PermissionDeniedError, "SERVICE_BANNED")
ServiceDeletedError = _status("ServiceDeletedError", core.PermissionDeniedError, "SERVICE_DELETED")
IpNotAllowedError = _status("IpNotAllowedError", core.PermissionDeniedError, "IP_NOT_ALLOWED")
QuotaExceededError = _status("QuotaExceededError", core.PermissionDeniedError, "QUOTA_EXCEEDED")
ApplicationExpiredError = _status(
    "ApplicationExpiredError", core.PermissionDeniedError, "APPLICATION_EXPIRED"
)
InvalidRequestError = _status("InvalidRequestError", core.BadRequestError, "VALIDATION_ERROR")
UrlProtocolNotAllowedError = _status(
    "UrlProtocolNotAllowedError", core.BadRequestError, "URL_PROTOCOL_NOT_ALLOWED"
)
UrlInvalidIpRangeError = _status(
    "UrlInvalidIpRangeError", core.BadRequestError, "URL_INVALID_IP_RANGE"
)
ImageUrlUnreachableError = _status(
    "ImageUrlUnreachableError", core.BadRequestError, "IMAGE_URL_UNREACHABLE"
)
ImageSizeTooLargeError = _status(
    "ImageSizeTooLargeError", core.BadRequestError, "IMAGE_SIZE_TOO_LARGE"
)
InvalidImageTypeError = _status("InvalidImageTypeError", core.BadRequestError, "INVALID_IMAGE_TYPE")
InvalidImageFormatError = _status(
    "InvalidImageFormatError", core.BadRequestError, "INVALID_IMAGE_FORMAT"
)
SlipNotFoundError = _status("SlipNotFoundError", core.NotFoundError, "SLIP_NOT_FOUND")
SlipPendingError = _status("SlipPendingError", core.NotFoundError, "SLIP_PENDING")
RouteNotFoundError = _status("RouteNotFoundError", core.NotFoundError, "NOT_FOUND")
ApiServerError = _status("ApiServerError", core.InternalServerError, "API_SERVER_ERROR")
_BadRequest = _status("BadRequestError", core.BadRequestError, "")
_Auth = _status("AuthenticationError", core.AuthenticationError, "")
_Denied = _status("PermissionDeniedError", core.PermissionDeniedError, "")
_NotFound = _status("NotFoundError", core.NotFoundError, "")
_Limited = _status("RateLimitError", core.RateLimitError, "")
_Server = _status("InternalServerError", core.InternalServerError, "")
_Other = _status("APIStatusError", core.APIStatusError, "")

_BY_CODE: dict[str, type[EasySlipStatusError]] = {
    cls.code: cls
    for cls in (
        MissingApiKeyError,
        InvalidApiKeyError,
        BranchInactiveError,
        ServiceBannedError,
        ServiceDeletedError,
        IpNotAllowedError,
        QuotaExceededError,
        ApplicationExpiredError,
        InvalidRequestError,
        UrlProtocolNotAllowedError,
        UrlInvalidIpRangeError,
        ImageUrlUnreachableError,
        ImageSizeTooLargeError,
        InvalidImageTypeError,
        InvalidImageFormatError,
        SlipNotFoundError,
        SlipPendingError,
        RouteNotFoundError,
        ApiServerError,
    )
}
#: Retried, with backoff: the bank side failed, or the slip is too recent to be found yet.
RETRIED = frozenset({(500, "API_SERVER_ERROR"), (404, "SLIP_PENDING")})


class EasySlipConnectionError(EasySlipError, core.APIConnectionError):
    pass


class EasySlipTimeoutError(EasySlipConnectionError, core.APITimeoutError):
    pass


class EasySlipResponseValidationError(EasySlipError, core.APIResponseValidationError):
    pass


def _error(body: object) -> Mapping[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def envelope_code(body: object) -> str | None:
    code = _error(body).get("code")
    return code if isinstance(code, str) else None


def _message(body: object) -> str | None:
    message = _error(body).get("message")
    return message if isinstance(message, str) else None


@dataclass(frozen=True)
class EasySlipErrors(ServiceErrors):
    """EasySlip's envelope: the exception class is chosen by ``error.code`` first."""

    def status_error(self, response: httpx.Response) -> core.APIStatusError:
        error = super().status_error(response)
        cls = _BY_CODE.get(envelope_code(error.body) or "")
        if cls is None:
            return error
        return cls(error.message, response=response, body=error.body)


ERRORS = EasySlipErrors(
    message=_message,
    failed=lambda body: isinstance(body, dict) and body.get("success") is False,
    by_status={400: _BadRequest, 401: _Auth, 403: _Denied, 404: _NotFound, 429: _Limited},
    server=_Server,
    other=_Other,
    connection=EasySlipConnectionError,
    timeout=EasySlipTimeoutError,
    invalid_response=EasySlipResponseValidationError,
)
