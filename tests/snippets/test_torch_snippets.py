"""Every PyTorch snippet a reader can copy from the site runs against the installed torch.

The fences are read from the Markdown at test time, so a snippet added later is covered without
touching this file: a fence is a PyTorch snippet when it is a ```python fence that markdown-exec
does not run (no `exec="on"`) and it mentions `import torch` or `torch.`, or it sits in a
`=== "PyTorch"` content tab. Keras and JAX fences are collected too and skip with a reason when
their framework is not installed.

Each snippet runs in a fresh namespace seeded by the PRELUDE below: small synthetic stand-ins for
the names a snippet expects the reader to have already (`x`, `y`, `loader`, `layer`, `h`). The
input width follows the snippet: `x` has as many features as the first `nn.Linear(n, ...)` in it.
The test then checks the behaviour the snippet promises where it can (a finite loss, finite
per-layer norms, a hook that fires on backward).
"""

from __future__ import annotations

import importlib.util
import math
import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
_TAB = re.compile(r'^[ \t]*===\+? "(?P<name>[^"]+)"', re.M)
FRAMEWORKS = {"torch": "torch", "tensorflow": "tensorflow", "keras": "keras", "jax": "jax"}


def snippets() -> list[tuple[str, str, str]]:
    """(id, framework module, code) for every copyable framework fence under docs/, in page order."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for m in _FENCE.finditer(text):
            info = m["info"].strip()
            if not info.startswith("python") or 'exec="on"' in info:
                continue
            code = textwrap.dedent(m["body"])
            tabs = list(_TAB.finditer(text, 0, m.start()))
            tab = tabs[-1]["name"] if tabs and len(m["indent"]) > 0 else ""
            framework = _framework(code, tab)
            if framework:
                line = text.count("\n", 0, m.start()) + 1
                found.append((f"{page.relative_to(DOCS)}:{line}", framework, code))
    return found


def _framework(code: str, tab: str) -> str:
    """The framework a fence is written for ('' when none): its imports first, then its tab."""
    for module in ("tensorflow", "keras", "jax", "torch"):
        if re.search(rf"^\s*(import|from) {module}\b", code, re.M) or (module == "torch" and "torch." in code):
            return module
    tab = tab.lower()
    for word, module in (("pytorch", "torch"), ("keras", "keras"), ("tensorflow", "tensorflow"), ("jax", "jax")):
        if word in tab:
            return module
    return ""


def prelude(code: str) -> dict[str, object]:
    """The PRELUDE: synthetic stand-ins for names a snippet assumes (seeded, small, CPU, float32).

    - `x`: a batch of 8 inputs, as wide as the snippet's first `nn.Linear(n, ...)` (32 if none);
      `y`: 8 class labels in 0..9 (the snippets end in 10 classes).
    - `loader`: three such (x, y) batches, for a training loop.
    - `layer`: nn.Linear(32, 32); `h`: a (8, 32) input that requires grad, for the hook recipe.
    """
    import torch

    torch.manual_seed(0)
    width = int(m[1]) if (m := re.search(r"nn\.Linear\(\s*(\d+)", code)) else 32
    x = torch.randn(8, width)
    y = torch.randint(0, 10, (8,))
    loader = [(torch.randn(8, width), torch.randint(0, 10, (8,))) for _ in range(3)]
    return {
        "x": x,
        "y": y,
        "loader": loader,
        "layer": torch.nn.Linear(32, 32),
        "h": torch.randn(8, 32, requires_grad=True),
    }


SNIPPETS = snippets()


def test_the_site_has_pytorch_snippets_to_check():
    """The collector finds the recipes that exist today (detection logging, defaults blueprint)."""
    pages = {sid.split(":")[0] for sid, fw, _ in SNIPPETS if fw == "torch"}
    assert {"detection.md", "fixes/defaults.md"} <= pages


@pytest.mark.torch
@pytest.mark.parametrize(("sid", "code"), [(s, c) for s, fw, c in SNIPPETS if fw == "torch"], ids=lambda v: v)
def test_pytorch_snippet_runs_on_synthetic_inputs(sid, code):
    """The snippet executes unchanged with the installed torch, and what it computes is finite."""
    torch = pytest.importorskip("torch")
    ns = prelude(code)
    exec(compile(code, sid, "exec"), ns)  # the point: run the reader's code
    if "loss" in ns and isinstance(ns["loss"], torch.Tensor):
        assert math.isfinite(ns["loss"].item()), sid
    if isinstance(ns.get("norms"), dict):
        assert ns["norms"] and all(math.isfinite(v) and v > 0 for v in ns["norms"].values()), sid
    if isinstance(ns.get("total"), torch.Tensor):
        assert math.isfinite(ns["total"].item()), sid
    if "deltas" in ns and isinstance(ns.get("z"), torch.Tensor):
        ns["z"].sum().backward()  # the hook must fire with dL/dz
        assert len(ns["deltas"]) == 1 and ns["deltas"][0] > 0, sid


@pytest.mark.parametrize(
    ("sid", "framework", "code"), [t for t in SNIPPETS if t[1] != "torch"], ids=lambda v: v if ":" in str(v) else ""
)
def test_other_framework_snippet_parses_and_skips_without_its_framework(sid, framework, code):
    """Keras/JAX snippets compile; they run only where their framework is installed (not here)."""
    compile(code, sid, "exec")
    if importlib.util.find_spec(FRAMEWORKS[framework]) is None:
        pytest.skip(f"{framework} is not installed; the {sid} snippet needs it")
    try:
        exec(compile(code, sid, "exec"), {})
    except NameError as err:  # a recipe that assumes the reader's model/loss_fn: nothing to run it on
        pytest.skip(f"{sid} assumes a name the reader defines ({err}); only the torch prelude exists")
