"""``saphan depa-dp ...`` as a DP's operator runs it: users from a CSV file, sync, manual links,
report, batches and verify against a live provider, with the key only ever in the environment."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from saphan.cli import app as saphan
from saphan.core.clock import Clock
from saphan.core.db import Database
from saphan.depa.dp.models import DailyUsage
from saphan.depa.dp.report import recent_days
from saphan.depa.dp.track import UsageEvent, record
from tests.conftest import LIVE_START_SECONDS, SECRET, free_port
from tests.depa_dp.conftest import DP_NOW, DepaDP, bangkok, voucher

Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str, depa_dp: DepaDP) -> Run:
    """``run("depa-dp", "sync")``: the command on the test database, against the provider."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
        base: dict[str, str | None] = {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": SECRET,
            "SAPHAN_DEMO": None,
            "DEPA_API_KEY": depa_dp.key,
            "DEPA_BASE_URL": depa_dp.provider.depa_url,
            "DEPA_IS_PRODUCTION": None,
            "DEPA_DP_REPORT_RETRIES": "1",
            "COLUMNS": None,
        }
        result = runner.invoke(saphan, list(args), env={**base, **(env or {})})
        assert depa_dp.key not in result.output  # the key is never printed
        return result

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.output


def users_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_users_import_adds_then_updates(run: Run, tmp_path: Path) -> None:
    first = users_file(
        tmp_path,
        "appUserId,phone,idCard\nu1,081-234-5678,1101700203451\nu2,+66898765432,\nu3,,\n",
    )
    assert ok(run("depa-dp", "users", "import", first)) == "3 users added, 0 updated\n"
    second = users_file(tmp_path, "appUserId,phone\nu3,66-82-222-2222\nu4,0833333333\n")
    assert ok(run("depa-dp", "users", "import", second)) == "1 user added, 1 updated\n"

    listed = ok(run("depa-dp", "users", "list")).splitlines()
    rows = [line.split("│")[1:-1] for line in listed if line.startswith("│")]
    assert [[c.strip() for c in row] for row in rows] == [
        ["u1", "+66812345678", "on file", "0"],
        ["u2", "+66898765432", "", "0"],
        ["u3", "+66822222222", "", "0"],
        ["u4", "+66833333333", "", "0"],
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "appUserId,phone\nu1,0812345678\nu2,12\n",
            "line 3: not a phone number: '12' (phone)",
            id="bad-phone",
        ),
        pytest.param(
            "appUserId,phone\nu1,0812345678\n,0898765432\n",
            "line 3: String should have at least 1 character (appUserId)",
            id="no-id",
        ),
        pytest.param(
            "user,phone\nu1,0812345678\n",
            "the header row must name appUserId (and phone, idCard)",
            id="no-header",
        ),
        pytest.param(
            "appUserId,phone,email\nu1,0812345678,a@b.c\n", "unknown column(s): email", id="extra"
        ),
        pytest.param(
            "appUserId,phone\nu1,0812345678\nu\x002,\n",
            "line 3: Must not contain NUL characters (appUserId)",
            id="nul",
        ),
        pytest.param(
            "appUserId,idCard\nu1,abc\n",
            "line 2: a national ID needs digits (idCard)",
            id="bad-id-card",
        ),
    ],
)
def test_a_bad_users_file_is_refused_whole(
    run: Run, tmp_path: Path, text: str, message: str
) -> None:
    path = users_file(tmp_path, text)
    result = run("depa-dp", "users", "import", path)
    assert result.exit_code == 1
    assert result.output.replace("\n", "") == f"{path}: {message}"
    assert "u1" not in ok(run("depa-dp", "users", "list"))


