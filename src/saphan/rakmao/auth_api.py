"""``/rakmao``: the "Rakmao Environment" (spec 002): RequestAPIToken, RenewAPIToken, and the JWKS
that lets anyone verify Saphan's Rakmao tokens."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from saphan.core.hashing import verify_password
from saphan.core.jsonresponse import json_response
from saphan.core.request_path import Call, runtime
from saphan.core.runtime import Runtime
from saphan.core.service import create_service_app
from saphan.rakmao import keys, tokens
from saphan.rakmao.errors import InvalidCredentials, InvalidRefreshToken, render
from saphan.rakmao.schemas import AuthenString, Envelope, RefreshTokenBody, TokenData
from saphan.rakmao.wire import ERRORS, OPEN, policy, success

DESCRIPTION = """\
Rakmao's authentication ("Rakmao Environment"). Send your authen string (base64 of
`{"UserName":"...","Password":"..."}`, given when the operator registers you) to
RequestAPIToken; use `token` as `Authorization` on the PO API and `refreshToken` with
RenewAPIToken before `expiration` (unix seconds). Only the latest refresh token renews. Tokens
are EdDSA JWTs, verifiable with the keys at `/.well-known/jwks.json`.
"""


def _body(model: str) -> dict[str, Any]:
    """The body: the bare JSON string (the spec's example), the object, or plain text."""
    bare = {"type": "string", "minLength": 1, "maxLength": 4096}
    either = {"anyOf": [bare, {"$ref": f"#/components/schemas/{model}"}]}
    # Plain text is the value itself: blank is no body (400), and no line holds a control
    # character but tab (the input boundary).
    text = {
        **bare,
        "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*[^\x00-\x20][^\x00-\x08\x0b\x0c\x0e-\x1f]*$",
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": either}, "text/plain": {"schema": text}},
        }
    }


router = APIRouter(responses=ERRORS)


@router.post(
    "/api/v1/Authentication/RequestAPIToken",
    response_model=Envelope[TokenData],
    operation_id="RequestAPIToken",
    openapi_extra=_body("AuthenString"),
    responses={429: {"model": Envelope[None], "description": "Too many failed logins"}},
)
async def request_api_token(request: Request) -> Response:
    """Log in with the authen string: a new token, refresh token and expiration."""
    rt = runtime(request)
    body = await OPEN.body(request, AuthenString)
    credentials = tokens.decode_authen_string(body.authenString)
    rules = policy(rt)
    now = rt.clock.now()
    address = request.client.host if request.client else None
    found = await OPEN.run_session(
        request,
        lambda s, _call: tokens.login_check(s, rt.secret, rules, credentials, now, address=address),
        write=True,
    )
    # Off the event loop, a few at a time (argon2 is slow on purpose: core.cpu); an unknown
    # user is verified against a dummy hash, so both cost the same.
    ok = await rt.cpu.run(verify_password, found.password_hash, credentials.Password)
    ring = _ring(request)
    issued = await OPEN.run_session(
        request,
        lambda s, _call: tokens.login_finish(s, ring, rules, found, ok, now, time.monotonic()),
        write=True,
    )
    if issued is None:
        raise InvalidCredentials()
    return success(issued)


@router.post(
    "/api/v1/Authentication/RenewAPIToken",
    response_model=Envelope[TokenData],
    operation_id="RenewAPIToken",
    openapi_extra=_body("RefreshTokenBody"),
)
async def renew_api_token(request: Request) -> Response:
    """A new token and refresh token for the latest refresh token. Presenting an older one
    revokes every token of that login."""
    ring = _ring(request)

    def renew(session: Session, call: Call[None, RefreshTokenBody]) -> dict[str, Any] | None:
        return tokens.renew(
            session, ring, policy(call.rt), call.body.refreshToken, call.now, time.monotonic()
        )

    issued = await OPEN.run_session(request, renew, body=RefreshTokenBody, write=True)
    if issued is None:
        raise InvalidRefreshToken(
            "This refresh token was already used; every token of its login is revoked"
        )
    return success(issued)


@router.get(
    "/.well-known/jwks.json",
    operation_id="JWKS",
    responses={
        200: {
            "description": "The public keys of Rakmao's tokens (RFC 7517 JWK Set)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def jwks(request: Request) -> Response:
    """Public keys that verify Saphan's Rakmao JWTs (EdDSA, Ed25519), by ``kid``. A standard JWK
    Set, not the Rakmao envelope, so that JWT libraries can read it directly."""
    settings = runtime(request).settings
    keep = dt.timedelta(
        seconds=max(settings.rakmao_access_token_seconds, settings.rakmao_refresh_token_seconds)
    )
    found = await OPEN.run_session(
        request,
        lambda s, call: [
            {**k.public_jwk, "alg": tokens.ALGORITHM, "use": "sig"}
            for k in keys.published(s, call.now, keep)
        ],
    )
    return json_response({"keys": found}, headers={"Cache-Control": "public, max-age=300"})


def _ring(request: Request) -> keys.KeyRing:
    ring: keys.KeyRing = request.app.state.rakmao_keys
    return ring


def create_app(rt: Runtime) -> FastAPI:
    app = create_service_app(
        rt,
        title="Rakmao authentication API",
        version="1",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[AuthenString, RefreshTokenBody],
    )
    app.state.rakmao_keys = keys.KeyRing(rt.secret)
    return app
