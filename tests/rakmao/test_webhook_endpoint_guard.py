"""A webhook endpoint is judged at registration by the guard its deliveries use
(``core.netguard``): a host no delivery can reach is a 400 in the envelope, stored nowhere, not a
registration that fails forever (issue 13 item 11: ``http://①②⑦.0.0.1:8799/`` registered)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.rakmao.conftest import Session
from tests.rakmao.test_webhooks_api import HOOK, SPEC_EXAMPLE, register, stored


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("http://\u2460\u2461\u2466.0.0.1:8799/", "Invalid IDNA hostname"),  # 127.0.0.1 to UTS 46
        ("http://\u2460.example.com/hook", "Invalid IDNA hostname"),
        ("http://xn--.example.com/hook", "not a valid internationalised domain name"),
        ("http://xn--zz.example.com/hook", "not a valid internationalised domain name"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://user@hooks.example.com/", "credentials"),
        ("http://0x7f.0.0.1/hook", "dotted-quad"),
        ("http://[::ffff:10.0.0.1]/hook", "private"),
    ],
)
async def test_an_undeliverable_endpoint_is_refused_at_registration(
    client: httpx.AsyncClient, seller: Session, runtime: Runtime, endpoint: str, says: str
) -> None:
    response = await register(client, seller, Endpoint=endpoint)
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert (body["status"], body["data"]) == (400, None)
    assert body["message"].startswith("Endpoint URL refused: "), body["message"]
    assert says in body["message"], body["message"]
    assert "Webhook-Secret" not in response.headers
    assert stored(runtime) == (0, 0)


@pytest.mark.parametrize(
    "endpoint",
    ["HTTP://250.250.250.200*", "http://a*.example.com/hook", "http://hooks..example.com/"],
)
async def test_an_ascii_host_that_is_no_name_is_refused_at_registration(
    client: httpx.AsyncClient, seller: Session, runtime: Runtime, endpoint: str
) -> None:
    """The OpenAPI document's pattern, held by the server for ASCII hosts (issue 13 item 9:
    schemathesis found ``HTTP://250.250.250.200*`` registered)."""
    response = await register(client, seller, Endpoint=endpoint)

    assert response.status_code == 400, response.text
    assert response.json() == {
        "status": 400,
        "message": "the host must be a name of letters, digits and hyphens or an address"
        " (Endpoint)",
        "data": None,
    }
    assert stored(runtime) == (0, 0)


async def test_an_update_to_an_undeliverable_endpoint_changes_nothing(
    client: httpx.AsyncClient, seller: Session, runtime: Runtime
) -> None:
    hook_id = (await register(client, seller)).json()["data"]
    before = (await client.get(f"{HOOK}/{hook_id}", headers=seller.headers)).json()
    update = {**SPEC_EXAMPLE, "Id": hook_id, "Endpoint": "http://\u2460\u2461\u2466.0.0.1:8799/"}
    response = await client.put(HOOK, json=update, headers=seller.headers)
    assert (response.status_code, response.json()["data"]) == (400, None)
    assert "Invalid IDNA hostname" in response.json()["message"]
    after = (await client.get(f"{HOOK}/{hook_id}", headers=seller.headers)).json()
    assert after == before
    assert stored(runtime) == (1, 1)


async def test_an_internationalised_domain_name_registers(
    client: httpx.AsyncClient, seller: Session
) -> None:
    """A real IDNA name is a host like any other (resolved, and checked, when delivered)."""
    response = await register(
        client,
        seller,
        Endpoint="https://\u0e15\u0e31\u0e27\u0e2d\u0e22\u0e48\u0e32\u0e07.example/hook",
    )
    assert response.status_code == 200, response.text
