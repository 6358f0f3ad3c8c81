"""RequestAPIToken, RenewAPIToken and the access-token check in front of every PO route.

Tokens are EdDSA JWTs (``kid`` in the header; ``iss``, ``aud``, ``exp`` checked against the
service's clock). Access tokens (audience ``rakmao-po``) last ``rakmao_access_token_seconds``.
A login opens a refresh-token *family*; only its latest refresh token renews, and presenting an
older one (a stolen copy, or a replay) revokes the whole family. Disabling an account raises its
``token_version``, which every token carries, so all its tokens stop working at once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from saphan.core.clock import to_utc_naive
from saphan.core.errors import describe_validation
from saphan.core.hashing import key_digest
from saphan.rakmao.errors import (
    BadRequest,
    InvalidRefreshToken,
    TooManyAttempts,
    Unauthorized,
)
from saphan.rakmao.jsonread import MalformedJSON, canonical_keys, tolerant_loads
from saphan.rakmao.keys import KeyRing
from saphan.rakmao.models import Account, LoginFailure, RefreshFamily
from saphan.rakmao.schemas import Credentials

ACCESS_AUDIENCE = "rakmao-po"
REFRESH_AUDIENCE = "rakmao-refresh"
ALGORITHM = "EdDSA"
_DECODE_OPTIONS: Any = {
    "verify_exp": False,  # checked against the service's clock, not the host's
    "verify_iat": False,
    "verify_nbf": False,
    "require": ["exp", "iat", "iss", "aud", "sub", "ver"],
}


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    access_seconds: int
    refresh_seconds: int
    max_failures: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Caller:
    """The account behind an access token."""

    account_id: int
    org_id: str | None
    org_name: str
    buyer_tax_id: str | None
    seller_tax_id: str | None


def strip_bearer(value: str | None) -> str:
    """``"Bearer Bearer x"`` / ``"Bearer x"`` / ``"x"`` -> ``"x"`` (the prefix comes back on the
    tokens themselves, so clients often send it twice)."""
    token = (value or "").strip()
    for _ in range(2):
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
    return token


# -- authen string ------------------------------------------------------------------------------


def decode_authen_string(authen: str) -> Credentials:
    """base64 (standard or URL-safe, padding optional) of ``{"UserName":...,"Password":...}``."""
    text = authen.strip()
    problem = 'authenString must be base64 of {"UserName":"...","Password":"..."}'
    try:
        raw = base64.b64decode(
            text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
        )
        data = tolerant_loads(raw)
    except (binascii.Error, ValueError, MalformedJSON):
        raise BadRequest(problem) from None
    if not isinstance(data, dict):
        raise BadRequest(problem)
    try:
        return Credentials.model_validate(canonical_keys(data, Credentials))
    except ValidationError as exc:
        raise BadRequest(f"{describe_validation(exc.errors())} in authenString") from None


def authen_string(username: str, password: str) -> str:
    """What an account's owner sends to RequestAPIToken."""
    body = json.dumps({"UserName": username, "Password": password}, ensure_ascii=False)
    return base64.b64encode(body.encode()).decode()


# -- issuing ------------------------------------------------------------------------------------


def _issue(
    session: Session,
    ring: KeyRing,
    policy: TokenPolicy,
    account: Account,
    family_id: str,
    now: dt.datetime,
    monotonic: float,
) -> tuple[dict[str, Any], str]:
    """The wire's ``data`` (token, refreshToken, expiration) and the refresh token's digest."""
    key = ring.active(session, now, monotonic)
    issued = int(now.timestamp())
    expiration = issued + policy.access_seconds
    common = {"iss": policy.issuer, "sub": str(account.id), "ver": account.token_version}
    access = jwt.encode(
        {
            **common,
            "aud": ACCESS_AUDIENCE,
            "iat": issued,
            "exp": expiration,
            "jti": secrets.token_hex(8),
        },
        key.private,
        algorithm=ALGORITHM,
        headers={"kid": key.kid},
    )
    refresh = jwt.encode(
        {
            **common,
            "aud": REFRESH_AUDIENCE,
            "iat": issued,
            "exp": issued + policy.refresh_seconds,
            "fam": family_id,
            "jti": secrets.token_hex(16),
        },
        key.private,
        algorithm=ALGORITHM,
        headers={"kid": key.kid},
    )
    data = {
        "token": f"Bearer {access}",
        "refreshToken": f"Bearer {refresh}",
        "expiration": expiration,
    }
    return data, refresh


