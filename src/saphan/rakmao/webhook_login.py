"""``IsLogin``: deliveries to a registration with ``IsLogin: true`` carry
``Authorization: Bearer <JWT>`` (DESIGN.md), a short-lived token signed with Rakmao's own keys
for the registering account, its audience the endpoint URL, verifiable with the public keys at
``/rakmao/.well-known/jwks.json``.

The engine calls the header provider on its event loop for every attempt, so the provider does
no I/O: it signs with a key loaded beforehand. ``SIGNER.configure`` (the app does it; a bare
``saphan worker`` process falls back to its environment's settings) says where the keys are;
``SIGNER.load`` loads the signing key (at startup, or in a background thread when the provider
finds none or a stale one). An attempt made before any key is loaded fails and is retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Mapping

import jwt
from sqlalchemy.orm import Session

from saphan.config import Settings
from saphan.core.runtime import Runtime
from saphan.core.webhooks import Outgoing, register_header_provider
from saphan.rakmao import keys
from saphan.rakmao.tokens import ALGORITHM

log = logging.getLogger("saphan.rakmao.webhooks")
SERVICE = "rakmao"


class KeyNotLoaded(RuntimeError):
    """The provider was called before the signing key was loaded (the attempt is retried)."""


class LoginSigner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rt: Runtime | None = None
        self._ring: keys.KeyRing | None = None
        self._key: keys.ActiveKey | None = None
        self._loaded_at = 0.0
        self._loading = False

    def configure(self, rt: Runtime, ring: keys.KeyRing) -> None:
        """Where the keys are (no I/O)."""
        with self._lock:
            self._rt, self._ring = rt, ring
            self._key = None

    def prime(self, session: Session, now: dt.datetime) -> None:
        """Load the signing key in the caller's session (an ``IsLogin`` registration does), so
        this process's deliveries need not wait for the background load."""
        with self._lock:
            ring = self._ring
        if ring is not None:
            key = ring.active(session, now, time.monotonic())
            with self._lock:
                self._key, self._loaded_at = key, time.monotonic()

    def load(self) -> keys.ActiveKey:
        """Load (or make) the signing key: database work, so never on the event loop."""
        with self._lock:
            rt, ring = self._rt, self._ring
        if rt is None or ring is None:
            rt = Runtime.from_settings(Settings())
            ring = keys.KeyRing(rt.secret)
            with self._lock:
                self._rt, self._ring = rt, ring
        with rt.db.write(invalidates=False) as session:
            key = ring.active(session, rt.clock.now(), time.monotonic())
        with self._lock:
            self._key, self._loaded_at = key, time.monotonic()
        return key

    def _load_in_background(self) -> None:
        def run() -> None:
            try:
                self.load()
            except Exception:
                log.exception("loading Rakmao's signing key for IsLogin failed")
            finally:
                with self._lock:
                    self._loading = False

        with self._lock:
            if self._loading:
                return
            self._loading = True
        threading.Thread(target=run, name="rakmao-islogin-key", daemon=True).start()

    def settings(self) -> Settings | None:
        with self._lock:
            return None if self._rt is None else self._rt.settings

    def headers(self, outgoing: Outgoing) -> Mapping[str, str]:
        """The header provider: ``Authorization`` for ``is_login`` registrations, else nothing."""
        if not outgoing.attributes.get("is_login"):
            return {}
        with self._lock:
            key, age, ring = self._key, time.monotonic() - self._loaded_at, self._ring
        if key is None and ring is not None:
            key = ring.cached()  # the app's ring, loaded by any login in this process
        if key is None or age > keys.ACTIVE_KEY_TTL:
            self._load_in_background()  # picks up a rotation; the current key still verifies
        if key is None:
            raise KeyNotLoaded("IsLogin: Rakmao's signing key is not loaded yet")
        settings = self.settings() or Settings()
        account = outgoing.owner_ref.removeprefix("account:").split("/", 1)[0]
        issued = int(outgoing.now.timestamp())
        token = jwt.encode(
            {
                "iss": settings.rakmao_issuer,
                "sub": account,
                "aud": outgoing.url,
                "iat": issued,
                "exp": issued + settings.rakmao_webhook_jwt_seconds,
                "jti": secrets.token_hex(8),
                "webhook_id": outgoing.message_id,
            },
            key.private,
            algorithm=ALGORITHM,
            headers={"kid": key.kid},
        )
        return {"Authorization": f"Bearer {token}"}


SIGNER = LoginSigner()
register_header_provider(SERVICE, SIGNER.headers)
