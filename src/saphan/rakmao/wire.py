"""What both Rakmao apps share on the wire: the request path their routes run on (who is
calling, the body read the tolerant way, the envelope), and the token policy.

``PATH`` runs every route of ``/rakmao-po``: the bearer token is checked before the body is
read, then the body, then the operation in one connection, then the envelope. ``OPEN`` is the
same path without a token, for ``/rakmao`` (RequestAPIToken, RenewAPIToken, the JWKS).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from saphan.config import Settings
from saphan.core import login_limit
from saphan.core.errors import describe_validation, http_error, is_json
from saphan.core.fresh import FreshCache
from saphan.core.jsonresponse import dumps, json_response
from saphan.core.request_path import RequestPath, anyone, runtime
from saphan.core.runtime import Runtime
from saphan.rakmao import hooks, keys, tokens
from saphan.rakmao.errors import BadRequest, Unauthorized, WebhookRequired
from saphan.rakmao.jsonread import MalformedJSON, canonical_keys, lenient_loads, tolerant_loads
from saphan.rakmao.schemas import BareBody, Envelope
from saphan.rakmao.status import EVENT_NAMES, Side

M = TypeVar("M", bound=BaseModel)
#: An account's state by account id, fresh within ``FreshCache``'s bound (``identify``).
Accounts = FreshCache[int, tokens.AccountState | None]
#: The first segment of a route's path -> the side whose webhooks it requires.
_GATED: dict[str, Side] = {"Buyer": "Buyer", "Seller": "Seller"}


def success(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """The envelope of every successful answer (the request path's ``render``)."""
    return json_response(_envelope(data), status=status, headers=headers)


def enveloped(data: Any) -> bytes:
    """``success``'s body, rendered (to be kept: ``reading.KeptLists``)."""
    return dumps(_envelope(data))


def _envelope(data: Any) -> dict[str, Any]:
    return {"status": 200, "message": "Success", "data": data}


def policy(rt: Runtime) -> tokens.TokenPolicy:
    s = rt.settings
    return tokens.TokenPolicy(
        issuer=s.rakmao_issuer,
        access_seconds=s.rakmao_access_token_seconds,
        refresh_seconds=s.rakmao_refresh_token_seconds,
        max_failures=s.rakmao_login_max_failures,
        window_seconds=s.rakmao_login_window_seconds,
        address_limit=login_limit.Limit(
            s.login_address_max_failures, s.login_address_window_seconds
        ),
    )


# -- the body ------------------------------------------------------------------------------------


def _read_json(body: bytes, content_type: str | None, *, allow_text: bool = False) -> Any:
    """The body as JSON (trailing commas allowed, fractions as ``Decimal``). With ``allow_text``
    a ``text/plain`` body, or one that is not JSON at all, is taken as a bare string."""
    text_plain = (content_type or "").split(";")[0].strip().lower() == "text/plain"
    if not is_json(content_type) and not (allow_text and text_plain):
        raise http_error(415)
    if not body.strip():
        raise BadRequest("Request body is required")
    if allow_text and text_plain:
        try:
            return body.decode().strip()
        except UnicodeDecodeError:
            raise BadRequest("The body is not UTF-8") from None
    try:
        return tolerant_loads(body)
    except MalformedJSON as exc:
        stripped = body.strip()
        if allow_text and stripped[:1] not in (b'"', b"{", b"["):
            try:
                return stripped.decode()
            except UnicodeDecodeError:
                pass
        raise BadRequest(f"Malformed JSON body: {exc}") from None


def _validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    try:
        return model.model_validate(canonical_keys(data, model))
    except ValidationError as exc:
        raise BadRequest(describe_validation(exc.errors())) from None


def parse(model: type[M], body: bytes, content_type: str | None) -> M:
    """The request path's body step, the way Rakmao's own reader evidently reads bodies
    (``jsonread``); a ``BareBody`` may also be its one field's value alone."""
    bare = issubclass(model, BareBody)
    data = _read_json(body, content_type, allow_text=bare)
    if bare and isinstance(data, str):
        data = {next(iter(model.model_fields)): data}
    return _validate(model, data)


# -- who is calling ------------------------------------------------------------------------------


async def identify(request: Request) -> tokens.Caller:
    """The account behind ``Authorization: Bearer <token>``, without a database round trip in
    the common case: the signature is verified once per token and process (then remembered),
    the expiry on every request against the service's clock, and the account's state (enabled,
    token version, webhooks registered) comes from memory while fresh (``core.fresh``: an
    operator's disable applies at once in this process, within a second everywhere). On Buyer
    and Seller routes the account must then have registered its side's webhooks."""
    rt = runtime(request)
    token = tokens.strip_bearer(request.headers.get("authorization"))
    if not token:
        raise Unauthorized("Missing Authorization: Bearer <token> header")
    access = await _access_claims(rt, request.app.state.rakmao_keys, token)
    account_id = tokens.account_of(access)
    accounts: Accounts = request.app.state.rakmao_accounts
    state = tokens.checked(
        await accounts.read(account_id, tokens.account_state),
        access,
    )
    side = _gated_side(request, rt.settings)
    if side is not None:
        missing = hooks.missing_types(state.caller, state.webhook_types, side)
        if missing:
            names = ", ".join(f"{t} ({EVENT_NAMES[t]})" for t in missing)
            raise WebhookRequired(
                f"Register a webhook before using the system: POST /api/v1/Webhook for {names}"
            )
    return state.caller


async def _access_claims(rt: Runtime, ring: keys.KeyRing, token: str) -> dict[str, Any]:
    """The access token's verified claims. The public key of a ``kid`` this process has not
    seen yet is looked up first (once per key and process)."""
    rules, now = policy(rt), rt.clock.now()
    try:
        found = tokens.claims(ring, rules, token, tokens.ACCESS_AUDIENCE, now, ring.loaded)
    except keys.NotLoaded as unseen:
        kid = unseen.kid
        public = await rt.db.run(lambda conn: ring.public(conn, kid), write=False)
        found = tokens.claims(ring, rules, token, tokens.ACCESS_AUDIENCE, now, lambda _kid: public)
    if found is None:
        raise Unauthorized(tokens.INVALID_ACCESS)
    return found


def _gated_side(request: Request, settings: Settings) -> Side | None:
    """The side whose webhooks the route requires ("register before use"): Buyer and Seller
    routes, by the path's first segment within the app (``/api/v1/Seller/...``); none for the
    Webhook routes, nor when the setting is off."""
    required = settings.rakmao_require_webhook
    if not (required if required is not None else not settings.demo):
        return None
    path: str = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
    return _GATED.get(path.removeprefix("/api/v1/").split("/", 1)[0])


def accounts(rt: Runtime) -> Accounts:
    """The cache ``identify`` reads account states from (one per app)."""
    return FreshCache(rt.db)


def forget_account(request: Request, account_id: int) -> None:
    """Drop the account's cached state after this process changed it (its webhooks)."""
    cached: Accounts = request.app.state.rakmao_accounts
    cached.discard(account_id)


#: Every route of ``/rakmao-po``.
PATH: RequestPath[tokens.Caller] = RequestPath(
    identify=identify, parse=parse, render=success, loads=lenient_loads
)
#: Every route of ``/rakmao``: no token (the routes that issue them).
OPEN: RequestPath[None] = RequestPath(
    identify=anyone, parse=parse, render=success, loads=lenient_loads
)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Envelope[None], "description": "Malformed body or parameter (named)"},
    401: {"model": Envelope[None], "description": "Missing, invalid or expired token"},
    500: {"model": Envelope[None], "description": "Server-side error"},
}
