"""Settings, read from the environment (prefix ``SAPHAN_``) and built once per app."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
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

    @property
    def secret(self) -> bytes:
        assert self.secret_key is not None
        return self.secret_key.get_secret_value().encode()
