"""What the commands print to run next names ``saphan`` as this shell runs it: the path it was
started by (``.venv/bin/saphan`` after ``make demo``, as the docs write it) unless its folder is
on ``PATH``. Run as real processes from a reader's clone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOW = "from saphan.cli_help import invoked_as; print(invoked_as())"


def reader_path(*first: Path) -> str:
    rest = [p for p in os.environ.get("PATH", "").split(os.pathsep) if not p.endswith(".venv/bin")]
    return os.pathsep.join([*map(str, first), *rest])


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    return tmp_path


def invoked(clone: Path, argv0: str, path: str) -> str:
    """``invoked_as()`` in a process whose ``sys.argv[0]`` is ``argv0``."""
    code = f"import sys; sys.argv[0] = {argv0!r}; {SHOW}"
    env = {**os.environ, "PATH": path}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=clone, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_started_as_venv_bin_saphan_it_says_so(clone: Path) -> None:
    assert invoked(clone, ".venv/bin/saphan", reader_path()) == ".venv/bin/saphan"


def test_on_path_it_is_plain_saphan(clone: Path) -> None:
    venv_bin = clone / ".venv" / "bin"
    assert invoked(clone, str(venv_bin / "saphan"), reader_path(venv_bin)) == "saphan"


def test_python_dash_m_saphan_is_plain_saphan(clone: Path) -> None:
    assert invoked(clone, str(REPO / "src/saphan/__main__.py"), reader_path()) == "saphan"
