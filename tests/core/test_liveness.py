"""``/healthz`` answers within 500 ms while 20 logins and the backtracking ("ReDoS") bodies are in
flight (issue 13 item 10: 20 logins at once with unknown usernames pushed it to 1-4 s, and 16 KB
of escaped quotes froze every API for 5 s).

Against ``saphan serve`` in a process of its own, as production runs it: it hashes passwords at
the production cost (argon2id, 64 MiB, 3 passes), unlike the test process. Logins with unknown
usernames are verified against a dummy hash, so each costs one full argon2 verification.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest

from tests.conftest import LiveServer

REQUEST = "/rakmao/api/v1/Authentication/RequestAPIToken"
LOGINS = 20
#: The issue's 16 KB body, and the same just under the 1 MiB body limit.
BACKTRACKING = [
    b'"' + b'\\"' * 8000,
    b'"' + b'\\"' * ((1 << 20) // 2 - 8),
]
WITHIN = 0.5


def unknown_login(n: int) -> str:
    payload = {"UserName": f"nobody-{n}", "Password": "not-a-password"}
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.timeout(300)
async def test_healthz_answers_within_500_ms_while_logins_and_hostile_bodies_run(
    live_server: LiveServer,
) -> None:
    limits = httpx.Limits(max_connections=LOGINS + len(BACKTRACKING) + 1)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=120, limits=limits) as http:
        assert (await http.get("/healthz")).status_code == 200  # connected, warmed
        started = time.perf_counter()
        work = [
            asyncio.create_task(http.post(REQUEST, json=unknown_login(n))) for n in range(LOGINS)
        ] + [
            asyncio.create_task(
                http.post(REQUEST, content=body, headers={"Content-Type": "application/json"})
            )
            for body in BACKTRACKING
        ]
        probes: list[float] = []
        while not all(task.done() for task in work[:LOGINS]):
            sent = time.perf_counter()
            health = await http.get("/healthz")
            probes.append(time.perf_counter() - sent)
            assert health.status_code == 200, health.text
            await asyncio.sleep(0.05)
        answers = await asyncio.gather(*work)
        took = time.perf_counter() - started

    logins, hostile = answers[:LOGINS], answers[LOGINS:]
    assert [answer.status_code for answer in logins] == [401] * LOGINS
    assert [answer.status_code for answer in hostile] == [400] * len(BACKTRACKING)
    # The logins were in flight for a while (20 argon2 verifications at the production cost,
    # a few at a time), and /healthz was asked throughout.
    assert len(probes) >= 5, (len(probes), took)
    slow = [round(seconds, 3) for seconds in probes if seconds >= WITHIN]
    assert not slow, f"{len(slow)} of {len(probes)} probes took 500 ms or more: {slow}"


@pytest.mark.timeout(300)
async def test_healthz_answers_within_500_ms_while_large_bodies_are_parsed(
    live_server: LiveServer,
) -> None:
    """Reading a large body costs CPU in proportion (the 1 MiB backtracking body ~0.1 s: the
    input boundary's scan, a failed parse, the trailing-comma pass, a second failed parse). Run
    on the event loop, eight of them at once held every other request ~0.8 s; /healthz must not
    wait behind them."""
    bodies = [BACKTRACKING[1]] * 8
    limits = httpx.Limits(max_connections=len(bodies) + 1)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=120, limits=limits) as http:
        assert (await http.get("/healthz")).status_code == 200
        work = [
            asyncio.create_task(
                http.post(REQUEST, content=body, headers={"Content-Type": "application/json"})
            )
            for body in bodies
        ]
        probes: list[float] = []
        while not all(task.done() for task in work):
            sent = time.perf_counter()
            assert (await http.get("/healthz")).status_code == 200
            probes.append(time.perf_counter() - sent)
            await asyncio.sleep(0.02)
        answers = await asyncio.gather(*work)

    assert [answer.status_code for answer in answers] == [400] * len(bodies)
    assert answers[0].json()["message"].startswith("Malformed JSON body")
    slow = [round(seconds, 3) for seconds in probes if seconds >= WITHIN]
    assert not slow, f"{len(slow)} of {len(probes)} probes took 500 ms or more: {slow}"
