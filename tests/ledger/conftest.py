"""Shared helpers: a tiny mkdocs site using the drift hook, builds in subprocesses, a perturbation shim."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vgdocs.publish.site.engines import command

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "vgdocs" / "publish" / "site" / "drift.py"

# A real experiment (Result + @experiment) whose numbers flow through activations, init and the MLP.
DEMO_MODULE = '''
"""Demo experiment for the ledger tests: slopes and per-layer gradient norms of a small sigmoid net."""
import dataclasses

import numpy as np

from vgdocs.engine.activations import activation
from vgdocs.experiments._core import Result, experiment
from vgdocs.engine.nets.mlp import MLP


@dataclasses.dataclass(frozen=True, kw_only=True)
class Slopes(Result):
    max_slope: float
    grad_norms: np.ndarray
    overflow: float


@experiment("demo.slopes")
def slopes(depth: int = 4, seed: int = 0) -> Slopes:
    rng = np.random.default_rng(seed)
    net = MLP((8,) + (16,) * depth + (1,), "sigmoid", init="xavier_normal", seed=seed)
    x, y = rng.normal(size=(32, 8)), rng.normal(size=(32, 1))
    return Slopes(max_slope=activation("sigmoid").max_slope, grad_norms=net.gradients(x, y).grad_norms,
                  overflow=float("inf"), seed=seed)
'''

PAGE = """# Demo

Slopes of a small sigmoid net.

```python exec="on" id="demo-slopes"
from ledgerdemo import slopes
from vgdocs.publish.ledger import publish
publish(slopes(depth=4))
print("published")
```
"""

NOTEBOOK_CODE = (
    "from ledgerdemo import slopes\n"
    "from vgdocs.publish.ledger import publish\n"
    "publish(slopes(depth=2, seed=3))\n"
    "print('slope', slopes(depth=2, seed=3).max_slope, 'missing', float('nan'), -1.5e-30)\n"
)

# The kernel flushes stdout on a timer: the sleep makes this cell's output arrive in two chunks.
SPLIT_STREAM_CODE = "import time\nprint('first', 1.25)\ntime.sleep(0.6)\nprint('second', 2.5)\n"

# Test-only: loaded by Python at start-up when its folder is on PYTHONPATH (never in production code).
SHIM = """
import os

if os.environ.get("VGDOCS_TEST_PERTURB") == "sigmoid-derivative":
    import vgdocs.engine.activations as _act

    _derivative = _act.Activation.derivative

    def _perturbed(self, x):
        d = _derivative(self, x)
        return d * 1.001 if self.name == "sigmoid" else d

    _act.Activation.derivative = _perturbed
"""


def make_project(root: Path, *, notebook: bool = False, page: str = PAGE) -> Path:
    """Write a one-page (optionally plus one notebook) mkdocs project using the drift hook; return it."""
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(page, encoding="utf-8")
    (root / "ledgerdemo.py").write_text(DEMO_MODULE, encoding="utf-8")
    plugins = ["  - markdown-exec"]
    if notebook:
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_markdown_cell("# Lab"),
            nbformat.v4.new_code_cell(NOTEBOOK_CODE),
            nbformat.v4.new_code_cell(SPLIT_STREAM_CODE),
        ]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        (root / "docs" / "lab").mkdir()
        nbformat.write(nb, root / "docs" / "lab" / "demo.ipynb")
        plugins += ["  - mkdocs-jupyter:", "      execute: true", "      allow_errors: false"]
    config = (
        textwrap.dedent(
            f"""\
        site_name: ledger test
        hooks:
          - {HOOK}
        markdown_extensions:
          - pymdownx.superfences
        plugins:
        """
        )
        + "\n".join(plugins)
        + "\n"
    )
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    return root


def run_env(extra: dict[str, str] | None = None, pythonpath: list[Path] | None = None) -> dict[str, str]:
    """The environment for a child build: cold caches, the given extra variables and PYTHONPATH."""
    env = {**os.environ, "VGDOCS_CACHE": "0", **(extra or {})}
    for var in ("VGDOCS_LEDGER_RECORD", "VGDOCS_LEDGER_COMPARE", "VGDOCS_TEST_PERTURB"):
        if var not in (extra or {}):
            env.pop(var, None)
    paths = [str(p) for p in pythonpath or []] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def mkdocs(
    project: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 2400
) -> subprocess.CompletedProcess:
    """Run `python -m mkdocs <args>` in `project`; output captured as text."""
    return subprocess.run(
        [*command(args[0], strict=False), *args[1:]],
        cwd=project,
        env=env or run_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ledger_cli(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m vgdocs ledger <args>` in `project`."""
    return subprocess.run(
        [sys.executable, "-m", "vgdocs", "ledger", *args],
        cwd=project,
        env=env or run_env(),
        capture_output=True,
        text=True,
        timeout=2400,
        check=False,
    )


@pytest.fixture
def shim(tmp_path: Path) -> Path:
    """A folder holding the perturbation sitecustomize.py (active only with VGDOCS_TEST_PERTURB set)."""
    folder = tmp_path / "shim"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SHIM, encoding="utf-8")
    return folder


# test_drift.py builds the whole site cold on purpose, three more times (a second clean build for
# byte-identity, the 0.1 % mutation, an older CPU's kernels): `make test` (CI) runs it, the author's
# loop (`make test-fast`) does not; the strict build every loop makes still checks the ledger.
COLD_MODULES = ("test_drift.py",)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the tests that must build cold (before tests/conftest.py deselects them in the fast loop)."""
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.path))
        if path.parent == here and path.name in COLD_MODULES:
            item.add_marker(pytest.mark.cold)
