"""Ed25519 signing keys for Rakmao's JWTs (EdDSA), and the JWKS that publishes them.

The private half is stored encrypted (AES-GCM, key derived from the server secret), so a copy of
the database alone cannot mint tokens. The newest unretired key signs; ``rotate`` retires it and
makes a new one, and a retired key stays in the JWKS (and keeps verifying) until every token it
signed has expired, so a rotation logs nobody out.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import Connection, or_, select, update
from sqlalchemy.orm import Session

from saphan.core.clock import to_utc_naive
from saphan.rakmao.models import SigningKey

#: Reload the signing key from the database this often, so that every process picks up a
#: rotation done by another.
ACTIVE_KEY_TTL = 60.0
#: Verified tokens remembered per process (then forgotten all at once).
VERIFIED_CACHE = 10_000


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _wrapping_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"saphan-rakmao-signing-key-v1", hashlib.sha256).digest()


def _encrypt(secret: bytes, kid: str, raw: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_wrapping_key(secret)).encrypt(nonce, raw, kid.encode())
    return base64.b64encode(nonce + sealed).decode()


def _decrypt(secret: bytes, kid: str, stored: str) -> bytes:
    blob = base64.b64decode(stored)
    return AESGCM(_wrapping_key(secret)).decrypt(blob[:12], blob[12:], kid.encode())


class NotLoaded(LookupError):
    """This process has not looked up the public key ``kid`` yet (``KeyRing.public`` does)."""

    def __init__(self, kid: str) -> None:
        super().__init__(kid)
        self.kid = kid


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private: Ed25519PrivateKey


def new_key(session: Session, secret: bytes, now: dt.datetime) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    kid = f"{now:%Y%m%d}-{secrets.token_hex(6)}"
    key = SigningKey(
        kid=kid,
        private_key=_encrypt(secret, kid, raw),
        public_jwk={"kty": "OKP", "crv": "Ed25519", "x": _b64url(public), "kid": kid},
        created_at=to_utc_naive(now),
    )
    session.add(key)
    session.flush()
    return key


def rotate(session: Session, secret: bytes, now: dt.datetime) -> SigningKey:
    """Retire the signing key(s) and make a new one."""
    session.execute(
        update(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .values(retired_at=to_utc_naive(now))
    )
    return new_key(session, secret, now)


def published(session: Session, now: dt.datetime, keep: dt.timedelta) -> list[SigningKey]:
    """Keys whose tokens may still be alive: unretired, or retired less than ``keep`` ago."""
    cutoff = to_utc_naive(now) - keep
    return list(
        session.scalars(
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > cutoff))
            .order_by(SigningKey.id.desc())
        )
    )


class KeyRing:
    """What one process knows of the keys: the signing key (reloaded every minute) and the public
    keys by ``kid`` (loaded when a token names one not seen yet)."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self._lock = threading.Lock()
        self._active: ActiveKey | None = None
        self._active_loaded = 0.0
        self._public: dict[str, Ed25519PublicKey | None] = {}
        #: (token, audience, issuer) -> claims of tokens whose signature checked out.
        self.verified: dict[tuple[str, str, str], dict[str, Any]] = {}

    def remember(self, key: tuple[str, str, str], claims: dict[str, Any]) -> None:
        if len(self.verified) >= VERIFIED_CACHE:
            self.verified.clear()
        self.verified[key] = claims

    def active(self, session: Session, now: dt.datetime, monotonic: float) -> ActiveKey:
        with self._lock:
            if self._active is not None and monotonic - self._active_loaded < ACTIVE_KEY_TTL:
                return self._active
        row = session.scalars(
            select(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.id.desc())
            .limit(1)
        ).first()
        if row is None:
            row = new_key(session, self.secret, now)
        private = Ed25519PrivateKey.from_private_bytes(
            _decrypt(self.secret, row.kid, row.private_key)
        )
        active = ActiveKey(row.kid, private)
        with self._lock:
            self._active, self._active_loaded = active, monotonic
            self._public[row.kid] = private.public_key()
        return active

    def cached(self) -> ActiveKey | None:
        """The signing key this process last loaded, if any (no I/O)."""
        with self._lock:
            return self._active

    def forget(self) -> None:
        """Drop what is cached (after a rotation in this process)."""
        with self._lock:
            self._active = None
            self._public.clear()
            self.verified.clear()

    def loaded(self, kid: str) -> Ed25519PublicKey | None:
        """``public`` without I/O, for the event loop: ``NotLoaded`` when the ring has not
        looked ``kid`` up yet."""
        with self._lock:
            if kid in self._public:
                return self._public[kid]
        raise NotLoaded(kid)

    def public(self, session: Session | Connection, kid: str) -> Ed25519PublicKey | None:
        """The public key for ``kid``, ``None`` if there is none. A key retired by a rotation
        still verifies: the tokens it signed expire on their own."""
        with self._lock:
            if kid in self._public:
                return self._public[kid]
        jwk = session.scalar(select(SigningKey.public_jwk).where(SigningKey.kid == kid))
        key = None
        if jwk is not None:
            x = jwk["x"]
            key = Ed25519PublicKey.from_public_bytes(
                base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
            )
        with self._lock:
            if key is not None or len(self._public) < 1000:
                self._public[kid] = key
        return key
