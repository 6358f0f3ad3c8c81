"""Signing secrets: made, kept encrypted at rest, and used to sign Standard Webhooks requests.

The encryption key is derived from ``SAPHAN_SECRET_KEY`` with HKDF (its own ``info``, so it is
independent of the keyed hashes made from the same secret); the cipher is Fernet (AES-128-CBC
with HMAC-SHA256). Changing ``SAPHAN_SECRET_KEY`` makes stored signing secrets unreadable:
rotate each subscription's secret afterwards.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from standardwebhooks import Webhook

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    """``whsec_`` and 24 random bytes in base64, the form Standard Webhooks libraries read."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SecretBox:
    """Encrypts and decrypts signing secrets with a key derived from the server secret."""

    def __init__(self, server_secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"saphan",
            info=b"saphan.core.webhooks signing secrets v1",
        ).derive(server_secret)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a signing secret cannot be decrypted (SAPHAN_SECRET_KEY?)") from exc


def signature_header(secrets_in_use: list[str], message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,...`` per secret, space-separated."""
    at = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return " ".join(Webhook(s).sign(message_id, at, body) for s in secrets_in_use)
