"""The one base every service's typed client stands on (httpx).

``BaseClient`` holds everything that is not I/O: base URL joining, default headers, timeouts, the
retry policy and the mapping of failures to exceptions. ``SyncAPIClient`` (over ``httpx.Client``)
and ``AsyncAPIClient`` (over ``httpx.AsyncClient``) write only the sending and the sleeping twice,
the way httpx's own ``BaseClient``/``Client``/``AsyncClient`` do.

Retries: a request is retried only when its caller marks it ``idempotent`` (reads, and writes the
provider makes idempotent). Then connection errors, timeouts, 408, 429 and 5xx are retried, by
default twice, after a jittered exponential backoff (0.5 s doubling up to 8 s), or after exactly
what the server's ``Retry-After`` asks when it asks for at most a minute (more: not retried).

Errors: the tree in ``saphan.core.http_errors`` (re-exported here), ``APIError`` ->
``APIConnectionError`` (-> ``APITimeoutError``), ``APIStatusError`` -> ``BadRequestError`` 400 ...
``InternalServerError`` 5xx; a service says how to read its envelope with ``ServiceErrors``.
Request headers (they hold the credentials) are never logged or put in a message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import ClassVar, Self, TypeVar

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from saphan import __version__
from saphan.core.http_errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceErrors,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIClient",
    "AuthenticationError",
    "BadRequestError",
    "BaseClient",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServiceErrors",
    "SyncAPIClient",
    "parse_retry_after",
]

log = logging.getLogger("saphan.client")

M = TypeVar("M", bound=BaseModel)

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


# -- retries -------------------------------------------------------------------------------------


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks to wait (``Retry-After``: seconds or an HTTP date), or ``None``."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before repeating a request that is safe to repeat."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    #: A longer ``Retry-After`` is not waited for: the error is raised.
    max_retry_after: float = 60.0
    #: Retried statuses, besides every 5xx.
    statuses: frozenset[int] = frozenset({408, 429})

    def backoff(self, retry: int) -> float:
        """Before retry ``retry`` (0-based): 0.5, 1, 2, 4, 8, 8 ... s, less up to 25 % jitter."""
        delay = min(self.initial_delay * 2.0**retry, self.max_delay)
        return delay * (1 - 0.25 * random.random())  # noqa: S311 (jitter, not a secret)

    def delay(self, retry: int, response: httpx.Response | None = None) -> float | None:
        """Seconds to wait before retry ``retry`` after this answer (``None``: no answer, a
        connection error or timeout), or ``None`` when it is not to be retried."""
        if retry >= self.max_retries:
            return None
        if response is not None:
            status = response.status_code
            if status not in self.statuses and status < 500:
                return None
            after = parse_retry_after(response.headers)
            if after is not None:
                return after if after <= self.max_retry_after else None
        return self.backoff(retry)


#: Failures after which a repeat may succeed (not, say, an unsupported URL scheme).
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


# -- the shared base -----------------------------------------------------------------------------


def _base_url(url: str | httpx.URL) -> httpx.URL:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"base URL must be an absolute http(s) URL, not {str(url)!r}")
    if not parsed.raw_path.endswith(b"/"):
        parsed = parsed.copy_with(raw_path=parsed.raw_path + b"/")
    return parsed


def _encode(body: object) -> bytes:
    if isinstance(body, BaseModel):
        return body.model_dump_json().encode()
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class BaseClient:
    """What a service's client shares, sync or async. Subclasses set ``errors``."""

    errors: ClassVar[ServiceErrors] = ServiceErrors()
    #: Names this client in ``User-Agent``.
    service: ClassVar[str] = "client"

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
    ) -> None:
        self.base_url = _base_url(base_url)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        retry = retry or RetryPolicy()
        self.retry = retry if max_retries is None else replace(retry, max_retries=max_retries)
        self._headers = {
            "Accept": "application/json",
            "User-Agent": f"saphan-{self.service}/{__version__} httpx/{httpx.__version__}",
            **(headers or {}),
        }

    def __repr__(self) -> str:
        # Never the headers: they hold the credentials.
        return f"{type(self).__name__}(base_url={str(self.base_url).rstrip('/')!r})"

    def url(self, path: str) -> httpx.URL:
        """``path`` after the base URL (``/api/x`` under ``https://h/depa`` is ``/depa/api/x``);
        an absolute URL stays as it is."""
        target = httpx.URL(path)
        if target.is_absolute_url:
            return target
        return self.base_url.copy_with(
            raw_path=self.base_url.raw_path + target.raw_path.lstrip(b"/")
        )

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        body: object,
        headers: Mapping[str, str] | None,
    ) -> httpx.Request:
        all_headers = {**self._headers, **(headers or {})}
        content = None
        if body is not None:
            content = _encode(body)
            all_headers.setdefault("Content-Type", "application/json")
        return http.build_request(
            method,
            self.url(path),
            content=content,
            headers=all_headers,
            timeout=self.timeout,
        )

    def _retry_or_raise(
        self,
        request: httpx.Request,
        retry: int,
        idempotent: bool,
        outcome: httpx.Response | httpx.RequestError,
    ) -> float:
        """The seconds to wait before repeating ``request``, or raise what its outcome means."""
        if isinstance(outcome, httpx.Response):
            delay = self.retry.delay(retry, outcome) if idempotent else None
            if delay is None:
                raise self.errors.status_error(outcome)
            what = f"{outcome.status_code} {outcome.reason_phrase}"
        else:
            transient = isinstance(outcome, _TRANSIENT)
            delay = self.retry.delay(retry) if idempotent and transient else None
            if delay is None:
                if isinstance(outcome, httpx.TimeoutException):
                    raise self.errors.timeout(request=request) from outcome
                raise self.errors.connection(
                    f"Connection error: {type(outcome).__name__}: {outcome}", request=request
                ) from outcome
            what = type(outcome).__name__
        log.info(
            "%s %s: %s; retry %d of %d in %.2f s",
            request.method,
            request.url.copy_with(query=None),
            what,
            retry + 1,
            self.retry.max_retries,
            delay,
        )
        return delay

    def _parse(self, response: httpx.Response, model: type[M]) -> M:
        try:
            body = response.json()
        except ValueError as exc:
            raise self.errors.invalid_response(
                f"The answer is not JSON ({response.headers.get('content-type', 'no type')})",
                response=response,
                body=response.text,
            ) from exc
        if self.errors.failed(body):
            raise self.errors.status_error(response)
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise self.errors.invalid_response(
                f"The answer does not match {model.__name__}: {exc}", response=response, body=body
            ) from exc


