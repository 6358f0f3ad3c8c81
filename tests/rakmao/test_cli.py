"""``saphan rakmao ...``: accounts made at the shell log in over HTTP (same database, same
secret); disable revokes; the authen string can be printed again; keys rotate."""

from __future__ import annotations

import re
from collections.abc import Callable

import anyio
import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from saphan.cli import app as saphan
from tests.conftest import SECRET
from tests.rakmao.conftest import AUTH, ORG_A, PO

Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str) -> Run:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        env: dict[str, str | None] = {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": SECRET,
            "SAPHAN_DEMO": None,
            "SAPHAN_ADMIN_TOKEN": None,
            "COLUMNS": "200",
        }
        return runner.invoke(saphan, list(args), env=env, input=input)

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.output


async def test_an_account_created_at_the_shell_logs_in_and_disable_revokes_it(
    run: Run, client: httpx.AsyncClient
) -> None:
    out = ok(
        run(
            "rakmao",
            "accounts",
            "create",
            "Acme-Buyer",
            "--org-id",
            ORG_A,
            "--org-name",
            "แอคมี จำกัด",
            "--password",
            "a-long-password-1",
        )
    )
    assert "account      acme-buyer" in out
    assert f"buyer        OrgId {ORG_A} แอคมี จำกัด" in out
    found = re.search(r"authenString (\S+)", out)
    assert found is not None
    login = await client.post(f"{AUTH}/RequestAPIToken", json=found.group(1))
    assert login.status_code == 200, login.text
    token = login.json()["data"]["token"]
    assert (
        await client.get(f"{PO}/Buyer/{ORG_A}", headers={"Authorization": token})
    ).status_code == 200

    again = ok(
        run("rakmao", "accounts", "authen-string", "acme-buyer", input="a-long-password-1\n")
    )
    assert found.group(1) in again
    wrong = run("rakmao", "accounts", "authen-string", "acme-buyer", input="nope\n")
    assert wrong.exit_code == 1
    assert "That is not the account's password" in wrong.output

    listed = ok(run("rakmao", "accounts", "list"))
    assert "acme-buyer" in listed
    assert ORG_A in listed
    assert "disabled; its tokens are revoked" in ok(
        run("rakmao", "accounts", "disable", "acme-buyer")
    )
    await anyio.sleep(0.6)  # a command is another process: the server's copy is stale <= 0.5 s
    assert (
        await client.get(f"{PO}/Buyer/{ORG_A}", headers={"Authorization": token})
    ).status_code == 401


def test_bad_accounts_are_refused_with_a_reason(run: Run) -> None:
    short = run("rakmao", "accounts", "create", "x", "--seller-tax-id", "1", "--password", "short")
    assert short.exit_code == 1
    assert "at least 12 characters (password)" in short.output
    nobody = run("rakmao", "accounts", "create", "x", "--password", "a-long-password-1")
    assert nobody.exit_code == 1
    assert "give orgId (a buyer), sellerTaxId (a seller), or both" in nobody.output
    ok(
        run(
            "rakmao",
            "accounts",
            "create",
            "s",
            "--seller-tax-id",
            "1",
            "--password",
            "a-long-password-1",
        )
    )
    taken = run(
        "rakmao",
        "accounts",
        "create",
        "S",
        "--seller-tax-id",
        "2",
        "--password",
        "a-long-password-2",
    )
    assert taken.exit_code == 1
    assert "Username s is taken" in taken.output
    missing = run("rakmao", "accounts", "disable", "ghost")
    assert missing.exit_code == 1
    assert "No account ghost" in missing.output


def test_keys_rotate_and_list(run: Run) -> None:
    first = ok(run("rakmao", "keys", "rotate"))
    second = ok(run("rakmao", "keys", "rotate"))
    kids = [re.search(r"new signing key (\S+);", o).group(1) for o in (first, second)]  # type: ignore[union-attr]
    listed = ok(run("rakmao", "keys", "list"))
    assert all(kid in listed for kid in kids)