def test_sync_link_report_verify(
    run: Run, depa_dp: DepaDP, dp_db: Database, tmp_path: Path
) -> None:
    code = depa_dp.code
    depa_dp.issue(
        [
            voucher(code(0), mobileNo="0812345678"),
            voucher(code(1), mobileNo="0822222222"),  # two users hold this phone
            voucher(code(2), mobileNo="0899999999"),  # nobody does
        ]
    )
    path = users_file(
        tmp_path, "appUserId,phone\nu0,+66812345678\ntwin-a,0822222222\ntwin-b,082 222 2222\n"
    )
    ok(run("depa-dp", "users", "import", path))

    synced = ok(run("depa-dp", "sync"))
    assert synced.splitlines() == [
        "3 vouchers in 1 page: 3 new, 0 changed status",
        "linked now: 1 by mobileNo, 0 by idCard; linked before: 0; unmatched: 1; conflicts: 1",
        f"unmatched: {code(2)}",
        f"conflict: {code(1)}: 2 users share its mobileNo (twin-a, twin-b)",
        "link the rest with: saphan depa-dp link VOUCHER APP_USER_ID",
    ]

    assert ok(run("depa-dp", "link", code(1), "twin-b")) == f"{code(1)} linked to twin-b\n"
    refused = run("depa-dp", "link", code(1), "twin-a")
    assert (refused.exit_code, refused.output) == (
        1,
        f"{code(1)} is linked to twin-b (manual); use --force to relink\n",
    )
    assert ok(run("depa-dp", "link", code(1), "twin-a", "--force")).endswith("twin-a\n")
    missing = run("depa-dp", "link", "DV-NOPE", "u0")
    assert (missing.exit_code, missing.output) == (
        1,
        "No synced voucher DV-NOPE (run saphan depa-dp sync first)\n",
    )
    unlinked = ok(run("depa-dp", "vouchers", "--unlinked"))
    assert code(2) in unlinked
    assert code(0) not in unlinked

    record(
        dp_db,
        [
            UsageEvent(appUserId=u, at=bangkok("2025-11-19 10:00"), opens=2, minutes=15)
            for u in ("u0", "twin-a")
        ],
        DP_NOW,
    )
    reported = ok(run("depa-dp", "report", "--date", "2025-11-19"))
    assert reported.splitlines() == [
        "2025-11-19 (UAT):",
        "2 records to send, 0 reported before and unchanged",
        "sent 2 records in 1 batch",
    ]
    again = ok(run("depa-dp", "report", "--date", "2025-11-19"))
    assert again.splitlines()[1:] == [
        "0 records to send, 2 reported before and unchanged",
        "sent 0 records in 0 batches",
    ]
    assert {(r["voucherCode"], r["appUserId"]) for r in depa_dp.usage()} == {
        (code(0), "u0"),
        (code(1), "twin-a"),
    }
    assert "sent" in ok(run("depa-dp", "batches", "--state", "sent"))

    assert ok(run("depa-dp", "verify", "--date", "2025-11-19")).splitlines() == [
        "2 records of 2 vouchers checked",
        "depa holds every record as sent",
    ]
    response = httpx.post(
        depa_dp.provider.depa_url + "/api/dp/VoucherUsage",
        headers={"x-api-key": depa_dp.key},
        json={
            "isProduction": False,
            "vouchers": [
                {"accessDate": "2025-11-19", "voucherCode": code(0), "appUserId": "u0",
                 "accessCount": 2, "accessTime": 16, "lat": 0, "lon": 0},
            ],
        },
    )  # fmt: skip
    assert response.status_code == 200
    changed = run("depa-dp", "verify", "--date", "2025-11-19")
    assert changed.exit_code == 1
    [line] = [row for row in changed.output.splitlines() if code(0) in row]
    assert [c.strip() for c in line.split("│")[1:-1]] == [
        "different",
        code(0),
        "2025-11-19",
        "accessTime",
        "15",
        "16",
    ]


