"""What the sync and async Rakmao clients share: errors, configuration, tokens, parsing."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from saphan.core import http_client as core
from saphan.core.http_client import ServiceErrors
from saphan.rakmao.schemas import (
    Envelope,
    TokenData,
)

ENV_AUTH_BASE_URL = "RAKMAO_AUTH_BASE_URL"
ENV_BASE_URL = "RAKMAO_BASE_URL"
ENV_USERNAME = "RAKMAO_USERNAME"
ENV_PASSWORD = "RAKMAO_PASSWORD"  # noqa: S105  (a variable's name)
#: Renew this long before the token's lifetime is up.
RENEW_MARGIN = 60.0
M = TypeVar("M", bound=BaseModel)


class RakmaoError(Exception):
    """Every error of configuration, of reaching Rakmao, or that Rakmao answers."""


class RakmaoConnectionError(RakmaoError, core.APIConnectionError):
    """Rakmao could not be reached, or the connection broke."""


class RakmaoTimeoutError(RakmaoConnectionError, core.APITimeoutError):
    """Rakmao did not answer within the timeout."""


class RakmaoResponseValidationError(RakmaoError, core.APIResponseValidationError):
    """Rakmao answered 2xx with something that is not the spec's wire."""


class RakmaoStatusError(RakmaoError, core.APIStatusError):
    """Rakmao answered with an error: ``status_code``, ``message`` (the envelope's), ``body``."""


class BadRequestError(RakmaoStatusError, core.BadRequestError):
    """400: a malformed body or parameter (the message names it)."""


class AuthenticationError(RakmaoStatusError, core.AuthenticationError):
    """401: wrong username or password, or no valid token even after renewing."""


class PermissionDeniedError(RakmaoStatusError, core.PermissionDeniedError):
    """403: another organisation's OrgId or another seller's TaxId."""


class NotFoundError(RakmaoStatusError, core.NotFoundError):
    """404: no such PO among yours."""


class ConflictError(RakmaoStatusError):
    """409: the PO's status does not allow it (the message names both statuses)."""


class RateLimitError(RakmaoStatusError, core.RateLimitError):
    """429: too many failed logins for the username."""


class InternalServerError(RakmaoStatusError, core.InternalServerError):
    """5xx"""


def _message(body: object) -> str | None:
    value = body.get("message") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _failed(body: object) -> bool:
    return isinstance(body, dict) and isinstance(body.get("status"), int) and body["status"] >= 300


ERRORS = ServiceErrors(
    message=_message,
    failed=_failed,
    by_status={
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
        429: RateLimitError,
    },
    server=InternalServerError,
    other=RakmaoStatusError,
    connection=RakmaoConnectionError,
    timeout=RakmaoTimeoutError,
    invalid_response=RakmaoResponseValidationError,
)


def wire_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number with the same digits. Rakmao's money has at most 15 significant
    digits, which a float's shortest repr reproduces exactly; anything else is refused."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise RakmaoError(f"{value} has more than 15 significant digits")
    return number


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return wire_number(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def body_of(model: BaseModel) -> Any:
    return _plain(model.model_dump(mode="python", by_alias=True, exclude_none=True))


@dataclass(frozen=True)
class _Config:
    auth_base_url: str
    base_url: str
    username: str
    password: str


def config_from(
    auth_base_url: str | None, base_url: str | None, username: str | None, password: str | None
) -> _Config:
    values = {}
    for name, given, env in (
        ("auth_base_url", auth_base_url, ENV_AUTH_BASE_URL),
        ("base_url", base_url, ENV_BASE_URL),
        ("username", username, ENV_USERNAME),
        ("password", password, ENV_PASSWORD),
    ):
        value = given or os.environ.get(env, "")
        if not value.strip():
            raise RakmaoError(
                f"The Rakmao {name} is missing: pass {name}=... to the client "
                f"or set the {env} environment variable."
            )
        values[name] = value.strip() if name != "password" else value
    return _Config(**values)


def _lifetime(token: str) -> float:
    """exp - iat of a JWT (read, not verified: the server verifies), so that renewal timing
    follows the server's lifetime whatever the two clocks say."""
    try:
        payload = token.removeprefix("Bearer ").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"] - claims["iat"])
    except (IndexError, KeyError, TypeError, ValueError):
        return 0.0


class Tokens:
    def __init__(self) -> None:
        self.token: str | None = None
        self.refresh: str | None = None
        self.renew_at = 0.0

    def fresh(self) -> str | None:
        return self.token if self.token and time.monotonic() < self.renew_at else None

    def keep(self, data: TokenData) -> str:
        self.token, self.refresh = data.token, data.refreshToken
        self.renew_at = time.monotonic() + _lifetime(data.token) - RENEW_MARGIN
        return data.token


class Shared:
    """What both clients share: configuration, paths, parsing."""

    _config: _Config
    _tokens: Tokens

    def _auth_url(self, operation: str) -> str:
        return self._config.auth_base_url.rstrip("/") + f"/api/v1/Authentication/{operation}"

    def _authen(self) -> str:
        raw = json.dumps({"UserName": self._config.username, "Password": self._config.password})
        return base64.b64encode(raw.encode()).decode()

    @staticmethod
    def _data(response: httpx.Response, model: type[M] | Any) -> Any:
        try:
            envelope = Envelope[model].model_validate_json(response.content)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise ERRORS.invalid_response(
                f"The answer is not Rakmao's envelope: {exc}",
                response=response,
                body=response.text,
            ) from exc
        if envelope.status >= 300:
            raise ERRORS.status_error(response)
        return envelope.data

    @staticmethod
    def _list_params(
        keyword: str | None, status: int | None, page: int, perpage: int
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"page": page, "perpage": perpage}
        if keyword:
            params["Keyword"] = keyword
        if status:
            params["status"] = status
        return params

    @staticmethod
    def _refs(po_id: str | None, quotation_id: str | None, rfq_id: str | None) -> dict[str, str]:
        refs = {"PoId": po_id, "QuotationId": quotation_id, "RfqId": rfq_id}
        given = {k: v for k, v in refs.items() if v}
        if not given:
            raise RakmaoError("give po_id, quotation_id or rfq_id")
        return given


def query(path: str, params: Mapping[str, Any]) -> str:
    return str(httpx.URL(path, params=dict(params)))
