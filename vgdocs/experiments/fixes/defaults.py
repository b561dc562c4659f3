"""Practical defaults: ReLU + He + layer norm + residual blocks + AdamW + a clipping safety net."""

from __future__ import annotations

from dataclasses import dataclass

from vgdocs.engine._checks import finite_float
from vgdocs.experiments._core import experiment
from vgdocs.experiments.fixes._setup import HEALTHY, VANISHING, Setup, Trial, run, runs_table
from vgdocs.publish.present.spec import Table

__all__ = ["Defaults", "defaults", "recipe"]


def recipe(clip_norm: float = 5.0) -> Setup:
    """The site's default recipe on the chapter's task (same depth, width, steps and batches)."""
    return HEALTHY.but(norm="layer", residual=True, optimizer="adamw", lr=1e-3, weight_decay=1e-2, clip_norm=clip_norm)


@dataclass(frozen=True, kw_only=True)
class Defaults(Trial):
    """The sick network, ReLU + He alone, and the full default recipe, trained the same number of steps.

    recipes: each run's recipe in words; clip_norm: the recipe's clipping threshold; clip_fraction:
    the share of the recipe's steps on which it bound (a safety net should rarely bind).
    """

    recipes: tuple[str, ...]
    clip_norm: float
    clip_fraction: float

    def table(self, which: str | None = None) -> Table:
        """One row per run with its recipe, then the trial columns."""
        base = runs_table(self.runs)
        rows = tuple((row[0], recipe, *row[1:]) for row, recipe in zip(base.rows, self.recipes, strict=True))
        return Table((base.headers[0], "recipe", *base.headers[1:]), rows, caption=base.caption, bar_column=2)


@experiment("fixes.defaults")
def defaults(clip_norm: float = 5.0, *, seed: int = 0) -> Defaults:
    """Train the sick network, ReLU + He, and the default recipe with clipping at `clip_norm`."""
    clip_norm = finite_float("clip_norm", clip_norm, positive=True)
    setups = (VANISHING, HEALTHY, recipe(clip_norm))
    labels = ("sick", "ReLU + He", "default recipe")
    runs = tuple(run(s, lab, seed) for s, lab in zip(setups, labels, strict=True))
    return Defaults(
        seed=seed,
        runs=runs,
        recipes=tuple(s.describe() for s in setups),
        clip_norm=clip_norm,
        clip_fraction=runs[-1].clip_fraction,
    )
