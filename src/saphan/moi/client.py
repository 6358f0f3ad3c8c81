"""Typed client for the MOI central electricity-data API (spec 000): ``MoiClient`` and
``AsyncMoiClient``.

    from saphan.moi.client import MoiClient

    with MoiClient(agent_id="1234567890123") as moi:  # MOI_BASE_URL, MOI_CLIENT_ID, ...
        answer = moi.power_capital("3102400001917")
        for account in answer.customerinfo:
            ...

The client authenticates on first use, keeps the session token, and authenticates again (once per
call) when the server answers 401 or the 8-hour session is about to end. Configuration comes from
the arguments, then the environment (``MOI_BASE_URL``, ``MOI_CLIENT_ID``, ``MOI_CLIENT_SECRET``,
``MOI_AGENT_ID``). Failures are ``MoiError`` subclasses; status errors carry ``status_code``, the
envelope's ``error`` code and ``statusDetail``. Imports neither FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from saphan.core import http_client as core
from saphan.core.http_client import AsyncAPIClient, RetryPolicy, ServiceErrors, SyncAPIClient
from saphan.moi.schemas import CustomerInfo, PeaAccount, PowerCapitalResponse

__all__ = [
    "AsyncMoiClient",
    "AuthenticationError",
    "BadRequestError",
    "CustomerInfo",
    "InternalServerError",
    "MoiClient",
    "MoiConnectionError",
    "MoiError",
    "MoiResponseValidationError",
    "MoiStatusError",
    "MoiTimeoutError",
    "NotFoundError",
    "PeaAccount",
    "PowerCapitalResponse",
    "RateLimitError",
    "RetryPolicy",
]

ENV_BASE_URL = "MOI_BASE_URL"
ENV_CLIENT_ID = "MOI_CLIENT_ID"
ENV_CLIENT_SECRET = "MOI_CLIENT_SECRET"  # noqa: S105  (a variable's name)
ENV_AGENT_ID = "MOI_AGENT_ID"
#: Authenticate again this long before the server's 8 hours are up.
SESSION_LIFETIME = 8 * 3600 - 300
_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")


class MoiError(Exception):
    """Every error of configuration, of reaching MOI, or that MOI answers."""


class MoiConnectionError(MoiError, core.APIConnectionError):
    """MOI could not be reached, or the connection broke."""


class MoiTimeoutError(MoiConnectionError, core.APITimeoutError):
    """MOI did not answer within the timeout."""


class MoiResponseValidationError(MoiError, core.APIResponseValidationError):
    """MOI answered 2xx with something that is not the spec's wire."""


class MoiStatusError(MoiError, core.APIStatusError):
    """MOI answered with an error: ``status_code``, ``error`` (the envelope's code, ``""`` when the
    body was not MOI's envelope), ``message`` (``statusDetail``, or the HTTP reason), ``body``."""

    @property
    def error(self) -> str:
        value = self.body.get("error") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else ""


class BadRequestError(MoiStatusError, core.BadRequestError):
    """400: a malformed AgentID, CitizenID or body."""


class AuthenticationError(MoiStatusError, core.AuthenticationError):
    """401: wrong credentials, an agent not allowed, or no valid session."""


class NotFoundError(MoiStatusError, core.NotFoundError):
    """404: usually a base URL without the right prefix."""


class RateLimitError(MoiStatusError, core.RateLimitError):
    """429: the client system's lookup quota is used up."""


class InternalServerError(MoiStatusError, core.InternalServerError):
    """5xx"""


def _message(body: object) -> str | None:
    value = body.get("statusDetail") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


ERRORS = ServiceErrors(
    message=_message,
    by_status={
        400: BadRequestError,
        401: AuthenticationError,
        404: NotFoundError,
        429: RateLimitError,
    },
    server=InternalServerError,
    other=MoiStatusError,
    connection=MoiConnectionError,
    timeout=MoiTimeoutError,
    invalid_response=MoiResponseValidationError,
)


