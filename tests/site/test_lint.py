"""The code is formatted and lint-clean: `make test` (and so CI) runs ruff with the rules in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def ruff(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("command", [("format", "--check", "."), ("check", ".")], ids=["format", "check"])
def test_the_repository_is_ruff_clean(command: tuple[str, ...]) -> None:
    result = ruff(*command)
    assert result.returncode == 0, f"ruff {' '.join(command)}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"


def test_ruff_with_the_repository_rules_catches_an_unused_import_and_bad_format(tmp_path: Path) -> None:
    """The check is live: the same rules reject a file with an unused import and one that is not formatted."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx=[1,2 ,3]\n", encoding="utf-8")
    rules = ("--config", str(REPO / "pyproject.toml"))
    checked = ruff("check", *rules, str(bad), cwd=tmp_path)
    assert checked.returncode == 1 and "F401" in checked.stdout
    assert ruff("format", "--check", *rules, str(bad), cwd=tmp_path).returncode == 1
