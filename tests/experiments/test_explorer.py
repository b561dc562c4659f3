"""The explorer's grid and the diagnose page's golden fixtures (shared with tests/browser/test_explorer.py)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from vgdocs import cli
from vgdocs.engine import theory
from vgdocs.engine.diagnose import diagnose
from vgdocs.engine.nets import mlp
from vgdocs.experiments import explorer as ex
from vgdocs.publish import ledger

GOLDEN = json.loads((Path(__file__).parents[1] / "fixtures" / "diagnose_golden.json").read_text())


def _norms(fixture: dict) -> list[float]:
    return [float(v) for v in fixture["norms"]]


@pytest.mark.parametrize("fixture", GOLDEN["golden"], ids=lambda f: f["name"])
def test_golden_fixture_is_pythons_verdict(fixture, capsys):
    """Each golden fixture holds what vgdocs.engine.diagnose and `python -m vgdocs diagnose` say."""
    d = diagnose(_norms(fixture))
    assert (d.verdict, d.explanation) == (fixture["verdict"], fixture["explanation"])
    assert cli.main(["diagnose", *map(repr, _norms(fixture))]) == 0
    assert capsys.readouterr().out.strip() == fixture["explanation"]


def test_bad_input_fixtures_are_rejected_by_python_too():
    """Negative norms and a single layer are ValueErrors in Python as well as on the page."""
    with pytest.raises(ValueError, match="non-negative"):
        diagnose([0.1, -0.2, 0.3])
    with pytest.raises(ValueError, match="at least 2 layers"):
        diagnose([0.5])
    assert {f["name"] for f in GOLDEN["bad"]} >= {"empty", "text", "negative", "single layer"}


def test_profile_encoding_round_trips_to_the_quantum():
    values = np.array([3e-7, 1e-3, 0.5, 2.0, 7e4])
    logs = np.array(ex.decode_profile(ex.encode_profile(values))) * ex.M_STEP
    assert np.max(np.abs(logs - np.log10(values))) <= ex.M_STEP / 2 + 1e-12
    assert "a" in ex.encode_profile(np.array([1.0, math.inf, 0.0]))


def _cell_ratio(act, init, depth, norm, res, seeds=(0, 1, 2)):
    runs = [ex.probe(act, init, depth, norm, res, width=64, batch=64, seed=s)[0] for s in seeds]
    return diagnose(np.median(np.array(runs), axis=0)).ratio


def test_relu_he_ratio_agrees_with_mean_field():
    """He init makes ReLU critical (chi_1 = 1): the mean-field ratio is 1; the measured one is within 10x."""
    assert theory.chi_1("relu", 2.0) == pytest.approx(1.0, rel=1e-6)
    assert 0.1 < _cell_ratio("relu", "he", 20, "none", "plain") < 10


def test_sigmoid_standard_vanishes_like_the_slope_bound():
    """Sigmoid slopes are at most 1/4: with sigma_w^2 = 1/3 the per-layer factor is below sqrt(1/3)/4."""
    r = _cell_ratio("sigmoid", "standard", 10, "none", "plain")
    assert r < (math.sqrt(1 / 3) * 0.25) ** 9 * 10


def test_engine_change_that_moves_a_cell_names_the_cell(monkeypatch):
    """Scaling every initial weight by 1.001 moves a cell's ratio; the ledger's drift report names that cell."""
    cell = ("tanh", "xavier", 10, "none", "plain")
    key = "explorer/explorer.grid()/ratio." + ex.cell_key(*cell)
    before = {key: _cell_ratio(*cell)}
    real = mlp.initialize
    monkeypatch.setattr(mlp, "initialize", lambda *a, **k: real(*a, **k) * 1.001)
    after = {key: _cell_ratio(*cell)}
    drift = ledger.compare(before, after)  # the repository's tolerances: only one chaotic cell is loosened
    assert not drift.clean
    assert "activation=tanh,init=xavier,depth=10,norm=none,residual=plain" in drift.message()


_EXPLORER_PAGE = """# Explorer

