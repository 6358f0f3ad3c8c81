"""Secret hashing.

High-entropy secrets (API keys, session and refresh tokens) get a keyed SHA-256 with the
server secret: fast enough for every request, useless to anyone who steals the table without
the key, and indexable so a key finds its row in one lookup. Human-chosen passwords get argon2.
Comparisons are constant-time.
"""

from __future__ import annotations

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_passwords = PasswordHasher()
#: Verified against when the user is unknown, so both paths cost the same.
_DUMMY_HASH = _passwords.hash("saphan-timing-equaliser")


def key_digest(secret: bytes, value: str) -> str:
    """Keyed digest of a high-entropy secret, hex; store this, never the value."""
    return hmac.digest(secret, value.encode(), "sha256").hex()  # one C call, every request


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user (``stored=None``) costs the same."""
    try:
        return _passwords.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
