"""Vanishing versus exploding as one product of per-layer factors: powers of a factor, and a
weight-scale sweep of a deep tanh network against mean-field theory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import choice, finite_float, positive_int
from vgdocs.engine.at_init import mlp_at_init
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["Powers", "ScaleSweep", "powers", "scale_sweep"]

SIGMA, TIMES = "\u03c3", "\u00d7"


# -- powers --------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Powers(Result):
    """factor^n for each factor and depth n."""

    factors: np.ndarray
    depths: np.ndarray
    values: np.ndarray  # (factors, depths)
    half_to_the_10: float
    two_to_the_10: float

    def table(self, which: str | None = None) -> Table:
        """One row per factor, one column per depth."""
        rows = tuple((float(f), *(float(v) for v in self.values[i])) for i, f in enumerate(self.factors))
        return Table(
            ("factor per layer", *(f"after {int(n)} layers" for n in self.depths)),
            rows,
            caption="The same product, a factor per layer: below 1 it vanishes, above 1 it explodes.",
            formats=(".3g",) + (".3g",) * len(self.depths),
        )


@experiment("vs_exploding.powers")
def powers(
    factors: Sequence[float] = (0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 2.0),
    depths: Sequence[int] = (10, 50, 100),
    *,
    seed: int = 0,
) -> Powers:
    """factor ** n for every factor in `factors` and n in `depths`."""
    f = np.array([finite_float("factors[]", v, positive=True) for v in factors])
    n = np.array([positive_int("depths[]", v) for v in depths])
    return Powers(
        seed=seed,
        factors=f,
        depths=n,
        values=f[:, None] ** n[None, :].astype(np.float64),
        half_to_the_10=0.5**10,
        two_to_the_10=2.0**10,
    )


# -- the weight-scale sweep against mean-field theory ----------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ScaleSweep(Result):
    """||dL/dz|| at the first hidden layer over the last, measured and predicted, across weight variances."""

    activation: str
    depth: int
    width: int
    batch: int
    sigma_b2: float
    sigma_w2: np.ndarray  # weight variance times fan_in
    measured: np.ndarray  # geometric mean over seeds of ||delta_1|| / ||delta_depth||
    chi_1: np.ndarray  # mean-field per-layer factor on squared gradient norms
    predicted: np.ndarray  # chi_1 ** ((depth - 1) / 2)
    critical_theory: float  # sigma_w2 where chi_1 = 1
    critical_measured: float  # sigma_w2 where the measured ratio crosses 1 (log-log interpolation)
    n_seeds: int
    smallest: float
    largest: float

    def table(self, which: str | None = None) -> Table:
        """One row per weight variance: chi_1, predicted and measured first/last gradient ratio."""
        rows = tuple(
            (float(s), float(c), float(p), float(m))
            for s, c, p, m in zip(self.sigma_w2, self.chi_1, self.predicted, self.measured, strict=True)
        )
        return Table(
            (
                f"{SIGMA}_w\u00b2",
                "\u03c7\u2081 (theory)",
                f"predicted \u03c7\u2081^{(self.depth - 1) / 2:g}",
                "measured ‖δ_1‖ / ‖δ_top‖",
            ),
            rows,
            bar_column=3,
            caption=f"{self.depth}-layer {self.activation} network of width {self.width}, "
            f"{SIGMA}_b\u00b2 = {self.sigma_b2:g}; measured over {self.n_seeds} seeds "
            "(geometric mean).",
            formats=(".3g", ".3g", ".3g", ".3g"),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Log-log plot of the first/last gradient ratio against sigma_w^2: measured markers, theory line."""
        series = (
            Series("mean-field theory", self.sigma_w2, self.predicted, "line"),
            Series("measured", self.sigma_w2, self.measured, "markers"),
        )
        return Figure(
            panels=(
                Panel(
                    series,
                    f"weight variance {SIGMA}_w\u00b2 (times fan-in)",
                    "‖δ_1‖ / ‖δ_top‖",
                    logx=True,
                    logy=True,
                    hlines=((1.0, "no change"),),
                ),
            ),
            alt=f"Log-log plot of the gradient at the first layer of a {self.depth}-layer {self.activation} network "
            f"relative to the last, against the weight variance. It rises from {self.smallest:.1e} to "
            f"{self.largest:.1e}, crossing 1 near {SIGMA}_w\u00b2 = {self.critical_measured:.3g}; mean-field "
            f"theory puts the critical point at {self.critical_theory:.3g} and its curve follows the markers.",
            title="From vanishing to exploding: sweeping the weight scale",
        )


@experiment("vs_exploding.scale_sweep")
def scale_sweep(
    sigma_w2: Sequence[float] = tuple(float(v) for v in np.geomspace(0.25, 16.0, 13)),
    *,
    activation_name: str = "tanh",
    sigma_b2: float = 0.05,
    depth: int = 30,
    width: int = 128,
    batch: int = 64,
    n_seeds: int = 2,
    seed: int = 0,
) -> ScaleSweep:
    """Sweep the weight variance of a deep network; measure the first/last gradient ratio; compare with mean field."""
    grid = np.array([finite_float("sigma_w2[]", v, positive=True) for v in sigma_w2])
    act = choice("activation_name", activation_name, ("tanh", "sigmoid", "relu", "linear"))
    sigma_b2 = finite_float("sigma_b2", sigma_b2, nonnegative=True)
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    n_seeds = positive_int("n_seeds", n_seeds)
    logs = np.zeros((n_seeds, grid.size))
    for i in range(n_seeds):
        for j, s2 in enumerate(grid):
            gain, bias_std = float(np.sqrt(s2)), float(np.sqrt(sigma_b2))
            setup = mlp_at_init(act, depth=depth, width=width, batch=batch, seed=seed + i, gain=gain, bias_std=bias_std)
            d = probe(*setup).delta_norms
            logs[i, j] = np.log(d[0] / d[-1])
    measured = np.exp(logs.mean(axis=0))
    chi = np.array([theory.chi_1(act, float(s2), sigma_b2) for s2 in grid])
    return ScaleSweep(
        seed=seed,
        activation=act,
        depth=depth,
        width=width,
        batch=batch,
        sigma_b2=sigma_b2,
        sigma_w2=grid,
        measured=measured,
        chi_1=chi,
        predicted=chi ** ((depth - 1) / 2.0),
        critical_theory=theory.critical_sigma_w2(act, sigma_b2),
        critical_measured=_crossing(grid, measured),
        n_seeds=n_seeds,
        smallest=float(measured.min()),
        largest=float(measured.max()),
    )


def _crossing(x: np.ndarray, y: np.ndarray) -> float:
    """x where log y first crosses 0, interpolating linearly in log x (NaN if it never does)."""
    ly = np.log(y)
    for k in range(ly.size - 1):
        if ly[k] < 0 <= ly[k + 1]:
            t = -ly[k] / (ly[k + 1] - ly[k])
            return float(np.exp(np.log(x[k]) + t * (np.log(x[k + 1]) - np.log(x[k]))))
    return math.nan
