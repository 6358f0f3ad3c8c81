"""Typed client for depa's AI-Transformation API (spec 001): ``DepaClient`` and ``AsyncDepaClient``.

    from saphan.depa.client import DepaClient, VoucherUsageRecord

    with DepaClient() as depa:  # DEPA_API_KEY, DEPA_BASE_URL, DEPA_IS_PRODUCTION
        for voucher in depa.iter_vouchers():
            ...
        depa.report_usage(records)  # batches of 100

Configuration comes from the arguments, then the environment (the spec's section 6). Reads and
VoucherUsage are retried (the spec makes VoucherUsage idempotent: the latest record per voucher and
day wins). Failures are ``DepaError`` subclasses; status errors carry ``status_code`` and the
envelope's ``errorMessage``. Requests are validated with the wire models before anything is sent
(``pydantic.ValidationError``).
Imports neither FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import TypeAdapter

from saphan.core import http_client as core
from saphan.core.http_client import AsyncAPIClient, RetryPolicy, ServiceErrors, SyncAPIClient
from saphan.depa.schemas import (
    MAX_PAGE_SIZE,
    MAX_USAGE_RECORDS,
    GetDPVouchersRequest,
    GetDPVouchersResponse,
    GetVoucherUsageRequest,
    GetVoucherUsageResponse,
    UsageCounts,
    UsageRow,
    Voucher,
    VoucherUsageRecord,
    VoucherUsageRequest,
    VoucherUsageResponse,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "MAX_PAGE_SIZE",
    "MAX_USAGE_RECORDS",
    "AsyncDepaClient",
    "AuthenticationError",
    "BadRequestError",
    "DepaClient",
    "DepaConnectionError",
    "DepaError",
    "DepaResponseValidationError",
    "DepaStatusError",
    "DepaTimeoutError",
    "GetDPVouchersResponse",
    "GetVoucherUsageResponse",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "UsageCounts",
    "UsageRow",
    "Voucher",
    "VoucherUsageRecord",
    "VoucherUsageResponse",
]

DEFAULT_BASE_URL = "https://aitransformapi.depa.or.th"
#: VoucherUsage "may take 5-60 seconds" (spec 2.2): wait for it.
DEFAULT_TIMEOUT = httpx.Timeout(90.0, connect=10.0)
ENV_API_KEY = "DEPA_API_KEY"
ENV_BASE_URL = "DEPA_BASE_URL"
ENV_IS_PRODUCTION = "DEPA_IS_PRODUCTION"

GET_DP_VOUCHERS = "/api/dp/GetDPVouchers"
VOUCHER_USAGE = "/api/dp/VoucherUsage"
GET_VOUCHER_USAGE = "/api/dp/GetVoucherUsage"

UsageInput = VoucherUsageRecord | Mapping[str, Any]


# -- errors --------------------------------------------------------------------------------------


class DepaError(Exception):
    """Every error of configuration, of reaching depa, or that depa answers. (Arguments that
    break the wire's rules raise ``pydantic.ValidationError`` before anything is sent.)"""


class DepaConnectionError(DepaError, core.APIConnectionError):
    """depa could not be reached, or the connection broke."""


class DepaTimeoutError(DepaConnectionError, core.APITimeoutError):
    """depa did not answer within the timeout."""


class DepaResponseValidationError(DepaError, core.APIResponseValidationError):
    """depa answered 2xx with something that is not the spec's wire."""


class DepaStatusError(DepaError, core.APIStatusError):
    """depa answered with an error: ``status_code``, ``errorMessage`` (the envelope's, ``""``
    when the body was not depa's envelope), ``message`` (that, or the HTTP reason) and ``body``."""

    @property
    def errorMessage(self) -> str:  # the wire's name
        body = self.body
        value = body.get("errorMessage") if isinstance(body, dict) else None
        return value if isinstance(value, str) else ""


class BadRequestError(DepaStatusError, core.BadRequestError):
    """400: the request broke a rule; ``errorMessage`` names the field (and record)."""


class AuthenticationError(DepaStatusError, core.AuthenticationError):
    """401: missing or invalid ``x-api-key``."""


class PermissionDeniedError(DepaStatusError, core.PermissionDeniedError):
    """403: a voucher of another Digital Provider."""


class NotFoundError(DepaStatusError, core.NotFoundError):
    """404: usually a base URL without the right prefix."""


class RateLimitError(DepaStatusError, core.RateLimitError):
    """429"""


class InternalServerError(DepaStatusError, core.InternalServerError):
    """5xx"""


def _error_message(body: object) -> str | None:
    value = body.get("errorMessage") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _failed(body: object) -> bool:
    return isinstance(body, dict) and body.get("success") is False


ERRORS = ServiceErrors(
    message=_error_message,
    failed=_failed,
    by_status={
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitError,
    },
    server=InternalServerError,
    other=DepaStatusError,
    connection=DepaConnectionError,
    timeout=DepaTimeoutError,
    invalid_response=DepaResponseValidationError,
)


# -- what the sync and async clients share -------------------------------------------------------


@dataclass(frozen=True)
class _Config:
    api_key: str
    base_url: str
    is_production: bool


def _env_bool(name: str) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise DepaError(f"{name} must be true or false, not {value!r}")


def _config(api_key: str | None, base_url: str | None, is_production: bool | None) -> _Config:
    key = (api_key or os.environ.get(ENV_API_KEY, "")).strip()
    if not key:
        raise DepaError(
            f"The depa API key is missing: pass api_key=... to the client "
            f"or set the {ENV_API_KEY} environment variable."
        )
    if is_production is None:
        is_production = bool(_env_bool(ENV_IS_PRODUCTION))
    return _Config(
        api_key=key,
        base_url=base_url or os.environ.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL,
        is_production=is_production,
    )


def _record(record: UsageInput) -> VoucherUsageRecord | dict[str, Any]:
    if isinstance(record, VoucherUsageRecord):
        return record
    fields = dict(record)
    if isinstance(fields.get("accessDate"), dt.date):
        fields["accessDate"] = fields["accessDate"].isoformat()
    return fields


def _usage_request(records: Iterable[UsageInput], is_production: bool) -> VoucherUsageRequest:
    return VoucherUsageRequest.model_validate(
        {"isProduction": is_production, "vouchers": [_record(r) for r in records]}
    )


_RECORDS = TypeAdapter(list[VoucherUsageRecord])


def _usage_batches(records: Iterable[UsageInput], is_production: bool) -> list[VoucherUsageRequest]:
    """All batches of at most 100; every record is validated first (errors name its index in
    ``records``), so nothing is sent unless all are well-formed."""
    items = _RECORDS.validate_python([_record(r) for r in records])
    return [
        VoucherUsageRequest(
            isProduction=is_production, vouchers=items[start : start + MAX_USAGE_RECORDS]
        )
        for start in range(0, len(items), MAX_USAGE_RECORDS)
    ]


def _batch_failed(error: Exception, index: int, count: int) -> None:
    first = index * MAX_USAGE_RECORDS
    error.add_note(
        f"depa VoucherUsage: batch {index + 1} of {count} (records from index {first}) failed; "
        f"the {index} batch(es) before it were saved. VoucherUsage keeps the latest record per "
        "voucher and day, so sending the whole report again is safe."
    )


def _usage_query(
    voucher_code: str, from_date: dt.date | str, to_date: dt.date | str, is_production: bool
) -> GetVoucherUsageRequest:
    return GetVoucherUsageRequest(
        voucherCode=voucher_code,
        fromDate=from_date.isoformat() if isinstance(from_date, dt.date) else from_date,
        toDate=to_date.isoformat() if isinstance(to_date, dt.date) else to_date,
        isProduction=is_production,
    )


def _last_page(page: GetDPVouchersResponse, page_number: int, page_size: int) -> bool:
    """Whether no page follows: this one was empty, or it reached ``totalRecords``."""
    return not page.data or (page_number - 1) * page_size + len(page.data) >= page.totalRecords


# -- the clients ---------------------------------------------------------------------------------


class DepaClient(SyncAPIClient):
    """depa's API for a Digital Provider, blocking. ``api_key`` (else ``DEPA_API_KEY``),
    ``base_url`` (else ``DEPA_BASE_URL``, else depa's), ``is_production`` (else
    ``DEPA_IS_PRODUCTION``, else UAT) for the usage calls that do not say."""

    errors = ERRORS
    service = "depa"

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        is_production: bool | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        config = _config(api_key, base_url, is_production)
        self.is_production = config.is_production
        super().__init__(
            base_url=config.base_url,
            headers={"x-api-key": config.api_key},
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
            http_client=http_client,
            transport=transport,
        )

    def get_dp_vouchers(
        self, page_number: int = 1, page_size: int = MAX_PAGE_SIZE
    ) -> GetDPVouchersResponse:
        """One page of the vouchers depa approved for this DP (GetDPVouchers)."""
        body = GetDPVouchersRequest(pageNumber=page_number, pageSize=page_size)
        return self.post(GET_DP_VOUCHERS, body, GetDPVouchersResponse, idempotent=True)

    def iter_voucher_pages(
        self, page_size: int = MAX_PAGE_SIZE, *, start_page: int = 1
    ) -> Iterator[GetDPVouchersResponse]:
        """Every non-empty page, until ``totalRecords`` is reached or a page is empty."""
        number = start_page
        while True:
            page = self.get_dp_vouchers(number, page_size)
            if page.data:
                yield page
            if _last_page(page, number, page_size):
                return
            number += 1

    def iter_vouchers(self, page_size: int = MAX_PAGE_SIZE) -> Iterator[Voucher]:
        """Every voucher of this DP, one by one, across pages."""
        for page in self.iter_voucher_pages(page_size):
            yield from page.data

    def voucher_usage(
        self, records: Iterable[UsageInput], *, is_production: bool | None = None
    ) -> VoucherUsageResponse:
        """Send one batch of at most 100 daily usage records (VoucherUsage), all or nothing."""
        production = self.is_production if is_production is None else is_production
        body = _usage_request(records, production)
        return self.post(VOUCHER_USAGE, body, VoucherUsageResponse, idempotent=True)

    def report_usage(
        self, records: Iterable[UsageInput], *, is_production: bool | None = None
    ) -> list[VoucherUsageResponse]:
        """Send any number of records in batches of 100, in order; one answer per batch.
        Every record is validated before the first batch is sent."""
        production = self.is_production if is_production is None else is_production
        batches = _usage_batches(records, production)
        results = []
        for index, batch in enumerate(batches):
            try:
                results.append(
                    self.post(VOUCHER_USAGE, batch, VoucherUsageResponse, idempotent=True)
                )
            except DepaError as exc:
                _batch_failed(exc, index, len(batches))
                raise
        return results

    def get_voucher_usage(
        self,
        voucher_code: str,
        from_date: dt.date | str,
        to_date: dt.date | str,
        *,
        is_production: bool | None = None,
    ) -> GetVoucherUsageResponse:
        """The usage stored for one voucher between two days, inclusive (GetVoucherUsage)."""
        production = self.is_production if is_production is None else is_production
        body = _usage_query(voucher_code, from_date, to_date, production)
        return self.post(GET_VOUCHER_USAGE, body, GetVoucherUsageResponse, idempotent=True)


class AsyncDepaClient(AsyncAPIClient):
    """``DepaClient``, awaitable: the same arguments and methods."""

    errors = ERRORS
    service = "depa"

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        is_production: bool | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        config = _config(api_key, base_url, is_production)
        self.is_production = config.is_production
        super().__init__(
            base_url=config.base_url,
            headers={"x-api-key": config.api_key},
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
            http_client=http_client,
            transport=transport,
        )

    async def get_dp_vouchers(
        self, page_number: int = 1, page_size: int = MAX_PAGE_SIZE
    ) -> GetDPVouchersResponse:
        """One page of the vouchers depa approved for this DP (GetDPVouchers)."""
        body = GetDPVouchersRequest(pageNumber=page_number, pageSize=page_size)
        return await self.post(GET_DP_VOUCHERS, body, GetDPVouchersResponse, idempotent=True)

    async def iter_voucher_pages(
        self, page_size: int = MAX_PAGE_SIZE, *, start_page: int = 1
    ) -> AsyncIterator[GetDPVouchersResponse]:
        """Every non-empty page, until ``totalRecords`` is reached or a page is empty."""
        number = start_page
        while True:
            page = await self.get_dp_vouchers(number, page_size)
            if page.data:
                yield page
            if _last_page(page, number, page_size):
                return
            number += 1

    async def iter_vouchers(self, page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[Voucher]:
        """Every voucher of this DP, one by one, across pages."""
        async for page in self.iter_voucher_pages(page_size):
            for voucher in page.data:
                yield voucher

    async def voucher_usage(
        self, records: Iterable[UsageInput], *, is_production: bool | None = None
    ) -> VoucherUsageResponse:
        """Send one batch of at most 100 daily usage records (VoucherUsage), all or nothing."""
        production = self.is_production if is_production is None else is_production
        body = _usage_request(records, production)
        return await self.post(VOUCHER_USAGE, body, VoucherUsageResponse, idempotent=True)

    async def report_usage(
        self, records: Iterable[UsageInput], *, is_production: bool | None = None
    ) -> list[VoucherUsageResponse]:
        """Send any number of records in batches of 100, in order; one answer per batch.
        Every record is validated before the first batch is sent."""
        production = self.is_production if is_production is None else is_production
        batches = _usage_batches(records, production)
        results = []
        for index, batch in enumerate(batches):
            try:
                results.append(
                    await self.post(VOUCHER_USAGE, batch, VoucherUsageResponse, idempotent=True)
                )
            except DepaError as exc:
                _batch_failed(exc, index, len(batches))
                raise
        return results

    async def get_voucher_usage(
        self,
        voucher_code: str,
        from_date: dt.date | str,
        to_date: dt.date | str,
        *,
        is_production: bool | None = None,
    ) -> GetVoucherUsageResponse:
        """The usage stored for one voucher between two days, inclusive (GetVoucherUsage)."""
        production = self.is_production if is_production is None else is_production
        body = _usage_query(voucher_code, from_date, to_date, production)
        return await self.post(GET_VOUCHER_USAGE, body, GetVoucherUsageResponse, idempotent=True)
