"""The ``saphan`` command's help reads cleanly: no ``<bool>``/``<str>`` type tags, every option
described, no prompting option marked required, paragraphs not broken where the source line
ended; counts are printed with the right plural; ``depa-dp serve-track`` says where it listens;
``rakmao listen`` takes its secret from the environment, not the command line."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from saphan.cli import COMMANDS, app, load
from saphan.cli_help import join_lines
from saphan.core.words import count
from tests.conftest import free_port

TYPE_TAG = re.compile(r"<(bool|str|int|float|int range|float range|list\[\w+\]|path|Path)>")


def leaves() -> list[tuple[tuple[str, ...], Any]]:
    """Every command that runs (not a group), with its path. A group's commands as click's
    contract for lazy groups gives them (``saphan.cli.LazyGroup``): ``list_commands`` and
    ``get_command``, which loads a lazy one; ``.commands`` holds stand-ins."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                walk(command.get_command(None, name), (*path, name))
            return
        found.append((path, command))

    walk(typer.main.get_command(app), ())
    return found


LEAVES = leaves()


def help_of(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", [p for p, _ in LEAVES], ids=[" ".join(p) for p, _ in LEAVES])
def test_help_has_no_type_tags(path: tuple[str, ...]) -> None:
    assert not TYPE_TAG.findall(help_of(path))


def test_the_groups_help_has_no_type_tags() -> None:
    assert not TYPE_TAG.findall(help_of(()))


def test_every_option_is_described_and_none_that_prompts_is_required() -> None:
    undescribed, required_prompts = [], []
    for path, command in LEAVES:
        for param in command.params:
            if param.param_type_name != "option" or param.hidden:
                continue
            if not param.help:
                undescribed.append(f"{' '.join(path)} {param.opts[0]}")
            if param.prompt and param.required:
                required_prompts.append(f"{' '.join(path)} {param.opts[0]}")
    assert undescribed == []
    assert required_prompts == []


def test_values_are_named_as_click_names_them() -> None:
    text = help_of(("serve",))
    assert re.search(r"--port\s+INTEGER\s+Port to listen on", text)
    assert re.search(r"--server\s+\[granian\|uvicorn\]", text)
    assert re.search(r"--agent\s+TEXT\s+An AgentID", help_of(("moi", "client", "create")))


def test_paragraphs_are_joined_into_lines() -> None:
    assert join_lines(["one\ntwo", "three\nfour"]) == "one two\n\nthree four"
    assert join_lines(["\b\nkept\nas is"]) == "kept\nas is"
    text = " ".join(help_of(("rakmao", "listen")).split())
    assert "is read from the environment variable RAKMAO_WEBHOOK_SECRET" in text


def test_rakmao_listen_reads_its_secret_from_the_environment() -> None:
    assert "--secret" not in help_of(("rakmao", "listen"))
    result = CliRunner().invoke(app, ["rakmao", "listen"], env={"RAKMAO_WEBHOOK_SECRET": None})
    assert result.exit_code == 2
    assert "set RAKMAO_WEBHOOK_SECRET to the whsec_" in result.output


@pytest.mark.parametrize(
    ("n", "noun", "plural", "said"),
    [
        (0, "record", None, "0 records"),
        (1, "record", None, "1 record"),
        (2, "record", None, "2 records"),
        (1, "batch", "batches", "1 batch"),
        (3, "batch", "batches", "3 batches"),
    ],
)
def test_counts_are_singular_for_one(n: int, noun: str, plural: str | None, said: str) -> None:
    assert count(n, noun, plural) == said


def test_serve_track_says_where_it_listens(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAPHAN_", "DEPA_"))}
    env |= {
        "SAPHAN_DATABASE_URL": f"sqlite:///{tmp_path}/dp.db",
        "SAPHAN_SECRET_KEY": "dp-local-secret-0123456789",
        "DEPA_DP_TRACK_TOKEN": "track-token-0123456789",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "saphan", "depa-dp", "serve-track", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        line = ""
        while not line and time.monotonic() < deadline and process.poll() is None:
            if select.select([process.stdout], [], [], 1)[0]:
                line = process.stdout.readline()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    assert line == (
        f"track API on http://127.0.0.1:{port}/dp/usage (docs http://127.0.0.1:{port}/docs);"
        " Ctrl-C to stop\n"
    )


#: What ``saphan --help`` listed before the groups were loaded lazily, in that order.
LISTED = [
    ("worker", "Deliver webhooks until stopped (SIGTERM/SIGINT finish the deliveries in flight)."),
    ("serve", "Migrate the database, then serve every API."),
    ("db", "Database schema."),
    ("demo", "Demo data."),
    ("moi", "Operate the MOI hub: client systems, agents, sessions, audit, accounts."),
    ("depa", "Operate depa's side: DPs, API keys, vouchers, usage."),
    (
        "easyslip",
        "Operate EasySlip's side: applications, branches, the ledger; make and read slips.",
    ),
    (
        "depa-dp",
        "The Digital Provider's side of depa: sync vouchers, link users, report daily usage.",
    ),
    ("webhooks", "Webhook deliveries of every service: messages, attempts, replay, test events."),
    ("rakmao", "Operate Rakmao: accounts, authen strings, signing keys."),
]


def test_the_root_help_lists_every_command_with_its_help_in_order() -> None:
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    rows = re.findall(r"^│ (\S+) +(.+?) *│$", text.split("Commands")[1], re.MULTILINE)
    assert rows == LISTED


def test_a_lazy_command_lists_the_help_it_has_when_loaded() -> None:
    lazy = {name: entry for name, entry in COMMANDS.items() if entry is not None}
    assert set(lazy) == {"worker", "moi", "depa", "easyslip", "depa-dp", "webhooks", "rakmao"}
    for name, entry in lazy.items():
        assert load(name, entry).help == entry.help, name


HEAVY = ("sqlalchemy", "fastapi", "alembic", "granian", "uvicorn", "saphan.core.db")
SHOW_IMPORTS = """
import sys
from saphan.cli import main
sys.argv = ["saphan", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("HEAVY", sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[0:0] or m in HEAVY))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["serve", "--help"],
        ["db", "upgrade", "--help"],
        ["moi", "client", "create", "--help"],
        ["depa", "vouchers", "import", "--help"],
        ["easyslip", "make-slip", "--help"],
        ["depa-dp", "report", "--help"],
        ["rakmao", "listen", "--help"],
        ["webhooks", "--help"],
        ["webhooks", "messages", "--help"],
        ["worker", "--help"],
    ],
    ids=" ".join,
)
def test_help_loads_no_database_web_framework_or_server(args: list[str]) -> None:
    """What makes ``saphan --help`` start in a fraction of a second, not ~1.7 s: only the group
    asked for is imported, and its commands import the database and servers when they run."""
    code = f"HEAVY = {HEAVY!r}\n{SHOW_IMPORTS}"
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert "Usage: saphan" in result.stdout, result.stderr
    assert result.stdout.splitlines()[-1] == "HEAVY []", result.stderr


def test_usage_lines_name_arguments_as_click_does() -> None:
    assert " depa vouchers import [OPTIONS] DP_ID FILE" in help_of(("depa", "vouchers", "import"))
    assert " moi client create [OPTIONS] [CLIENT_ID]" in help_of(("moi", "client", "create"))
    for path, _ in LEAVES:
        [usage] = [line for line in help_of(path).splitlines() if "Usage:" in line]
        assert not re.search(r"\{\w+\}|\[[a-z_]+\]", usage), usage


WORKER_NEEDS = """
import sys
import click
from saphan.cli import COMMANDS, load
command = load("worker", COMMANDS["worker"])
print("loaded", "saphan.rakmao.webhook_login" in sys.modules)
try:
    command.main(["--once"], standalone_mode=False)
except (click.exceptions.Exit, SystemExit, click.ClickException):
    pass
print("ran", "saphan.rakmao.webhook_login" in sys.modules)
"""


def test_the_worker_imports_what_it_needs_when_it_runs_not_for_its_help(tmp_path: Path) -> None:
    """``saphan worker`` sends Rakmao's IsLogin headers, which ``saphan.rakmao.webhook_login``
    registers: imported when the worker runs (here it stops at once, for want of settings),
    not when ``saphan worker --help`` loads the command."""
    env = {**os.environ, "SAPHAN_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    env.pop("SAPHAN_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", WORKER_NEEDS],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    said = [line for line in result.stdout.splitlines() if line.startswith(("loaded", "ran"))]
    assert said == ["loaded False", "ran True"], result.stdout + result.stderr
