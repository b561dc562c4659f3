"""The lab notebook: valid nbformat, stored without outputs, calls only vgdocs and matplotlib, runs, prints little."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "lab" / "gradient-flow.ipynb"
INDEX = NOTEBOOK.with_name("index.md")


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def test_notebook_is_valid_nbformat_with_a_python_kernel(notebook):
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.language == "python"


def test_notebook_is_stored_clean_so_the_build_computes_every_output(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_code_cells_import_only_vgdocs_and_matplotlib(notebook):
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert all(m.split(".")[0] in ("vgdocs", "matplotlib") for m in modules), cell.source


def test_code_cells_are_short_and_run_with_small_outputs(notebook):
    namespace: dict[str, object] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert len(cell.source.splitlines()) <= 12  # the set-up cell: imports and data
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)
        assert len(out.getvalue()) < 2000, cell.source
    assert namespace["sick"] is not namespace["healthy"]


def test_figures_are_inline_svg_with_text_alternatives(notebook):
    """Each figure cell ends in svg(fig, name, alt): a distinct name (ids unique on the page) and an alt text."""
    calls = [re.search(r'svg\(\s*fig,\s*"([^"]+)",\s*"([^"]{20,})', c.source) for c in notebook.cells]
    names = [m[1] for m in calls if m]
    assert len(names) >= 2
    assert len(set(names)) == len(names)


def test_lab_page_links_the_notebook():
    assert "(gradient-flow.ipynb)" in INDEX.read_text()


def test_each_code_cell_prints_once_so_its_output_is_one_block(notebook):
    # Jupyter may split a cell's stdout into several outputs when prints are spread over time; the
    # ledger keys notebook numbers by output index, so one print per cell keeps the keys stable.
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        prints = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
        assert len(prints) <= 1, cell.source
        for loop in (n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))):
            assert not any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print" for n in ast.walk(loop))
