"""Optimisers and learning rate: Adam rescales each parameter's step, which is not the same as a gradient."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float
from vgdocs.experiments._core import experiment
from vgdocs.experiments.fixes._setup import HEALTHY, VANISHING, Run, Trial, run
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["GLOROT_TANH", "RULE_OF_THUMB", "Optimisers", "optimisers", "update_ratio_panel"]

RULE_OF_THUMB = 1e-3  # update-to-weight ratio per step that practitioners treat as healthy
# Glorot & Bengio's sick network: tanh with U[-1/sqrt(n), 1/sqrt(n)] weights (variance shrinks ~3x per layer).
GLOROT_TANH = VANISHING.but(activation="tanh", init="standard")


@dataclass(frozen=True, kw_only=True)
class Optimisers(Trial):
    """Two vanishing networks under SGD with momentum and Adam; the healthy one at a tiny lr.

    runs: sigmoid (momentum, Adam), tanh with the "standard" init (momentum, Adam), then
    ReLU + He at the chapter's learning rate and at `small_lr`.
    first_update / last_update: median update-to-weight ratio of the first and of the last hidden
    layer over training, per run; rule_of_thumb: the ratio usually called healthy.
    """

    adam_lr: float
    small_lr: float
    first_update: np.ndarray
    last_update: np.ndarray
    rule_of_thumb: float

    def table(self, which: str | None = None) -> Table:
        """'runs' (default): the trial table; 'updates': update ratios and the diagnosis, side by side."""
        if choice("which", which or "runs", ("runs", "updates")) == "runs":
            return super().table()
        rows = tuple(
            (
                r.label,
                float(self.first_update[i]),
                float(self.last_update[i]),
                float(self.first_update[i] / self.last_update[i]),
                r.verdict,
                r.final_loss,
            )
            for i, r in enumerate(self.runs)
        )
        return Table(
            (
                "run",
                "update ratio, first hidden layer",
                "last hidden layer",
                "first / last",
                "gradient diagnosis",
                "final loss",
            ),
            rows,
            caption="Median over training of ‖step on W‖ / ‖W‖ per step. Rule of thumb: about "
            f"{self.rule_of_thumb:g} per step is healthy.",
            bar_column=1,
        )

    def figure(self, which: str | None = None) -> Figure:
        """'updates' (default): update ratio per layer against the rule of thumb; else as Trial."""
        which = choice("which", which or "updates", ("updates", "profile", "training"))
        if which != "updates":
            return super().figure(which)
        panel = update_ratio_panel(
            [(r.label, r.update_ratio, "dashed" if i == 0 else "line") for i, r in enumerate(self.runs)],
            self.rule_of_thumb,
        )
        alt = (
            "Median update-to-weight ratio per layer. "
            + "; ".join(
                f"{r.label}: first hidden layer {self.first_update[i]:.2g}, last {self.last_update[i]:.2g}"
                for i, r in enumerate(self.runs)
            )
            + f". The rule of thumb is {self.rule_of_thumb:g}."
        )
        return Figure((panel,), alt=alt, title="How far each step moves each layer")


@experiment("fixes.optimisers")
def optimisers(*, adam_lr: float = 1e-3, small_lr: float = 1e-4, seed: int = 0) -> Optimisers:
    """Vanishing networks under momentum SGD and Adam; the healthy network at its lr and at `small_lr`."""
    adam_lr = finite_float("adam_lr", adam_lr, positive=True)
    small_lr = finite_float("small_lr", small_lr, positive=True)
    runs: tuple[Run, ...] = (
        run(VANISHING, "sigmoid, momentum", seed),
        run(VANISHING.but(optimizer="adam", lr=adam_lr), "sigmoid, Adam", seed),
        run(GLOROT_TANH, "tanh + standard init, momentum", seed),
        run(GLOROT_TANH.but(optimizer="adam", lr=adam_lr), "tanh + standard init, Adam", seed),
        run(HEALTHY, f"ReLU + He, lr {HEALTHY.lr:g}", seed),
        run(HEALTHY.but(lr=small_lr), f"ReLU + He, lr {small_lr:g}", seed),
    )
    return Optimisers(
        seed=seed,
        runs=runs,
        adam_lr=adam_lr,
        small_lr=small_lr,
        first_update=np.array([r.update_ratio[0] for r in runs]),
        last_update=np.array([r.update_ratio[-2] for r in runs]),
        rule_of_thumb=RULE_OF_THUMB,
    )


def update_ratio_panel(curves: Sequence[tuple[str, np.ndarray, str]], rule_of_thumb: float) -> Panel:
    """Median update-to-weight ratio per weight layer, one (label, ratios, style) curve each, log scale."""
    return Panel(
        tuple(Series(label, np.arange(1, ratios.size + 1), ratios, style) for label, ratios, style in curves),
        xlabel="weight layer (last = output)",
        ylabel="median ‖ΔW‖ / ‖W‖ per step",
        logy=True,
        hlines=((rule_of_thumb, "rule of thumb"),),
    )
