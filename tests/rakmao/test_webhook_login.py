"""The IsLogin header provider's cold start: with no key loaded it refuses (that attempt fails
and is retried) and loads the key in the background, never on the caller's thread."""

from __future__ import annotations

import datetime as dt
import threading
import time

import jwt
import pytest

from saphan.core.runtime import Runtime
from saphan.core.webhooks import Outgoing
from saphan.rakmao import keys
from saphan.rakmao.webhook_login import KeyNotLoaded, LoginSigner


def outgoing(is_login: bool) -> Outgoing:
    return Outgoing(
        service="rakmao",
        subscription_id=7,
        owner_ref="account:42/301",
        attributes={"is_login": is_login},
        url="https://hooks.example.com/ready",
        event_type="DocumentReady",
        message_id="msg_1",
        now=dt.datetime.now(dt.UTC),
    )


def test_a_cold_signer_refuses_once_then_signs(runtime: Runtime) -> None:
    signer = LoginSigner()
    ring = keys.KeyRing(runtime.secret)
    signer.configure(runtime, ring)
    assert signer.headers(outgoing(False)) == {}
    before = threading.active_count()
    with pytest.raises(KeyNotLoaded):
        signer.headers(outgoing(True))
    assert ring.cached() is None  # nothing loaded on the caller's thread
    for _ in range(200):
        try:
            headers = signer.headers(outgoing(True))
            break
        except KeyNotLoaded:
            time.sleep(0.025)
    else:
        raise AssertionError("the background load never finished")
    assert threading.active_count() <= before + 1
    token = headers["Authorization"].removeprefix("Bearer ")
    kid = jwt.get_unverified_header(token)["kid"]
    with runtime.db.read() as session:
        public = ring.public(session, kid)
    claims = jwt.decode(
        token,
        public,  # type: ignore[arg-type]
        algorithms=["EdDSA"],
        audience="https://hooks.example.com/ready",
        issuer=runtime.settings.rakmao_issuer,
    )
    assert (claims["sub"], claims["webhook_id"]) == ("42", "msg_1")
