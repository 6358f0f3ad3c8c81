"""``saphan depa ...``, ``saphan db upgrade`` and ``saphan demo seed``: what an operator sees at the
shell, and that what the commands do is what the running app then serves (same database, same
secret, so a key the command issues works against the app)."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from saphan.cli import app as saphan
from saphan.core.db import Base
from saphan.depa import demo
from tests.conftest import SECRET

ADMIN = "/admin/depa"
DEPA = "/depa/api/dp"
SPEC_EXAMPLES = Path(__file__).parent / "spec_examples"
INVALID_KEY = {"success": False, "errorMessage": "Invalid API key", "data": None}

Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str) -> Run:
    """``run("depa", "dp", "list")``: the ``saphan`` command on the test database."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
        base: dict[str, str | None] = {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": SECRET,
            # Restored after each run: `demo seed` sets SAPHAN_DEMO in the process environment.
            "SAPHAN_DEMO": None,
            "SAPHAN_ADMIN_TOKEN": None,
            # As a pipe sees it: no terminal, no width (tables must not be cut to 80 columns).
            "COLUMNS": None,
        }
        return runner.invoke(saphan, list(args), env={**base, **(env or {})})

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    assert "\x1b[" not in result.output  # no terminal codes when the output is not a terminal
    return result.output


async def admin_get(admin: httpx.AsyncClient, path: str) -> Any:
    response = await admin.get(f"{ADMIN}{path}")
    assert response.status_code == 200, response.text
    return response.json()