@dataclass(frozen=True)
class _Config:
    base_url: str
    client_id: str
    client_secret: str
    agent_id: str


def _config(
    base_url: str | None, client_id: str | None, client_secret: str | None, agent_id: str | None
) -> _Config:
    values = {}
    for name, given, env in (
        ("base_url", base_url, ENV_BASE_URL),
        ("client_id", client_id, ENV_CLIENT_ID),
        ("client_secret", client_secret, ENV_CLIENT_SECRET),
        ("agent_id", agent_id, ENV_AGENT_ID),
    ):
        value = (given or os.environ.get(env, "")).strip()
        if not value:
            raise MoiError(
                f"The MOI {name} is missing: pass {name}=... to the client "
                f"or set the {env} environment variable."
            )
        values[name] = value
    if not _THIRTEEN_DIGITS.fullmatch(values["agent_id"]):
        raise MoiError("agent_id must be the agent's 13-digit ID")
    return _Config(**values)


class _Session:
    """The token and when it was issued (monotonic seconds)."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.issued = 0.0

    def current(self) -> str | None:
        if self.token and time.monotonic() - self.issued < SESSION_LIFETIME:
            return self.token
        return None

    def keep(self, response: httpx.Response) -> str:
        token = str(response.headers.get("Token") or "")
        if not token:
            raise ERRORS.invalid_response(
                "Authenticate answered without a Token header", response=response, body=None
            )
        self.token, self.issued = token, time.monotonic()
        return token


def _check_citizen(citizen_id: str) -> str:
    if not _THIRTEEN_DIGITS.fullmatch(citizen_id):
        raise MoiError("citizen_id must be 13 digits")
    return citizen_id


class MoiClient(SyncAPIClient):
    errors = ERRORS
    service = "moi"

    def __init__(
        self,
        *,
        agent_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        **options: Any,
    ) -> None:
        config = _config(base_url, client_id, client_secret, agent_id)
        super().__init__(base_url=config.base_url, **options)
        self._config = config
        self._session = _Session()

    def authenticate(self) -> str:
        """Open a session (the token is kept for later calls and returned)."""
        c = self._config
        response = self.request(
            "POST",
            f"/api/v1/Authenticate/{c.agent_id}",
            json={"ClientID": c.client_id, "ClientSecret": c.client_secret},
        )
        return self._session.keep(response)

    def power_capital(self, citizen_id: str) -> PowerCapitalResponse:
        """The citizen's accounts of both layouts, each with its latest bills."""
        path = f"/api/v1/PowerCapital/{_check_citizen(citizen_id)}"
        token = self._session.current() or self.authenticate()
        try:
            response = self.request("GET", path, headers={"Token": token}, idempotent=True)
        except AuthenticationError:
            token = self.authenticate()
            response = self.request("GET", path, headers={"Token": token}, idempotent=True)
        return self._parse(response, PowerCapitalResponse)


class AsyncMoiClient(AsyncAPIClient):
    errors = ERRORS
    service = "moi"

    def __init__(
        self,
        *,
        agent_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        **options: Any,
    ) -> None:
        config = _config(base_url, client_id, client_secret, agent_id)
        super().__init__(base_url=config.base_url, **options)
        self._config = config
        self._session = _Session()

    async def authenticate(self) -> str:
        c = self._config
        response = await self.request(
            "POST",
            f"/api/v1/Authenticate/{c.agent_id}",
            json={"ClientID": c.client_id, "ClientSecret": c.client_secret},
        )
        return self._session.keep(response)

    async def power_capital(self, citizen_id: str) -> PowerCapitalResponse:
        path = f"/api/v1/PowerCapital/{_check_citizen(citizen_id)}"
        token = self._session.current() or await self.authenticate()
        try:
            response = await self.request("GET", path, headers={"Token": token}, idempotent=True)
        except AuthenticationError:
            token = await self.authenticate()
            response = await self.request("GET", path, headers={"Token": token}, idempotent=True)
        return self._parse(response, PowerCapitalResponse)
