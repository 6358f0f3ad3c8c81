"""The track API (``POST /dp/usage``), in-process over httpx on the DP's store: opens and
session time add up per user and Bangkok day, sessions split at midnight, the report's minutes
are capped at 1440, and every bad request is a 4xx in the envelope that changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from saphan.config import Settings
from saphan.core.clock import FixedClock
from saphan.core.db import Database
from saphan.core.runtime import Runtime
from saphan.depa.dp.api import create_track_app
from saphan.depa.dp.models import AppUser, DailyUsage

TOKEN = "track-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def track(
    settings: Settings, dp_db: Database, dp_clock: FixedClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_track_app(Runtime(settings=settings, db=dp_db, clock=dp_clock), TOKEN)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://dp.test") as http:
        yield http


def stored(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    AppUser.app_user_id,
                    DailyUsage.access_date,
                    DailyUsage.access_count,
                    DailyUsage.seconds,
                    DailyUsage.lat,
                    DailyUsage.lon,
                )
                .join(AppUser, AppUser.id == DailyUsage.user_id)
                .order_by(AppUser.app_user_id, DailyUsage.access_date)
            ).all()
        ]


def users(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AppUser.app_user_id).order_by(AppUser.app_user_id)))


async def post(track: httpx.AsyncClient, body: Any) -> dict[str, Any]:
    response = await track.post("/dp/usage", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_opens_and_sessions_add_up_per_bangkok_day(
    track: httpx.AsyncClient, dp_db: Database
) -> None:
    # the DP's clock: 2025-11-20 00:30 Bangkok
    first = await post(track, {"appUserId": "u1", "opens": 1})
    # a one-hour session that just ended: 30 minutes before midnight, 30 after
    second = await post(track, {"appUserId": "u1", "seconds": 3600})
    # the evening before, with a position; naive times are Bangkok, offsets are honoured
    third = await post(
        track,
        [
            {"appUserId": "u1", "at": "2025-11-19T21:00:00", "opens": 2, "minutes": 45,
             "lat": 13.7563, "lon": 100.5018},
            {"appUserId": "u2", "at": "2025-11-19T16:59:00Z", "opens": 1},  # 23:59 Bangkok
        ],
    )  # fmt: skip

    assert first == {
        "recorded": 1,
        "days": [
            {"appUserId": "u1", "accessDate": "2025-11-20", "accessCount": 1, "accessTime": 0}
        ],
    }
    assert second["days"] == [
        {"appUserId": "u1", "accessDate": "2025-11-19", "accessCount": 0, "accessTime": 30},
        {"appUserId": "u1", "accessDate": "2025-11-20", "accessCount": 1, "accessTime": 30},
    ]
    assert third["recorded"] == 2
    assert third["days"] == [
        {"appUserId": "u1", "accessDate": "2025-11-19", "accessCount": 2, "accessTime": 75},
        {"appUserId": "u2", "accessDate": "2025-11-19", "accessCount": 1, "accessTime": 0},
    ]
    rows = stored(dp_db)
    assert [r[:4] for r in rows] == [
        ("u1", *_day("2025-11-19"), 2, 1800 + 2700),
        ("u1", *_day("2025-11-20"), 1, 1800),
        ("u2", *_day("2025-11-19"), 1, 0),
    ]
    assert rows[0][4] == pytest.approx(13.7563, abs=1e-4)
    assert rows[0][5] == pytest.approx(100.5018, abs=1e-4)
    assert rows[1][4:] == (None, None)  # no position that day: the report sends 0
    assert users(dp_db) == ["u1", "u2"]  # users are created on first sight


def _day(text: str) -> tuple[Any]:
    import datetime as dt

    return (dt.date.fromisoformat(text),)


async def test_access_time_is_capped_at_1440_minutes_a_day(track: httpx.AsyncClient) -> None:
    # two devices, overlapping sessions: 26 hours of session time on one day
    answer = await post(
        track,
        [
            {"appUserId": "u1", "at": "2025-11-19T23:59:59", "seconds": 86_400 - 60},
            {"appUserId": "u1", "at": "2025-11-19T23:00:00", "minutes": 120},
        ],
    )
    [day] = [d for d in answer["days"] if d["accessDate"] == "2025-11-19"]
    assert day["accessTime"] == 1440


async def test_a_later_position_replaces_an_earlier_one(
    track: httpx.AsyncClient, dp_db: Database
) -> None:
    await post(track, {"appUserId": "u1", "opens": 1, "lat": 13.5, "lon": 100.5})
    await post(track, {"appUserId": "u1", "opens": 1})  # no position: keeps the last one
    await post(track, {"appUserId": "u1", "opens": 1, "lat": 18.75, "lon": 98.75})
    [row] = stored(dp_db)
    assert row[2:] == (3, 0, 18.75, 98.75)


def _envelope(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message}}


INVALID = "VALIDATION_ERROR"
EOF_OBJECT = "Malformed JSON body: EOF while parsing an object at line 1 column 30"
EOF_VALUE = "Malformed JSON body: EOF while parsing a value at line 1 column 0"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            b'{"appUserId": "u1", "opens": 1',
            _envelope(400, "BAD_REQUEST", EOF_OBJECT),
            id="malformed-json",
        ),
        pytest.param(b"", _envelope(400, "BAD_REQUEST", EOF_VALUE), id="empty"),
        pytest.param(
            {"opens": 1}, _envelope(422, INVALID, "Field required (appUserId)"), id="no-user"
        ),
        pytest.param(
            {"appUserId": "", "opens": 1},
            _envelope(422, INVALID, "String should have at least 1 character (appUserId)"),
            id="empty-user",
        ),
        pytest.param(
            {"appUserId": "u\x001", "opens": 1},
            # the input boundary's rule (core.boundary): NUL is a 400 wherever it is
            _envelope(400, "BAD_REQUEST", "Must not contain NUL characters (appUserId)"),
            id="nul-in-user",
        ),
        pytest.param(
            {"appUserId": "u1", "opens": -1},
            _envelope(422, INVALID, "Input should be greater than or equal to 0 (opens)"),
            id="negative-opens",
        ),
        pytest.param(
            {"appUserId": "u1", "opens": "5"},
            _envelope(422, INVALID, "Input should be a valid integer (opens)"),
            id="string-opens",
        ),
        pytest.param(
            {"appUserId": "u1", "seconds": 86_401},
            _envelope(422, INVALID, "Input should be less than or equal to 86400 (seconds)"),
            id="session-over-a-day",
        ),
        pytest.param(
            {"appUserId": "u1", "seconds": 86_400, "minutes": 1},
            _envelope(422, INVALID, "a session is at most 86400 seconds (seconds + 60 * minutes)"),
            id="seconds-and-minutes-over-a-day",
        ),
        pytest.param(
            {"appUserId": "u1", "opens": 1, "lat": 13.7},
            _envelope(422, INVALID, "lat and lon go together: give both or neither"),
            id="lat-without-lon",
        ),
        pytest.param(
            {"appUserId": "u1", "opens": 1, "lat": 91, "lon": 100},
            _envelope(422, INVALID, "Input should be less than or equal to 90 (lat)"),
            id="lat-out-of-range",
        ),
        pytest.param(
            {"appUserId": "u1"},
            _envelope(422, INVALID, "an event records opens, session time, or both"),
            id="nothing-to-record",
        ),
        pytest.param(
            {"appUserId": "u1", "opens": 1, "device": "x"},
            _envelope(422, INVALID, "Extra inputs are not permitted (device)"),
            id="unknown-field",
        ),
        pytest.param(
            {"appUserId": "u1", "opens": 1, "at": "2025-11-20T00:36:00+07:00"},
            _envelope(422, INVALID, "2025-11-20T00:36:00+07:00 is in the future (events[0].at)"),
            id="future",
        ),
        pytest.param(
            {"appUserId": "u1", "opens": 1, "at": "yesterday"},
            _envelope(422, INVALID, "Input should be a valid datetime, input is too short (at)"),
            id="bad-time",
        ),
        pytest.param([], _envelope(422, INVALID, "no events"), id="empty-list"),
        pytest.param(
            [{"appUserId": "u1", "opens": 1}, {"appUserId": "u2", "opens": -3}],
            _envelope(422, INVALID, "Input should be greater than or equal to 0 (events[1].opens)"),
            id="bad-second-event",
        ),
        pytest.param(
            [{"appUserId": "u1", "opens": 1}] * 1001,
            _envelope(422, INVALID, "at most 1000 events per request"),
            id="too-many-events",
        ),
        pytest.param(5, _envelope(422, INVALID, "Input should be an object"), id="a-number"),
    ],
)
async def test_bad_requests_are_refused_and_change_nothing(
    track: httpx.AsyncClient, dp_db: Database, body: Any, expected: tuple[int, dict[str, Any]]
) -> None:
    await post(track, {"appUserId": "before", "opens": 1})
    before = stored(dp_db)

    if isinstance(body, bytes):
        response = await track.post(
            "/dp/usage", content=body, headers={**AUTH, "Content-Type": "application/json"}
        )
    else:
        response = await track.post("/dp/usage", json=body, headers=AUTH)

    assert (response.status_code, response.json()) == expected
    assert stored(dp_db) == before
    assert users(dp_db) == ["before"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "Missing bearer token", id="missing"),
        pytest.param({"Authorization": "Bearer wrong-token"}, "Wrong bearer token", id="wrong"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, "Missing bearer token", id="not-bearer"),
    ],
)
async def test_the_track_token_is_required(
    track: httpx.AsyncClient, dp_db: Database, headers: dict[str, str], message: str
) -> None:
    response = await track.post("/dp/usage", json={"appUserId": "u1", "opens": 1}, headers=headers)
    assert (response.status_code, response.json()) == _envelope(401, "UNAUTHORIZED", message)
    assert stored(dp_db) == []


async def test_a_body_that_is_not_json_is_415(track: httpx.AsyncClient, dp_db: Database) -> None:
    response = await track.post(
        "/dp/usage", content=b"appUserId=u1", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert (response.status_code, response.json()) == _envelope(
        415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"
    )
    assert stored(dp_db) == []


async def test_the_openapi_documents_the_route(track: httpx.AsyncClient) -> None:
    schema = (await track.get("/openapi.json")).json()
    operation = schema["paths"]["/dp/usage"]["post"]
    assert operation["operationId"] == "recordUsage"
    assert "UsageEvent" in schema["components"]["schemas"]
    assert "422" in operation["responses"]