async def dps(admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = await admin_get(admin, "/dps")
    return listed


async def codes_of(admin: httpx.AsyncClient, dp_id: int) -> list[str]:
    page = await admin_get(admin, f"/dps/{dp_id}/vouchers?perPage=1000")
    return [v["voucherCode"] for v in page["items"]]


def create_dp(run: Run, name: str = "DP Alpha") -> int:
    output = ok(run("depa", "dp", "create", name))
    found = re.fullmatch(rf"DP (\d+) created: {re.escape(name)}\n", output)
    assert found, output
    return int(found.group(1))


def issue_key(run: Run, dp_id: int, *extra: str) -> tuple[int, str]:
    output = ok(run("depa", "key", "issue", str(dp_id), *extra))
    first, key, *rest = output.split("\n")
    found = re.fullmatch(
        rf"key (\d+) for DP {dp_id} \(store it now, it is not shown again\):", first
    )
    assert found, output
    assert rest == [""]
    return int(found.group(1)), key


async def get_dp_vouchers(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post(
        f"{DEPA}/GetDPVouchers", json={"pageNumber": 1, "pageSize": 500}, headers={"x-api-key": key}
    )


# -- db upgrade ----------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_on_an_empty_database(run: Run, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    output = ok(run("db", "upgrade", env={"SAPHAN_DATABASE_URL": url}))

    assert output.endswith("database is up to date\n")
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_db_upgrade_on_a_migrated_database_changes_nothing(run: Run) -> None:
    assert ok(run("db", "upgrade")).endswith("database is up to date\n")
    assert ok(run("db", "upgrade")).endswith("database is up to date\n")


def test_commands_refuse_to_run_without_a_secret_key(run: Run, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never.db'}"
    env: dict[str, str | None] = {"SAPHAN_SECRET_KEY": None, "SAPHAN_DATABASE_URL": url}
    for args in (("db", "upgrade"), ("depa", "dp", "create", "x"), ("depa", "dp", "list")):
        result = run(*args, env=env)
        assert (args, result.exit_code) == (args, 2)
        assert "SAPHAN_SECRET_KEY must be set outside demo mode" in " ".join(result.output.split())
    assert not (tmp_path / "never.db").exists()


# -- DPs and keys --------------------------------------------------------------------------------


async def test_dp_create_and_list(run: Run, admin: httpx.AsyncClient) -> None:
    alpha = create_dp(run, "บริษัท ดิจิทัล โซลูชั่น จำกัด")
    beta = create_dp(run, "DP Beta")

    output = ok(run("depa", "dp", "list"))

    assert "บริษัท ดิจิทัล โซลูชั่น จำกัด" in output
    assert "DP Beta" in output
    assert [(dp["id"], dp["name"], dp["voucherCount"]) for dp in await dps(admin)] == [
        (alpha, "บริษัท ดิจิทัล โซลูชั่น จำกัด", 0),
        (beta, "DP Beta", 0),
    ]


async def test_key_issue_prints_the_key_once_and_it_works_against_the_app(
    run: Run, client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = create_dp(run)

    key_id, key = issue_key(run, dp_id, "--label", "production server")

    assert uuid.UUID(key).version == 4
    assert str(uuid.UUID(key)) == key
    response = await get_dp_vouchers(client, key)
    assert (response.status_code, response.json()["totalRecords"]) == (200, 0)

    listing = ok(run("depa", "key", "list", str(dp_id)))
    assert key[:8] in listing
    assert "production server" in listing
    assert key not in listing
    assert key[8:] not in listing
    [listed] = await admin_get(admin, f"/dps/{dp_id}/keys")
    assert (listed["id"], listed["prefix"], listed["label"], listed["revokedAt"]) == (
        key_id,
        key[:8],
        "production server",
        "",
    )


async def test_key_revoke_shuts_the_key_out_at_once(
    run: Run, client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = create_dp(run)
    key_id, key = issue_key(run, dp_id)
    _, kept = issue_key(run, dp_id)

    assert ok(run("depa", "key", "revoke", str(key_id))) == f"key {key_id} revoked\n"

    refused = await get_dp_vouchers(client, key)
    assert (refused.status_code, refused.json()) == (401, INVALID_KEY)
    assert (await get_dp_vouchers(client, kept)).status_code == 200
    revoked = [k["revokedAt"] != "" for k in await admin_get(admin, f"/dps/{dp_id}/keys")]
    assert revoked == [True, False]


async def test_key_commands_for_unknown_ids_fail_and_change_nothing(
    run: Run, admin: httpx.AsyncClient
) -> None:
    dp_id = create_dp(run)
    missing = dp_id + 1000

    issue = run("depa", "key", "issue", str(missing))
    assert (issue.exit_code, issue.output) == (1, f"No Digital Provider {missing}\n")
    revoke = run("depa", "key", "revoke", "4242")
    assert (revoke.exit_code, revoke.output) == (1, "No API key 4242\n")
    listing = run("depa", "key", "list", str(missing))
    assert (listing.exit_code, listing.output) == (1, f"No Digital Provider {missing}\n")
    assert await admin_get(admin, f"/dps/{dp_id}/keys") == []


# -- importing vouchers --------------------------------------------------------------------------

CSV = (
    "\ufeff"  # a BOM, as Excel writes UTF-8 CSV
    "voucherCode,status,bindingTime,activatedTime,title,firstName,lastName,provinceName\r\n"
    "DV-0001,Activated,2025-11-07 18:52:38,2025-11-13 17:35:40,นาย,สมชาย,ใจดี,กรุงเทพมหานคร\r\n"
    "DV-0002,Bound,2025-11-08 09:00:00,,นาง,สมศรี,มีสุข,เชียงใหม่\r\n"
    "DV-0003,Activated,2025-11-01 08:00:00,2025-11-01 09:00:00,นางสาว,มาลี,ศรีสุข,ขอนแก่น\r\n"
)


async def test_vouchers_import_csv_with_thai_text(
    run: Run, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    dp_id = create_dp(run, "DP Alpha")
    _, key = issue_key(run, dp_id)
    path = tmp_path / "vouchers.csv"
    path.write_text(CSV, encoding="utf-8")

    output = ok(run("depa", "vouchers", "import", str(dp_id), str(path)))

    assert output == f"3 vouchers issued to DP {dp_id}\n"  # the progress bar leaves no trace
    wire = (await get_dp_vouchers(client, key)).json()
    assert wire["totalRecords"] == 3
    first = wire["data"][0]
    assert {k: first[k] for k in ("voucherCode", "status", "firstName", "lastName")} == {
        "voucherCode": "DV-0001",
        "status": "Activated",
        "firstName": "สมชาย",
        "lastName": "ใจดี",
    }
    assert (first["bindingTime"], first["activatedTime"], first["revokingTime"]) == (
        "2025-11-07 18:52:38",
        "2025-11-13 17:35:40",
        "2026-02-05 18:52:38",
    )
    assert [(v["voucherCode"], v["provinceName"]) for v in wire["data"]] == [
        ("DV-0001", "กรุงเทพมหานคร"),
        ("DV-0002", "เชียงใหม่"),
        ("DV-0003", "ขอนแก่น"),
    ]


async def test_vouchers_import_json_list(
    run: Run, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    dp_id = create_dp(run)
    path = tmp_path / "vouchers.json"
    records = [{"voucherCode": f"DV-J{n:04d}", "firstName": "ทดสอบ"} for n in range(1500)]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    output = ok(run("depa", "vouchers", "import", str(dp_id), str(path)))

    assert output == f"1500 vouchers issued to DP {dp_id}\n"
    codes = await codes_of(admin, dp_id)
    assert codes == [f"DV-J{n:04d}" for n in range(1000)]  # the first page of 1000
    assert (await dps(admin))[0]["voucherCount"] == 1500


async def test_a_get_dp_vouchers_answer_imports_as_it_is(
    run: Run, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The spec's GetDPVouchers example response, saved to a file, loads into another system."""
    dp_id = create_dp(run, "XXXXX")
    _, key = issue_key(run, dp_id)
    path = tmp_path / "export.txt"  # neither suffix: --format says what it is
    shutil.copyfile(SPEC_EXAMPLES / "GetDPVouchers.response.json", path)

    output = ok(run("depa", "vouchers", "import", str(dp_id), str(path), "--format", "json"))

    assert output == f"1 voucher issued to DP {dp_id}\n"
    documented = json.loads(path.read_text())
    assert (await get_dp_vouchers(client, key)).json()["data"] == documented["data"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "bad.csv",
            "voucherCode,status\nDV-1,Bound\nDV-2,Used\nDV-3,Bound\n",
            "Input should be 'Bound', 'Activated' or 'Revoked' (records[1].status)",
            id="bad status in CSV",
        ),
        pytest.param(
            "bad.json",
            '[{"voucherCode": "DV-1"}, {"status": "Bound"}]',
            "Field required (records[1].voucherCode)",
            id="missing code in JSON",
        ),
        pytest.param(
            "broken.json",
            '[{"voucherCode": "DV-1"},',
            "Malformed JSON: ",
            id="malformed JSON",
        ),
    ],
)
async def test_a_bad_file_exits_non_zero_and_imports_nothing(
    run: Run, admin: httpx.AsyncClient, tmp_path: Path, name: str, content: str, message: str
) -> None:
    dp_id = create_dp(run)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    result = run("depa", "vouchers", "import", str(dp_id), str(path))

    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: {message}")  # on one line, however long the path
    assert result.output.count("\n") == 1
    assert await codes_of(admin, dp_id) == []
    assert (await dps(admin))[0]["voucherCount"] == 0


async def test_an_import_that_fails_while_writing_imports_nothing(
    run: Run, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    dp_id = create_dp(run)
    ok(run("depa", "vouchers", "import", str(dp_id), str(_write(tmp_path, "one.csv", "DV-1"))))
    codes = "\n".join(f"DV-N{n:04d}" for n in range(1200)) + "\nDV-1"
    clash = _write(tmp_path, "clash.csv", codes)
    activated_without_time = _write(
        tmp_path, "noactivation.csv", "DV-X1\nDV-X2", header="voucherCode,status", row=",Activated"
    )

    taken = run("depa", "vouchers", "import", str(dp_id), str(clash))
    missing_time = run("depa", "vouchers", "import", str(dp_id), str(activated_without_time))
    unknown_dp = run("depa", "vouchers", "import", str(dp_id + 1000), str(clash))

    # the error is the last thing printed: no progress bar left below it
    assert (taken.exit_code, taken.output) == (1, "Voucher DV-1 exists already\n")
    assert (missing_time.exit_code, missing_time.output) == (
        1,
        "Voucher DV-X1 is Activated but has no activatedTime\n",
    )
    assert (unknown_dp.exit_code, unknown_dp.output) == (
        1,
        f"No Digital Provider {dp_id + 1000}\n",
    )
    assert await codes_of(admin, dp_id) == ["DV-1"]
    assert (await dps(admin))[0]["voucherCount"] == 1


def _write(
    tmp_path: Path, name: str, codes: str, *, header: str = "voucherCode", row: str = ""
) -> Path:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(c + row for c in codes.split("\n")) + "\n")
    return path


async def test_vouchers_add_issues_one_voucher_with_its_fields(
    run: Run, admin: httpx.AsyncClient
) -> None:
    dp_id = create_dp(run)
    output = ok(
        run(
            "depa", "vouchers", "add", str(dp_id), "DV-ADD1",
            "-f", "firstName=สมชาย", "-f", "status=Activated",
            "-f", "activatedTime=2025-11-13 17:35:40",
        )
    )  # fmt: skip
    assert output == f"DV-ADD1 issued to DP {dp_id} (Activated)\n"
    [voucher] = (await admin_get(admin, f"/dps/{dp_id}/vouchers"))["items"]
    assert (voucher["voucherCode"], voucher["status"], voucher["activatedTime"]) == (
        "DV-ADD1",
        "Activated",
        "2025-11-13 17:35:40",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (["-f", "status=Activated"], "Voucher DV-ADD2 is Activated but has no activatedTime"),
        (["-f", "status=Gone"], "Input should be 'Bound', 'Activated' or 'Revoked'"),
        (["-f", "firstName"], "--field 'firstName': expected NAME=VALUE"),
    ],
)
async def test_vouchers_add_refuses_a_bad_voucher_and_adds_nothing(
    run: Run, admin: httpx.AsyncClient, fields: list[str], message: str
) -> None:
    dp_id = create_dp(run)
    result = run("depa", "vouchers", "add", str(dp_id), "DV-ADD2", *fields)
    assert result.exit_code != 0
    assert message in result.output
    assert await codes_of(admin, dp_id) == []


def test_import_of_a_missing_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    dp_id = create_dp(run)
    result = run("depa", "vouchers", "import", str(dp_id), str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


# -- voucher statuses ----------------------------------------------------------------------------


async def test_vouchers_activate_and_revoke(
    run: Run, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    dp_id = create_dp(run)
    ok(run("depa", "vouchers", "import", str(dp_id), str(_write(tmp_path, "v.csv", "DV-1\nDV-2"))))

    activated = ok(run("depa", "vouchers", "activate", "DV-1", "--at", "2025-11-18 09:15:00"))
    revoked = ok(run("depa", "vouchers", "revoke", "DV-1", "--at", "2025-11-19T03:00:00Z"))
    again = run("depa", "vouchers", "activate", "DV-1")
    unknown = run("depa", "vouchers", "revoke", "DV-NOPE")

    assert activated == "DV-1 Activated at 2025-11-18 09:15:00\n"
    assert revoked == "DV-1 Revoked at 2025-11-19 10:00:00\n"
    assert (again.exit_code, again.output) == (
        1,
        "Voucher DV-1 is Revoked; it cannot become Activated\n",
    )
    assert (unknown.exit_code, unknown.output) == (1, "No voucher DV-NOPE\n")
    items = (await admin_get(admin, f"/dps/{dp_id}/vouchers"))["items"]
    assert [
        (v["voucherCode"], v["status"], v["activatedTime"], v["revokedTime"]) for v in items
    ] == [
        ("DV-1", "Revoked", "2025-11-18 09:15:00", "2025-11-19 10:00:00"),
        ("DV-2", "Bound", "", ""),
    ]

    listing = ok(run("depa", "vouchers", "list", str(dp_id), "--status", "Bound"))
    assert "1 voucher" in listing
    assert "DV-2" in listing
    assert "DV-1" not in listing


# -- usage ---------------------------------------------------------------------------------------


async def test_usage_shows_what_the_dp_reported(
    run: Run, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    dp_id = create_dp(run)
    _, key = issue_key(run, dp_id)
    csv = "voucherCode,status,activatedTime\nDV-U1,Activated,2025-11-01 09:00:00\n"
    ok(run("depa", "vouchers", "import", str(dp_id), str(_write_text(tmp_path, csv))))
    for production, user in ((False, "uat-user"), (True, "prod-user")):
        record = {
            "accessDate": "2025-11-16",
            "voucherCode": "DV-U1",
            "appUserId": user,
            "accessCount": 5,
            "accessTime": 180,
            "lat": 13.123456,
            "lon": 100.123456,
        }
        sent = await client.post(
            f"{DEPA}/VoucherUsage",
            json={"isProduction": production, "vouchers": [record]},
            headers={"x-api-key": key},
        )
        assert sent.status_code == 200, sent.text

    everything = ok(run("depa", "usage", str(dp_id)))
    production_only = ok(run("depa", "usage", str(dp_id), "--production"))
    before = ok(run("depa", "usage", str(dp_id), "--to", "2025-11-15"))

    # count, minutes, and lat/lon read back in single precision
    READING = ["5", "180", "13.1235", "100.123"]
    rows = [line.split() for line in everything.splitlines() if "DV-U1" in line]
    assert [[c for c in r if c not in "│┃|"] for r in rows] == [
        ["2025-11-16", "DV-U1", "UAT", "uat-user", *READING, "2025-11-20", "10:30:00"],
        ["2025-11-16", "DV-U1", "prod", "prod-user", *READING, "2025-11-20", "10:30:00"],
    ]
    assert "prod-user" in production_only
    assert "uat-user" not in production_only
    assert "DV-U1" not in before


def _write_text(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "usage.csv"
    path.write_text(text, encoding="utf-8")
    return path


# -- demo seed -----------------------------------------------------------------------------------


async def test_demo_seed_is_idempotent(
    run: Run, client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    first = ok(run("demo", "seed"))
    after_first = [(dp["name"], dp["voucherCount"]) for dp in await dps(admin)]
    second = ok(run("demo", "seed"))
    after_second = [(dp["name"], dp["voucherCount"]) for dp in await dps(admin)]

    assert first.splitlines()[-1] == "demo data loaded"
    assert second.splitlines()[-1] == "demo data present already; nothing added"
    assert after_first == after_second == [(demo.DEMO_DP_NAME, 302), (demo.SECOND_DP_NAME, 120)]
    for dp in await dps(admin):
        assert len(await admin_get(admin, f"/dps/{dp['id']}/keys")) == 1
    response = await get_dp_vouchers(client, demo.DEMO_KEY)
    assert (response.status_code, response.json()["totalRecords"]) == (200, 302)
