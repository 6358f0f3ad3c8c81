"""Settings, read from the environment (prefix ``SAPHAN_``) and built once per app."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from typing import Any, Self, TypeVar, overload

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Used only in demo mode and tests; a real deployment must set SAPHAN_SECRET_KEY.
DEMO_SECRET_KEY = "saphan-demo-secret-key-not-for-production"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAPHAN_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./saphan.db"
    #: Server secret for keyed hashes of API keys and tokens. Required outside demo mode.
    secret_key: SecretStr | None = None
    #: Bearer token for the operator API at /admin/<service>; the admin API is off when unset.
    admin_token: SecretStr | None = None
    #: Bearer token for /metrics; unset, /metrics is open (for a scraper on a private network).
    metrics_token: SecretStr | None = None
    demo: bool = False
    #: Requests with a larger body are refused with 413 in the service's envelope.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: str = "INFO"
    log_json: bool = True
    db_pool_size: int = Field(default=10, ge=1)
    #: MOI: refuse CitizenIDs that fail the Thai national-ID check digit (the spec's own
    #: example ID fails it, so this is off by default).
    moi_citizen_checksum: bool = False
    #: MOI: PowerCapital lookups per client system per minute (rolling) and per Bangkok calendar
    #: day, against mass lookups; over either, 429 with Retry-After. 0: no limit.
    moi_quota_per_minute: int = Field(default=600, ge=0)
    moi_quota_per_day: int = Field(default=50_000, ge=0)
    #: MOI: wrong ClientSecrets per ClientID within the window before Authenticate answers 429.
    moi_auth_max_failures: int = Field(default=10, ge=1)
    moi_auth_window_seconds: int = Field(default=300, ge=1)
    #: Failed logins (Rakmao RequestAPIToken, MOI Authenticate) per client address within the
    #: window, whatever the username or client, before the login answers 429.
    login_address_max_failures: int = Field(default=20, ge=1)
    login_address_window_seconds: int = Field(default=300, ge=1)
    #: depa: MiB of GetDPVouchers answers each process keeps (``core.answer_cache``); 0: none.
    depa_page_cache_mib: int = Field(default=128, ge=0)
    #: Rakmao: MiB of Buyer and Seller list answers each process keeps; 0: none.
    rakmao_list_cache_mib: int = Field(default=32, ge=0)
    # -- EasySlip ---------------------------------------------------------------------------
    #: EasySlip ``url`` inputs: networks admitted although not global (JSON list of CIDRs, e.g.
    #: '["127.0.0.1/32"]'); in demo mode loopback is always admitted.
    easyslip_url_allow_cidrs: list[str] = Field(default_factory=list)
    #: EasySlip ``url`` inputs: seconds for the whole fetch, redirects included.
    easyslip_url_timeout: float = Field(default=5.0, gt=0, le=60)

    # -- webhook delivery (saphan.core.webhooks, docs/webhooks.md) ----------------------------
    #: Seconds to wait before each attempt: the first after the event, each next one after the
    #: previous attempt failed (with +-10% jitter). Its length is the number of attempts.
    webhook_retry_schedule: list[float] = Field(
        default=[0, 5, 300, 1800, 7200, 18000, 36000, 36000], min_length=1
    )
    #: An attempt succeeds on a 2xx within this many seconds (connect, send and read).
    webhook_timeout_seconds: float = Field(default=15.0, gt=0)
    #: At most this much of a response is read (the first 1 KB is kept with the attempt).
    webhook_max_response_kb: int = Field(default=64, ge=1)
    #: A Retry-After on 429/503 is honoured up to this many seconds.
    webhook_max_retry_after_seconds: float = Field(default=86_400.0, ge=0)
    #: CIDRs the SSRF guard admits although they are not global (e.g. ["127.0.0.1/32"]);
    #: demo mode admits 127.0.0.1/32 and ::1/128.
    webhook_allow_cidrs: list[str] = Field(default_factory=list)
    #: Deliveries in flight at once, per endpoint (scheme, host, port) and per worker.
    webhook_endpoint_concurrency: int = Field(default=4, ge=1)
    webhook_max_in_flight: int = Field(default=64, ge=1)
    #: A claimed message is another worker's to take after this many seconds (a killed worker).
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    #: How often an idle worker looks for due messages (one indexed read each time).
    webhook_poll_seconds: float = Field(default=0.025, gt=0)
    #: ``saphan serve`` delivers in-process: true, false, or unset (on SQLite only).
    webhook_deliver_in_process: bool | None = None
    #: After a secret rotation, the previous secret keeps signing for this many seconds.
    webhook_rotation_overlap_seconds: float = Field(default=86_400.0, ge=0)

    @field_validator("webhook_allow_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad one
        return value

    # -- Rakmao (spec 002) --
    #: Lifetime of an access token (RequestAPIToken/RenewAPIToken ``token``), in seconds.
    rakmao_access_token_seconds: int = Field(default=3600, ge=60)
    #: Lifetime of a refresh token; a renewal issues a new one with a new lifetime.
    rakmao_refresh_token_seconds: int = Field(default=30 * 86400, ge=300)
    #: ``iss`` of every Rakmao JWT.
    rakmao_issuer: str = "saphan-rakmao"
    #: Failed logins per username within the window before RequestAPIToken answers 429.
    rakmao_login_max_failures: int = Field(default=5, ge=1)
    rakmao_login_window_seconds: int = Field(default=300, ge=1)

    # -- Rakmao webhooks (issue 6) --
    #: "Register a webhook before using the system": PO routes answer 403 until the account has
    #: registered every webhook type of its side. Unset: on, except in demo mode.
    rakmao_require_webhook: bool | None = None
    #: Lifetime of the ``IsLogin`` JWT sent with a delivery, in seconds.
    rakmao_webhook_jwt_seconds: int = Field(default=300, ge=30)

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Self:
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 16:
            if self.secret_key.get_secret_value() or not self.demo:
                raise ValueError("SAPHAN_SECRET_KEY must be at least 16 characters")
            self.secret_key = None
        if self.secret_key is None:
            if not self.demo:
                raise ValueError(
                    "SAPHAN_SECRET_KEY must be set outside demo mode "
                    '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))")'
                )
            self.secret_key = SecretStr(DEMO_SECRET_KEY)
        return self

    @cached_property
    def secret(self) -> bytes:
        """The secret key's bytes, worked out once (every keyed request digests with it)."""
        assert self.secret_key is not None
        return self.secret_key.get_secret_value().encode()


class SettingsError(ValueError):
    """Settings that cannot be used, said as one plain sentence per problem that names the
    setting and never shows its value (a value may be a password in a URL, a token or a key;
    pydantic's own message prints every setting's value)."""


S = TypeVar("S", bound=BaseSettings)


@overload
def load_settings(**values: Any) -> Settings: ...


@overload
def load_settings(kind: type[S], **values: Any) -> S: ...


def load_settings(kind: type[BaseSettings] = Settings, **values: Any) -> BaseSettings:
    """``kind(**values)`` read from the environment, or ``SettingsError``."""
    try:
        return kind(**values)
    except ValidationError as exc:
        prefix = str(kind.model_config.get("env_prefix") or "")
        sentences = []
        for problem in exc.errors(include_url=False, include_input=False, include_context=False):
            message = str(problem["msg"]).removeprefix("Value error, ")
            names = "_".join(str(part) for part in problem["loc"]).upper()
            sentences.append(f"{prefix}{names}: {message}" if names else message)
        raise SettingsError("\n".join(sentences)) from None
