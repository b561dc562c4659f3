"""Practical defaults: ReLU + He + layer norm + residual blocks + AdamW + a clipping safety net."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import finite_float
from vgdocs.engine.labels import label
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import HEALTHY, VANISHING, Setup, Trial, run, runs_table
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["LN_ACTIVATIONS", "Defaults", "LayerNormPairing", "defaults", "layer_norm_pairing", "recipe"]

LN_ACTIVATIONS = ("relu", "gelu", "tanh", "softplus", "sigmoid")


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


@dataclass(frozen=True, kw_only=True)
class LayerNormPairing(Trial):
    """The vanishing bench with layer norm, activation swapped; size_ratio: theory.slope_to_size_ratio of each."""

    names: tuple[str, ...]
    size_ratio: np.ndarray

    def table(self, which: str | None = None) -> Table:
        """One row per activation: slope-to-size ratio, then the trial columns."""
        base = runs_table(self.runs)
        rows = tuple((row[0], float(r), *row[1:]) for row, r in zip(base.rows, self.size_ratio, strict=True))
        return Table(
            (base.headers[0], "slope-to-size ratio", *base.headers[1:]),
            rows,
            caption="Layer norm on the vanishing bench, only the activation changed. Slope-to-size ratio: "
            "√(E[f\u2032(u)²]/E[f(u)²]) for u ~ N(0, 1). " + base.caption,
            bar_column=2,
        )

    def claims(self) -> list[Claim]:
        """Layer norm works for the activations whose slope is large relative to their output, fails for the rest."""
        good = [i for i, r in enumerate(self.size_ratio) if r >= 0.9]
        bad = [i for i, r in enumerate(self.size_ratio) if r < 0.6]
        ev = {}
        for i, name in enumerate(self.names):
            ev[f"{name}_ratio"] = self.size_ratio[i]
            ev[f"{name}_grad"] = self.runs[i].delta_ratio
            ev[f"{name}_loss"] = self.runs[i].final_loss
        return [
            Claim(
                "layer-norm-needs-slope-not-centring",
                "Under layer norm what decides is the slope relative to the output's size, not zero centring: "
                "ReLU (ratio {relu_ratio}, outputs never negative) and GELU ({gelu_ratio}) keep a healthy "
                "gradient ({relu_grad} and {gelu_grad} first to last) and train to {relu_loss} and {gelu_loss}, "
                "like tanh ({tanh_loss}); softplus ({softplus_ratio}) and sigmoid ({sigmoid_ratio}) vanish "
                "({softplus_grad}, {sigmoid_grad}) and stay at {softplus_loss} and {sigmoid_loss}.",
                holds=bool(good)
                and bool(bad)
                and all(self.runs[i].verdict == "healthy" and self.runs[i].final_loss < 1.0 for i in good)
                and all(self.runs[i].verdict == "vanishing" and self.runs[i].final_loss > 2.0 for i in bad),
                evidence=ev,
                intervention="activation swapped; layer norm, Xavier weights, depth, width, optimiser, steps "
                "and seed held",
                scope="at initialisation (gradient) and after the chapter's training run (loss)",
            )
        ]


@experiment("fixes.layer_norm_pairing")
def layer_norm_pairing(*, seed: int = 0) -> LayerNormPairing:
    """Train the vanishing bench with layer norm for each activation in LN_ACTIVATIONS."""
    runs = tuple(run(VANISHING.but(activation=a, norm="layer"), label(a), seed) for a in LN_ACTIVATIONS)
    return LayerNormPairing(
        seed=seed,
        runs=runs,
        names=LN_ACTIVATIONS,
        size_ratio=np.array([theory.slope_to_size_ratio(a) for a in LN_ACTIVATIONS]),
    )