def test_an_unreachable_depa_leaves_batches_pending(
    run: Run, depa_dp: DepaDP, dp_db: Database, tmp_path: Path
) -> None:
    depa_dp.issue([voucher(depa_dp.code(0), mobileNo="0812345678")])
    ok(run("depa-dp", "users", "import", users_file(tmp_path, "appUserId,phone\nu0,0812345678\n")))
    ok(run("depa-dp", "sync"))
    record(dp_db, [UsageEvent(appUserId="u0", at=bangkok("2025-11-19 10:00"), opens=1)], DP_NOW)
    nowhere = {"DEPA_BASE_URL": f"http://127.0.0.1:{free_port()}/depa"}

    failed = run("depa-dp", "report", "--date", "2025-11-19", env=nowhere)

    assert failed.exit_code == 1
    assert "1 batch left pending for the next run" in failed.output.replace("\n", " ")
    pending = ok(run("depa-dp", "batches", "--state", "pending"))
    assert "2025-11-19" in pending
    assert "Connection error" in pending
    # depa is back: the next run sends it
    assert "sent 1 record in 1 batch" in ok(run("depa-dp", "report", "--date", "2025-11-19"))
    assert len(depa_dp.usage()) == 1


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        pytest.param(
            ("sync",),
            {"DEPA_API_KEY": None},
            "The depa API key is missing: pass api_key=... to the client or set the "
            "DEPA_API_KEY environment variable.",
            id="no-key",
        ),
        pytest.param(
            ("report", "--date", "2025-13-01"), {}, "--date '2025-13-01': expected YYYY-MM-DD",
            id="bad-date",
        ),
        pytest.param(
            ("report", "--from", "2025-11-19", "--to", "2025-11-01"), {}, "--from is after --to",
            id="backwards",
        ),
        pytest.param(
            ("report", "--date", "2025-11-19", "--from", "2025-11-18"), {},
            "--date or --from/--to, not both", id="both",
        ),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2(
    run: Run, args: tuple[str, ...], env: dict[str, str | None], message: str
) -> None:
    result = run("depa-dp", *args, env=env)
    assert (result.exit_code, result.output.replace("\n", " ").strip()) == (2, message)


def test_serve_track_needs_a_token(run: Run) -> None:
    result = run("depa-dp", "serve-track", env={"DEPA_DP_TRACK_TOKEN": "short"})
    assert (result.exit_code, result.output) == (
        2,
        "set DEPA_DP_TRACK_TOKEN (at least 16 characters) first\n",
    )


@pytest.mark.live
def test_serve_track_records_usage_in_the_dp_store(database_url: str, dp_db: Database) -> None:
    """The track API the way a DP runs it: its own process, its own port."""
    token = "a-track-token-of-the-dp-0123456789"
    port = free_port()
    env = {
        **os.environ,
        "SAPHAN_DATABASE_URL": database_url,
        "SAPHAN_SECRET_KEY": SECRET,
        "DEPA_DP_TRACK_TOKEN": token,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "saphan", "depa-dp", "serve-track", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + LIVE_START_SECONDS  # a process start, on a loaded machine
        while True:
            try:
                httpx.get(url + "/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve-track did not start"
                assert process.poll() is None, "serve-track exited"
                time.sleep(0.1)
        response = httpx.post(
            url + "/dp/usage",
            json={"appUserId": "u1", "opens": 1, "at": "2025-11-19T10:00:00+07:00"},
            headers={"Authorization": f"Bearer {token}"},
        )
        refused = httpx.post(url + "/dp/usage", json={"appUserId": "u1", "opens": 1})
    finally:
        process.terminate()
        process.wait(10)
    assert (response.status_code, response.json()["days"]) == (
        200,
        [{"appUserId": "u1", "accessDate": "2025-11-19", "accessCount": 1, "accessTime": 0}],
    )
    assert refused.status_code == 401
    with dp_db.read() as session:
        assert session.scalars(select(DailyUsage.access_count)).all() == [1]


def test_a_long_unmatched_list_is_cut_short(run: Run, depa_dp: DepaDP) -> None:
    depa_dp.issue([voucher(depa_dp.code(n)) for n in range(25)])
    output = ok(run("depa-dp", "sync"))
    first_twenty = ", ".join(depa_dp.code(n) for n in range(20))
    assert f"unmatched: {first_twenty} and 5 more (saphan depa-dp vouchers --unlinked)" in (
        output.replace("\n", " ")
    )


@pytest.mark.parametrize(("days", "setting"), [(3, None), (1, "1"), (7, "7")])
def test_report_without_a_date_covers_the_last_days_up_to_yesterday(
    run: Run, days: int, setting: str | None
) -> None:
    expected = recent_days(Clock().now(), days)
    output = ok(run("depa-dp", "report", env={"DEPA_DP_CATCH_UP_DAYS": setting}))
    span = expected[0].isoformat() if days == 1 else f"{expected[0]} to {expected[-1]}"
    assert output.splitlines()[0] == f"{span} (UAT):"
    assert expected[-1] == Clock().today() - dt.timedelta(days=1)