def _claims(
    session: Session | Connection,
    ring: KeyRing,
    policy: TokenPolicy,
    token: str,
    audience: str,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The verified claims, or ``None`` for any token that is not ours, valid and unexpired.
    A signature once verified is remembered (``ring.verified``), so a client's every request
    does not pay for it again; expiry is checked every time."""
    claims = ring.verified.get((token, audience, policy.issuer))
    if claims is None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str):
                return None
            public = ring.public(session, kid)
            if public is None:
                return None
            claims = jwt.decode(
                token,
                public,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=policy.issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.PyJWTError:
            return None
        ring.remember((token, audience, policy.issuer), claims)
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now.timestamp():
        return None
    return claims


# -- RequestAPIToken -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginCheck:
    """What the first (read-only) step of a login found."""

    username: str
    username_digest: str
    password_hash: str | None


def login_check(
    session: Session,
    secret: bytes,
    policy: TokenPolicy,
    credentials: Credentials,
    now: dt.datetime,
) -> LoginCheck:
    """Refuse a username with too many recent failures (429), else find its password hash."""
    username = credentials.UserName.strip().lower()
    digest = key_digest(secret, "rakmao-login:" + username)
    since = to_utc_naive(now) - dt.timedelta(seconds=policy.window_seconds)
    failures, oldest = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.username_digest == digest, LoginFailure.at > since
        )
    ).one()
    if failures >= policy.max_failures:
        wait = (oldest - since).total_seconds()
        raise TooManyAttempts(headers={"Retry-After": str(max(1, math.ceil(wait)))})
    account = session.scalar(
        select(Account).where(Account.username == username, Account.disabled_at.is_(None))
    )
    return LoginCheck(username, digest, account.password_hash if account else None)


def login_finish(
    session: Session,
    ring: KeyRing,
    policy: TokenPolicy,
    check: LoginCheck,
    password_ok: bool,
    now: dt.datetime,
    monotonic: float,
) -> dict[str, Any] | None:
    """Tokens for a good password (its failures forgotten); a failure recorded for a bad one
    (``None``; the caller answers 401 once this is committed)."""
    account = (
        session.scalar(
            select(Account).where(Account.username == check.username, Account.disabled_at.is_(None))
        )
        if password_ok
        else None
    )
    if account is None:
        session.add(LoginFailure(username_digest=check.username_digest, at=to_utc_naive(now)))
        return None
    session.execute(
        delete(LoginFailure).where(LoginFailure.username_digest == check.username_digest)
    )
    family = RefreshFamily(
        id=str(uuid.uuid4()), account_id=account.id, current_digest="", created_at=to_utc_naive(now)
    )
    session.add(family)
    data, refresh = _issue(session, ring, policy, account, family.id, now, monotonic)
    family.current_digest = key_digest(ring.secret, refresh)
    return data


# -- RenewAPIToken -------------------------------------------------------------------------------


def renew(
    session: Session,
    ring: KeyRing,
    policy: TokenPolicy,
    presented: str,
    now: dt.datetime,
    monotonic: float,
) -> dict[str, Any] | None:
    """New tokens for the family's latest refresh token. ``None`` when an older one was presented:
    the family is then revoked (the caller answers 401 once that is committed)."""
    token = strip_bearer(presented)
    claims = _claims(session, ring, policy, token, REFRESH_AUDIENCE, now)
    if claims is None or not isinstance(claims.get("fam"), str):
        raise InvalidRefreshToken()
    family = session.get(RefreshFamily, claims["fam"])
    if family is None or family.revoked_at is not None or str(family.account_id) != claims["sub"]:
        raise InvalidRefreshToken()
    account = session.get(Account, family.account_id)
    if account is None or account.disabled_at is not None or account.token_version != claims["ver"]:
        raise InvalidRefreshToken()
    data, refresh = _issue(session, ring, policy, account, family.id, now, monotonic)
    moved = session.execute(  # type: ignore[attr-defined]
        update(RefreshFamily)
        .where(
            RefreshFamily.id == family.id,
            RefreshFamily.current_digest == key_digest(ring.secret, token),
            RefreshFamily.revoked_at.is_(None),
        )
        .values(current_digest=key_digest(ring.secret, refresh))
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        session.execute(
            update(RefreshFamily)
            .where(RefreshFamily.id == family.id)
            .values(revoked_at=to_utc_naive(now))
            .execution_options(synchronize_session=False)
        )
        return None
    return data


# -- every PO request ---------------------------------------------------------------------------

_ACCOUNT = select(
    Account.org_id,
    Account.org_name,
    Account.buyer_tax_id,
    Account.seller_tax_id,
    Account.token_version,
    Account.disabled_at,
).where(Account.id == bindparam("account_id"))


def caller(
    session: Session | Connection,
    ring: KeyRing,
    policy: TokenPolicy,
    authorization: str | None,
    now: dt.datetime,
) -> Caller:
    token = strip_bearer(authorization)
    if not token:
        raise Unauthorized("Missing Authorization: Bearer <token> header")
    claims = _claims(session, ring, policy, token, ACCESS_AUDIENCE, now)
    if claims is None:
        raise Unauthorized("Invalid or expired access token")
    try:
        account_id = int(claims["sub"])
    except (TypeError, ValueError):
        raise Unauthorized("Invalid or expired access token") from None
    row = session.execute(_ACCOUNT, {"account_id": account_id}).first()
    if row is None or row.disabled_at is not None or row.token_version != claims["ver"]:
        raise Unauthorized("Invalid or expired access token")
    return Caller(account_id, row.org_id, row.org_name, row.buyer_tax_id, row.seller_tax_id)
