"""Vanishing versus exploding: one product of per-layer factors, below 1 or above 1.

Experiments for docs/vanishing-vs-exploding.md, in three modules: `factors` (powers of a factor, a
weight-scale sweep of a deep tanh network against mean-field theory), `side_by_side` (fixes
measured on a vanishing and an exploding network) and `clipping` (an exploding training run with
and without gradient clipping). Every public name is importable from this package.
"""

from vgdocs.experiments.vs_exploding.clipping import RUNS, ClippingRun, clipping_run
from vgdocs.experiments.vs_exploding.factors import Powers, ScaleSweep, powers, scale_sweep
from vgdocs.experiments.vs_exploding.side_by_side import EXPLODING, FIXES, VANISHING, Fixes, fixes

__all__ = [
    "EXPLODING",
    "FIXES",
    "RUNS",
    "VANISHING",
    "ClippingRun",
    "Fixes",
    "Powers",
    "ScaleSweep",
    "clipping_run",
    "fixes",
    "powers",
    "scale_sweep",
]
