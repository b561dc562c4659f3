"""Comparing solutions, measured: each fix applied to the vanishing and to the exploding network.

A fix cures vanishing when, applied to the vanishing network, (1) the back-propagated gradient at
the first hidden layer is at least `vanishing_ratio` times the last's at initialisation (the
threshold vgdocs.engine.diagnose uses) and (2) training brings the loss to at most `learned_fraction` of
the chance-level loss ln(10). It cures exploding when, applied to the exploding network,
training runs every step without overflow and also ends at or below that loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float
from vgdocs.engine.diagnose import diagnose
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.fixes._setup import EXPLODING, VANISHING, Run, run
from vgdocs.publish.present.spec import Table

__all__ = ["FIXES", "Comparison", "comparison"]

CHANCE_LOSS = math.log(10.0)  # cross-entropy of a uniform guess over ten digits

# (name, changes to the sick network's recipe)
FIXES: tuple[tuple[str, dict[str, object]], ...] = (
    ("none (the sick network)", {}),
    ("leaky ReLU activation", {"activation": "leaky_relu"}),
    ("He initialisation", {"init": "he_normal"}),
    ("ReLU + He initialisation", {"activation": "relu", "init": "he_normal"}),
    ("batch normalisation", {"norm": "batch"}),
    ("layer normalisation", {"norm": "layer"}),
    ("residual connections", {"residual": True}),
    ("clipping at global norm 1", {"clip_norm": 1.0}),
    ("Adam, lr 1e-3", {"optimizer": "adam", "lr": 1e-3}),
    ("2 hidden layers instead of 10", {"depth": 2}),
)


@dataclass(frozen=True, kw_only=True)
class Comparison(Result):
    """Per fix: the measurements on both sick networks and the verdicts they imply.

    *_ratio: ||dL/dz|| first / last hidden layer at initialisation; *_loss: training-set loss
    after training (NaN after an overflow); exploding_overflow: the overflow step or -1.
    """

    fixes: tuple[str, ...]
    vanishing_ratio_threshold: float
    exploding_ratio_threshold: float
    learned_fraction: float
    loss_threshold: float
    vanishing_ratio: np.ndarray
    vanishing_loss: np.ndarray
    exploding_ratio: np.ndarray
    exploding_loss: np.ndarray
    exploding_overflow: np.ndarray
    cures_vanishing: np.ndarray
    cures_exploding: np.ndarray
    steps: int

    def table(self, which: str | None = None) -> Table:
        """One row per fix: the measurements on each sick network and the verdict they imply."""
        rows = []
        for i, name in enumerate(self.fixes):
            ex = (
                "overflow at step " + str(int(self.exploding_overflow[i]))
                if self.exploding_overflow[i] >= 0
                else float(self.exploding_loss[i])
            )
            rows.append(
                (
                    name,
                    float(self.vanishing_ratio[i]),
                    float(self.vanishing_loss[i]),
                    _verdict(self.cures_vanishing[i], i),
                    float(self.exploding_ratio[i]),
                    ex,
                    _verdict(self.cures_exploding[i], i),
                )
            )
        return Table(
            (
                "fix",
                "vanishing net: gradient ratio",
                "loss",
                "cures vanishing?",
                "exploding net: gradient ratio",
                "loss",
                "cures exploding?",
            ),
            tuple(rows),
            caption=f"Gradient ratio: ‖dL/dz‖ first / last hidden layer at initialisation. Loss: after "
            f"{self.steps} training steps; chance level is ln 10. A yes needs a ratio of at least "
            f"{self.vanishing_ratio_threshold:g} (vanishing) or no overflow (exploding), and a loss "
            f"of at most {self.loss_threshold:.3g}.",
        )


def _verdict(cured: bool, i: int) -> str:
    return "—" if i == 0 else ("yes" if cured else "no")


@experiment("fixes.comparison")
def comparison(*, learned_fraction: float = 0.9, seed: int = 0) -> Comparison:
    """Apply every fix in FIXES to the vanishing and exploding networks; verdicts from the stated thresholds."""
    learned_fraction = finite_float("learned_fraction", learned_fraction, positive=True)
    loss_threshold = learned_fraction * CHANCE_LOSS
    ref = diagnose([1.0, 1.0])  # the default thresholds, as vgdocs.engine.diagnose states them
    vanishing: list[Run] = [run(VANISHING.but(**changes), name, seed) for name, changes in FIXES]
    exploding: list[Run] = [run(EXPLODING.but(**changes), name, seed) for name, changes in FIXES]
    v_ratio = np.array([r.delta_ratio for r in vanishing])
    v_loss = np.array([r.final_loss for r in vanishing])
    e_loss = np.array([r.final_loss for r in exploding])
    e_over = np.array([-1 if r.overflow_step is None else r.overflow_step for r in exploding])
    cures_v = (v_ratio >= ref.vanishing_ratio) & (v_loss <= loss_threshold)
    cures_e = (e_over < 0) & (e_loss <= loss_threshold)
    return Comparison(
        seed=seed,
        fixes=tuple(name for name, _ in FIXES),
        vanishing_ratio_threshold=ref.vanishing_ratio,
        exploding_ratio_threshold=ref.exploding_ratio,
        learned_fraction=learned_fraction,
        loss_threshold=loss_threshold,
        vanishing_ratio=v_ratio,
        vanishing_loss=v_loss,
        exploding_ratio=np.array([r.delta_ratio for r in exploding]),
        exploding_loss=e_loss,
        exploding_overflow=e_over,
        cures_vanishing=cures_v,
        cures_exploding=cures_e,
        steps=VANISHING.steps,
    )
