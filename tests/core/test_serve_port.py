"""``saphan serve`` (and so ``make demo``) on a port another process listens on fails at once,
with one line, before migrating or seeding the database and before the demo banner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another process (here: this one) listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_busy_port_fails_at_once_with_one_line(busy_port: int, tmp_path: Path) -> None:
    port = busy_port
    database = tmp_path / "saphan.db"
    env = {name: value for name, value in os.environ.items() if not name.startswith("SAPHAN_")}
    env["SAPHAN_DATABASE_URL"] = f"sqlite:///{database}"
    done = subprocess.run(
        [sys.executable, "-m", "saphan", "serve", "--demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""  # no banner
    assert done.stderr.splitlines() == [
        f"cannot listen on 127.0.0.1:{port}: address already in use; stop what listens there"
        " or choose another port (saphan serve --port N, make demo PORT=N)"
    ]
    assert not database.exists()  # neither migrated nor seeded
