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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from saphan.core import login_limit
from saphan.core.boundary import check_value
from saphan.core.clock import to_utc_naive
from saphan.core.errors import describe_validation
from saphan.core.guid import new_guid
from saphan.core.hashing import key_digest
from saphan.rakmao.errors import (
    BadRequest,
    InvalidRefreshToken,
    TooManyAddressAttempts,
    TooManyAttempts,
    Unauthorized,
)
from saphan.rakmao.jsonread import MalformedJSON, canonical_keys, tolerant_loads
from saphan.rakmao.keys import KeyRing
from saphan.rakmao.models import Account, LoginFailure, RefreshFamily, WebhookRegistration
from saphan.rakmao.schemas import Credentials

ACCESS_AUDIENCE = "rakmao-po"
REFRESH_AUDIENCE = "rakmao-refresh"
ALGORITHM = "EdDSA"
INVALID_ACCESS = "Invalid or expired access token"
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
    #: Failed logins per client address, whatever the username (``core.login_limit``).
    address_limit: login_limit.Limit = login_limit.DEFAULT_ADDRESS_LIMIT


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
    check_value(data, "authenString")  # JSON inside JSON: the input boundary's rule too
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


#: ``kid`` -> the public key that signs under it (``None``: no such key).
PublicKeyOf = Callable[[str], Ed25519PublicKey | None]


def claims(
    ring: KeyRing,
    policy: TokenPolicy,
    token: str,
    audience: str,
    now: dt.datetime,
    public_key: PublicKeyOf,
) -> dict[str, Any] | None:
    """The verified claims, or ``None`` for any token that is not ours, valid and unexpired.
    A signature once verified is remembered (``ring.verified``), so a client's every request
    does not pay for it again; expiry is checked every time."""
    remembered = (token, audience, policy.issuer)
    found = ring.verified.get(remembered)
    if found is None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str):
                return None
            public = public_key(kid)
            if public is None:
                return None
            found = jwt.decode(
                token,
                public,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=policy.issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.PyJWTError:
            return None
        ring.remember(remembered, found)
    exp = found.get("exp")
    if not isinstance(exp, int) or exp <= now.timestamp():
        return None
    return found


# -- RequestAPIToken -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginCheck:
    """What the first (read-only) step of a login found."""

    username: str
    username_digest: str
    password_hash: str | None
    #: This attempt, counted against the client address until the password proves good.
    address_attempt: int | None = None


def login_check(
    session: Session,
    secret: bytes,
    policy: TokenPolicy,
    credentials: Credentials,
    now: dt.datetime,
    *,
    address: str | None = None,
) -> LoginCheck:
    """Refuse a username with too many recent failures (429); else count this attempt as a
    failure until its password proves good (``login_finish`` then forgets them all), and find
    the password hash. With the client's ``address``, the same against the address's failures
    whatever the username (``policy.address_limit``; a good password withdraws only its own
    attempt there).

    Check and count are one write, so attempts in parallel cannot all pass the limit before
    any of them is counted (40 wrong passwords at once were 34 checked against a limit of 5).
    On PostgreSQL a transaction lock on the username keeps it exact across processes too;
    SQLite writes one transaction at a time."""
    username = credentials.UserName.strip().lower()
    digest = key_digest(secret, "rakmao-login:" + username)
    if session.connection().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(digest))))
    since = to_utc_naive(now) - dt.timedelta(seconds=policy.window_seconds)
    failures, oldest = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.username_digest == digest, LoginFailure.at > since
        )
    ).one()
    if failures >= policy.max_failures:
        wait = (oldest - since).total_seconds()
        raise TooManyAttempts(headers={"Retry-After": str(max(1, math.ceil(wait)))})
    session.add(LoginFailure(username_digest=digest, at=to_utc_naive(now)))
    counted: int | None = None
    if address is not None:
        where = login_limit.address(secret, "rakmao-login", address)
        by_address = login_limit.attempt(session, where, policy.address_limit, now)
        if isinstance(by_address, login_limit.Refused):
            # Raised: this transaction, the username's count with it, is rolled back.
            raise TooManyAddressAttempts(headers={"Retry-After": str(by_address.retry_after)})
        counted = by_address
    account = session.scalar(
        select(Account).where(Account.username == username, Account.disabled_at.is_(None))
    )
    return LoginCheck(username, digest, account.password_hash if account else None, counted)


def login_finish(
    session: Session,
    ring: KeyRing,
    policy: TokenPolicy,
    check: LoginCheck,
    password_ok: bool,
    now: dt.datetime,
    monotonic: float,
) -> dict[str, Any] | None:
    """Tokens for a good password (its failures forgotten, the attempt ``login_check``
    counted among them); ``None`` for a bad one, whose attempt stays counted (the caller
    answers 401)."""
    account = (
        session.scalar(
            select(Account).where(Account.username == check.username, Account.disabled_at.is_(None))
        )
        if password_ok
        else None
    )
    if account is None:
        return None
    session.execute(
        delete(LoginFailure).where(LoginFailure.username_digest == check.username_digest)
    )
    if check.address_attempt is not None:
        login_limit.withdraw(session, check.address_attempt)
    family = RefreshFamily(
        id=new_guid(), account_id=account.id, current_digest="", created_at=to_utc_naive(now)
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
    found = claims(
        ring, policy, token, REFRESH_AUDIENCE, now, lambda kid: ring.public(session, kid)
    )
    if found is None or not isinstance(found.get("fam"), str):
        raise InvalidRefreshToken()
    family = session.get(RefreshFamily, found["fam"])
    if family is None or family.revoked_at is not None or str(family.account_id) != found["sub"]:
        raise InvalidRefreshToken()
    account = session.get(Account, family.account_id)
    if account is None or account.disabled_at is not None or account.token_version != found["ver"]:
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


@dataclass(frozen=True, slots=True)
class AccountState:
    """What an access check needs of an enabled account, read in one statement and kept in
    memory for a moment (``wire.identify``): the caller, the token version its tokens must
    carry, and the webhook types it has registered (register before use)."""

    caller: Caller
    token_version: int
    webhook_types: frozenset[int]


_ACCOUNT_STATE = (
    select(
        Account.org_id,
        Account.org_name,
        Account.buyer_tax_id,
        Account.seller_tax_id,
        Account.token_version,
        WebhookRegistration.type,
    )
    .outerjoin(WebhookRegistration, WebhookRegistration.account_id == Account.id)
    .where(Account.id == bindparam("account_id"), Account.disabled_at.is_(None))
)


def account_state(conn: Connection, account_id: int) -> AccountState | None:
    """The account's state, ``None`` if it does not exist or is disabled."""
    rows = conn.execute(_ACCOUNT_STATE, {"account_id": account_id}).all()
    if not rows:
        return None
    first = rows[0]
    return AccountState(
        Caller(account_id, first.org_id, first.org_name, first.buyer_tax_id, first.seller_tax_id),
        first.token_version,
        frozenset(row.type for row in rows if row.type is not None),
    )


def account_of(access: dict[str, Any]) -> int:
    """The account an access token's verified claims name."""
    try:
        return int(access["sub"])
    except (TypeError, ValueError):
        raise Unauthorized(INVALID_ACCESS) from None


def checked(state: AccountState | None, access: dict[str, Any]) -> AccountState:
    """The token's account, if it is still enabled and the token not revoked (disabling an
    account raises its token version)."""
    if state is None or state.token_version != access["ver"]:
        raise Unauthorized(INVALID_ACCESS)
    return state
