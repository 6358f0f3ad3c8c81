"""The Digital Provider's settings, from the environment the spec's section 6 names
(``DEPA_API_KEY``, ``DEPA_BASE_URL``, ``DEPA_IS_PRODUCTION``) plus the DP side's own
(``DEPA_DP_*``). The database and the secret for keyed digests are Saphan's
(``SAPHAN_DATABASE_URL``, ``SAPHAN_SECRET_KEY``). The key is a ``SecretStr``: never printed,
logged or put in a ``repr``."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from saphan.core.http_client import RetryPolicy
from saphan.depa.client import DEFAULT_BASE_URL, DepaClient


class DPSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPA_", env_file=".env", extra="ignore")

    #: The DP's depa API key (UUID). Required for sync, report and verify.
    api_key: SecretStr | None = None
    #: depa's base URL; for Saphan's own depa service, ``http://HOST:PORT/depa``.
    base_url: str = DEFAULT_BASE_URL
    #: UAT (false) or production (true) usage; ``--production``/``--uat`` override it.
    is_production: bool = False
    #: Bearer token the DP's app sends to ``POST /dp/usage`` (``saphan depa-dp serve-track``).
    dp_track_token: SecretStr | None = None
    #: Retries of a failed VoucherUsage batch (after 0.5, 1, 2, 4 ... s, at most 8 s apart)
    #: before it is left pending for the next run.
    dp_report_retries: int = Field(default=4, ge=0, le=10)
    #: Days a report without --date covers, up to yesterday (Bangkok): a missed daily run is
    #: caught up, and late usage for those days is sent again. Unchanged records are not resent.
    dp_catch_up_days: int = Field(default=3, ge=1, le=31)
    #: Records per VoucherUsage request (depa takes at most 100).
    dp_batch_size: int = Field(default=100, ge=1, le=100)

    def client(self, *, max_retries: int | None = None) -> DepaClient:
        """A depa client for these settings (raises ``DepaError`` when the key is missing)."""
        key = self.api_key.get_secret_value() if self.api_key is not None else None
        retries = self.dp_report_retries if max_retries is None else max_retries
        return DepaClient(
            key or None,
            base_url=self.base_url,
            is_production=self.is_production,
            retry=RetryPolicy(max_retries=retries),
        )
