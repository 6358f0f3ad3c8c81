"""Every service's OpenAPI document declares the auth its routes really take, so "Authorize"
in its /docs sends the credential (issue 14): a header key (depa ``x-api-key``, MOI ``Token``)
or a bearer token (Rakmao, EasySlip); the routes that need none (MOI Authenticate, Rakmao's
token routes, EasySlip /health) declare none."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

#: service prefix -> (the scheme as declared, the operations that need no credentials)
EXPECTED: dict[str, tuple[dict[str, Any], set[str]]] = {
    "/moi": (
        {"type": "apiKey", "in": "header", "name": "Token"},
        {"POST /api/v1/Authenticate/{AgentID}"},
    ),
    "/depa": ({"type": "apiKey", "in": "header", "name": "x-api-key"}, set()),
    "/rakmao-po": ({"type": "http", "scheme": "bearer"}, set()),
    "/easyslip": ({"type": "http", "scheme": "bearer"}, {"GET /v2/health"}),
}


def _scheme_fields(scheme: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in scheme.items() if k in ("type", "in", "name", "scheme")}


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
async def test_each_route_declares_the_auth_it_takes(
    client: httpx.AsyncClient, prefix: str
) -> None:
    response = await client.get(f"{prefix}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    schemes = document["components"]["securitySchemes"]
    expected_scheme, open_operations = EXPECTED[prefix]
    assert [_scheme_fields(s) for s in schemes.values()] == [expected_scheme]
    (name,) = schemes
    seen_open = set()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            key = f"{method.upper()} {path}"
            if key in open_operations:
                seen_open.add(key)
                assert not operation.get("security"), key
            else:
                assert operation.get("security") == [{name: []}], key
    assert seen_open == open_operations


async def test_the_declared_bearer_scheme_is_what_the_route_reads(
    client: httpx.AsyncClient,
) -> None:
    """Documentation only: a missing or wrong key is still the service's own 401 envelope,
    not FastAPI's ``{"detail": ...}``."""
    response = await client.get("/easyslip/v2/info")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "MISSING_API_KEY"
    response = await client.get(
        "/rakmao-po/api/v1/Buyer/b1b7711b-158f-48fe-adc0-9cfb52565911",
        headers={"Authorization": "Bearer nonsense"},
    )
    assert response.status_code == 401
    assert response.json()["status"] == 401
