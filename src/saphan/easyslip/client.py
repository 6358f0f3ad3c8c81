"""Typed client for EasySlip v2 (sync ``EasySlipClient``, async ``AsyncEasySlipClient``).

Point ``base_url`` at EasySlip (``https://api.easyslip.com``, the default) or at Saphan
(``http://localhost:8000/easyslip``); the key comes from ``api_key`` or ``EASYSLIP_API_KEY``, the
base URL from ``base_url`` or ``EASYSLIP_BASE_URL``. Every documented error code is its own
exception (``QuotaExceededError``, ``SlipNotFoundError`` ...), under the status classes of
``saphan.core.http_client``, carrying ``code`` and ``message``. Only ``500 API_SERVER_ERROR``
(the bank did not answer) and ``404 SLIP_PENDING`` (a very recent slip) are retried, with
jittered backoff: a verification uses quota, so nothing else is repeated. Imports neither
FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import httpx
from pydantic import BaseModel

from saphan.core import http_client as core
from saphan.core.http_client import (
    AsyncAPIClient,
    BaseClient,
    RetryPolicy,
    ServiceErrors,
    SyncAPIClient,
)
from saphan.easyslip.banks import ExtraVerify
from saphan.easyslip.clienterrors import (
    ERRORS,
    RETRIED,
    ApiServerError,
    ApplicationExpiredError,
    BranchInactiveError,
    EasySlipError,
    EasySlipStatusError,
    ImageSizeTooLargeError,
    ImageUrlUnreachableError,
    InvalidApiKeyError,
    InvalidImageFormatError,
    InvalidImageTypeError,
    InvalidRequestError,
    IpNotAllowedError,
    MissingApiKeyError,
    QuotaExceededError,
    RouteNotFoundError,
    ServiceBannedError,
    ServiceDeletedError,
    SlipNotFoundError,
    SlipPendingError,
    UrlInvalidIpRangeError,
    UrlProtocolNotAllowedError,
    envelope_code,
)
from saphan.easyslip.schemas import (
    BankAccountListResponse,
    BankAccountOut,
    BankAccountResponse,
    BankOut,
    BanksResponse,
    InfoData,
    InfoResponse,
    VerifyBankData,
    VerifyBankResponse,
    VerifyTrueWalletData,
    VerifyTrueWalletResponse,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiServerError",
    "ApplicationExpiredError",
    "AsyncEasySlipClient",
    "BranchInactiveError",
    "EasySlipClient",
    "EasySlipError",
    "EasySlipStatusError",
    "ImageSizeTooLargeError",
    "ImageUrlUnreachableError",
    "InvalidApiKeyError",
    "InvalidImageFormatError",
    "InvalidImageTypeError",
    "InvalidRequestError",
    "IpNotAllowedError",
    "MissingApiKeyError",
    "QuotaExceededError",
    "RouteNotFoundError",
    "ServiceBannedError",
    "ServiceDeletedError",
    "SlipNotFoundError",
    "SlipPendingError",
    "UrlInvalidIpRangeError",
    "UrlProtocolNotAllowedError",
]

DEFAULT_BASE_URL = "https://api.easyslip.com"
M = TypeVar("M", bound=BaseModel)
#: What ``create_bank_account`` takes as ``type``; SAVING and CURRENT (the older documents'
#: spellings) come back as PERSONAL and JURISTIC.
AccountType = Literal["PERSONAL", "JURISTIC", "SAVING", "CURRENT"]
Image = bytes | Path


@dataclass(frozen=True)
class VerifyRequest:
    """One verification: where the slip is, and the options (sent as JSON or multipart)."""

    path: str
    json: dict[str, Any] | None
    image: bytes | None
    fields: dict[str, str]


def _verify_request(
    path: str,
    *,
    payload: str | None,
    image: Image | None,
    base64: str | None,
    url: str | None,
    remark: str | None,
    match_account: bool | None,
    match_amount: Decimal | float | None,
    check_duplicate: bool | None,
) -> VerifyRequest:
    given = [v for v in (payload, image, base64, url) if v is not None]
    if len(given) != 1:
        raise ValueError("pass exactly one of payload, image, base64 or url")
    options: dict[str, Any] = {}
    if remark is not None:
        options["remark"] = remark
    if match_account is not None:
        options["matchAccount"] = match_account
    if match_amount is not None:
        options["matchAmount"] = float(match_amount)
    if check_duplicate is not None:
        options["checkDuplicate"] = check_duplicate
    if image is not None:
        data = image.read_bytes() if isinstance(image, Path) else image
        fields = {
            k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in options.items()
        }
        return VerifyRequest(path, None, data, fields)
    source = {"payload": payload, "base64": base64, "url": url}
    body = {k: v for k, v in source.items() if v is not None} | options
    return VerifyRequest(path, body, None, {})


def _account_body(
    bank_code: str,
    bank_number: str,
    name_th: str,
    name_en: str,
    type: AccountType,
    extra_verify: ExtraVerify | bool | None,
) -> dict[str, Any]:
    return {
        "bankCode": bank_code,
        "bankNumber": bank_number,
        "nameTh": name_th,
        "nameEn": name_en,
        "type": type,
        "extraVerify": extra_verify,
    }


class _EasySlip(BaseClient):
    """What both clients share: configuration, the retry rule, request building."""

    errors: ClassVar[ServiceErrors] = ERRORS
    service: ClassVar[str] = "easyslip"

    @staticmethod
    def _config(api_key: str | None, base_url: str | httpx.URL | None) -> tuple[str, str]:
        key = api_key or os.environ.get("EASYSLIP_API_KEY")
        if not key:
            raise ValueError("pass api_key or set EASYSLIP_API_KEY")
        url = base_url or os.environ.get("EASYSLIP_BASE_URL") or DEFAULT_BASE_URL
        return key, str(url)

    def _retry_or_raise(
        self,
        request: httpx.Request,
        retry: int,
        idempotent: bool,
        outcome: httpx.Response | httpx.RequestError,
    ) -> float:
        """Retry only API_SERVER_ERROR and SLIP_PENDING; anything else raises at once."""
        if isinstance(outcome, httpx.Response):
            code = envelope_code(_safe_json(outcome))
            if (outcome.status_code, code) in RETRIED and retry < self.retry.max_retries:
                return self.retry.backoff(retry)
        return super()._retry_or_raise(request, retry, False, outcome)

    def _build_verify(
        self, http: httpx.Client | httpx.AsyncClient, verify: VerifyRequest
    ) -> httpx.Request:
        if verify.json is not None:
            return self._build(http, "POST", verify.path, verify.json, None)
        return http.build_request(
            "POST",
            self.url(verify.path),
            files={"image": ("slip", verify.image or b"", "application/octet-stream")},
            data=verify.fields,
            headers=self._headers,
            timeout=self.timeout,
        )


def _safe_json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


class EasySlipClient(_EasySlip, SyncAPIClient):
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = core.DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        key, url = self._config(api_key, base_url)
        super().__init__(
            base_url=url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
            http_client=http_client,
            transport=transport,
        )

    def _get(self, path: str, model: type[M]) -> M:
        return self._parse(self.request("GET", path), model)

    def info(self) -> InfoData:
        """Application, branch, quota and credit (uses no quota)."""
        return self._get("/v2/info", InfoResponse).data

    def banks(self) -> list[BankOut]:
        return self._get("/v2/banks", BanksResponse).data

    def verify_bank(
        self,
        *,
        payload: str | None = None,
        image: Image | None = None,
        base64: str | None = None,
        url: str | None = None,
        remark: str | None = None,
        match_account: bool | None = None,
        match_amount: Decimal | float | None = None,
        check_duplicate: bool | None = None,
    ) -> VerifyBankData:
        """Verify a bank slip from exactly one of its QR ``payload``, an ``image`` (bytes or a
        path, sent as multipart), a ``base64`` image or an image ``url``."""
        verify = _verify_request(
            "/v2/verify/bank",
            payload=payload,
            image=image,
            base64=base64,
            url=url,
            remark=remark,
            match_account=match_account,
            match_amount=match_amount,
            check_duplicate=check_duplicate,
        )
        response = self.send(self._build_verify(self._http, verify))
        return self._parse(response, VerifyBankResponse).data

    def verify_truewallet(
        self,
        *,
        image: Image | None = None,
        base64: str | None = None,
        url: str | None = None,
        remark: str | None = None,
        match_amount: Decimal | float | None = None,
        check_duplicate: bool | None = None,
    ) -> VerifyTrueWalletData:
        verify = _verify_request(
            "/v2/verify/truewallet",
            payload=None,
            image=image,
            base64=base64,
            url=url,
            remark=remark,
            match_account=None,
            match_amount=match_amount,
            check_duplicate=check_duplicate,
        )
        response = self.send(self._build_verify(self._http, verify))
        return self._parse(response, VerifyTrueWalletResponse).data

    def bank_accounts(self) -> list[BankAccountOut]:
        return self._get("/v2/bank-accounts", BankAccountListResponse).data

    def create_bank_account(
        self,
        *,
        bank_code: str,
        bank_number: str,
        name_th: str,
        name_en: str,
        type: AccountType,
        extra_verify: ExtraVerify | bool | None = None,
    ) -> BankAccountOut:
        body = _account_body(bank_code, bank_number, name_th, name_en, type, extra_verify)
        return self.post("/v2/bank-accounts", body, BankAccountResponse).data

    def update_bank_account(
        self, account_id: int, *, extra_verify: ExtraVerify | bool | None
    ) -> BankAccountOut:
        """Set the account's ``extraVerify``: one of its bank's options, None to clear it (or
        a boolean, as the older documents had it)."""
        response = self.request(
            "PATCH", f"/v2/bank-accounts/{account_id}", json={"extraVerify": extra_verify}
        )
        return self._parse(response, BankAccountResponse).data

    def delete_bank_account(self, account_id: int) -> BankAccountOut:
        response = self.request("DELETE", f"/v2/bank-accounts/{account_id}")
        return self._parse(response, BankAccountResponse).data


class AsyncEasySlipClient(_EasySlip, AsyncAPIClient):
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = core.DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        key, url = self._config(api_key, base_url)
        super().__init__(
            base_url=url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
            http_client=http_client,
            transport=transport,
        )

    async def _get(self, path: str, model: type[M]) -> M:
        return self._parse(await self.request("GET", path), model)

    async def info(self) -> InfoData:
        return (await self._get("/v2/info", InfoResponse)).data

    async def banks(self) -> list[BankOut]:
        return (await self._get("/v2/banks", BanksResponse)).data

    async def verify_bank(
        self,
        *,
        payload: str | None = None,
        image: Image | None = None,
        base64: str | None = None,
        url: str | None = None,
        remark: str | None = None,
        match_account: bool | None = None,
        match_amount: Decimal | float | None = None,
        check_duplicate: bool | None = None,
    ) -> VerifyBankData:
        verify = _verify_request(
            "/v2/verify/bank",
            payload=payload,
            image=image,
            base64=base64,
            url=url,
            remark=remark,
            match_account=match_account,
            match_amount=match_amount,
            check_duplicate=check_duplicate,
        )
        response = await self.send(self._build_verify(self._http, verify))
        return self._parse(response, VerifyBankResponse).data

    async def verify_truewallet(
        self,
        *,
        image: Image | None = None,
        base64: str | None = None,
        url: str | None = None,
        remark: str | None = None,
        match_amount: Decimal | float | None = None,
        check_duplicate: bool | None = None,
    ) -> VerifyTrueWalletData:
        verify = _verify_request(
            "/v2/verify/truewallet",
            payload=None,
            image=image,
            base64=base64,
            url=url,
            remark=remark,
            match_account=None,
            match_amount=match_amount,
            check_duplicate=check_duplicate,
        )
        response = await self.send(self._build_verify(self._http, verify))
        return self._parse(response, VerifyTrueWalletResponse).data

    async def bank_accounts(self) -> list[BankAccountOut]:
        return (await self._get("/v2/bank-accounts", BankAccountListResponse)).data

    async def create_bank_account(
        self,
        *,
        bank_code: str,
        bank_number: str,
        name_th: str,
        name_en: str,
        type: AccountType,
        extra_verify: ExtraVerify | bool | None = None,
    ) -> BankAccountOut:
        body = _account_body(bank_code, bank_number, name_th, name_en, type, extra_verify)
        return (await self.post("/v2/bank-accounts", body, BankAccountResponse)).data

    async def update_bank_account(
        self, account_id: int, *, extra_verify: ExtraVerify | bool | None
    ) -> BankAccountOut:
        response = await self.request(
            "PATCH", f"/v2/bank-accounts/{account_id}", json={"extraVerify": extra_verify}
        )
        return self._parse(response, BankAccountResponse).data

    async def delete_bank_account(self, account_id: int) -> BankAccountOut:
        response = await self.request("DELETE", f"/v2/bank-accounts/{account_id}")
        return self._parse(response, BankAccountResponse).data
