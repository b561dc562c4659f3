"""The training-diagnostics notebook: clean, plain numpy, fast, and right about what it teaches.

Its cells run here in one namespace (matplotlib's Agg backend; the figures come back as inline
SVG). The notebook's hand-written backpropagation is checked against central finite differences,
its initial-loss check against ln C (the closed form for uniform predictions over C classes), and
its figures for the properties a page needs: same bytes twice, ids unique on the page, a text
alternative on each.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import time
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest

matplotlib.use("Agg")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "lab" / "training-diagnostics.ipynb"
ALLOWED = ("numpy", "matplotlib", "vgdocs")


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def run(notebook):
    """(namespace after every cell, outputs each cell displayed or printed, seconds taken)."""
    ns: dict[str, object] = {}
    shown: list[str] = []
    start = time.perf_counter()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        out = io.StringIO()
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(out):
            exec(compile(tree, str(NOTEBOOK), "exec"), ns)
            value = eval(compile(ast.Expression(last.value), str(NOTEBOOK), "eval"), ns) if last else None
        shown.append(out.getvalue() + (str(value) if value is not None else ""))
    return ns, shown, time.perf_counter() - start


def test_notebook_is_valid_and_stored_without_outputs(notebook):
    nbformat.validate(notebook)
    assert all(c.outputs == [] and c.execution_count is None for c in notebook.cells if c.cell_type == "code")


def test_code_imports_only_numpy_matplotlib_and_vgdocs(notebook):
    for cell in (c for c in notebook.cells if c.cell_type == "code"):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert all(n.split(".")[0] in ALLOWED for n in names), cell.source


def test_notebook_runs_within_the_build_budget(run):
    """Executed at every build: the brief allows about 10 s of compute per notebook."""
    assert run[2] < 10.0


def test_backprop_matches_central_finite_differences(run):
    ns = run[0]
    x, y = ns["x"][:16], ns["y"][:16]
    params = ns["init"](5 / 3, 1.0, seed=3)
    _, _, _, grads = ns["loss_and_grads"](params, x, y)
    rng = np.random.default_rng(0)
    eps = 1e-6
    for layer in (0, 2, len(params) - 1):
        for part in (0, 1):
            p = params[layer][part]
            for idx in [tuple(rng.integers(0, s) for s in p.shape) for _ in range(4)]:
                old = p[idx]
                p[idx] = old + eps
                up = ns["loss_and_grads"](params, x, y)[0]
                p[idx] = old - eps
                down = ns["loss_and_grads"](params, x, y)[0]
                p[idx] = old
                numeric = (up - down) / (2 * eps)
                assert grads[layer][part][idx] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_initial_loss_check_healthy_near_ln_c_badly_scaled_far_above(run):
    """Done-when of issue 12: healthy within 5 % of ln C; the badly scaled last layer well above."""
    ns = run[0]
    ln_c = np.log(ns["C"])
    healthy = ns["loss_and_grads"](ns["init"](5 / 3, 0.1), ns["x"], ns["y"])[0]
    bad = ns["loss_and_grads"](ns["init"](5 / 3, 10.0), ns["x"], ns["y"])[0]
    assert abs(healthy / ln_c - 1) < 0.05
    assert bad > 3 * ln_c
    printed = run[1][2]  # the third code cell
    assert f"{ln_c:.4f}" in printed and f"{bad:.4f}" in printed


def test_large_gain_saturates_tanh_units_at_init_and_after_training(run):
    """The lesson of the histograms: gain 5 piles most units at ±1, gain 5/3 does not, before and after."""
    ns = run[0]
    for step in (0, 1000):
        healthy = [(np.abs(a) > 0.97).mean() for a in ns["snapshots"]["gain 5/3", step][0]]
        sick = [(np.abs(a) > 0.97).mean() for a in ns["snapshots"]["gain 5", step][0]]
        assert min(sick) > 0.5 > 0.25 > max(healthy)


def test_update_ratios_are_recorded_per_layer_for_a_thousand_steps(run):
    ratios = run[0]["ratios"]
    for r in ratios.values():
        assert r.shape == (1000, 6) and np.isfinite(r).all()


def test_figures_are_inline_svg_with_text_alternatives_and_page_unique_ids(run):
    figures = [f for out in run[1] for f in re.findall(r"<svg .*?</svg>", out, re.S)]
    assert len(figures) == 4
    ids = [i for f in figures for i in re.findall(r' id="([^"]+)"', f)]
    assert len(ids) == len(set(ids))
    for f in figures:
        assert 'role="img"' in f and re.search(r'aria-label="[^"]{20,}"', f)
        assert len(f) < 20_000  # the page stays under its 150 kB budget
