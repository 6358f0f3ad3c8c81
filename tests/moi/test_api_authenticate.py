"""``POST /api/v1/Authenticate/{AgentID}``: an agent of a client system opens a session. Success is
the JSON string "Authorized" with the token in the ``Token`` header; every refusal is in MOI's
envelope and opens no session."""

from __future__ import annotations

import base64
import datetime as dt

import httpx
import pytest

from saphan.core.hashing import key_digest
from saphan.core.runtime import Runtime
from saphan.moi import operator
from saphan.moi.models import AgentSession
from tests.moi.conftest import (
    AGENT,
    OTHER_AGENT,
    PREFIX,
    MakeClient,
    MoiClient,
    authenticate,
    error,
    sessions,
)

INVALID_CLIENT = error("INVALID_CLIENT", 401, "Invalid ClientID or ClientSecret")


async def test_authenticate_answers_authorized_and_a_token_stored_hashed(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient
) -> None:
    response = await authenticate(client, moi_client)
    assert (response.status_code, response.json()) == (200, "Authorized")
    token = response.headers["Token"]
    assert len(base64.b64decode(token, validate=True)) == 32
    with runtime.db.read() as session:
        [stored] = session.query(AgentSession).all()
        assert stored.token_digest == key_digest(runtime.secret, token)
        assert token not in (stored.token_digest, stored.agent_id)
        assert stored.agent_id == AGENT
        assert stored.expires_at - stored.created_at == dt.timedelta(hours=8)
        assert stored.created_at == dt.datetime(2025, 11, 20, 3, 30)  # NOW, in UTC


async def test_each_authentication_opens_its_own_session(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient
) -> None:
    first = (await authenticate(client, moi_client)).headers["Token"]
    second = (await authenticate(client, moi_client)).headers["Token"]
    assert first != second
    assert len(sessions(runtime)) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"ClientID": "client-a", "ClientSecret": "wrong"},
        {"ClientID": "nobody", "ClientSecret": "secret-a-0123456789"},
        {"ClientID": "CLIENT-A", "ClientSecret": "secret-a-0123456789"},
    ],
    ids=["wrong secret", "unknown client", "client id is case-sensitive"],
)
async def test_wrong_credentials_are_401(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient, body: dict[str, str]
) -> None:
    response = await client.post(f"{PREFIX}/Authenticate/{AGENT}", json=body)
    assert (response.status_code, response.json()) == (401, INVALID_CLIENT)
    assert "Token" not in response.headers
    assert sessions(runtime) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ClientID": "client-a\u0000", "ClientSecret": "secret-a-0123456789"}, "ClientID"),
        ({"ClientID": "client-a", "ClientSecret": "\u0000"}, "ClientSecret"),
    ],
    ids=["NUL after a real client id", "NUL as the secret"],
)
async def test_nul_in_the_credentials_is_400_naming_the_field(
    client: httpx.AsyncClient,
    runtime: Runtime,
    moi_client: MoiClient,
    body: dict[str, str],
    field: str,
) -> None:
    """The input boundary's rule (core.boundary): NUL, which PostgreSQL text cannot hold, is
    a 400 naming the field in every body (it was a 401 here, as a wrong ClientID)."""
    response = await client.post(f"{PREFIX}/Authenticate/{AGENT}", json=body)
    assert (response.status_code, response.json()) == (
        400,
        error("BAD_REQUEST", 400, f"Must not contain NUL characters ({field})"),
    )
    assert "Token" not in response.headers
    assert sessions(runtime) == []


async def test_an_agent_not_registered_for_the_client_is_401(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient
) -> None:
    response = await authenticate(client, moi_client, OTHER_AGENT)
    assert (response.status_code, response.json()) == (
        401,
        error("AGENT_NOT_ALLOWED", 401, "AgentID is not registered for this client"),
    )
    assert sessions(runtime) == []


async def test_a_client_open_to_any_agent_takes_any_well_formed_agent(
    client: httpx.AsyncClient, runtime: Runtime, make_client: MakeClient
) -> None:
    open_client = make_client("open", "open-secret-0123456", agents=(), any_agent=True)
    response = await authenticate(client, open_client, OTHER_AGENT)
    assert response.status_code == 200
    assert [agent for _, agent in sessions(runtime)] == [OTHER_AGENT]


async def test_a_revoked_client_cannot_authenticate(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient
) -> None:
    with runtime.db.write() as session:
        operator.revoke_client(session, moi_client.client_id, runtime.clock.now())
    response = await authenticate(client, moi_client)
    assert (response.status_code, response.json()) == (401, INVALID_CLIENT)
    assert sessions(runtime) == []


@pytest.mark.parametrize(
    "agent",
    [
        "123",
        "12345678901234",
        "110040001234x",
        "๑๑๐๐๔๐๐๐๑๒๓๔๕",
        "%20110040001234",
        "1100400012345%0A",  # an encoded newline still reaches MOI (schemathesis found it)
    ],
)
async def test_an_agent_id_that_is_not_13_digits_is_400(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient, agent: str
) -> None:
    response = await client.post(f"{PREFIX}/Authenticate/{agent}", json=moi_client.body)
    assert (response.status_code, response.json()) == (
        400,
        error("INVALID_AGENT_ID", 400, "AgentID must be 13 digits"),
    )
    assert sessions(runtime) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Request body is required"),
        (b"{", "Malformed JSON body: EOF while parsing an object at line 1 column 1"),
        (b'{"ClientID": "client-a"}', "Field required (ClientSecret)"),
        (b'{"ClientID": 5, "ClientSecret": "x"}', "Input should be a valid string (ClientID)"),
        (
            b'{"ClientID": "", "ClientSecret": "x"}',
            "String should have at least 1 character (ClientID)",
        ),
        (b'"Authorized"', "Input should be an object"),
    ],
)
async def test_a_bad_body_is_400_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient, content: bytes, message: str
) -> None:
    response = await client.post(
        f"{PREFIX}/Authenticate/{AGENT}",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (400, error("BAD_REQUEST", 400, message))
    assert sessions(runtime) == []


async def test_a_non_json_body_is_415(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient
) -> None:
    response = await client.post(
        f"{PREFIX}/Authenticate/{AGENT}",
        content=b"ClientID=client-a",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()) == (
        415,
        error("UNSUPPORTED_MEDIA_TYPE", 415, "Content-Type must be application/json"),
    )
    assert sessions(runtime) == []


async def test_get_on_authenticate_is_405_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/Authenticate/{AGENT}")
    assert (response.status_code, response.json()) == (
        405,
        error("METHOD_NOT_ALLOWED", 405, "Method not allowed"),
    )
