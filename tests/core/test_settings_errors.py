"""A bad setting is one plain sentence naming it, never its value, from every command.

pydantic's own message repeats the input: with SAPHAN_SECRET_KEY missing, ``saphan db upgrade``
printed every setting, the database password in SAPHAN_DATABASE_URL and SAPHAN_ADMIN_TOKEN
included."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer.main
from typer.testing import CliRunner

from saphan.cli import app
from saphan.config import SettingsError, load_settings
from saphan.depa.dp.settings import DPSettings

PASSWORD = "hunter2-db-password"
ADMIN = "admin-token-s3cret-value"
DP_KEY = "dp-api-key-s3cret-value"
SECRETS = (PASSWORD, ADMIN, DP_KEY)
#: For each command (CliRunner sets these for the call and puts back what was there before:
#: ``saphan demo seed`` sets SAPHAN_DEMO for the rest of its process).
ENV: dict[str, str | None] = {
    "SAPHAN_DATABASE_URL": f"postgresql://saphan:{PASSWORD}@db.invalid/saphan",
    "SAPHAN_ADMIN_TOKEN": ADMIN,
    "DEPA_API_KEY": DP_KEY,
    "SAPHAN_SECRET_KEY": None,
    "SAPHAN_DEMO": None,
}
NO_KEY = "SAPHAN_SECRET_KEY must be set outside demo mode"
#: Commands that serve without reading Saphan's settings (a webhook receiver for a test): they
#: would not return.
LONG_RUNNING = {("rakmao", "listen")}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The secrets above set, SAPHAN_SECRET_KEY and demo mode not; no .env file around."""
    monkeypatch.chdir(tmp_path)
    for name, value in ENV.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def invoke(path: tuple[str, ...], arguments: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*path, *arguments], env=ENV, catch_exceptions=True)
    return result.exit_code, result.output


def commands() -> list[tuple[tuple[str, ...], list[str]]]:
    """Every leaf command, with a placeholder for each argument it requires."""
    found: list[tuple[tuple[str, ...], list[str]]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        # A group's commands by click's contract for lazy groups (saphan.cli.LazyGroup):
        # get_command loads a lazy one; .commands holds stand-ins.
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):  # type: ignore[arg-type]
                walk(command.get_command(None, name), (*path, name))  # type: ignore[arg-type]
            return
        arguments = []
        for param in command.params:
            if getattr(param, "required", False):
                # Typer 0.29's options are its own click's (typer._click), not click.Option.
                if param.param_type_name == "option":
                    arguments.append(param.opts[0])
                arguments.append("1")
        found.append((path, arguments))

    walk(typer.main.get_command(app), ())
    return [(path, args) for path, args in found if path not in LONG_RUNNING]


def test_a_missing_secret_key_names_it_and_shows_no_value(environment: None) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(NO_KEY)
    assert not [secret for secret in SECRETS if secret in str(raised.value)]


def test_a_bad_value_names_its_setting_not_the_value(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAPHAN_SECRET_KEY", "a-long-enough-secret-key")
    monkeypatch.setenv("SAPHAN_DB_POOL_SIZE", "0")
    monkeypatch.setenv("DEPA_IS_PRODUCTION", f"maybe-{DP_KEY}")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == "SAPHAN_DB_POOL_SIZE: Input should be greater than or equal to 1"
    with pytest.raises(SettingsError) as raised:
        load_settings(DPSettings)
    assert str(raised.value).startswith("DEPA_IS_PRODUCTION: ")
    assert DP_KEY not in str(raised.value)


@pytest.mark.parametrize(
    ("path", "arguments"), commands(), ids=[" ".join(p) for p, _ in commands()]
)
def test_no_command_prints_a_secret(
    environment: None, path: tuple[str, ...], arguments: list[str]
) -> None:
    exit_code, printed = invoke(path, arguments)
    assert not [secret for secret in SECRETS if secret in printed], printed
    if NO_KEY in printed:  # the settings were read: the sentence, and nothing of pydantic's
        assert exit_code == 2
        assert "input_value" not in printed
        assert "errors.pydantic.dev" not in printed


def test_the_commands_that_read_settings_say_so_in_one_sentence(environment: None) -> None:
    """Most commands read the settings first; every one of those says what is wrong."""
    said = []
    for path, arguments in commands():
        if NO_KEY in invoke(path, arguments)[1]:
            said.append(path)
    assert len(said) >= 40, said
