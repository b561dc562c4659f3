"""The ReLU family: a slope of 1 on active units replaces the sigmoid's slope of at most 1/4."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float
from vgdocs.engine.activations import ACTIVATIONS
from vgdocs.engine.diagnose import RECTIFIED, diagnose
from vgdocs.engine.labels import label
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import VANISHING, Run, Trial, probe_batch, profile, run
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["FAMILY", "ActivationSwap", "activations"]

FAMILY: tuple[str, ...] = ("sigmoid", "relu", "leaky_relu", "prelu", "elu", "gelu", "selu")


@dataclass(frozen=True, kw_only=True)
class ActivationSwap(Trial):
    """The vanishing network with each activation swapped in (initialisation unchanged).

    dead_start / dead_end: mean over hidden layers of the fraction of units never positive over a
    training batch, at the first and the last recorded step (NaN for sigmoid and tanh).
    stress: the `stress_activations` trained at `stress_lr`, where units die; stress_dead_end as above.
    gelu_he_ratio / gelu_he_verdict: ||dL/dz|| first / last hidden layer of the GELU network with He
    initialisation instead, at initialisation, and vgdocs.engine.diagnose's verdict on it.
    """

    names: tuple[str, ...]
    dead_start: np.ndarray
    dead_end: np.ndarray
    stress_lr: float
    stress: tuple[Run, ...]
    stress_dead_end: np.ndarray
    gelu_he_ratio: float
    gelu_he_verdict: str

    def claims(self) -> list[Claim]:
        """The family lifts the first layer's gradient; ELU and SELU train furthest; GELU + He still decays."""
        ratio = {r.label: r.delta_ratio for r in self.runs}
        loss = {r.label: r.final_loss for r in self.runs}
        family = [n for n in self.names if n != "sigmoid"]
        lift = min(ratio[n] for n in family) / ratio["sigmoid"]
        best_two = sorted(loss, key=loss.get)[:2]
        others = [loss[n] for n in loss if n not in ("elu", "selu")]
        layers = len(self.runs[0].delta_norms)
        per_layer = self.gelu_he_ratio ** (1.0 / (layers - 1))
        return [
            Claim(
                "family-lifts-first-layer",
                "Swapping only the activation, every ReLU-family member gives the first hidden layer at least "
                "{lift} times the sigmoid's share of the gradient.",
                holds=lift >= 100,
                evidence={"lift": lift},
                intervention="activation swapped; Xavier weights, data, depth, width and seed held",
                scope="at initialisation",
            ),
            Claim(
                "elu-selu-train-furthest",
                "ELU and SELU reach the two lowest final losses ({ELU} and {SELU}; the next best is {next}).",
                holds=set(best_two) == {"elu", "selu"},
                evidence={"ELU": loss["elu"], "SELU": loss["selu"], "next": min(others)},
                intervention="activation swapped; everything else held",
                scope="after the chapter's training run",
            ),
            Claim(
                "gelu-he-decays",
                "With He weights the {layers}-layer GELU network passes {ratio} of the last layer's gradient to "
                "the first: enough for the diagnosis to call it healthy at this depth, but it still loses a "
                "factor of {per_layer} per layer, so a network a few times deeper vanishes.",
                holds=self.gelu_he_verdict == "healthy" and per_layer < 0.9,
                evidence={"layers": layers, "ratio": self.gelu_he_ratio, "per_layer": per_layer},
                scope="at initialisation",
            ),
        ]

    def table(self, which: str | None = None) -> Table:
        """'runs' (default): the trial table; 'dead': never-positive fractions, incl. the stress runs."""
        if choice("which", which or "runs", ("runs", "dead")) == "runs":
            return super().table()
        rows = [
            (label(r.label), "chapter recipe", float(self.dead_start[i]), float(self.dead_end[i]), r.final_loss)
            for i, r in enumerate(self.runs)
            if r.label in RECTIFIED
        ]
        rows += [
            (
                label(r.label),
                f"learning rate {self.stress_lr:g}",
                float(self.dead_start[self.names.index(r.label)]),
                float(self.stress_dead_end[i]),
                r.final_loss,
            )
            for i, r in enumerate(self.stress)
        ]
        start, end = "share never positive at step 0", "share never positive at the end"
        return Table(
            ("activation", "training", start, end, "final loss"),
            tuple(rows),
            caption="Share of hidden units whose output is never positive over a batch of 64 digits "
            "(mean over layers). For ReLU such a unit passes no gradient at all; leaky ReLU, "
            "PReLU, ELU, GELU and SELU still pass a small one.",
            bar_column=3,
            bar_log=False,
        )


@experiment("fixes.activations")
def activations(
    names: Sequence[str] = FAMILY,
    *,
    stress_activations: Sequence[str] = ("relu",),
    stress_lr: float = 0.1,
    seed: int = 0,
) -> ActivationSwap:
    """Train the vanishing network with each activation in `names`; the stress runs use `stress_lr`."""
    names = tuple(choice("names[]", n, ACTIVATIONS) for n in names)
    stress_names = tuple(choice("stress_activations[]", n, names) for n in stress_activations)
    stress_lr = finite_float("stress_lr", stress_lr, positive=True)
    runs = tuple(run(VANISHING.but(activation=n), n, seed) for n in names)
    stress = tuple(run(VANISHING.but(activation=n, lr=stress_lr), n, seed) for n in stress_names)
    x, y = probe_batch()
    gelu_he = diagnose(profile(VANISHING.but(activation="gelu", init="he_normal"), seed, (x, y)).delta_norms)
    return ActivationSwap(
        seed=seed,
        runs=runs,
        names=names,
        dead_start=np.array([_mean_dead(r, 0) for r in runs]),
        dead_end=np.array([_mean_dead(r, -1) for r in runs]),
        stress_lr=stress_lr,
        stress=stress,
        stress_dead_end=np.array([_mean_dead(r, -1) for r in stress]),
        gelu_he_ratio=gelu_he.ratio,
        gelu_he_verdict=gelu_he.verdict,
    )


def _mean_dead(r: Run, row: int) -> float:
    """Mean never-positive fraction over hidden layers at a recorded row (rows cut short by overflow skipped)."""
    rows = r.dead_history[~np.all(np.isnan(r.dead_history), axis=1)]
    return float(np.mean(rows[row])) if rows.size else float("nan")
