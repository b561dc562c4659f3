"""The drift hook and `ledger` command line on a one-page site: pass, perturb, serve, notebook."""

from __future__ import annotations

import math
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ledger.conftest import ledger_cli, make_project, mkdocs, run_env
from vgdocs.publish import ledger
from vgdocs.publish.site.engines import command


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-page project whose ledger was accepted with `python -m vgdocs ledger update`."""
    project = make_project(tmp_path_factory.mktemp("accepted") / "proj")
    done = ledger_cli(project, "update")
    assert done.returncode == 0, done.stdout + done.stderr
    return project


@pytest.fixture
def site(accepted: Path, tmp_path: Path) -> Path:
    """A private copy of the accepted project, free to edit."""
    return Path(shutil.copytree(accepted, tmp_path / "proj"))


def test_update_writes_sorted_ledger_of_every_published_number(site: Path) -> None:
    entries = ledger.load(site / ledger.LEDGER_FILE)
    prefix = "index/demo.slopes(depth=4)/"
    assert entries[prefix + "max_slope"] == 0.25
    assert entries[prefix + "overflow"] == float("inf")
    assert [k for k in entries if "grad_norms" in k] == [prefix + f"grad_norms[{i}]" for i in range(5)]
    lines = [line for line in (site / ledger.LEDGER_FILE).read_text().splitlines() if not line.startswith("#")]
    assert lines == sorted(lines, key=ledger.natural)


def test_strict_build_passes_when_numbers_match(site: Path) -> None:
    done = mkdocs(site, "build", "--strict", "-d", str(site.parent / "out"))
    assert done.returncode == 0, done.stderr
    assert "published numbers match" in done.stderr


def test_perturbed_derivative_fails_strict_build_naming_the_entry(site: Path, shim: Path) -> None:
    env = run_env({"VGDOCS_TEST_PERTURB": "sigmoid-derivative"}, pythonpath=[shim])
    done = mkdocs(site, "build", "--strict", "-d", str(site.parent / "out"), env=env)
    assert done.returncode != 0
    # max_slope is sigmoid'(0) = 0.25, so it moves by exactly the 0.1% perturbation.
    assert re.search(
        r"index/demo\.slopes\(depth=4\)/max_slope \[index\.md\]: 0\.25 -> 0\.25025\d*, \+0\.1%", done.stderr
    )
    assert "python -m vgdocs ledger update" in done.stderr


def test_perturbed_derivative_fails_check_and_update_accepts_it(site: Path, shim: Path) -> None:
    env = run_env({"VGDOCS_TEST_PERTURB": "sigmoid-derivative"}, pythonpath=[shim])
    check = ledger_cli(site, "check", env=env)
    assert check.returncode == 1
    assert "index/demo.slopes(depth=4)/max_slope [index.md]: 0.25 -> 0.25025" in check.stdout
    assert ledger_cli(site, "update", env=env).returncode == 0
    assert ledger.load(site / ledger.LEDGER_FILE)["index/demo.slopes(depth=4)/max_slope"] == pytest.approx(0.25025)
    assert ledger_cli(site, "check", env=env).returncode == 0
    assert ledger_cli(site, "check").returncode == 1  # and now the unperturbed code drifts back


def test_non_strict_build_only_warns(site: Path, shim: Path) -> None:
    env = run_env({"VGDOCS_TEST_PERTURB": "sigmoid-derivative"}, pythonpath=[shim])
    done = mkdocs(site, "build", "-d", str(site.parent / "out"), env=env)
    assert done.returncode == 0
    assert "WARNING" in done.stderr and "max_slope [index.md]" in done.stderr


def test_deleted_block_and_new_block_are_reported(site: Path) -> None:
    page = site / "docs" / "index.md"
    page.write_text(page.read_text().replace("slopes(depth=4)", "slopes(depth=3)"))
    done = mkdocs(site, "build", "--strict", "-d", str(site.parent / "out"))
    assert done.returncode != 0
    assert "No page produces these ledger entries any more" in done.stderr
    assert "index/demo.slopes(depth=4)/max_slope [index.md]: 0.25" in done.stderr
    assert "Published but missing from the ledger" in done.stderr
    assert "index/demo.slopes(depth=3)/max_slope [index.md]: 0.25" in done.stderr


TWICE_PAGE = """# Twice

