"""Secret hashing.

High-entropy secrets (API keys, session and refresh tokens) get a keyed SHA-256 with the
server secret: fast enough for every request, useless to anyone who steals the table without
the key, and indexable so a key finds its row in one lookup. Human-chosen passwords get argon2.
Comparisons are constant-time.

Argon2 is slow on purpose (about 0.1 s of a core at the production cost, with its 4 lanes on
threads of their own), so it never runs on the event loop: requests run it through
``Runtime.cpu`` (``core.cpu``), in turn with the other CPU-heavy steps. And at most
``CONCURRENCY`` hashes or verifications run at once in a process, whoever asks (a semaphore in
``hash_password`` and ``verify_password``: operator routes and commands hash on threads of their
own).
"""

from __future__ import annotations

import functools
import hmac
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from saphan.core.cpu import CONCURRENCY

_passwords = PasswordHasher()

#: Argon2 hashes and verifications at once in a process, whoever asks.
_turns = threading.BoundedSemaphore(CONCURRENCY)


#: An argon2 hash made with the parameters above (of "saphan-timing-equaliser"), written here
#: rather than made on import: every ``saphan`` command and server process imports this module,
#: and one hash is most of a second on a busy 2-core machine.
_WRITTEN_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$lzx4Fgr/p3O/lVdzTm0seA"
    "$iIFf5yQfGklnbsbA1hAT242/z91t2Qdc+UEdrBdtFJI"
)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so both paths cost the same: the written one
    while its parameters are the hasher's (argon2-cffi may change its defaults), else a new one."""
    if _passwords.check_needs_rehash(_WRITTEN_DUMMY_HASH):
        return _passwords.hash("saphan-timing-equaliser")
    return _WRITTEN_DUMMY_HASH


def key_digest(secret: bytes, value: str) -> str:
    """Keyed digest of a high-entropy secret, hex; store this, never the value. (A copy of
    the key's HMAC, made once: ``hmac.digest`` lets go of the GIL, and on a server whose
    writer thread wants it the event loop waited ~75 us to get it back, every request.)"""
    mac = _keyed(secret).copy()
    mac.update(value.encode())
    return mac.hexdigest()


@functools.lru_cache(maxsize=4)
def _keyed(secret: bytes) -> hmac.HMAC:
    return hmac.new(secret, digestmod="sha256")


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    """Blocks (argon2): on a worker thread, or through ``Runtime.cpu`` from a request."""
    with _turns:
        return _passwords.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user (``stored=None``) costs the same.
    Blocks (argon2), as ``hash_password``."""
    dummy = _dummy_hash() if stored is None else ""
    with _turns:
        try:
            return _passwords.verify(stored or dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
