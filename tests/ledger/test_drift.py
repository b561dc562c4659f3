"""The drift check on the whole site: clean builds pass, a 0.1% perturbation fails, builds are reproducible.

Every test here runs full `mkdocs build --strict` builds of the real site, cold, in subprocesses.
"""

from __future__ import annotations

import difflib
import platform
from pathlib import Path

import pytest

from tests.conftest import META_PAGES, source_date_epoch
from tests.ledger.conftest import REPO, mkdocs, run_env
from vgdocs.publish import ledger

pytestmark = pytest.mark.slow
# The clean-build checks share one module fixture: under pytest-xdist (--dist loadgroup) one worker runs them.
same_worker = pytest.mark.xdist_group("clean-builds")

LEDGER = REPO / ledger.LEDGER_FILE


def _build(out: Path, extra: dict[str, str] | None = None, pythonpath: list[Path] | None = None):
    """A cold strict build of the site into out/site recording its numbers in out/recorded.tsv."""
    env = run_env(
        {"SOURCE_DATE_EPOCH": source_date_epoch(), ledger.RECORD_ENV: str(out / "recorded.tsv"), **(extra or {})},
        pythonpath,
    )
    return mkdocs(REPO, "build", "--strict", "-d", str(out / "site"), env=env)


@pytest.fixture(scope="module")
def clean_builds(real_site, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two strict builds of the same commit into separate, fresh folders: the run's cold real_site and one more.

    The second runs with the experiment cache on: where a developer's cache holds this commit's results
    it is served from there (seconds, not a cold build), and identical bytes then also show that a
    cached result renders exactly as a computed one. On a fresh checkout it is a second cold build.
    """
    assert real_site.returncode == 0, f"strict build 1 failed:\n{real_site.output[-8000:]}"
    out = tmp_path_factory.mktemp("build2")
    done = _build(out, {"VGDOCS_CACHE": "1"})
    assert done.returncode == 0, f"strict build 2 failed:\n{done.stderr[-8000:]}"
    return [real_site.site.parent, out]


@same_worker
def test_strict_build_and_pytest_check_find_no_drift(clean_builds: list[Path]) -> None:
    drift = ledger.compare(ledger.load(LEDGER), ledger.load(clean_builds[0] / "recorded.tsv"))
    assert drift.clean, drift.message(str(LEDGER), limit=None)


@same_worker
def test_ledger_covers_every_page(clean_builds: list[Path]) -> None:
    docs = REPO / "docs"
    pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.suffix in (".md", ".ipynb")}
    covered = {ledger.page_of(k) for k in ledger.load(LEDGER)}
    listings = {p for p in pages if "<!-- vgdocs:claims -->" in (docs / p).read_text(encoding="utf-8")}
    assert pages - covered - listings - set(META_PAGES) == set(), "pages that publish no number"


@same_worker
def test_two_clean_builds_are_byte_identical(clean_builds: list[Path]) -> None:
    a, b = (out / "site" for out in clean_builds)
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    assert files_a == files_b
    differ = sorted(f for f in files_a if (a / f).read_bytes() != (b / f).read_bytes())
    detail = ""
    for f in differ[:3]:
        old, new = (a / f).read_bytes(), (b / f).read_bytes()
        i = next((i for i, (x, y) in enumerate(zip(old, new, strict=False)) if x != y), min(len(old), len(new)))
        detail += (
            f"\n{f} first differs at byte {i}:\n  {old[max(0, i - 80) : i + 80]!r}\n  {new[max(0, i - 80) : i + 80]!r}"
        )
        if f.endswith((".html", ".xml", ".json", ".svg")):
            diff = difflib.unified_diff(old.decode().splitlines(), new.decode().splitlines(), lineterm="", n=0)
            detail += "\n" + "\n".join(list(diff)[:12])[:3000]
    assert differ == [], f"{len(differ)} of {len(files_a)} files differ: {differ[:20]}{detail}"


def test_perturbing_sigmoid_derivative_by_0_1_percent_fails_build_and_pytest_check(tmp_path: Path, shim: Path) -> None:
    done = _build(tmp_path, {"VGDOCS_TEST_PERTURB": "sigmoid-derivative"}, pythonpath=[shim])
    assert done.returncode != 0
    drift = ledger.compare(ledger.load(LEDGER), ledger.load(tmp_path / "recorded.tsv"))
    assert not drift.clean
    # The pytest check names the quantity the perturbation moves by exactly 0.1%: sigmoid's slope.
    direct = [c for c in drift.changed if abs(c.rel - 1e-3) < 1e-9]
    assert direct, drift.message(limit=None)[:5000]
    assert any("sigmoid" in c.key for c in direct)
    # Both messages name each such entry with its page, old value, new value and relative change.
    text = drift.message(limit=None)
    for c in direct:
        line = f"{c.key} [{c.page}]: {c.old!r} -> {c.new!r}, +0.1%"
        assert line in text
        assert line in done.stderr
    assert "python -m vgdocs ledger update" in done.stderr


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="OpenBLAS core names are x86 ones")
def test_an_older_cpus_kernels_pass_the_same_ledger(tmp_path: Path) -> None:
    # Another machine differs in its BLAS kernels and numpy's SIMD loops: run those of an SSE4.2-only
    # x86 CPU (Nehalem), whatever this machine has.
    old_cpu = {"OPENBLAS_CORETYPE": "Nehalem", "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"}
    done = _build(tmp_path, {**old_cpu, ledger.COMPARE_ENV: "0"})  # compared below, with a summary first
    assert done.returncode == 0, done.stderr[-8000:]
    drift = ledger.compare(ledger.load(LEDGER), ledger.load(tmp_path / "recorded.tsv"))
    assert drift.clean, drift.message(str(LEDGER), limit=60)