```python exec="on" id="explorer-lookup"
import os

from vgdocs.experiments.explorer import ExplorerGrid, cell_key
from vgdocs.publish.present import lookup

moved = float(os.environ.get("VG_TEST_MOVED_RATIO", "0.5"))
cells = {cell_key("relu", "he", 20, "none", "plain"): 0.64, cell_key("tanh", "xavier", 10, "none", "plain"): moved}
grid = ExplorerGrid(experiment="explorer.grid()", width=8, batch=4, seeds=(0,), ratio=cells, verdict={}, asset="{}")
print(f"{lookup(grid, 'ratio')} cells")
```
"""


@pytest.mark.slow
def test_a_moved_grid_value_fails_the_strict_build_naming_the_cell(tmp_path):
    """The page publishes each cell's ratio as its own ledger entry; one cell moving fails --strict and names it."""
    from tests.site.conftest import make_project, mkdocs_build

    config = make_project(tmp_path, {"explorer.md": _EXPLORER_PAGE})
    accepted = tmp_path / ledger.LEDGER_FILE
    accepted.parent.mkdir(parents=True)
    first = mkdocs_build(
        config, tmp_path / "site", env={"VGDOCS_LEDGER_COMPARE": "0", ledger.RECORD_ENV: str(accepted)}
    )
    assert first.returncode == 0, first.output[-4000:]
    key = "explorer/explorer.grid()/ratio." + ex.cell_key("tanh", "xavier", 10, "none", "plain")
    assert ledger.load(accepted)[key] == 0.5
    same = mkdocs_build(config, tmp_path / "site", env={"VG_TEST_MOVED_RATIO": "0.5"})
    assert same.returncode == 0, same.output[-4000:]
    moved = mkdocs_build(config, tmp_path / "site", env={"VG_TEST_MOVED_RATIO": "0.5005"})
    assert moved.returncode != 0
    assert "activation=tanh,init=xavier,depth=10,norm=none,residual=plain" in moved.output
    assert "activation=relu,init=he" not in moved.output  # only the cell that moved is named


def test_the_ledger_holds_every_cells_ratio_and_stays_under_ten_thousand_entries():
    """What the explorer's reader reads, one cell at a time, is guarded cell by cell; the file stays reviewable."""
    accepted = ledger.load(Path(__file__).parents[2] / ledger.LEDGER_FILE)
    prefix = "explorer/explorer.grid()/ratio."
    cells = {ex.cell_key(*c) for c in itertools.product(ex.ACTIVATIONS, ex.INITS, ex.DEPTHS, ex.NORMS, ex.RESIDUAL)}
    assert {k.removeprefix(prefix) for k in accepted if k.startswith(prefix)} == cells
    assert len(accepted) < 10_000


def test_lookup_rejects_a_field_that_is_not_a_mapping_of_numbers():
    from vgdocs.publish.present import lookup

    grid = ex.ExplorerGrid(
        experiment="explorer.grid()", width=8, batch=4, seeds=(0,), ratio={}, verdict={"a": "x"}, asset=""
    )
    with pytest.raises(ValueError, match=r"field must name a mapping field.*\['ratio', 'verdict'\]"):
        lookup(grid, "width")
    with pytest.raises(ValueError, match="verdict must map str keys to numbers"):
        lookup(grid, "verdict")
    with pytest.raises(TypeError, match="obj must be a Result"):
        lookup({"ratio": {}}, "ratio")


def test_cell_keys_and_labels_are_words():
    assert ex.cell_key("relu", "he", 20, "none", "plain") == "activation=relu,init=he,depth=20,norm=none,residual=plain"
    assert ex.init_label("xavier") == "Xavier (normal)"
    assert ex.init_label("sw1.5").endswith("= 1.5")
    assert ex.sigma_w2("he", 64) == 2.0 and ex.sigma_w2("large", 64) == 64.0


@pytest.mark.slow
def test_whole_grid_asset_matches_the_result_and_stays_compact():
    """The page's asset carries the Result's ratio and verdict for every cell of the grid, under 100 KB gzipped."""
    import gzip

    grid = ex.explorer_grid()
    asset = json.loads(grid.asset)
    n_cells = len(ex.ACTIVATIONS) * len(ex.INITS) * len(ex.DEPTHS) * len(ex.NORMS) * len(ex.RESIDUAL)
    assert set(asset["cells"]) == set(grid.ratio) and len(grid.ratio) == n_cells
    for key, cell in asset["cells"].items():
        r = grid.ratio[key]
        assert (cell["r"] is None and not math.isfinite(r)) or cell["r"] == r, key
        assert cell["v"] == grid.verdict[key], key
        depth = int(key.split("depth=")[1].split(",")[0])
        assert len(ex.decode_profile(cell)) == len(cell["lo"]) == len(cell["hi"]) == depth, key
    assert len(gzip.compress(grid.asset.encode(), 9)) < 100_000
