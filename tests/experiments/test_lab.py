"""The lab notebook: valid nbformat, stored without outputs, calls only vgdocs, runs, prints little."""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import nbformat
import pytest

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


def test_code_cells_import_only_vgdocs(notebook):
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
            assert all(m == "vgdocs" or m.startswith("vgdocs.") for m in modules), cell.source


def test_code_cells_are_short_and_run_with_small_outputs(notebook):
    namespace: dict[str, object] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert len(cell.source.splitlines()) <= 10
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)
        assert len(out.getvalue()) < 2000, cell.source
    assert namespace["sick"] is not namespace["healthy"]


def test_lab_page_links_the_notebook():
    assert "(gradient-flow.ipynb)" in INDEX.read_text()
