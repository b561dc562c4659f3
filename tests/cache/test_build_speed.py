"""What makes warm builds fast keeps them right: syntax-tree keys, the sources memo, read-only use, deferred imports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cache.test_cache import PROBE, run_probe

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def vgdocs_copy(tmp_path: Path) -> Path:
    """A private copy of the vgdocs package with the cache tests' probe experiment added."""
    shutil.copytree(REPO / "vgdocs", tmp_path / "vgdocs", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "vgdocs" / "experiments" / "probe.py").write_text(PROBE)
    return tmp_path


def test_a_comment_or_reformat_keeps_the_cache_and_a_code_change_does_not(vgdocs_copy: Path, tmp_path: Path) -> None:
    probe = vgdocs_copy / "vgdocs" / "experiments" / "probe.py"
    run_probe(vgdocs_copy, tmp_path / "c")
    probe.write_text(probe.read_text().replace("    net = MLP(", "    # a comment\n\n    net = MLP(", 1))
    assert run_probe(vgdocs_copy, tmp_path / "c")["stats"]["disk_hits"] == 1
    probe.write_text(probe.read_text().replace("size=(16, 8))", "size=(16, 8)) * 2"))  # new inputs, new numbers
    changed = run_probe(vgdocs_copy, tmp_path / "c")
    assert changed["stats"]["misses"] == 1 and changed["stats"]["disk_hits"] == 0


def test_the_sources_memo_holds_each_modules_tree_digest_and_imports_by_its_bytes(
    vgdocs_copy: Path, tmp_path: Path
) -> None:
    """sources.json: key 'module:sha256(bytes)'; 'code' is sha256(ast.dump(tree)), as computed here."""
    import ast
    import hashlib

    run_probe(vgdocs_copy, tmp_path / "c")
    memo = json.loads((tmp_path / "c" / "sources.json").read_text())
    source = (vgdocs_copy / "vgdocs" / "experiments" / "probe.py").read_bytes()
    entry = memo[f"vgdocs.experiments.probe:{hashlib.sha256(source).hexdigest()}"]
    assert entry["code"] == hashlib.sha256(ast.dump(ast.parse(source)).encode()).hexdigest()
    assert "vgdocs.engine.nets.mlp" in entry["imports"]


def test_read_only_takes_disk_entries_and_writes_none(vgdocs_copy: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from vgdocs.publish import cache; from vgdocs.experiments.probe import flow\n"
        "cache.activate(sys.argv[1], read_only=True); flow(depth=4); flow(depth=5); print(cache.stats())\n"
    )
    run_probe(vgdocs_copy, tmp_path / "c")  # fills depth=4
    before = sorted(p.name for p in (tmp_path / "c").rglob("*"))
    env = {**os.environ, "PYTHONPATH": str(vgdocs_copy), "PYTHONDONTWRITEBYTECODE": "1", "VGDOCS_CACHE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "c")],
        env=env,
        cwd=vgdocs_copy,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str({"hits": 0, "disk_hits": 1, "misses": 1, "prefetched": 0})
    assert sorted(p.name for p in (tmp_path / "c").rglob("*")) == before


def test_a_figure_of_category_labels_has_the_same_key_in_every_process() -> None:
    """An object array's bytes are pointers: the key must come from its items (two processes agree)."""
    code = (
        "import numpy as np\n"
        "from vgdocs.publish.present.figures import figure_key\n"
        "from vgdocs.publish.present.spec import Figure, Panel, Series\n"
        "x = np.array(['He initialisation', 'batch normalisation'], dtype=object)\n"
        "print(figure_key(Figure(alt='a', panels=(Panel(series=(Series(x=x, y=np.ones(2), label='s'),)),))))\n"
    )
    keys = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
        for _ in range(2)
    }
    assert len(keys) == 1 and re.fullmatch(r"[0-9a-f]{64}\n", keys.pop())


def test_natural_order_puts_x2_before_x10_and_breaks_ties_by_the_key() -> None:
    from vgdocs.publish.ledger import natural

    keys = ["p/e()/x[10]", "p/e()/x[2]", "p/e()/x[2].0.010", "p/e()/x[2].0.01", "p/e()/y"]
    assert sorted(keys, key=natural) == ["p/e()/x[2]", "p/e()/x[2].0.01", "p/e()/x[2].0.010", "p/e()/x[10]", "p/e()/y"]


def test_deferred_modules_load_on_first_use_only() -> None:
    """After the extension loads, mkdocs-jupyter's plugin imports without nbconvert; using `convert` loads it."""
    code = (
        "import sys\n"
        "import vgdocs.publish.site.lazy_notebooks\n"
        "import mkdocs_jupyter.plugin as plugin\n"
        "print('nbconvert' in sys.modules, 'jupytext.formats' in sys.modules)\n"
        "plugin.convert.nb2html\n"
        "print('nbconvert' in sys.modules, type(sys.modules['mkdocs_jupyter.convert']).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.split("\n")[:2] == ["False False", "True module"]


def test_costs_are_read_longest_first_from_the_measured_file_over_the_committed_table(tmp_path: Path) -> None:
    from vgdocs.publish import prefetch

    (tmp_path / "benchmarks").mkdir()
    (tmp_path / prefetch.SECONDS_FILE).write_text("# header\na k1\t5.0\nb k2\t1.0\n")
    assert prefetch.costs(tmp_path) == {"a k1": 5.0, "b k2": 1.0}
    prefetch.save_costs(tmp_path, {"b k2": 9.0})
    assert prefetch.costs(tmp_path) == {"a k1": 5.0, "b k2": 9.0}
    assert np.isclose(json.loads((tmp_path / prefetch.COSTS_FILE).read_text())["b k2"], 9.0)
