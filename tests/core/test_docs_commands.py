"""Every shell block of README.md and docs/*.md runs as written, in order per page, against a
live demo server, the way a reader copies them after ``make demo`` (a doc-test).

What a block is: a fenced block opened with ```bash, ```sh or ```console. The blocks of one
page run in one bash session, in the page's order (variables set in one block are there in the
next), under ``set -euo pipefail``: a failing command or an unset variable fails the page.

What the test does as the reader would:
- The reader's clone is a temporary directory holding the clone's ``.venv`` and ``tests``
  (links), in which ``saphan serve --demo`` runs as ``make demo`` runs it: no setting in the
  environment, the demo database ``./saphan.db``. The blocks run there, with no ``SAPHAN_`` or
  ``DEPA_`` variable set and without ``.venv/bin`` on ``PATH``.
- The demo listens on a port of its own, not 8000: ``localhost:8000`` in a block is replaced by
  its address, as a reader who ran ``make demo PORT=N`` would. ``make demo`` prints a random
  operator token; the pages write it ``demo-XXXXXXXXXXXXXXXXXXXXXXXX`` (24 X's, where the reader
  pastes the printed one), which is replaced by the test server's.
- Each page starts from the demo data (``POST /_saphan/reset`` before it), as on a fresh clone
  after ``make demo``: pages do not depend on one another's leftovers.
- ``saphan`` is not on the reader's ``PATH`` (``make demo`` installs it into ``.venv``): every
  block, skipped or not, runs it as ``.venv/bin/saphan``, as the README and the banner say.
- Every ``curl`` answer is recorded: none may be a 5xx, and a 4xx only where the block says it
  shows one, with ``# -> 4xx`` (or the status itself, ``# -> 403``) on the command's last line.

Blocks that install or start things (``make demo``, ``make test``, ``pip install``, a server
that runs until stopped) or that need what a test cannot have (the real depa), are skipped by a
marker on the line before the fence: ``<!-- doc-test: skip, <why> -->``. Every skipped block has
its reason, and no runnable block may need ``jq`` (not installed on a fresh machine) or hold a URL
with characters that are not url-encoded.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from saphan import demo
from tests.conftest import LiveServer, start_live_server

pytestmark = pytest.mark.live

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELLS = ("bash", "sh", "console")
SKIP = re.compile(r"<!-- doc-test: skip, (?P<why>\S.*?) -->")
TOKEN_PLACEHOLDER = "demo-" + "X" * 24
#: The operator token of the test's demo server: what ``saphan serve --demo`` makes up.
TOKEN = "demo-" + secrets.token_urlsafe(18)
#: ``curl`` as the reader's, plus one line on stderr per answer: status and URL.
CURL = (
    "curl() { command curl -w '%{stderr}doc-test-answer %{http_code} %{url_effective}\\n'"
    ' "$@"; }\nexport -f curl\n'
)
ANSWER = re.compile(r"^doc-test-answer (\d{3}) (\S*)$", re.MULTILINE)
BLOCK_START = re.compile(r"^doc-test-block (\d+)$", re.MULTILINE)
#: ``saphan`` run as a command of its own (not ``.venv/bin/saphan``): at a line's start, after
#: variable assignments, or after ``$(``, ``|``, ``&&``, ``;``.
BARE_SAPHAN = re.compile(r"(^|[;&|(]\s*|^(\s*\w+=\S*\s+)+)saphan\s", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence
    text: str
    skip: str | None  # why it does not run

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The page's shell blocks, in order."""
    found: list[Block] = []
    lines = page.read_text().splitlines()
    number = 0
    while number < len(lines):
        fence = re.match(r"^(\s*)```(\w+)?\s*$", lines[number])
        if fence is None:
            number += 1
            continue
        end = next(
            (i for i in range(number + 1, len(lines)) if lines[i].strip() == "```"), len(lines)
        )
        if fence.group(2) in SHELLS:
            before = lines[number - 1] if number else ""
            marker = SKIP.search(before)
            text = "\n".join(line[len(fence.group(1)) :] for line in lines[number + 1 : end])
            found.append(Block(page, number + 1, text, marker.group("why") if marker else None))
        number = end + 1
    return found


def script(page_blocks: list[Block], base_url: str) -> str:
    """One bash script for the page's runnable blocks; each block announces itself on stderr."""
    parts = ["set -euo pipefail", CURL]
    for index, block in enumerate(page_blocks):
        if block.skip is None:
            text = block.text.replace("localhost:8000", base_url.removeprefix("http://"))
            text = text.replace(TOKEN_PLACEHOLDER, TOKEN)
            parts += [f"echo 'doc-test-block {index}' >&2", text]
    return "\n".join(parts) + "\n"


def allowed_statuses(block: Block) -> list[str]:
    """Per ``curl`` command of the block, the 4xx it says it shows ('' for none)."""
    allowed = []
    command: list[str] = []
    for line in block.text.splitlines():
        command.append(line)
        if line.rstrip().endswith("\\"):
            continue
        if re.search(r"\bcurl\b", " ".join(command)):
            said = re.search(r"#\s*->\s*(4\d\d|4xx)\b", command[-1])
            allowed.append(said.group(1) if said else "")
        command = []
    return allowed


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reader's clone: where ``make demo`` ran and the blocks are pasted."""
    path = tmp_path_factory.mktemp("clone")
    for name in (".venv", "tests"):
        (path / name).symlink_to(REPO / name)
    return path


