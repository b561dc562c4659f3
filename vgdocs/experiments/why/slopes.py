"""Why gradients vanish, part 1: the slope each activation contributes per layer, and the 0.25^n bound.

Experiments for docs/why.md: activation slopes and curves, and the best-case bound on a chain of
sigmoid (or any) layers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import choice, finite_float, positive_int
from vgdocs.engine.activations import ACTIVATIONS, activation, sigmoid
from vgdocs.engine.labels import label
from vgdocs.experiments._core import Result, experiment, within_rounding
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = [
    "CURVE_GROUPS",
    "PROBES",
    "TABLE_ACTIVATIONS",
    "ActivationCurves",
    "ActivationFacts",
    "SlopeBound",
    "activation_curves",
    "activation_facts",
    "slope_bound",
]

TABLE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "softplus", "swish")
CURVE_GROUPS = {
    "classic": ("sigmoid", "tanh", "relu"),
    "modern": ("leaky_relu", "elu", "selu", "gelu", "swish", "softplus"),
}
PROBES = (-3.0, 3.0)
SIGMA, TIMES, MINUS, INF = "\u03c3", "\u00d7", "\u2212", "\u221e"  # typographic characters for tables


# -- activation facts ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ActivationFacts(Result):
    """Slopes of each activation (max, and at a few probe points), and the sigmoid-tanh identity."""

    names: tuple[str, ...]
    max_slope: np.ndarray
    slope_where: tuple[str, ...]
    probes: tuple[float, ...]
    slope_at: np.ndarray  # (names, probes)
    range_low: np.ndarray
    range_high: np.ndarray = field(metadata={"ledger": False})  # 1 or +inf: a definition, not a result
    sigmoid_max_slope: float
    sigmoid_argmax: float
    tanh_max_slope: float
    tanh_over_sigmoid: float
    relu_slope_active: float
    relu_slope_inactive: float
    relu_slope_at_zero: float
    identity_grid_halfwidth: float
    identity_points: int
    # raw rounding errors differ between CPUs: kept for tests, published only as identity_bound
    identity_max_error: float = field(metadata={"ledger": False})  # max |sigmoid(x) - (1 + tanh(x/2))/2|
    slope_identity_max_error: float = field(metadata={"ledger": False})  # max |sigmoid'(x) - tanh'(x/2)/4|
    identity_bound: float  # ROUNDING when both gaps are rounding, else the larger gap

    def table(self, which: str | None = None) -> Table:
        """One row per activation: max slope, where it is reached, slopes at the probes, output range."""
        rows = []
        for i, name in enumerate(self.names):
            lo, hi = self.range_low[i], self.range_high[i]
            rng = f"({_num(lo)}, {_num(hi)})"
            rows.append(
                (label(name), float(self.max_slope[i]), self.slope_where[i], *(float(v) for v in self.slope_at[i]), rng)
            )
        heads = ("activation", "max f'", "where", *(f"f'({p:g})" for p in self.probes), "output range")
        return Table(heads, tuple(rows), caption="Slope of each activation: the factor it contributes per layer.")

    def claims(self) -> list[Claim]:
        """Sigmoid's slope never exceeds 1/4, a quarter of tanh's peak."""
        return [
            Claim(
                "sigmoid-slope-at-most-a-quarter-of-tanh",
                "The sigmoid's slope never exceeds {sigmoid}, a quarter of tanh's peak of {tanh}: "
                "tanh is {ratio} times as steep.",
                holds=self.sigmoid_max_slope <= 0.25 + 1e-12 and abs(self.tanh_over_sigmoid - 4.0) < 1e-9,
                evidence={
                    "sigmoid": self.sigmoid_max_slope,
                    "tanh": self.tanh_max_slope,
                    "ratio": self.tanh_over_sigmoid,
                },
            )
        ]


def _num(v: float) -> str:
    if math.isinf(v):
        return INF if v > 0 else MINUS + INF
    return f"{v:.3g}".replace("-", MINUS)


@experiment("why.activation_facts")
def activation_facts(
    names: Sequence[str] = TABLE_ACTIVATIONS, *, halfwidth: float = 20.0, points: int = 40001, seed: int = 0
) -> ActivationFacts:
    """Slope facts for `names` and the max error of sigmoid(x) = (1 + tanh(x/2))/2 on [-halfwidth, halfwidth]."""
    names = tuple(choice("names[]", n, ACTIVATIONS) for n in names)
    halfwidth = finite_float("halfwidth", halfwidth, positive=True)
    points = positive_int("points", points)
    acts = [activation(n) for n in names]
    probe = np.array(PROBES)
    x = np.linspace(-halfwidth, halfwidth, points)
    sig, tanh, relu = activation("sigmoid"), activation("tanh"), activation("relu")
    value_gap = float(np.max(np.abs(sigmoid(x) - (1.0 + np.tanh(x / 2.0)) / 2.0)))
    slope_gap = float(np.max(np.abs(sig.derivative(x) - tanh.derivative(x / 2.0) / 4.0)))
    relu_at = {v: float(relu.derivative(np.array([v]))[0]) for v in (-1.0, 0.0, 1.0)}
    return ActivationFacts(
        seed=seed,
        names=names,
        max_slope=np.array([a.max_slope for a in acts]),
        slope_where=tuple(a.slope_where for a in acts),
        probes=PROBES,
        slope_at=np.array([a.derivative(probe) for a in acts]),
        range_low=np.array([a.output_range[0] for a in acts]),
        range_high=np.array([a.output_range[1] for a in acts]),
        sigmoid_max_slope=sig.max_slope,
        sigmoid_argmax=sig.argmax_slope,
        tanh_max_slope=tanh.max_slope,
        tanh_over_sigmoid=tanh.max_slope / sig.max_slope,
        relu_slope_active=relu_at[1.0],
        relu_slope_inactive=relu_at[-1.0],
        relu_slope_at_zero=relu_at[0.0],
        identity_grid_halfwidth=halfwidth,
        identity_points=points,
        identity_max_error=value_gap,
        slope_identity_max_error=slope_gap,
        identity_bound=within_rounding(value_gap, slope_gap),
    )


@dataclass(frozen=True, kw_only=True)
class ActivationCurves(Result):
    """f(x) and f'(x) on a grid for each activation."""

    names: tuple[str, ...]
    x: np.ndarray = field(metadata={"ledger": False})  # the grid is an input, not a result
    f: np.ndarray = field(metadata={"ledger": False})  # (names, points): plotted, quoted via ActivationFacts
    df: np.ndarray = field(metadata={"ledger": False})

    def figure(self, which: str | None = None) -> Figure:
        """Two panels, f and f', for the group `which` ("classic" or "modern"; default classic)."""
        group = CURVE_GROUPS[choice("which", which or "classic", CURVE_GROUPS)]
        idx = [self.names.index(n) for n in group if n in self.names]
        f_series = tuple(Series(label(self.names[i]), self.x, self.f[i]) for i in idx)
        d_series = tuple(Series(label(self.names[i]), self.x, self.df[i]) for i in idx)
        listed = ", ".join(label(self.names[i]) for i in idx)
        return Figure(
            panels=(Panel(f_series, "x", "f(x)", "activation"), Panel(d_series, "x", "f'(x)", "slope")),
            alt=f"Two line plots over x from {self.x[0]:g} to {self.x[-1]:g}: the activations {listed} (left) "
            f"and their derivatives (right). The right panel shows how large a factor each can pass back.",
            title=f"Activation functions and their slopes: {listed}",
        )


