"""The exceptions a typed client raises, and how a service's failures map onto them.

``APIError`` -> ``APIConnectionError`` (-> ``APITimeoutError``), ``APIResponseValidationError`` (a
2xx that is not the documented wire) and ``APIStatusError`` (status, body, the message parsed out
of the service's envelope) -> ``BadRequestError`` 400, ``AuthenticationError`` 401,
``PermissionDeniedError`` 403, ``NotFoundError`` 404, ``RateLimitError`` 429,
``InternalServerError`` 5xx. Each service subclasses them and describes its envelope with a
``ServiceErrors``. Messages never hold request headers (they carry the credentials).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

__all__ = [
    "STATUS_ERRORS",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceErrors",
]


class APIError(Exception):
    """Anything that went wrong talking to a service."""

    def __init__(self, message: str, *, request: httpx.Request, body: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body


class APIConnectionError(APIError):
    """No answer: the connection failed or broke."""

    def __init__(self, message: str = "Connection error", *, request: httpx.Request) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""

    def __init__(self, message: str = "Request timed out", *, request: httpx.Request) -> None:
        super().__init__(message, request=request)


class APIResponseValidationError(APIError):
    """A successful answer that is not what the service's wire says it is."""

    def __init__(self, message: str, *, response: httpx.Response, body: object = None) -> None:
        super().__init__(message, request=response.request, body=body)
        self.response = response
        self.status_code = response.status_code


class APIStatusError(APIError):
    """The service answered with an error: ``status_code``, the parsed ``body`` and the
    ``message`` read out of the service's error envelope."""

    def __init__(self, message: str, *, response: httpx.Response, body: object = None) -> None:
        super().__init__(message, request=response.request, body=body)
        self.response = response
        self.status_code = response.status_code

    def __str__(self) -> str:
        reason = self.response.reason_phrase
        head = f"{self.status_code} {reason}".rstrip()
        return head if self.message == reason else f"{head}: {self.message}"


class BadRequestError(APIStatusError):
    """400"""


class AuthenticationError(APIStatusError):
    """401"""


class PermissionDeniedError(APIStatusError):
    """403"""


class NotFoundError(APIStatusError):
    """404"""


class RateLimitError(APIStatusError):
    """429"""


class InternalServerError(APIStatusError):
    """5xx"""


STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _no_message(body: object) -> str | None:
    return None


def _never_failed(body: object) -> bool:
    return False


@dataclass(frozen=True)
class ServiceErrors:
    """How one service's failures become exceptions: how to read its envelope, and its classes
    (subclasses of the ones above, so both ``except depa.AuthenticationError`` and
    ``except http_client.AuthenticationError`` work)."""

    #: The message in an error body (parsed JSON, or text when not JSON); ``None`` if none.
    message: Callable[[object], str | None] = _no_message
    #: Whether a 2xx body nevertheless says the request failed (an envelope's success flag).
    failed: Callable[[object], bool] = _never_failed
    by_status: Mapping[int, type[APIStatusError]] = field(default_factory=lambda: STATUS_ERRORS)
    server: type[APIStatusError] = InternalServerError
    other: type[APIStatusError] = APIStatusError
    connection: type[APIConnectionError] = APIConnectionError
    timeout: type[APITimeoutError] = APITimeoutError
    invalid_response: type[APIResponseValidationError] = APIResponseValidationError

    def status_error(self, response: httpx.Response) -> APIStatusError:
        body = _body(response)
        message = self.message(body) or response.reason_phrase or f"HTTP {response.status_code}"
        status = response.status_code
        cls = self.by_status.get(status) or (self.server if status >= 500 else self.other)
        return cls(message, response=response, body=body)


def _body(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text or None
