"""The ledger's tolerance: when two values of a published number count as the same.

One tolerance for every number (RTOL, ATOL), and per-experiment tolerances for results of chaotic
training, read from ledger/tolerances.tsv (that file says which experiments and why).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ATOL", "RTOL", "TOLERANCE_FILE", "relative_change", "same", "tolerance_for", "tolerances"]

# The one tolerance. A published number drifts when |new - old| > max(ATOL, RTOL * max(|old|, |new|)).
# Another machine runs other BLAS kernels and other numpy SIMD loops. Simulating an older x86 CPU here
# (OPENBLAS_CORETYPE=Nehalem, NPY_DISABLE_CPU_FEATURES=X86_V3 X86_V4 AVX512_ICL) moved no reproducible
# published number by more than 6.8e-5 relative (late training-loss points; all but 13 of ~9000 moved
# less than 1e-6). A 0.1% change is 1e-3. RTOL = 3e-4 sits between the two, ~4x from each.
# tests/ledger/test_drift.py repeats that old-CPU build against the committed ledger.
# The site quotes gradient norms as small as 1e-34, and those agree across CPUs to 1e-15 relative, so
# the absolute floor ATOL only keeps subnormal underflow noise (|x| < 1e-300) from counting as drift.
RTOL = 3e-4
ATOL = 1e-300

# Per-experiment tolerances for results of chaotic training (the file says which and why); relative
# to the directory holding mkdocs.yml. A claim's verdict (`.holds`) is always compared at RTOL.
TOLERANCE_FILE = "ledger/tolerances.tsv"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def same(old: float, new: float, *, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether `new` equals `old` within the ledger tolerance (NaN equals NaN, inf equals inf)."""
    if math.isnan(old) or math.isnan(new):
        return math.isnan(old) and math.isnan(new)
    if math.isinf(old) or math.isinf(new):
        return old == new
    return abs(new - old) <= max(atol, rtol * max(abs(old), abs(new)))


def relative_change(old: float, new: float) -> float:
    """(new - old) / |old|: +-inf when old is 0, NaN when either side is NaN or infinite."""
    if not (math.isfinite(old) and math.isfinite(new)):
        return math.nan
    if old == 0.0:
        return 0.0 if new == 0.0 else math.copysign(math.inf, new)
    return (new - old) / abs(old)


def tolerances(path: str | os.PathLike[str] | None = None) -> dict[str, tuple[float, float]]:
    """{experiment or ledger key: (rtol, atol)} from the tolerance file (default: this repository's); {} if absent."""
    path = Path(path) if path is not None else _REPO_ROOT / TOLERANCE_FILE
    if not path.is_file():
        return {}
    table: dict[str, tuple[float, float]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 4:
            raise ValueError(f"{path}:{n}: expected 'experiment<TAB>rtol<TAB>atol<TAB>why'; got {line!r}")
        table[parts[0]] = (float(parts[1]), float(parts[2]))
    return table


def tolerance_for(
    key: str, experiment: str, table: Mapping[str, tuple[float, float]], rtol: float = RTOL, atol: float = ATOL
) -> tuple[float, float]:
    """(rtol, atol) for one ledger key of `experiment` (its key segment): the entry in `table`, else the defaults.

    An entry names either one ledger key (the whole key: one number of a result, e.g. one explorer cell)
    or an experiment (every number it publishes); the key's own entry wins. A claim's verdict is never
    loosened: `...claim[id].holds` always gets the defaults.
    """
    if not table or key.endswith(".holds"):
        return rtol, atol
    if key in table:
        return table[key]
    name = experiment.split("(", 1)[0]
    return table.get(name, (rtol, atol))
