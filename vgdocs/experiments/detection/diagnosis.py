"""vgdocs.engine.diagnose at work: on live networks, and on plain numbers copied from any framework's log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine.diagnose import diagnose
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.digits_bench import EXPLODING, HEALTHY, VANISHING, Setup, probe_batch, profile
from vgdocs.experiments.fixes.optimisers import GLOROT_TANH
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["LiveDiagnoses", "NormsDiagnosis", "diagnose_norms", "live_diagnoses"]

NETWORKS: tuple[tuple[str, Setup], ...] = (
    ("sigmoid, Xavier init", VANISHING),
    ("tanh, standard init", GLOROT_TANH),
    (f"ReLU, N(0, {EXPLODING.init_std:g}²) init", EXPLODING),
    ("ReLU, He init", HEALTHY),
)


@dataclass(frozen=True, kw_only=True)
class LiveDiagnoses(Result):
    """diagnose() on each network at initialisation, fed ||dL/dW|| and then ||dL/dz|| per hidden layer.

    *_weight / *_delta: ratio (first / last hidden layer) and verdict from each kind of norm;
    explanations: the helper's own sentence for the ||dL/dz|| reading (with unit statistics).
    """

    networks: tuple[str, ...]
    ratio_weight: np.ndarray
    verdict_weight: tuple[str, ...]
    ratio_delta: np.ndarray
    verdict_delta: tuple[str, ...]
    explanations: tuple[str, ...]
    vanishing_threshold: float
    exploding_threshold: float
    max_norm: float
    min_norm: float

    def table(self, which: str | None = None) -> Table:
        """One row per network: ratio and verdict from weight gradients, then from back-propagated gradients."""
        columns = (self.networks, self.ratio_weight.tolist(), self.verdict_weight)
        rows = tuple(zip(*columns, self.ratio_delta.tolist(), self.verdict_delta, strict=True))
        shape = f"network ({VANISHING.depth} hidden layers of {VANISHING.width})"
        return Table(
            (shape, "‖dL/dW‖ first / last", "verdict", "‖dL/dz‖ first / last", "verdict"),
            rows,
            caption=f"Thresholds: vanishing below a ratio of {self.vanishing_threshold:g} or any norm "
            f"below {self.min_norm:g}; exploding above a ratio of {self.exploding_threshold:g} or any "
            f"norm above {self.max_norm:g}. One batch of digits at initialisation.",
        )

    def claims(self) -> list[Claim]:
        """Weight gradients read tanh + standard init as healthy and the exploding ReLU as level; δ does not."""
        tanh, boom = self.networks.index("tanh, standard init"), self.networks.index("ReLU, N(0, 0.5\u00b2) init")
        return [
            Claim(
                "detection-weight-gradients-miss-what-delta-shows",
                "Read from weight gradients, the tanh network's first-to-last ratio is {tanh_w}; read "
                "from the back-propagated gradient it is {tanh_d}. The exploding ReLU network's weight gradients "
                "are level too (ratio {boom_w}) while its back-propagated ratio is {boom_d}.",
                holds=bool(
                    0.1 < self.ratio_weight[tanh] < 10
                    and self.ratio_delta[tanh] < self.vanishing_threshold
                    and 0.1 < self.ratio_weight[boom] < 10
                    and self.ratio_delta[boom] > self.exploding_threshold
                ),
                evidence={
                    "tanh_w": float(self.ratio_weight[tanh]),
                    "tanh_d": float(self.ratio_delta[tanh]),
                    "boom_w": float(self.ratio_weight[boom]),
                    "boom_d": float(self.ratio_delta[boom]),
                },
                scope="at initialisation",
            )
        ]


@dataclass(frozen=True, kw_only=True)
class NormsDiagnosis(Result):
    """diagnose() on a plain list of per-layer norms: the input, the verdict and the numbers behind it."""

    grad_norms: np.ndarray
    verdict: str
    ratio: float
    factor: float
    vanishing_threshold: float
    exploding_threshold: float
    max_norm: float
    min_norm: float
    explanation: str


@experiment("detection.live_diagnoses")
def live_diagnoses(*, seed: int = 0) -> LiveDiagnoses:
    """Diagnose four networks at initialisation from weight-gradient and from back-propagated norms."""
    x, y = probe_batch()
    weight, delta = [], []
    for _, setup in NETWORKS:
        p = profile(setup, seed, (x, y))
        weight.append(diagnose(p.grad_norms[:-1]))
        delta.append(diagnose(p.delta_norms, activations=list(p.activations), activation=setup.activation))
    return LiveDiagnoses(
        seed=seed,
        networks=tuple(n for n, _ in NETWORKS),
        ratio_weight=np.array([d.ratio for d in weight]),
        verdict_weight=tuple(d.verdict for d in weight),
        ratio_delta=np.array([d.ratio for d in delta]),
        verdict_delta=tuple(d.verdict for d in delta),
        explanations=tuple(d.explanation for d in delta),
        vanishing_threshold=delta[0].vanishing_ratio,
        exploding_threshold=delta[0].exploding_ratio,
        max_norm=delta[0].max_norm,
        min_norm=delta[0].min_norm,
    )


@experiment("detection.diagnose_norms")
def diagnose_norms(grad_norms: Sequence[float], *, seed: int | None = None) -> NormsDiagnosis:
    """Run vgdocs.engine.diagnose on per-layer norms given as plain numbers (input side first)."""
    d = diagnose(grad_norms)
    return NormsDiagnosis(
        seed=seed,
        grad_norms=np.asarray(grad_norms, dtype=np.float64),
        verdict=d.verdict,
        ratio=d.ratio,
        factor=d.factor,
        vanishing_threshold=d.vanishing_ratio,
        exploding_threshold=d.exploding_ratio,
        max_norm=d.max_norm,
        min_norm=d.min_norm,
        explanation=d.explanation,
    )
