"""The operator commands beside ``make demo`` (issue 14, bug 4): ``saphan serve --demo`` marks the
database it seeds a demo database, and a ``saphan <service> ...`` command run as the README shows
it, with no SAPHAN_SECRET_KEY, works on that database with the demo settings: what it issues works
against the demo server. A database that is not a demo database (never seeded, seeded under another
key, or served for real since) still gets the one-sentence settings error."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from saphan.cli import app as saphan_command
from saphan.config import DEMO_SECRET_KEY, Settings, SettingsError
from saphan.core import demo_mark
from saphan.core.demo_mark import is_demo_database, operator_settings
from saphan.core.runtime import Runtime
from saphan.depa import demo as depa_demo
from tests.conftest import SECRET, start_live_server

pytestmark = pytest.mark.live

NO_KEY = (
    "SAPHAN_SECRET_KEY must be set outside demo mode "
    '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))")'
)
NOTICE = "is a demo database (seeded by saphan serve --demo)"


def settings_env(database_url: str | None) -> dict[str, str | None]:
    """No SAPHAN_* setting but the database's (none at all for ``make demo``'s ./saphan.db)."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("SAPHAN_")}
    env.update(SAPHAN_SECRET_KEY=None, SAPHAN_ADMIN_TOKEN=None, SAPHAN_DEMO=None)
    env["SAPHAN_DATABASE_URL"] = database_url
    return env


def saphan(*args: str, env: dict[str, str | None], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``saphan ARGS`` at the shell: the installed command's code, a process of its own."""
    merged = {**os.environ, **env, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "saphan", *args],
        env={name: value for name, value in merged.items() if value is not None},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert NOTICE in result.stderr, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 2 and the one sentence, nothing else (no traceback, no pydantic dump)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert (result.stdout + result.stderr).strip() == NO_KEY


def last_word(output: str, label: str) -> str:
    """The value printed after ``label`` (``authenString xyz`` -> ``xyz``)."""
    lines = [line for line in output.splitlines() if line.startswith(label)]
    assert lines, output
    return lines[-1].split()[1]


def test_every_operator_command_works_beside_make_demo(
    backend: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo``'s database: on SQLite ./saphan.db in the working directory, made by
    ``saphan serve --demo`` with no setting at all; on PostgreSQL the test's database, named in
    SAPHAN_DATABASE_URL and nothing else. The first command runs as a process of its own, the
    rest in this one (the same code from ``main`` on; a process costs seconds on 2 cores)."""
    clone = tmp_path / "clone"
    clone.mkdir()
    env = settings_env(None if backend == "sqlite" else database_url)
    server = start_live_server(database_url, demo=True, extra_env=env, cwd=clone)
    try:
        base = server.base_url
        # depa: a key issued at the shell is hashed with the demo server's secret.
        key = ok(saphan("depa", "key", "issue", "1", "--label", "shell", env=env, cwd=clone))
        response = httpx.post(
            f"{base}/depa/api/dp/GetDPVouchers",
            json={"pageNumber": 1, "pageSize": 10},
            headers={"x-api-key": key.strip().splitlines()[-1]},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["totalRecords"] > 0

        monkeypatch.chdir(clone)
        run_the_other_commands(base, env)
    finally:
        server.stop()
    assert (clone / "saphan.db").is_file() == (backend == "sqlite")


def in_process(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    result = CliRunner().invoke(saphan_command, list(args), env={**env, "COLUMNS": "200"})
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def run_the_other_commands(base: str, env: dict[str, str | None]) -> None:
    assert depa_demo.DEMO_DP_NAME in ok(in_process("depa", "dp", "list", env=env))

    # MOI: a client system made at the shell authenticates.
    made = ok(in_process("moi", "client", "create", "--any-agent", env=env))
    client_id, client_secret = last_word(made, "ClientID"), last_word(made, "ClientSecret")
    response = httpx.post(
        f"{base}/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": client_id, "ClientSecret": client_secret},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Token"]

    # Rakmao: an account made at the shell logs in with its authen string.
    org = str(uuid.uuid4())
    account = ["shell-buyer", "--password", "shell-buyer-password", "--org-id", org]
    made = ok(in_process("rakmao", "accounts", "create", *account, env=env))
    response = httpx.post(
        f"{base}/rakmao/api/v1/Authentication/RequestAPIToken",
        json=last_word(made, "authenString"),
        timeout=30,
    )
    assert response.status_code == 200, response.text

    # EasySlip: a branch made at the shell reads its application's quota.
    made = ok(in_process("easyslip", "branch", "create", "1", "Shell branch", env=env))
    response = httpx.get(
        f"{base}/easyslip/v2/info",
        headers={"Authorization": f"Bearer {made.strip().splitlines()[-1]}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    # Webhooks (every service's deliveries) and the schema.
    ok(in_process("webhooks", "messages", env=env))
    ok(in_process("db", "upgrade", env=env))


def test_a_database_that_is_not_a_demo_one_needs_the_secret_key(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    """Migrated and empty: the sentence, from the command in a process of its own (on SQLite;
    on PostgreSQL in this one)."""
    env = settings_env(database_url)
    if backend == "sqlite":
        refused(saphan("depa", "dp", "list", env=env, cwd=tmp_path))
    else:
        refused(in_process("depa", "dp", "list", env=env))


def test_demo_data_seeded_under_another_key_is_not_a_demo_database(database_url: str) -> None:
    rt = Runtime.from_settings(Settings(database_url=database_url, secret_key=SECRET))  # type: ignore[arg-type]
    try:
        with rt.db.write() as session:
            demo_mark.mark(session, rt.secret, rt.clock.now())
    finally:
        rt.db.dispose()
    assert not is_demo_database(database_url)


def test_a_demo_database_served_for_real_is_a_demo_database_no_more(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = Runtime.from_settings(Settings(database_url=database_url, demo=True))
    try:
        with rt.db.write() as session:
            demo_mark.mark(session, DEMO_SECRET_KEY.encode(), rt.clock.now())
    finally:
        rt.db.dispose()
    for name, value in settings_env(database_url).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert is_demo_database(database_url)
    assert operator_settings().demo
    server = start_live_server(database_url)  # `saphan serve` with SAPHAN_SECRET_KEY
    server.stop()
    assert not is_demo_database(database_url)
    with pytest.raises(SettingsError, match="SAPHAN_SECRET_KEY must be set"):
        operator_settings()


def test_a_missing_sqlite_file_is_no_demo_database_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.db"
    assert not is_demo_database(f"sqlite:///{path}")
    assert not path.exists()
    assert not is_demo_database("postgresql://nobody@db.invalid/saphan")
