"""``saphan easyslip ...``: make-slip writes a real slip image of a recorded transfer, decode
reads it back, and what the commands create is what the running app serves (same database,
same secret)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from saphan.cli import app as saphan
from saphan.core.runtime import Runtime
from saphan.easyslip import miniqr, operator
from saphan.easyslip.images import sniff
from tests.conftest import SECRET
from tests.easyslip.slips import opencv_texts

PREFIX = "/easyslip/v2"
Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str) -> Run:
    runner = CliRunner()

    def invoke(*args: str, secret: str | None = SECRET) -> Result:
        env: dict[str, str | None] = {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": secret,
            "SAPHAN_DEMO": None,
            "COLUMNS": None,
        }
        return runner.invoke(saphan, list(args), env=env)

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.output


def _key(run: Run, quota: str = "5") -> str:
    out = ok(
        run("easyslip", "app", "create", "CLI Shop", "--email", "cli@example.com", "--quota", quota)
    )
    app_id = out.split()[1]
    return ok(run("easyslip", "branch", "create", app_id, "Counter")).strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("slip.png", "png"), ("slip.jpg", "jpeg"), ("slip.webp", "webp"), ("slip.gif", "gif")],
)
async def test_make_slip_then_verify_the_image(
    run: Run, client: httpx.AsyncClient, tmp_path: Path, name: str, kind: str
) -> None:
    key = _key(run)
    out = tmp_path / name
    printed = ok(
        run(
            "easyslip",
            "make-slip",
            "--bank",
            "014",
            "--amount",
            "250.00",
            "--to",
            "MY SHOP",
            "--out",
            str(out),
        )
    )
    payload = printed.strip().splitlines()[-1]
    data = out.read_bytes()
    assert sniff(data) == kind
    assert opencv_texts(data) == [payload]
    assert miniqr.parse_bank(payload).bank_code == "014"
    decoded = ok(run("easyslip", "decode", str(out)))
    assert f"bank 014  transRef {miniqr.parse_bank(payload).trans_ref}  CRC ok" in decoded
    response = await client.post(
        f"{PREFIX}/verify/bank",
        json={"base64": base64.b64encode(data).decode(), "matchAmount": 250},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert body["isAmountMatched"] is True
    assert body["rawSlip"]["receiver"]["account"]["name"] == {"en": "MY SHOP"}


def test_make_slip_with_an_existing_ref_draws_it_again(run: Run, tmp_path: Path) -> None:
    first = ok(
        run(
            "easyslip",
            "make-slip",
            "--ref",
            "FIXEDREF01",
            "--amount",
            "10",
            "--out",
            str(tmp_path / "a.png"),
        )
    )
    again = ok(
        run("easyslip", "make-slip", "--ref", "FIXEDREF01", "--out", str(tmp_path / "b.png"))
    )
    assert "recorded" in first
    assert "recorded" not in again
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_truewallet_slips(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "tmn.png"
    payload = ok(
        run("easyslip", "make-slip", "--truewallet", "--amount", "50", "--out", str(out))
    ).split()[-1]
    assert miniqr.parse_truewallet(payload).transaction_id.startswith("5")
    assert "TrueMoney slip: transaction" in ok(run("easyslip", "decode", str(out)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--amount", "abc", "--out", "x.png"), "not a number"),
        (("--amount", "1", "--out", "x.bmp"), ".png"),
        (("--out", "x.png"), "--amount is required"),
        (("--amount", "1", "--bank", "999", "--out", "x.png"), "bankCode"),
    ],
)
def test_make_slip_refuses(run: Run, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run(
        "easyslip", "make-slip", *[a if a != "x.png" else str(tmp_path / "x.png") for a in args]
    )
    assert result.exit_code != 0
    assert message in result.output


def test_decode_a_payload_and_nonsense(run: Run, tmp_path: Path) -> None:
    vector = "004000060000010103002021900021231231212000115102TH91049C30"
    assert "bank 002  transRef 0002123123121200011  CRC ok" in ok(run("easyslip", "decode", vector))
    bad = run("easyslip", "decode", vector[:-1] + "1")
    assert bad.exit_code == 1
    assert "CRC mismatch" in bad.output
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert run("easyslip", "decode", str(text)).exit_code == 1


def test_operator_commands(run: Run, tmp_path: Path) -> None:
    out = ok(run("easyslip", "app", "create", "Ops", "--email", "ops@example.com", "--unlimited"))
    app_id = out.split()[1]
    ok(run("easyslip", "app", "plan", app_id, "--plan", "Pro Plan", "--quota", "100"))
    assert "credit: 300" in ok(run("easyslip", "app", "credit", app_id, "300"))
    listing = ok(run("easyslip", "app", "list"))
    assert "Pro Plan" in listing
    assert "100" in listing
    ok(run("easyslip", "branch", "create", app_id, "Front"))
    ok(run("easyslip", "branch", "set", "1", "--inactive"))
    assert " no " in ok(run("easyslip", "branch", "list", app_id))
    csv = tmp_path / "ledger.csv"
    csv.write_text("bankCode,transRef,amount,receiverAccount\n004,IMPORT01,10.00,1234567890\n")
    assert "1 transfer recorded" in ok(run("easyslip", "transfers", "import", str(csv)))
    assert "IMPORT01" in ok(run("easyslip", "transfers", "list"))
    again = run("easyslip", "transfers", "import", str(csv))
    assert again.exit_code == 1
    assert "already" in again.output


def test_ledger_commands_need_no_secret_but_key_commands_do(run: Run, tmp_path: Path) -> None:
    """Beside ``make demo`` (no SAPHAN_SECRET_KEY in the shell) make-slip still works."""
    out = tmp_path / "s.png"
    ok(run("easyslip", "make-slip", "--amount", "5", "--out", str(out), secret=None))
    assert "5.00" in ok(run("easyslip", "transfers", "list", secret=None))
    refused = run("easyslip", "app", "list", secret=None)
    assert refused.exit_code == 2
    assert "SAPHAN_SECRET_KEY" in refused.output


def test_renewal_terms_from_the_command_line(run: Run, runtime: Runtime) -> None:
    out = ok(run("easyslip", "app", "create", "Renew", "--email", "r@example.com"))
    app_id = out.split()[1]
    ok(
        run(
            "easyslip", "app", "plan", app_id, "--renew-price", "990", "--renew-months", "1",
            "--auto-renew-quota", "--auto-renew-expired", "--expires-at",
            "2026-01-01T00:00:00+07:00",
        )
    )  # fmt: skip
    with runtime.db.read() as session:
        app = operator.application_out(
            session, operator.get_application(session, int(app_id)), runtime.clock.now()
        )
    assert (app.renewPrice, app.renewMonths) == (990, 1)
    assert (app.autoRenewQuota, app.autoRenewExpired) == (True, True)
    assert app.expiresAt == "2026-01-01 00:00:00"
    refused = run("easyslip", "app", "plan", app_id, "--renew-months", "0")
    assert refused.exit_code == 2  # a usage error, as for any invalid value
    assert "renewMonths" in refused.output
