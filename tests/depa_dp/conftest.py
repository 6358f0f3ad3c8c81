"""Fixtures for the Digital Provider's side: Saphan's own depa service as a live server (the
provider), DPs made on it through its operator API over HTTP, and the DP's own store on the
test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.db import Database
from saphan.core.http_client import RetryPolicy
from saphan.depa.client import DepaClient
from tests.conftest import ADMIN_TOKEN, SECRET, LiveServer, start_live_server

SECRET_BYTES = SECRET.encode()
#: The DP's clock: 00:30 Bangkok on 2025-11-20, when the daily report runs for 2025-11-19.
DP_NOW = dt.datetime(2025, 11, 20, 0, 30, 0, tzinfo=BANGKOK)


def bangkok(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BANGKOK)


@dataclass
class Provider:
    """Saphan's depa service in a subprocess, and its operator API."""

    server: LiveServer
    admin: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.admin = httpx.Client(
            base_url=self.server.base_url + "/admin/depa",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )

    @property
    def depa_url(self) -> str:
        return self.server.base_url + "/depa"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.admin.request(method, path, **kwargs)
        assert response.is_success, (path, response.status_code, response.text)
        return response.json()

    def usage(self, dp_id: int, **params: Any) -> list[dict[str, Any]]:
        """What depa holds for the DP (operator view), oldest day first."""
        rows: list[dict[str, Any]] = self.call("GET", f"/dps/{dp_id}/usage", params=params)
        return rows


@dataclass
class DepaDP:
    """A Digital Provider registered on the provider: its id, key and voucher-code prefix."""

    provider: Provider
    id: int
    key: str
    prefix: str

    def code(self, n: int) -> str:
        return f"{self.prefix}{n:04d}"

    def issue(self, vouchers: list[dict[str, Any]]) -> None:
        for start in range(0, len(vouchers), 500):
            self.provider.call(
                "POST", f"/dps/{self.id}/vouchers", json=vouchers[start : start + 500]
            )

    def revoke(self, code: str, at: str) -> None:
        self.provider.call("POST", f"/vouchers/{code}/revoke", json={"at": at})

    def activate(self, code: str, at: str) -> None:
        self.provider.call("POST", f"/vouchers/{code}/activate", json={"at": at})

    def client(self, **kwargs: Any) -> DepaClient:
        kwargs.setdefault("retry", RetryPolicy(max_retries=1, initial_delay=0.05))
        return DepaClient(self.key, base_url=self.provider.depa_url, **kwargs)

    def usage(self, **params: Any) -> list[dict[str, Any]]:
        return self.provider.usage(self.id, **params)


def voucher(code: str, **fields: Any) -> dict[str, Any]:
    """An Activated voucher (activated 2025-11-01 09:00 Bangkok) unless told otherwise."""
    return {
        "voucherCode": code,
        "status": "Activated",
        "bindingTime": "2025-10-30 08:00:00",
        "activatedTime": "2025-11-01 09:00:00",
        "firstName": "สมชาย",
        "lastName": "ใจดี",
        "mobileNo": "",
        "idCard": "",
        "productName": "ระบบบัญชี AI",
        **fields,
    }


def provider_database(directory: Path, template: Path) -> str:
    path = directory / "provider.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Provider]:
    """One depa provider per test worker; each test registers DPs of its own on it."""
    url = provider_database(tmp_path_factory.mktemp("provider"), sqlite_template)
    server = start_live_server(url)
    running = Provider(server)
    yield running
    running.admin.close()
    server.stop()


MakeDepaDP = Callable[[], DepaDP]


def register_dp(provider: Provider) -> DepaDP:
    dp = provider.call("POST", "/dps", json={"name": "DP " + uuid.uuid4().hex[:6]})
    key = provider.call("POST", f"/dps/{dp['id']}/keys", json={"label": "test"})["key"]
    return DepaDP(provider, dp["id"], key, f"T{uuid.uuid4().hex[:8].upper()}-")


@pytest.fixture
def make_depa_dp(provider: Provider) -> MakeDepaDP:
    return lambda: register_dp(provider)


@pytest.fixture
def depa_dp(make_depa_dp: MakeDepaDP) -> DepaDP:
    return make_depa_dp()


@pytest.fixture
def dp_db(database_url: str) -> Iterator[Database]:
    """The DP's own store (SQLite or PostgreSQL, migrated, empty)."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def dp_clock() -> FixedClock:
    return FixedClock(DP_NOW)
