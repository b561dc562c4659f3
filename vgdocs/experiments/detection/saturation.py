"""What saturation does and does not do: one intervention on the Fixes chapter's sigmoid bench.

Change only the initialisation, Xavier (normal) to N(0, 1): many more units saturate and the mean
slope falls, yet the back-propagated ratio first/last rises, because the large weights that push
the units into the tails also multiply the backward signal. The saturated net still does not
train within the budget; batch norm on the same weights does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float, nonnegative_int
from vgdocs.engine.diagnose import saturated_fraction
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.digits_bench import CHANCE_LOSS, VANISHING, Setup, probe_batch, profile, run
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["Saturation", "saturation", "saturation_variants"]


def saturation_variants(std: float = 1.0) -> tuple[tuple[str, Setup], ...]:
    """The bench with Xavier weights, with N(0, std^2) weights, and with those weights plus batch norm."""
    large = VANISHING.but(init="normal", init_std=std)
    name = f"N(0, {std:g})" if std == 1.0 else f"N(0, {std:g}\u00b2)"
    return (
        ("sigmoid + Xavier (normal)", VANISHING),
        (f"sigmoid + {name}", large),
        (f"sigmoid + {name} + batch norm", large.but(norm="batch")),
    )


@dataclass(frozen=True, kw_only=True)
class Saturation(Result):
    """Per variant (saturation_variants(std)) and seed, at initialisation on the probe batch and after training.

    saturated: share of hidden unit-examples in a sigmoid tail (vgdocs.engine.diagnose's bands);
    slope: mean sigmoid slope f'(u) over hidden units and examples; ratio: ‖∂L/∂z‖ first / last
    hidden layer; healthy: 1 if diagnose called the profile healthy; final_loss: training-set loss
    after the bench's training run (momentum SGD). All arrays are (variants, seeds).
    """

    labels: tuple[str, ...]
    seeds: np.ndarray
    steps: int
    saturated: np.ndarray
    slope: np.ndarray
    ratio: np.ndarray
    healthy: np.ndarray
    final_loss: np.ndarray
    chance_loss: float

    def table(self, which: str | None = None) -> Table:
        """One row per variant: saturation, slope, ratio and verdict at initialisation; loss after training."""
        rows = tuple(
            (
                label,
                float(np.median(self.saturated[i])),
                float(np.median(self.slope[i])),
                float(np.median(self.ratio[i])),
                f"{int(self.healthy[i].sum())} of {self.seeds.size}",
                float(np.median(self.final_loss[i])),
            )
            for i, label in enumerate(self.labels)
        )
        return Table(
            (
                "network",
                "saturated units (share)",
                "mean slope",
                "‖∂L/∂z‖ first / last",
                "diagnosed healthy",
                f"loss after {self.steps} steps",
            ),
            rows,
            caption=f"Medians over {self.seeds.size} seeds. The first three columns are measured at initialisation; "
            f"a uniform guess scores ln 10 = {self.chance_loss:.3g}.",
            formats=(None, ".2f", ".3g", ".3g", None, ".3g"),
        )

    def claims(self) -> list[Claim]:
        """Saturation lowers the slope but not the ratio; the saturated net still fails; batch norm trains it."""
        xav, big, bn = 0, 1, 2
        name = self.labels[big].removeprefix("sigmoid + ")
        scope = "at initialisation, every seed"
        return [
            Claim(
                "saturation-lowers-slope",
                f"Changing only the initialisation from Xavier to {name} raises the share of saturated units "
                "from {sat_x} to {sat_n} and lowers the mean slope from {slope_x} to {slope_n}.",
                holds=bool(
                    np.all(self.saturated[big] > self.saturated[xav] + 0.1)
                    and np.all(self.slope[big] < 0.7 * self.slope[xav])
                ),
                evidence={
                    "sat_x": float(np.median(self.saturated[xav])),
                    "sat_n": float(np.median(self.saturated[big])),
                    "slope_x": float(np.median(self.slope[xav])),
                    "slope_n": float(np.median(self.slope[big])),
                },
                intervention=f"init {name} instead of Xavier (normal); same data, width, depth, seeds",
                scope=scope,
            ),
            Claim(
                "saturation-raises-ratio",
                "Yet the first-to-last ratio of the back-propagated gradient rises from {ratio_x} to {ratio_n}, "
                "at least {gain} times higher on every seed, and the diagnosis on " + name + " reads healthy on "
                "{healthy} of {n} seeds: the large weights that saturate the units also multiply the backward "
                "signal.",
                holds=bool(np.min(self.ratio[big] / self.ratio[xav]) > 1e3 and self.healthy[big].all()),
                evidence={
                    "ratio_x": float(np.median(self.ratio[xav])),
                    "ratio_n": float(np.median(self.ratio[big])),
                    "gain": float(np.min(self.ratio[big] / self.ratio[xav])),
                    "healthy": float(self.healthy[big].sum()),
                    "n": self.seeds.size,
                },
                intervention=f"init {name} instead of Xavier (normal); same data, width, depth, seeds",
                scope=scope,
            ),
            Claim(
                "saturated-net-does-not-train",
                "The saturated network still does not train: after {steps} steps its loss is {loss_n} (a uniform "
                "guess scores {chance}); with batch norm on the same weights it reaches {loss_bn}.",
                holds=bool(
                    np.min(self.final_loss[big]) > self.chance_loss - 0.3
                    and np.max(self.final_loss[bn]) < self.chance_loss - 1.0
                ),
                evidence={
                    "steps": self.steps,
                    "loss_n": float(np.median(self.final_loss[big])),
                    "chance": self.chance_loss,
                    "loss_bn": float(np.median(self.final_loss[bn])),
                },
                intervention=f"batch norm before each sigmoid; same {name} weights, data, optimiser, steps, seeds",
                scope=f"after {self.steps} momentum SGD steps, every seed",
            ),
        ]


@experiment("detection.saturation")
def saturation(seeds: Sequence[int] = (0, 1, 2), *, std: float = 1.0, seed: int = 0) -> Saturation:
    """Saturation, slope, gradient ratio and trained loss of the sigmoid bench under three recipes.

    std: the standard deviation of the large-weight initialisation that replaces Xavier.
    """
    variants = saturation_variants(finite_float("std", std, positive=True))
    seed_list = np.array([nonnegative_int("seeds[]", s) for s in seeds])
    if seed_list.size == 0:
        raise ValueError("seeds must list at least one seed")
    xp, yp = probe_batch()
    shape = (len(variants), seed_list.size)
    sat, slope, ratio, healthy, loss = (np.zeros(shape) for _ in range(5))
    for i, (label, setup) in enumerate(variants):
        for j, s in enumerate(seed_list):
            outs = profile(setup, int(s), (xp, yp)).activations
            sat[i, j] = np.mean([saturated_fraction(a, "sigmoid") for a in outs])
            slope[i, j] = np.mean([np.mean(a * (1.0 - a)) for a in outs])
            measured = run(setup, label, int(s))
            ratio[i, j] = measured.delta_ratio
            healthy[i, j] = measured.verdict == "healthy"
            loss[i, j] = measured.final_loss
    return Saturation(
        seed=seed,
        labels=tuple(label for label, _ in variants),
        seeds=seed_list,
        steps=VANISHING.steps,
        saturated=sat,
        slope=slope,
        ratio=ratio,
        healthy=healthy,
        final_loss=loss,
        chance_loss=CHANCE_LOSS,
    )