@pytest.fixture(scope="module")
def demo_server(clone: Path) -> Iterator[LiveServer]:
    """``make demo``: ``saphan serve --demo`` in the clone, no setting in the environment."""
    unset: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith(("SAPHAN_", "DEPA_"))
    }
    server = start_live_server(
        "sqlite:///./saphan.db",
        demo=True,
        extra_env={
            **unset,
            "SAPHAN_DATABASE_URL": None,
            "SAPHAN_SECRET_KEY": None,
            "SAPHAN_ADMIN_TOKEN": TOKEN,
        },
        cwd=clone,
    )
    yield server
    server.stop()


def reader_environment() -> dict[str, str]:
    """The reader's shell: no Saphan settings, and ``.venv/bin`` not on ``PATH``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAPHAN_", "DEPA_"))}
    env.pop("VIRTUAL_ENV", None)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not p.endswith("/.venv/bin")]
    env["PATH"] = os.pathsep.join(path)
    return env


def test_every_skipped_block_says_why_and_runnable_blocks_need_nothing_uninstalled() -> None:
    problems = []
    for page in PAGES:
        lines = page.read_text().splitlines()
        for number, line in enumerate(lines):
            if "doc-test:" in line and not SKIP.search(line):
                problems.append(f"{page.relative_to(REPO)}:{number + 1}: marker without a reason")
        for block in blocks(page):
            if BARE_SAPHAN.search(block.text):
                problems.append(f"{block.where}: runs saphan, which is .venv/bin/saphan")
            if block.skip is not None:
                continue
            if re.search(r"\bjq\b", block.text):
                problems.append(f"{block.where}: uses jq, which a fresh machine lacks")
            for url in re.findall(r"https?://[^\s'\"]+", block.text):
                if not url.isascii():
                    problems.append(f"{block.where}: {url} is not url-encoded")
    assert not problems, "\n".join(problems)


def test_the_pages_cite_no_internal_issue_and_no_spec_file() -> None:
    """A reader has neither the project's issue tracker nor ``specs/``: the pages name the
    provider's document instead (issue 14, stale statements)."""
    problems = []
    for page in PAGES:
        fenced = False
        for number, line in enumerate(page.read_text().splitlines(), 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            if fenced:
                continue  # commands such as `saphan depa key issue 3` stay
            prose = re.sub(r"`[^`]*`", "", line)
            if re.search(r"\b[Ii]ssue \d+|\bspecs/", prose):
                problems.append(f"{page.relative_to(REPO)}:{number}: {line.strip()}")
    assert not problems, "\n".join(problems)


def test_the_banner_runs_saphan_as_the_pages_do() -> None:
    out = io.StringIO()
    demo.print_banner("http://localhost:8000", TOKEN, Console(file=out, width=400))
    lines = [line.strip() for line in out.getvalue().splitlines()]
    commands = [line for line in lines if ".venv/bin/saphan " in line]
    assert len(commands) == 2, lines  # a slip to make, and the operator commands
    assert not [line for line in lines if BARE_SAPHAN.search(line.split(": ", 1)[-1])]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_the_pages_shell_blocks_run_as_written(
    page: Path, clone: Path, demo_server: LiveServer
) -> None:
    page_blocks = blocks(page)
    if not any(block.skip is None for block in page_blocks):
        pytest.skip(f"{page.relative_to(REPO)} has no shell block to run")
    reset = httpx.post(f"{demo_server.base_url}/_saphan/reset", timeout=120)
    assert reset.status_code == 200, reset.text
    done = subprocess.run(
        ["bash", "-c", script(page_blocks, demo_server.base_url)],
        cwd=clone,
        env=reader_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Which block each answer came from, and what it may be.
    failures = []
    current: Block | None = None
    answers: dict[int, list[tuple[str, str]]] = {}
    for line in done.stderr.splitlines():
        started = BLOCK_START.match(line)
        if started:
            current = page_blocks[int(started.group(1))]
            continue
        answer = ANSWER.match(line)
        if answer and current is not None:
            answers.setdefault(current.line, []).append((answer.group(1), answer.group(2)))
    for block in page_blocks:
        got = answers.get(block.line, [])
        allowed = allowed_statuses(block) if block.skip is None else []
        for index, (status, url) in enumerate(got):
            may = allowed[index] if index < len(allowed) else ""
            if status.startswith("5") or (status.startswith("4") and may not in (status, "4xx")):
                failures.append(f"{block.where}: {status} from {url}")
    where = current.where if current else page.relative_to(REPO)
    assert done.returncode == 0, (
        f"failed in the block at {where}:\n{done.stderr[-3000:]}\nstdout:\n{done.stdout[-2000:]}"
    )
    assert not failures, "\n".join(failures) + "\n" + done.stdout[-3000:]