class SyncAPIClient(BaseClient):
    """A service client over ``httpx.Client``: pass ``http_client`` or ``transport`` to choose
    how requests travel (a client passed in is not closed by ``close()``)."""

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            headers=headers,
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
        )
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client or transport, not both")
        self._owns_http = http_client is None
        self._http = (
            httpx.Client(transport=transport, timeout=self.timeout)
            if http_client is None
            else http_client
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send, retrying if ``idempotent``; a 2xx response or the mapped error."""
        request = self._build(self._http, method, path, json, headers)
        return self.send(request, idempotent=idempotent)

    def send(self, request: httpx.Request, *, idempotent: bool = False) -> httpx.Response:
        """Send a built request (a multipart upload, say) under the same retry policy."""
        retry = 0
        while True:
            try:
                response = self._http.send(request)
            except httpx.RequestError as exc:
                delay = self._retry_or_raise(request, retry, idempotent, exc)
            else:
                if response.is_success:
                    return response
                delay = self._retry_or_raise(request, retry, idempotent, response)
            time.sleep(delay)
            retry += 1

    def post(self, path: str, body: object, model: type[M], *, idempotent: bool = False) -> M:
        """POST a JSON body and parse the answer into ``model``."""
        return self._parse(self.request("POST", path, json=body, idempotent=idempotent), model)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAPIClient(BaseClient):
    """A service client over ``httpx.AsyncClient``: pass ``http_client`` or ``transport``
    (``httpx.ASGITransport(app)`` reaches an app in-process)."""

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            headers=headers,
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
        )
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client or transport, not both")
        self._owns_http = http_client is None
        self._http = (
            httpx.AsyncClient(transport=transport, timeout=self.timeout)
            if http_client is None
            else http_client
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send, retrying if ``idempotent``; a 2xx response or the mapped error."""
        request = self._build(self._http, method, path, json, headers)
        return await self.send(request, idempotent=idempotent)

    async def send(self, request: httpx.Request, *, idempotent: bool = False) -> httpx.Response:
        """Send a built request (a multipart upload, say) under the same retry policy."""
        retry = 0
        while True:
            try:
                response = await self._http.send(request)
            except httpx.RequestError as exc:
                delay = self._retry_or_raise(request, retry, idempotent, exc)
            else:
                if response.is_success:
                    return response
                delay = self._retry_or_raise(request, retry, idempotent, response)
            await anyio.sleep(delay)
            retry += 1

    async def post(self, path: str, body: object, model: type[M], *, idempotent: bool = False) -> M:
        """POST a JSON body and parse the answer into ``model``."""
        response = await self.request("POST", path, json=body, idempotent=idempotent)
        return self._parse(response, model)

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