@experiment("why.activation_curves")
def activation_curves(
    names: Sequence[str] = CURVE_GROUPS["classic"] + CURVE_GROUPS["modern"],
    *,
    lo: float = -5.0,
    hi: float = 5.0,
    points: int = 201,
    seed: int = 0,
) -> ActivationCurves:
    """f and f' of each activation in `names` on `points` evenly spaced x in [lo, hi]."""
    names = tuple(choice("names[]", n, ACTIVATIONS) for n in names)
    lo, hi = finite_float("lo", lo), finite_float("hi", hi)
    if hi <= lo:
        raise ValueError(f"hi must be greater than lo; got lo={lo}, hi={hi}")
    x = np.linspace(lo, hi, positive_int("points", points))
    acts = [activation(n) for n in names]
    return ActivationCurves(
        seed=seed, names=names, x=x, f=np.array([a(x) for a in acts]), df=np.array([a.derivative(x) for a in acts])
    )


# -- the worst-case bound --------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SlopeBound(Result):
    """max_slope^n for each depth n, and the effective learning rate lr * max_slope^n."""

    activation: str
    max_slope: float
    depths: np.ndarray
    bound: np.ndarray
    lr: float
    effective_lr: np.ndarray
    layers_per_decade: float  # layers needed to lose a factor of ten at the best-case slope
    bound_at_10: float

    def table(self, which: str | None = None) -> Table:
        """One row per depth: the bound and the effective learning rate (log bar on the bound)."""
        rows = tuple(
            (int(n), float(b), float(e)) for n, b, e in zip(self.depths, self.bound, self.effective_lr, strict=True)
        )
        heads = (
            "layers below the output n",
            f"bound {self.max_slope:g}^n",
            f"effective learning rate ({self.lr:g} {TIMES} bound)",
        )
        return Table(
            heads,
            rows,
            bar_column=1,
            caption=f"Best case for {label(self.activation)}: every unit at its steepest point, weights 1.",
            formats=(None, ".3g", ".3g"),
        )


@experiment("why.slope_bound")
def slope_bound(
    depths: Sequence[int] = (1, 2, 5, 8, 10, 15, 20),
    *,
    lr: float = 0.01,
    activation_name: str = "sigmoid",
    seed: int = 0,
) -> SlopeBound:
    """The product of n maximal slopes of `activation_name` for n in `depths`, and lr times it."""
    depths_arr = np.array([positive_int("depths[]", n) for n in depths])
    lr = finite_float("lr", lr, positive=True)
    act = activation(choice("activation_name", activation_name, ACTIVATIONS))
    s = act.max_slope
    bound = np.array([theory.slope_bound(act, int(n)) for n in depths_arr])
    return SlopeBound(
        seed=seed,
        activation=activation_name,
        max_slope=s,
        depths=depths_arr,
        bound=bound,
        lr=lr,
        effective_lr=np.array([theory.effective_learning_rate(lr, act, int(n)) for n in depths_arr]),
        layers_per_decade=math.log(10.0) / -math.log(s) if s < 1 else math.inf,
        bound_at_10=theory.slope_bound(act, 10),
    )