```python exec="on" id="twice"
import dataclasses
from ledgerdemo import slopes
from vgdocs.publish.ledger import publish
publish(slopes(depth=4))
publish(dataclasses.replace(slopes(depth=4), max_slope=0.3))
```
"""


def test_update_refuses_a_key_published_twice_with_different_values(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", page=TWICE_PAGE)
    done = ledger_cli(project, "update")
    assert done.returncode != 0
    assert "index/demo.slopes(depth=4)/max_slope [index.md]: 0.25, 0.3" in done.stderr
    assert not (project / ledger.LEDGER_FILE).exists()


def test_missing_ledger_file_fails_strict_build(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    done = mkdocs(project, "build", "--strict", "-d", str(tmp_path / "out"))
    assert done.returncode != 0
    assert "no ledger file" in done.stderr and "python -m vgdocs ledger update" in done.stderr


def test_show_prints_matching_entries(site: Path) -> None:
    done = ledger_cli(site, "show", "grad_norms[1]")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [f"index/demo.slopes(depth=4)/grad_norms[1]\t{done.stdout.split()[-1]}"]
    assert ledger_cli(site, "show", "slopes*slope").stdout.startswith("index/demo.slopes(depth=4)/max_slope\t0.25")
    assert ledger_cli(site, "show", "no such key").returncode == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_warns_about_drift_and_keeps_serving(site: Path, shim: Path) -> None:
    port = _free_port()
    env = run_env({"VGDOCS_TEST_PERTURB": "sigmoid-derivative"}, pythonpath=[shim])
    proc = subprocess.Popen(
        [*command("serve", strict=False), "--no-livereload", "-a", f"127.0.0.1:{port}"],
        cwd=site,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            seen.append(line)
            if "Serving on" in line or not line:
                break
        log = "".join(seen)
        assert "WARNING" in log and "max_slope [index.md]: 0.25 -> 0.25025" in log, log
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200 and b"published" in page.read()
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]


def test_notebook_numbers_published_and_printed_reach_the_ledger_also_from_cache(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", notebook=True)
    env = run_env(pythonpath=[project])
    assert ledger_cli(project, "update", env=env).returncode == 0
    key = "lab/demo.ipynb/demo.slopes(depth=2, seed=3)/max_slope"
    entries = ledger.load(project / ledger.LEDGER_FILE)
    assert entries[key] == 0.25
    assert ledger.page_of(key) == "lab/demo.ipynb"
    printed = {k: v for k, v in entries.items() if k.startswith("lab/demo.ipynb/output[")}
    assert printed.keys() == {f"lab/demo.ipynb/output[0]/number[{j}]" for j in range(3)} | {
        "lab/demo.ipynb/output[1]/number[0]",
        "lab/demo.ipynb/output[1]/number[1]",
    }
    assert printed["lab/demo.ipynb/output[1]/number[1]"] == 2.5
    assert printed["lab/demo.ipynb/output[0]/number[0]"] == 0.25
    assert math.isnan(printed["lab/demo.ipynb/output[0]/number[1]"])
    assert printed["lab/demo.ipynb/output[0]/number[2]"] == -1.5e-30
    # update ran the kernel; this build is served from mkdocs-jupyter's cache and starts no kernel
    done = mkdocs(project, "build", "--strict", "-d", str(tmp_path / "out"), env=env)
    assert done.returncode == 0, done.stderr
    assert "Cache hit" in done.stderr
    page = (tmp_path / "out" / "lab" / "demo" / "index.html").read_text()
    assert "<pre>first 1.25\nsecond 2.5\n</pre>" in page  # the two stdout chunks joined


BLAS_PAGE = """# BLAS

```python exec="on" id="blas-threads"
import numpy  # loads its BLAS
from threadpoolctl import threadpool_info
print("blas threads:", sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}))
```
"""


@pytest.mark.parametrize("numpy_first", [False, True], ids=["env-before-numpy", "threadpoolctl-after-numpy"])
def test_build_runs_blas_on_one_thread_whatever_the_environment_says(tmp_path: Path, numpy_first: bool) -> None:
    project = make_project(tmp_path / "proj", page=BLAS_PAGE)
    ledger.save(project / ledger.LEDGER_FILE, {})
    shim = tmp_path / "early"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text("import numpy\n" if numpy_first else "import os\n")
    env = run_env({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}, pythonpath=[shim])
    done = mkdocs(project, "build", "--strict", "-d", str(tmp_path / "out"), env=env)
    assert done.returncode == 0, done.stderr
    assert "blas threads: [1]" in (tmp_path / "out" / "index.html").read_text()
