"""Comparing solutions, measured: each fix applied to the vanishing and to the exploding network.

A fix cures vanishing when, applied to the vanishing network, (1) the back-propagated gradient at
the first hidden layer is at least `vanishing_ratio` times the last's at initialisation (the
threshold vgdocs.engine.diagnose uses) and (2) training brings the loss to at most `learned_fraction` of
the chance-level loss ln(10). It cures exploding when, applied to the exploding network,
training runs every step without overflow and also ends at or below that loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float
from vgdocs.engine.diagnose import diagnose
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.digits_bench import CHANCE_LOSS, EXPLODING, VANISHING, Run, run
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["FIXES", "Comparison", "comparison"]


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
                    float(self.loss_threshold - self.vanishing_loss[i]),
                    _verdict(self.cures_vanishing[i], i),
                    float(self.exploding_ratio[i]),
                    ex,
                    float(self.loss_threshold - self.exploding_loss[i]) if self.exploding_overflow[i] < 0 else "—",
                    _verdict(self.cures_exploding[i], i),
                )
            )
        return Table(
            (
                "fix",
                f"vanishing net: gradient ratio (need \u2265 {self.vanishing_ratio_threshold:g})",
                f"loss (need \u2264 {self.loss_threshold:.3g})",
                "loss margin",
                "cures vanishing?",
                "exploding net: gradient ratio",
                f"loss (need \u2264 {self.loss_threshold:.3g}, no overflow)",
                "loss margin",
                "cures exploding?",
            ),
            tuple(rows),
            caption=f"Gradient ratio: ‖dL/dz‖ first / last hidden layer at initialisation. Loss: after "
            f"{self.steps} training steps; chance level is ln 10. A yes needs a ratio of at least "
            f"{self.vanishing_ratio_threshold:g} (vanishing) or no overflow (exploding), and a loss "
            f"of at most {self.loss_threshold:.3g} ({self.learned_fraction:.0%} of chance). Loss margin: the "
            f"threshold minus the loss (negative: the loss criterion fails).",
        )

    def claims(self) -> list[Claim]:
        """The readings of the table, each judged on its rows."""
        i = {name: k for k, name in enumerate(self.fixes)}
        sick, clip, adam = i["none (the sick network)"], i["clipping at global norm 1"], i["Adam, lr 1e-3"]
        he, relu_he, bn, ln = (
            i["He initialisation"],
            i["ReLU + He initialisation"],
            i["batch normalisation"],
            i["layer normalisation"],
        )
        res, few = i["residual connections"], i["2 hidden layers instead of 10"]
        product = {i[n] for n in ("leaky ReLU activation", "ReLU + He initialisation", "batch normalisation")}
        product |= {ln, res}
        cured_v = {k for k in range(1, len(self.fixes)) if self.cures_vanishing[k]}
        v, e, lt = self.vanishing_ratio, self.exploding_loss, self.loss_threshold
        return [
            Claim(
                "only-product-changes-cure-vanishing",
                "Every fix that cures vanishing here changes a factor of the product ({n} of them); clipping "
                "and Adam leave the vanishing network's gradient ratio exactly at the untreated {sick}.",
                holds=bool(cured_v) and cured_v <= product and v[clip] == v[sick] and v[adam] == v[sick],
                evidence={"n": len(cured_v), "sick": v[sick]},
                intervention="one change to the recipe per row; data, width, steps and seed held",
                scope="ratio at initialisation, loss after the training run",
            ),
            Claim(
                "init-must-match-activation",
                "He initialisation alone leaves the sigmoid network's ratio at {he}; with ReLU it becomes {ReLU} "
                "and the loss {loss}, under the threshold {lt}.",
                holds=v[he] < self.vanishing_ratio_threshold and bool(self.cures_vanishing[relu_he]),
                evidence={"he": v[he], "ReLU": v[relu_he], "loss": self.vanishing_loss[relu_he], "lt": lt},
                intervention="initialisation changed, then initialisation and activation",
            ),
            Claim(
                "batch-norm-cures-both-layer-norm-not-sigmoid",
                "Batch norm cures both networks (losses {bn_v} and {bn_e}); layer norm leaves the sigmoid "
                "network's ratio at {ln_v}, below the threshold {t}.",
                holds=bool(self.cures_vanishing[bn] and self.cures_exploding[bn])
                and v[ln] < self.vanishing_ratio_threshold,
                evidence={
                    "bn_v": self.vanishing_loss[bn],
                    "bn_e": e[bn],
                    "ln_v": v[ln],
                    "t": self.vanishing_ratio_threshold,
                },
                intervention="normalisation added; everything else held",
            ),
            Claim(
                "residual-repairs-ratio-not-loss",
                "Residual connections lift the vanishing network's ratio to {ratio}, but within {steps} steps its "
                "loss only reaches {loss} (threshold {lt}), so by this table's criterion they do not cure it; "
                "on the exploding network they overflow at step {overflow}.",
                holds=v[res] >= self.vanishing_ratio_threshold
                and not self.cures_vanishing[res]
                and self.exploding_overflow[res] >= 0,
                evidence={
                    "ratio": v[res],
                    "steps": self.steps,
                    "loss": self.vanishing_loss[res],
                    "lt": lt,
                    "overflow": self.exploding_overflow[res],
                },
                intervention="identity paths added; everything else held",
                scope=f"ratio at initialisation, loss after {self.steps} steps",
            ),
            Claim(
                "clipping-and-adam-prevent-overflow-only",
                "Clipping and Adam each stop the exploding network from overflowing, but neither brings its loss "
                "under {lt} within the budget (clipping {clip}, Adam {Adam}).",
                holds=self.exploding_overflow[clip] < 0
                and self.exploding_overflow[adam] < 0
                and e[clip] > lt
                and e[adam] > lt,
                evidence={"lt": lt, "clip": e[clip], "Adam": e[adam]},
                intervention="clipping or optimiser changed; everything else held",
                scope=f"after {self.steps} steps",
            ),
            Claim(
                "fewer-layers-ratio-not-loss",
                "Two hidden layers instead of ten give the sigmoid network a ratio of {ratio}, yet its loss "
                "stays at {loss} within the budget: depth is not the sigmoid's only weakness.",
                holds=v[few] >= self.vanishing_ratio_threshold and not self.cures_vanishing[few],
                evidence={"ratio": v[few], "loss": self.vanishing_loss[few]},
                intervention="depth 2 instead of 10; everything else held",
                scope=f"after {self.steps} steps",
            ),
        ]


def _verdict(cured: bool, i: int) -> str:
    return "—" if i == 0 else ("yes" if cured else "no")


@experiment("fixes.comparison")
def comparison(*, learned_fraction: float = 0.5, seed: int = 0) -> Comparison:
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
