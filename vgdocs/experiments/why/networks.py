"""Why gradients vanish, part 2: the scalar toy next to a real network, and the weight scale.

Experiments for docs/why.md: per-layer gradient norms of real networks at initialisation beside
the product of slopes, and how the weight scale moves the per-layer factor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import choice, finite_float, positive_int
from vgdocs.engine.activations import ACTIVATIONS, activation
from vgdocs.engine.at_init import mlp_at_init
from vgdocs.engine.diagnose import SATURATING, SATURATION_BANDS, saturated_fraction
from vgdocs.engine.init import INITIALIZERS
from vgdocs.engine.labels import label, setup_label
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.why.slopes import SIGMA, TIMES
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["NETWORKS", "GradientFlow", "WeightScale", "delta_profile", "gradient_flow", "weight_scale"]


# -- the toy next to a real network ----------------------------------------------------------------
def delta_profile(
    act: str, init: str, *, depth: int, width: int, batch: int, seed: int, gain: float = 1.0, bias_std: float = 0.0
) -> tuple[np.ndarray, np.ndarray, MLP]:
    """(||dL/dz|| per hidden layer, input side first; hidden pre-activations u stacked; the net) at init.

    The batch is `batch` standard-normal inputs of `width` features with standard-normal targets and MSE.
    """
    net, x, y = mlp_at_init(
        act, depth=depth, width=width, batch=batch, seed=seed, init=init, gain=gain, bias_std=bias_std
    )
    p = probe(net, x, y, activation_inputs=True)
    return p.delta_norms, np.stack(p.activation_inputs), net


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
            toy_name = "toy " + " / ".join(label(n) for n in names)
            if np.all(toy == toy[0]):  # a constant chain reads better in the caption than as a column
                flat.append(f"The toy chain for {' and '.join(label(n) for n in names)} is {toy[0]:g} at every layer.")
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
            series.append(Series("toy " + " and ".join(label(n) for n in names), k, toy, "dashed"))
        falls = (
            f"Sigmoid falls to {self.sigmoid_first_over_top:.1e} at layer 1; ReLU with Xavier init falls to "
            f"{self.relu_xavier_first_over_top:.2g}; ReLU with He init ends at {self.relu_he_first_over_top:.2g}."
        )
        return Figure(
            panels=(Panel(tuple(series), "hidden layer (1 = input side)", "‖δ_k‖ / ‖δ_top‖", logy=True),),
            alt=f"Log-scale plot of the gradient norm at each of {self.depth} hidden layers relative to the top "
            f"one. {falls}",
            title="Scalar toy versus a real network",
        )


NETWORKS = (("sigmoid", "xavier_normal"), ("tanh", "xavier_normal"), ("relu", "xavier_normal"), ("relu", "he_normal"))


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
        labels.append(setup_label(a, i))
        firsts[(a, i)] = float(d[0] / d[-1])
        if (a, i) == ("relu", "he_normal"):
            active = float(np.mean(u > 0))
    ratios_arr = np.array(ratios)
    toy_acts = tuple(dict.fromkeys(a for a, _ in nets))
    steps = range(depth - 1, -1, -1)  # factors between layer k and the top
    toy = np.array([[theory.slope_bound(a, k) for k in steps] for a in toy_acts])
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
        sigmoid_toy_first_over_top=theory.slope_bound("sigmoid", depth - 1),
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
            "saturated units (share)",
        )
        return Table(
            heads,
            rows,
            caption=f"{self.depth}-layer {label(self.activation)} network, width {self.width}, "
            f"weights N(0, {SIGMA}_w\u00b2/fan-in). A unit is saturated when its output is "
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
