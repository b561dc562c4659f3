"""The experiment cache recomputes exactly when the code behind an experiment changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    '''
    """A probe experiment for the cache tests: one sigmoid net's delta norms."""
    import dataclasses

    import numpy as np

    from vgdocs.experiments._core import Result, experiment
    from vgdocs.engine.nets.mlp import MLP


    @dataclasses.dataclass(frozen=True)
    class Probe(Result):
        delta_norms: np.ndarray


    @experiment("probe.flow")
    def flow(depth: int = 4, seed: int = 0) -> Probe:
        net = MLP([8] * (depth + 1) + [1], "sigmoid", init="xavier_normal", seed=seed)
        x = np.random.default_rng(seed).normal(size=(16, 8))
        return Probe(delta_norms=net.gradients(x, np.zeros((16, 1))).delta_norms, seed=seed)
    '''
)

RUN = textwrap.dedent(
    """
    import json, sys
    from vgdocs.publish import cache
    from vgdocs.experiments.probe import flow
    cache.activate(sys.argv[1])
    first = flow(depth=4).delta_norms.tolist()
    again = flow(depth=4).delta_norms.tolist()
    print(json.dumps({"value": first, "same": first == again, "stats": cache.stats()}))
    cache.deactivate()
    """
)


@pytest.fixture
def vgdocs_copy(tmp_path: Path) -> Path:
    """A private copy of the vgdocs package with the probe experiment added."""
    shutil.copytree(REPO / "vgdocs", tmp_path / "vgdocs", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "vgdocs" / "experiments" / "probe.py").write_text(PROBE)
    return tmp_path


def perturb_sigmoid(package: Path) -> None:
    """Edit the copy's sigmoid to 1 / (1 + exp(-1.001 x)): every number of a sigmoid net moves."""
    act = package / "vgdocs" / "engine" / "activations.py"
    source = act.read_text()
    edited = source.replace("return _special().expit(x)", "return _special().expit(1.001 * x)")
    assert edited != source, "the sigmoid line moved; update this test"
    act.write_text(edited)


def run_probe(root: Path, cache_dir: Path, **env: str) -> dict:
    # the test suite may run with VGDOCS_CACHE=0 for cold builds; these runs choose their own
    environ = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1", "VGDOCS_CACHE": "1", **env}
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(cache_dir)], env=environ, cwd=root, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_second_run_is_served_from_disk_with_identical_numbers(vgdocs_copy: Path, tmp_path: Path) -> None:
    cold = run_probe(vgdocs_copy, tmp_path / "c")
    warm = run_probe(vgdocs_copy, tmp_path / "c")
    assert cold["stats"] == {"hits": 1, "disk_hits": 0, "misses": 1, "prefetched": 0}
    assert warm["stats"] == {"hits": 1, "disk_hits": 1, "misses": 0, "prefetched": 0}
    assert warm["value"] == cold["value"]


def test_editing_imported_engine_code_recomputes_with_the_new_numbers(vgdocs_copy: Path, tmp_path: Path) -> None:
    before = run_probe(vgdocs_copy, tmp_path / "c")
    perturb_sigmoid(vgdocs_copy)
    after = run_probe(vgdocs_copy, tmp_path / "c")
    assert after["stats"]["misses"] == 1 and after["stats"]["disk_hits"] == 0
    assert after["value"] != before["value"]
    uncached = run_probe(vgdocs_copy, tmp_path / "other", VGDOCS_CACHE="0")
    assert after["value"] == uncached["value"]


def test_editing_code_the_experiment_does_not_import_keeps_the_cache(vgdocs_copy: Path, tmp_path: Path) -> None:
    run_probe(vgdocs_copy, tmp_path / "c")
    (vgdocs_copy / "vgdocs" / "unrelated_module.py").write_text('"""Not imported by the probe."""\nX = 1\n')
    (vgdocs_copy / "docs.md").write_text("A prose edit.\n")
    warm = run_probe(vgdocs_copy, tmp_path / "c")
    assert warm["stats"]["disk_hits"] == 1 and warm["stats"]["misses"] == 0


def test_vgdocs_cache_0_turns_the_disk_layer_off(vgdocs_copy: Path, tmp_path: Path) -> None:
    run_probe(vgdocs_copy, tmp_path / "c", VGDOCS_CACHE="0")
    again = run_probe(vgdocs_copy, tmp_path / "c", VGDOCS_CACHE="0")
    assert again["stats"]["disk_hits"] == 0 and again["stats"]["misses"] == 1
    assert not (tmp_path / "c").exists()


def test_outside_a_build_experiments_always_compute(vgdocs_copy: Path) -> None:
    code = "from vgdocs.publish import cache; from vgdocs.experiments.probe import flow; flow(); print(cache.stats())"
    env = {**os.environ, "PYTHONPATH": str(vgdocs_copy), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=vgdocs_copy, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == str({"hits": 0, "disk_hits": 0, "misses": 0, "prefetched": 0})


def test_a_stale_entry_written_before_an_engine_change_is_never_returned(vgdocs_copy: Path, tmp_path: Path) -> None:
    """Even an entry copied under the new key is ignored: an entry repeats the key it was written for."""
    before = run_probe(vgdocs_copy, tmp_path / "c")
    (old,) = list((tmp_path / "c").glob("*/*.npz"))
    perturb_sigmoid(vgdocs_copy)
    after = run_probe(vgdocs_copy, tmp_path / "c")
    new = [p for p in (tmp_path / "c").glob("*/*.npz") if p != old]
    assert len(new) == 1 and after["stats"]["misses"] == 1
    shutil.copyfile(old, new[0])  # plant the pre-change value under the post-change key
    replanted = run_probe(vgdocs_copy, tmp_path / "c")
    assert replanted["stats"]["disk_hits"] == 0 and replanted["stats"]["misses"] == 1
    assert replanted["value"] == after["value"] != before["value"]


def test_entries_are_json_and_npz_and_load_without_pickle(tmp_path: Path) -> None:
    """Round trip of the value shapes Results hold; an npz holding a pickled object array is refused."""
    import dataclasses

    import numpy as np

    from vgdocs.publish.claims import Claim
    from vgdocs.publish.store import Store

    store = Store(tmp_path)
    value = {
        "floats": (1.5, float("nan"), float("inf"), -0.0),
        "array": np.arange(6.0).reshape(2, 3),
        "ints": [1, 2**70, np.int64(3)],
        "numpy floats": (np.float64(0.8351596344262615), np.float32(0.25)),
        ("a", 1): "tuple key",
        "claim": Claim("c.one", "text {x}", True, evidence={"x": 2.0}),
    }
    assert store.set("ab" * 32, value)
    back = store.get("ab" * 32)
    assert back["floats"][0] == 1.5 and np.isnan(back["floats"][1]) and back["floats"][2] == float("inf")
    assert np.array_equal(back["array"], value["array"]) and back["ints"][1] == 2**70 and back[("a", 1)] == "tuple key"
    assert dataclasses.asdict(back["claim"]) == dataclasses.asdict(value["claim"])
    # np.float64 is a subclass of float: it must come back as the same number and type, not be skipped
    assert [(type(v), v) for v in back["numpy floats"]] == [(type(v), v) for v in value["numpy floats"]]
    assert not store.set("cd" * 32, np.array([object()], dtype=object))
    (tmp_path / "ef").mkdir()
    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "x.npy").rename(tmp_path / "ef" / ("ef" * 32 + ".npz"))
    assert store.get("ef" * 32, default="missing") == "missing"


def test_a_value_computed_elsewhere_is_labelled_like_one_computed_here(tmp_path: Path) -> None:
    """put (the second process's results) and memoize write the same label: what the entry is, for a reader."""
    import json

    import numpy as np

    from vgdocs.publish import cache

    cache.activate(tmp_path)
    try:
        cache.put("demo.put", "k1", "vgdocs.publish.store", 1.0)
        cache.memoize("demo.memo", "k2", "vgdocs.publish.store", lambda: 2.0)
    finally:
        cache.deactivate()
    labels = set()
    for entry in tmp_path.glob("*/*.npz"):
        with np.load(entry, allow_pickle=False) as npz:
            labels.add(json.loads(bytes(npz["__tree__"]).decode())["label"])
    assert labels == {"demo.put k1", "demo.memo k2"}
