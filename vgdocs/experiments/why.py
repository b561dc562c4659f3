"""Why gradients vanish: the chain rule multiplies one slope (and one weight) per layer.

Experiments for docs/why.md: activation slopes, the 0.25^n bound, the scalar toy next to a real
network, and how the weight scale moves the per-layer factor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.activations import ACTIVATIONS, activation, sigmoid
from vgdocs.engine.diagnose import SATURATING, SATURATION_BANDS, saturated_fraction
from vgdocs.engine.init import INITIALIZERS
from vgdocs.engine.nets.mlp import MLP
from vgdocs.experiments._core import Result, experiment, within_rounding
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = [
    "ActivationCurves",
    "ActivationFacts",
    "GradientFlow",
    "SlopeBound",
    "WeightScale",
    "activation_curves",
    "activation_facts",
    "delta_profile",
    "gradient_flow",
    "slope_bound",
    "weight_scale",
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
                (name, float(self.max_slope[i]), self.slope_where[i], *(float(v) for v in self.slope_at[i]), rng)
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
        f_series = tuple(Series(self.names[i], self.x, self.f[i]) for i in idx)
        d_series = tuple(Series(self.names[i], self.x, self.df[i]) for i in idx)
        listed = ", ".join(self.names[i] for i in idx)
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
            f"effective lr ({self.lr:g} {TIMES} bound)",
        )
        return Table(
            heads,
            rows,
            bar_column=1,
            caption=f"Best case for {self.activation}: every unit at its steepest point, weights 1.",
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
    s = activation(choice("activation_name", activation_name, ACTIVATIONS)).max_slope
    bound = s ** depths_arr.astype(np.float64)
    return SlopeBound(
        seed=seed,
        activation=activation_name,
        max_slope=s,
        depths=depths_arr,
        bound=bound,
        lr=lr,
        effective_lr=lr * bound,
        layers_per_decade=math.log(10.0) / -math.log(s) if s < 1 else math.inf,
        bound_at_10=s**10,
    )


# -- the toy next to a real network ----------------------------------------------------------------
def delta_profile(
    act: str, init: str, *, depth: int, width: int, batch: int, seed: int, gain: float = 1.0, bias_std: float = 0.0
) -> tuple[np.ndarray, np.ndarray, MLP]:
    """(||dL/dz|| per hidden layer, input side first; hidden pre-activations u stacked; the net) at init.

    The batch is `batch` standard-normal inputs of `width` features with standard-normal targets and MSE.
    """
    rng = rng_from("seed", seed)
    net = MLP([width] + [width] * depth + [1], act, init=init, init_gain=gain, bias_std=bias_std, seed=rng)
    x = rng.standard_normal((batch, width))
    y = rng.standard_normal((batch, 1))
    with np.errstate(over="ignore", invalid="ignore"):
        p = net.gradients(x, y)
    return p.delta_norms, np.stack([t.u for t in p.hidden]), net


@dataclass(frozen=True, kw_only=True)
class GradientFlow(Result):
    """Per-layer ||dL/dz|| relative to the top hidden layer: scalar toy and real networks side by side."""

    depth: int
    width: int
    batch: int
    labels: tuple[str, ...]  # one per real network
    activations: tuple[str, ...]
    inits: tuple[str, ...]
    ratios: np.ndarray  # (networks, depth): ||delta_k|| / ||delta_top||, input side first
    toy_activations: tuple[str, ...]
    toy: np.ndarray  # (toy activations, depth): max_slope^(depth - k)
    per_layer_factor: np.ndarray  # geometric mean of ||delta_k|| / ||delta_{k+1}|| per network
    relu_active_fraction: float  # share of (example, unit) pairs with ReLU' = 1 in the He network
    relu_he_first_over_top: float
    relu_xavier_first_over_top: float
    sigmoid_first_over_top: float
    sigmoid_toy_first_over_top: float

    def claims(self) -> list[Claim]:
        """What the scalar toy gets wrong, read off the real networks at initialisation."""
        f = dict(zip(self.labels, self.per_layer_factor, strict=True))
        first = dict(zip(self.labels, self.ratios[:, 0], strict=True))
        return [
            Claim(
                "sigmoid-real-below-toy",
                "The real sigmoid network passes {real} of the top layer's gradient to the first, less than the "
                "toy's {toy}: its units are spread over the curve, not all at the steepest point.",
                holds=self.sigmoid_first_over_top < self.sigmoid_toy_first_over_top,
                evidence={"real": self.sigmoid_first_over_top, "toy": self.sigmoid_toy_first_over_top},
                scope="at initialisation, one batch",
            ),
            Claim(
                "tanh-real-decays",
                "The toy promises tanh a factor of 1 per layer; the real tanh network loses a factor {factor} per "
                "layer, and its first layer gets {first} of the top's gradient.",
                holds=f["tanh + Xavier"] < 0.95,
                evidence={"factor": f["tanh + Xavier"], "first": first["tanh + Xavier"]},
                scope="at initialisation, one batch",
            ),
            Claim(
                "tanh-slower-than-sigmoid",
                "Per layer the tanh network keeps {tanh} of the gradient and the sigmoid network {sigmoid}; "
                "across the stack that leaves {tanh_first} and {sigmoid_first} at the first layer.",
                holds=f["sigmoid + Xavier"] < f["tanh + Xavier"] < 1.0
                and first["tanh + Xavier"] > 1000 * first["sigmoid + Xavier"],
                evidence={
                    "tanh": f["tanh + Xavier"],
                    "sigmoid": f["sigmoid + Xavier"],
                    "tanh_first": first["tanh + Xavier"],
                    "sigmoid_first": first["sigmoid + Xavier"],
                },
                intervention="activation sigmoid to tanh; Xavier weights, data and seed held",
                scope="at initialisation, one batch",
            ),
            Claim(
                "he-pays-for-the-inactive-half",
                "With about {active:.0%} of its units active, the ReLU network loses a factor {xavier} per layer "
                "under Xavier weights; He's doubled variance brings it to {he}.",
                holds=f["ReLU + Xavier"] < 0.75 and f["ReLU + He"] > 0.9 and 0.4 < self.relu_active_fraction < 0.6,
                evidence={"active": self.relu_active_fraction, "xavier": f["ReLU + Xavier"], "he": f["ReLU + He"]},
                intervention="initialisation Xavier to He; network, data and seed held",
                scope="at initialisation, one batch",
            ),
        ]

    def table(self, which: str | None = None) -> Table:
        """One row per hidden layer (input side first): each toy chain, then the real networks it models."""
        heads, cols, flat = ["layer"], [], []
        for names, toy in self._toy_groups():
            toy_name = "toy " + " / ".join(_ACT_LABEL.get(n, n) for n in names)
            if np.all(toy == toy[0]):  # a constant chain reads better in the caption than as a column
                flat.append(
                    f"The toy chain for {' and '.join(_ACT_LABEL.get(n, n) for n in names)} is {toy[0]:g} "
                    "at every layer."
                )
            else:
                heads.append(toy_name)
                cols.append(toy)
            for i, act in enumerate(self.activations):
                if act in names:
                    heads.append(self.labels[i])
                    cols.append(self.ratios[i])
        rows = tuple((k + 1, *(float(c[k]) for c in cols)) for k in range(self.depth))
        note = "".join(" " + f for f in flat)
        return Table(
            tuple(heads),
            rows,
            caption="Gradient norm at each layer divided by the norm at the top hidden "
            f"layer (layer 1 is next to the input).{note}",
            formats=(None,) + (".3g",) * len(cols),
        )

    def _toy_groups(self) -> list[tuple[list[str], np.ndarray]]:
        """Activations whose toy chains coincide (tanh and ReLU: all ones), grouped, with their chain."""
        groups: dict[bytes, list[str]] = {}
        for j, a in enumerate(self.toy_activations):
            groups.setdefault(self.toy[j].tobytes(), []).append(a)
        return [(names, self.toy[self.toy_activations.index(names[0])]) for names in groups.values()]

    def figure(self, which: str | None = None) -> Figure:
        """Log-scale per-layer profile: real networks solid, scalar toy dashed."""
        k = np.arange(1, self.depth + 1)
        series = [Series(lab, k, self.ratios[i], "line") for i, lab in enumerate(self.labels)]
        for names, toy in self._toy_groups():
            series.append(Series("toy " + " and ".join(_ACT_LABEL.get(n, n) for n in names), k, toy, "dashed"))
        return Figure(
            panels=(Panel(tuple(series), "hidden layer (1 = input side)", "‖δ_k‖ / ‖δ_top‖", logy=True),),
            alt=f"Log-scale plot of the gradient norm at each of {self.depth} hidden layers relative to the top one. "
            f"Sigmoid falls to {self.sigmoid_first_over_top:.1e} at layer 1; ReLU with Xavier init falls to "
            f"{self.relu_xavier_first_over_top:.2g}; ReLU with He init ends at {self.relu_he_first_over_top:.2g}.",
            title="Scalar toy versus a real network",
        )


NETWORKS = (("sigmoid", "xavier_normal"), ("tanh", "xavier_normal"), ("relu", "xavier_normal"), ("relu", "he_normal"))
_INIT_LABEL = {"xavier_normal": "Xavier", "he_normal": "He", "standard": "standard", "lecun_normal": "LeCun"}
_ACT_LABEL = {"relu": "ReLU", "leaky_relu": "leaky ReLU"}


@experiment("why.gradient_flow")
def gradient_flow(
    depth: int = 10, width: int = 64, batch: int = 128, *, networks: Sequence[tuple[str, str]] = NETWORKS, seed: int = 0
) -> GradientFlow:
    """Per-layer gradient norms at initialisation for each (activation, init) in `networks`, and the toy chain."""
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    nets = tuple((choice("activation", a, ACTIVATIONS), choice("init", i, INITIALIZERS)) for a, i in networks)
    ratios, labels, active, firsts = [], [], 0.0, {}
    for a, i in nets:
        d, u, _ = delta_profile(a, i, depth=depth, width=width, batch=batch, seed=seed)
        ratios.append(d / d[-1])
        labels.append(f"{_ACT_LABEL.get(a, a)} + {_INIT_LABEL.get(i, i)}")
        firsts[(a, i)] = float(d[0] / d[-1])
        if (a, i) == ("relu", "he_normal"):
            active = float(np.mean(u > 0))
    ratios_arr = np.array(ratios)
    toy_acts = tuple(dict.fromkeys(a for a, _ in nets))
    steps = np.arange(depth - 1, -1, -1, dtype=np.float64)  # factors between layer k and the top
    toy = np.array([activation(a).max_slope ** steps for a in toy_acts])
    return GradientFlow(
        seed=seed,
        depth=depth,
        width=width,
        batch=batch,
        labels=tuple(labels),
        activations=tuple(a for a, _ in nets),
        inits=tuple(i for _, i in nets),
        ratios=ratios_arr,
        toy_activations=toy_acts,
        toy=toy,
        per_layer_factor=ratios_arr[:, 0] ** (1.0 / max(depth - 1, 1)),
        relu_active_fraction=active,
        relu_he_first_over_top=firsts.get(("relu", "he_normal"), math.nan),
        relu_xavier_first_over_top=firsts.get(("relu", "xavier_normal"), math.nan),
        sigmoid_first_over_top=firsts.get(("sigmoid", "xavier_normal"), math.nan),
        sigmoid_toy_first_over_top=activation("sigmoid").max_slope ** (depth - 1),
    )


# -- weights matter --------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class WeightScale(Result):
    """Per-layer gradient factor of a sigmoid-like net as the weight scale sigma_w grows."""

    activation: str
    depth: int
    width: int
    sigma_w: np.ndarray  # weight std = sigma_w / sqrt(fan_in)
    toy_factor: np.ndarray  # sigma_w * max slope: the linear-regime factor with every unit at its steepest
    per_layer_factor: np.ndarray  # measured geometric mean of ||delta_k|| / ||delta_{k+1}||
    mean_slope: np.ndarray  # mean f'(u) over the batch, units and layers
    saturated: np.ndarray  # share of unit-examples in the flat tails (vgdocs.engine.diagnose's bands)
    max_slope: float
    band: tuple[float, float]  # output band outside which a unit counts as saturated

    def claims(self) -> list[Claim]:
        """The toy factor holds at small scales; saturation bends it at large ones, yet it can pass one."""
        small = self.sigma_w <= 1.0
        gap = float(np.max(np.abs(self.per_layer_factor[small] / self.toy_factor[small] - 1.0)))
        return [
            Claim(
                "saturation-bends-the-factor",
                "Up to $\\sigma_w = {small}$ the measured factor is within {gap:.0%} of the toy's. At "
                "$\\sigma_w = {big}$, {sat:.0%} of the units are saturated and the factor is {measured}, far below "
                "the toy's {toy}, yet still above one: the network explodes while most of its units sit on a "
                "flat tail.",
                holds=gap < 0.1
                and self.saturated[-1] > 0.5
                and self.per_layer_factor[-1] < self.toy_factor[-1] / 2
                and self.per_layer_factor[-1] > 1.0,
                evidence={
                    "small": float(self.sigma_w[small][-1]),
                    "gap": gap,
                    "big": float(self.sigma_w[-1]),
                    "sat": float(self.saturated[-1]),
                    "measured": float(self.per_layer_factor[-1]),
                    "toy": float(self.toy_factor[-1]),
                },
                intervention="weight scale changed; network, data and seed held",
                scope="at initialisation",
            )
        ]

    def table(self, which: str | None = None) -> Table:
        """One row per weight scale: toy factor, measured factor, mean slope, saturated share."""
        rows = tuple(
            (float(s), float(t), float(m), float(ms), float(sat))
            for s, t, m, ms, sat in zip(
                self.sigma_w, self.toy_factor, self.per_layer_factor, self.mean_slope, self.saturated, strict=True
            )
        )
        heads = (
            f"{SIGMA}_w",
            f"toy factor {SIGMA}_w {TIMES} {self.max_slope:g}",
            "measured factor per layer",
            "mean slope f'(z)",
            "saturated units",
        )
        return Table(
            heads,
            rows,
            caption=f"{self.depth}-layer {self.activation} network, width {self.width}, "
            f"weights N(0, {SIGMA}_w\u00b2/fan_in). A unit is saturated when its output is "
            f"below {self.band[0]:g} or above {self.band[1]:g}.",
            formats=(".3g", ".3g", ".3g", ".3g", ".0%"),
        )


@experiment("why.weight_scale")
def weight_scale(
    sigma_w: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
    *,
    activation_name: str = "sigmoid",
    depth: int = 10,
    width: int = 64,
    batch: int = 128,
    seed: int = 0,
) -> WeightScale:
    """Sweep the weight scale of a sigmoid or tanh network; measure the gradient factor and saturation."""
    scales = np.array([finite_float("sigma_w[]", s, positive=True) for s in sigma_w])
    act = activation(choice("activation_name", activation_name, SATURATING))
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    factors, slopes, sats = [], [], []
    for s in scales:
        d, u, _ = delta_profile(act.name, "lecun_normal", depth=depth, width=width, batch=batch, seed=seed, gain=s)
        factors.append((d[0] / d[-1]) ** (1.0 / max(depth - 1, 1)))
        slope = act.derivative(u)
        slopes.append(float(slope.mean()))
        sats.append(saturated_fraction(act(u), act.name))
    return WeightScale(
        seed=seed,
        activation=act.name,
        depth=depth,
        width=width,
        sigma_w=scales,
        toy_factor=scales * act.max_slope,
        per_layer_factor=np.array(factors),
        mean_slope=np.array(slopes),
        saturated=np.array(sats),
        max_slope=act.max_slope,
        band=SATURATION_BANDS[act.name],
    )
