"""Reproductions of the literature: classic vanishing-gradient results rerun, published numbers beside ours.

Experiments for docs/reproductions.md. Published values are constants below, each with its source;
they are the papers' data, not our computations. Every comparison is a `Claim`: the published
value, our measurement, a stated `Criterion`, and whether the criterion holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import comb

from vgdocs.engine import theory
from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.activations import activation
from vgdocs.engine.data import digits
from vgdocs.engine.init import initialize
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.optim import clip_by_global_norm, make_optimizer
from vgdocs.engine.train import train
from vgdocs.experiments._core import ROUNDING, Result, experiment, within_rounding
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = [
    "Claim",
    "Criterion",
    "GlorotVariance",
    "HeReLU",
    "MeanFieldProfile",
    "NielsenExercise",
    "NielsenLayers",
    "PascanuChecks",
    "ResidualPaths",
    "SaxeIsometry",
    "Scoreboard",
    "glorot",
    "he",
    "nielsen",
    "nielsen_exercise",
    "pascanu",
    "saxe",
    "schoenholz",
    "scoreboard",
    "veit",
]

SIGMA, DELTA, TIMES, LE, GE = "\u03c3", "\u03b4", "\u00d7", "\u2264", "\u2265"
PRIME, MINUS, GAMMA, CHI = "\u2032", "\u2212", "\u03b3", "\u03c7"  # typographic characters for labels

# -- published values ------------------------------------------------------------------------------
# Nielsen, Neural Networks and Deep Learning (2015), ch. 5 "Why are deep neural networks hard to
# train?", section "The vanishing gradient problem": norm of the average bias gradient dC/db^l of
# each hidden layer at initialisation over the first 1,000 MNIST training images, for sigmoid nets
# [784, 30, ..., 30, 10] (weights N(0, 1/n_in), biases N(0, 1)). Computed by the book's
# fig/generate_gradient.py with network2.Network, whose default cost is the cross-entropy.
NIELSEN_NORMS: dict[int, tuple[float, ...]] = {
    2: (0.07, 0.31),
    3: (0.012, 0.060, 0.283),
    4: (0.003, 0.017, 0.070, 0.285),
}
NIELSEN_HIDDEN_WIDTH = 30  # same source: every hidden layer has 30 sigmoid units
NIELSEN_IMAGES = 1000  # same source: the gradient is averaged over 1,000 training images
# Nielsen (2015), ch. 5, problem "unstable gradient": |w sigma'(wa + b)| >= 1 is possible only for
# |w| >= 4; the width of the set of inputs a where it holds is greatest at |w| ~ 6.9, about 0.45.
NIELSEN_THRESHOLD_W = 4.0
NIELSEN_WIDEST_AT_W = 6.9
NIELSEN_WIDEST_WIDTH = 0.45

# Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward neural
# networks", sec. 4.2.1: the "standard" initialisation W ~ U[-1/sqrt(n), 1/sqrt(n)] gives
# n Var[W] = 1/3, so in the linear regime the variance of back-propagated gradients is multiplied by
# 1/3 per layer going down while the variance of weight gradients does not depend on the layer
# (their eqs. 5-7 and fig. 7); the normalised ("Xavier") initialisation makes n Var[W] = 1.
GLOROT_STANDARD_N_VAR = 1.0 / 3.0
GLOROT_XAVIER_N_VAR = 1.0

# He, Zhang, Ren & Sun (2015), "Delving deep into rectifiers", sec. 2.2: with ReLU the variance of
# a layer's responses is multiplied by n Var[w] / 2 per layer: 1 with their initialisation
# Var[w] = 2/n, 1/2 with Xavier's 1/n, so under Xavier the signal shrinks as 2^-L.
HE_FACTOR = {"xavier_normal": 0.5, "he_normal": 1.0}
# Same paper, sec. 2.2 ("Comparisons with Xavier initialization") and fig. 3: a 30-layer ReLU net
# trained from Xavier initialisation completely stalls; from theirs it converges.
HE_DEPTH = 30

# Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks",
# sec. 2.1: the gradient through time vanishes if the largest singular value of W_hh is below
# 1/gamma, gamma = max |f'|: 1 for tanh, 1/4 for the sigmoid; sec. 3.2, algorithm 1: gradient-norm
# clipping rescales g to threshold * g / ||g|| when ||g|| exceeds the threshold.
PASCANU_GAMMA = {"tanh": 1.0, "sigmoid": 0.25}

# Saxe, McClelland & Ganguli (2013), "Exact solutions to the nonlinear dynamics of learning in deep
# linear neural networks", on orthogonal initialisation: the product of a deep linear network's
# orthogonal weight matrices is orthogonal, so every singular value of the input-output map is 1,
# while scaled Gaussian matrices give a product whose singular values spread with depth.
SAXE_SINGULAR_VALUE = 1.0

# Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep information propagation" (building on
# Poole et al. 2016): for tanh with sigma_b^2 = 0.05 the order-to-chaos transition, where
# chi_1 = 1, sits at sigma_w^2 ~ 1.76.
SCHOENHOLZ_SIGMA_B2 = 0.05
SCHOENHOLZ_CRITICAL_SW2 = 1.76

# Veit, Wilber & Belongie (2016), "Residual networks behave like ensembles of relatively shallow
# networks", sec. 5 and fig. 6: the 110-layer ResNet has 54 residual modules; most of its gradient
# comes from paths through 5 to 17 modules, i.e. 10 to 34 layers deep.
VEIT_MODULES = 54
VEIT_EFFECTIVE_MODULES = (5, 17)
VEIT_LAYERS_PER_MODULE = 2

SOURCES = {
    "nielsen": "Nielsen 2015, ch. 5",
    "glorot": "Glorot & Bengio 2010, sec. 4.2.1",
    "he": "He et al. 2015, sec. 2.2",
    "pascanu": "Pascanu et al. 2013, sec. 2.1, 3.2",
    "saxe": "Saxe et al. 2013",
    "schoenholz": "Schoenholz et al. 2017",
    "veit": "Veit et al. 2016, sec. 5",
}


# -- claims and criteria ---------------------------------------------------------------------------
CRITERIA = ("factor", "relative", "absolute", "at_most", "at_least", "all")


@dataclass(frozen=True)
class Criterion:
    """How close our number must be to the published one to count as agreement.

    factor: within a factor `tol` either way; relative: |ours/published - 1| <= tol;
    absolute: |ours - published| <= tol; at_most / at_least: ours <= tol / ours >= tol (the
    published statement is a bound); all: ours is a share of cases and must be 1 (tol unused).
    """

    kind: str
    tol: float

    def __post_init__(self) -> None:
        choice("kind", self.kind, CRITERIA)
        finite_float("tol", self.tol)

    def holds(self, ours: float, published: float | str) -> bool:
        """True when `ours` meets the criterion against `published`."""
        if not math.isfinite(ours):
            return False
        if self.kind in ("at_most", "at_least", "all"):
            return {"at_most": ours <= self.tol, "at_least": ours >= self.tol, "all": ours == 1.0}[self.kind]
        if not isinstance(published, (int, float)):
            raise TypeError(f"criterion kind={self.kind!r} needs a numeric published value; got {published!r}")
        if self.kind == "factor":
            return ours > 0 and published > 0 and max(ours / published, published / ours) <= self.tol
        if self.kind == "relative":  # a few ulps of slack, so "within 10%" includes 1.1 against 1.0
            return abs(ours / published - 1.0) <= self.tol + 4 * np.finfo(float).eps
        return abs(ours - published) <= self.tol * (1 + 1e-12)

    def text(self) -> str:
        """The criterion in words, for the table."""
        t = f"{self.tol:g}"
        return {
            "factor": f"within a factor {t}",
            "relative": f"within {self.tol:.0%}" if self.tol >= 0.01 else f"relative error {LE} {t}",
            "absolute": f"within {t}" if self.tol > 0 else "exactly equal",
            "at_most": f"ours {LE} {t}",
            "at_least": f"ours {GE} {t}",
            "all": "share = 1 (every case)",
        }[self.kind]


@dataclass(frozen=True)
class Claim:
    """One published statement beside our number: `agrees` is `criterion.holds(ours, published)`."""

    paper: str
    claim: str
    published: float | str
    ours: float
    criterion: Criterion
    agrees: bool


def _claim(paper: str, claim: str, published: float | str, ours: float, criterion: Criterion) -> Claim:
    return Claim(paper, claim, published, float(ours), criterion, criterion.holds(float(ours), published))


def _claims_table(claims: Sequence[Claim], caption: str) -> Table:
    rows = tuple((c.claim, c.published, SOURCES[c.paper], c.ours, c.criterion.text(), c.agrees) for c in claims)
    return Table(("claim", "published", "source", "ours", "criterion", "agrees?"), rows, caption=caption)


# -- Nielsen: the bias gradient per layer ----------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class NielsenLayers(Result):
    """Norm of the average bias gradient per hidden layer at initialisation, ours next to Nielsen's.

    norms[i]: per hidden layer (input side first) of network i, geometric mean over `n_seeds`
    networks, scaled to Nielsen's cost (summed over the output units); ratios[i]: ||d^l|| / ||d^(l+1)||.
    """

    inputs: int
    hidden_width: int
    images: int
    n_seeds: int
    hidden_layers: tuple[int, ...]
    norms: tuple[np.ndarray, ...]
    ratios: tuple[np.ndarray, ...]
    ratio_spread: tuple[np.ndarray, ...]  # geometric standard deviation of each ratio over the seeds
    typical_spread: float  # geometric mean of ratio_spread: how much one network's ratio varies
    published_norms: tuple[tuple[float, ...], ...]
    published_ratios: tuple[np.ndarray, ...]
    band: float
    mean_ratio: float  # geometric mean of every ratio we measured
    published_mean_ratio: float  # geometric mean of every ratio of Nielsen's numbers
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """Default: the ratio claims. "norms": each layer's norm, his and ours."""
        if choice("which", which or "claims", ("claims", "norms")) == "claims":
            return _claims_table(
                self.claims,
                "Ratio of the bias-gradient norms of successive hidden layers "
                f"(layer 1 next to the input); ours: geometric mean over {self.n_seeds} networks.",
            )
        rows = []
        for h, ours, his in zip(self.hidden_layers, self.norms, self.published_norms, strict=True):
            for layer, (o, p) in enumerate(zip(ours, his, strict=True), start=1):
                rows.append((_net_name(self.inputs, h, self.hidden_width), layer, p, float(o)))
        return Table(
            ("network", "hidden layer", "Nielsen (MNIST, 784 inputs)", f"ours (digits, {self.inputs} inputs)"),
            tuple(rows),
            caption="Norm of the average bias gradient per hidden layer at initialisation.",
            formats=(None, None, ".3g", ".3g"),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Log-scale norm per hidden layer for each network: ours solid, Nielsen's as markers."""
        series = []
        for h, ours, his in zip(self.hidden_layers, self.norms, self.published_norms, strict=True):
            k = np.arange(1, h + 1)
            series.append(Series(f"ours, {h} hidden", k, ours, "line"))
            series.append(Series(f"Nielsen, {h} hidden", k, np.array(his), "markers"))
        return Figure(
            panels=(Panel(tuple(series), "hidden layer (1 = next to the input)", "‖∂C/∂b‖", logy=True),),
            alt=f"Log-scale plot of the bias-gradient norm in each hidden layer of sigmoid networks with "
            f"{', '.join(str(h) for h in self.hidden_layers)} hidden layers. Our lines and Nielsen's markers "
            f"fall together, by a factor of about {1 / self.mean_ratio:.2g} per layer towards the input.",
            title="Nielsen's sigmoid networks, rerun on the digits",
        )


def _net_name(inputs: int, hidden: int, width: int) -> str:
    return "[" + ", ".join(str(w) for w in (inputs, *([width] * hidden), 10)) + "]"


@experiment("reproductions.nielsen")
def nielsen(
    hidden_layers: Sequence[int] = (2, 3, 4),
    *,
    images: int = NIELSEN_IMAGES,
    n_seeds: int = 20,
    band: float = 1.5,
    seed: int = 0,
) -> NielsenLayers:
    """Nielsen's ch. 5 measurement on the 8x8 digits: sigmoid nets, N(0, 1/n_in) weights, N(0, 1) biases.

    The cost is the cross-entropy on one-hot targets, as in his network2; vgdocs averages it over
    the output units, so norms are multiplied by the number of outputs to match his sum.
    """
    hidden = tuple(positive_int("hidden_layers[]", h) for h in hidden_layers)
    for h in hidden:
        if h not in NIELSEN_NORMS:
            raise ValueError(f"hidden_layers[] must be one of Nielsen's networks {sorted(NIELSEN_NORMS)}; got {h}")
    images, n_seeds = positive_int("images", images), positive_int("n_seeds", n_seeds)
    band = finite_float("band", band)
    if band < 1:
        raise ValueError(f"band must be a factor >= 1; got {band}")
    x, labels = digits("train", seed=seed)
    if images > len(x):
        raise ValueError(f"images must be at most {len(x)} (the digits training split); got {images}")
    x, y = x[:images], np.eye(10)[labels[:images]]
    norms, ratios, spreads, claims = [], [], [], []
    for h in hidden:
        logs = np.empty((n_seeds, h))
        for s in range(n_seeds):
            net = MLP(
                [x.shape[1], *[NIELSEN_HIDDEN_WIDTH] * h, 10],
                "sigmoid",
                init="lecun_normal",
                bias_std=1.0,
                loss="bce",
                seed=rng_from("seed", seed + s),
            )
            logs[s] = np.log(net.gradients(x, y).bias_grad_norms[:-1] * y.shape[1])
        log_ratio = logs[:, :-1] - logs[:, 1:]
        norms.append(np.exp(logs.mean(axis=0)))
        ratios.append(np.exp(log_ratio.mean(axis=0)))
        spreads.append(np.exp(log_ratio.std(axis=0)))
        his = NIELSEN_NORMS[h]
        for layer in range(h - 1):
            pair = f"‖{DELTA}{_sup(layer + 1)}‖ / ‖{DELTA}{_sup(layer + 2)}‖"
            claims.append(
                _claim(
                    "nielsen",
                    f"{h} hidden layers: {pair}",
                    his[layer] / his[layer + 1],
                    ratios[-1][layer],
                    Criterion("factor", band),
                )
            )
    published_ratios = tuple(np.array(NIELSEN_NORMS[h][:-1]) / np.array(NIELSEN_NORMS[h][1:]) for h in hidden)
    return NielsenLayers(
        seed=seed,
        inputs=x.shape[1],
        hidden_width=NIELSEN_HIDDEN_WIDTH,
        images=images,
        n_seeds=n_seeds,
        hidden_layers=hidden,
        norms=tuple(norms),
        ratios=tuple(ratios),
        ratio_spread=tuple(spreads),
        typical_spread=float(np.exp(np.mean(np.log(np.concatenate(spreads))))),
        published_norms=tuple(NIELSEN_NORMS[h] for h in hidden),
        published_ratios=published_ratios,
        band=band,
        mean_ratio=float(np.exp(np.mean(np.log(np.concatenate(ratios))))),
        published_mean_ratio=float(np.exp(np.mean(np.log(np.concatenate(published_ratios))))),
        claims=tuple(claims),
    )


def _sup(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


# -- Nielsen's exercise: when can a sigmoid layer amplify? -----------------------------------------
@dataclass(frozen=True, kw_only=True)
class NielsenExercise(Result):
    """Where |w sigma'(wa + b)| >= 1 is possible, and how wide the set of inputs a is, found numerically."""

    w: np.ndarray = field(metadata={"ledger": False})  # the grid is an input
    width: np.ndarray  # width of {a : |w sigma'(wa + b)| >= 1} at each |w| of the grid (0 below the threshold)
    threshold_w: float  # smallest |w| for which the set is non-empty: 1 / max sigma'
    widest_at_w: float
    widest_width: float
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """The three claims of the exercise."""
        return _claims_table(
            self.claims,
            "Nielsen's exercise, solved numerically (root finding and maximisation "
            "on vgdocs' sigmoid; no closed form used).",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Width of the amplifying input range against |w|, with the maximum and Nielsen's value marked."""
        series = (
            Series("width of the range of a", self.w, self.width, "line"),
            Series("our maximum", np.array([self.widest_at_w]), np.array([self.widest_width]), "markers"),
            Series("Nielsen", np.array([NIELSEN_WIDEST_AT_W]), np.array([NIELSEN_WIDEST_WIDTH]), "markers"),
        )
        return Figure(
            panels=(Panel(series, "|w|", f"width of {{a : |w {SIGMA}{PRIME}(wa + b)| {GE} 1}}"),),
            alt=f"Line plot of the width of the input range where a sigmoid layer amplifies a gradient, against the "
            f"weight |w|. It is zero up to |w| = {self.threshold_w:.3g}, peaks at {self.widest_width:.2f} near "
            f"|w| = {self.widest_at_w:.2f}, and then shrinks slowly; Nielsen's published point sits on the peak.",
            title="A sigmoid layer amplifies only in a narrow window",
        )


@experiment("reproductions.nielsen_exercise")
def nielsen_exercise(w_max: float = 20.0, points: int = 161, *, seed: int = 0) -> NielsenExercise:
    """Solve Nielsen's exercise numerically on |w| in [1, w_max] (`points` grid values for the figure)."""
    w_max = finite_float("w_max", w_max)
    if w_max <= 7.0:
        raise ValueError(f"w_max must exceed 7 so the grid contains the maximum; got {w_max}")
    points = positive_int("points", points)
    slope = activation("sigmoid").derivative

    def scalar_slope(x: float) -> float:
        return float(slope(np.array([x]))[0])

    peak = minimize_scalar(lambda x: -scalar_slope(x), bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-12})
    x_peak, max_slope = float(peak.x), -float(peak.fun)
    threshold = 1.0 / max_slope

    def width(w: float) -> float:
        # w sigma'(x) >= 1 on an interval of x = wa + b around the peak; its width in a is (x_hi - x_lo) / w
        if w * max_slope <= 1.0:
            return 0.0
        lo = brentq(lambda x: w * scalar_slope(x) - 1.0, x_peak - 60.0, x_peak, xtol=1e-14)
        hi = brentq(lambda x: w * scalar_slope(x) - 1.0, x_peak, x_peak + 60.0, xtol=1e-14)
        return (hi - lo) / w

    best = minimize_scalar(lambda w: -width(w), bounds=(threshold, w_max), method="bounded", options={"xatol": 1e-10})
    grid = np.linspace(1.0, w_max, points)
    claims = (
        _claim(
            "nielsen",
            f"smallest |w| with |w {SIGMA}{PRIME}| {GE} 1 possible",
            NIELSEN_THRESHOLD_W,
            threshold,
            Criterion("absolute", 0.005),
        ),
        _claim(
            "nielsen",
            "|w| where the input range is widest",
            NIELSEN_WIDEST_AT_W,
            float(best.x),
            Criterion("absolute", 0.05),
        ),
        _claim("nielsen", "widest input range", NIELSEN_WIDEST_WIDTH, -float(best.fun), Criterion("absolute", 0.005)),
    )
    return NielsenExercise(
        seed=seed,
        w=grid,
        width=np.array([width(float(w)) for w in grid]),
        threshold_w=threshold,
        widest_at_w=float(best.x),
        widest_width=-float(best.fun),
        claims=claims,
    )


def _max_slope(name: str) -> tuple[float, float]:
    """(max f'(x), argmax) of activation `name`, found by bounded numerical maximisation on [-5, 5]."""
    slope = activation(name).derivative
    best = minimize_scalar(
        lambda x: -float(slope(np.array([x]))[0]), bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-12}
    )
    return -float(best.fun), float(best.x)


# -- Glorot & Bengio: "standard" versus normalised initialisation ----------------------------------
GLOROT_INITS = ("standard", "xavier_uniform")
_INIT_LABEL = {
    "standard": "standard",
    "xavier_uniform": "Xavier",
    "xavier_normal": "Xavier",
    "he_normal": "He",
    "orthogonal": "orthogonal",
    "lecun_normal": "Gaussian N(0, 1/n)",
}


@dataclass(frozen=True, kw_only=True)
class GlorotVariance(Result):
    """Per-layer variances in a deep tanh net near its linear regime, for each initialisation.

    Arrays are (inits, depth), hidden layers input side first, geometric means over seeds:
    backprop_var = Var[dL/dz^l], weight_grad_var = Var[dL/dW^l], both relative to the top hidden layer.
    backprop_shrink: factor by which Var[dL/dz] falls per layer going down; weight_grad_factor: same for dL/dW.
    """

    depth: int
    width: int
    batch: int
    input_std: float
    n_seeds: int
    inits: tuple[str, ...]
    n_var_w: np.ndarray  # fan_in * sample variance of the hidden weights, mean over layers and seeds
    backprop_var: np.ndarray
    weight_grad_var: np.ndarray
    backprop_shrink: np.ndarray
    weight_grad_factor: np.ndarray
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """The claims for both initialisations."""
        return _claims_table(
            self.claims,
            f"{self.depth}-layer tanh network of width {self.width}, inputs "
            f"N(0, {self.input_std:g}²) so every unit sits in tanh's linear regime; "
            f"{self.n_seeds} seeds, {self.batch} examples each.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Two panels: Var[dL/dz] and Var[dL/dW] per layer (log), one line per initialisation."""
        k = np.arange(1, self.depth + 1)
        left = tuple(Series(_INIT_LABEL[i], k, self.backprop_var[j]) for j, i in enumerate(self.inits))
        right = tuple(Series(_INIT_LABEL[i], k, self.weight_grad_var[j]) for j, i in enumerate(self.inits))
        return Figure(
            panels=(
                Panel(left, "hidden layer (1 = input side)", "Var[∂L/∂z] / top layer", "back-propagated", logy=True),
                Panel(right, "hidden layer (1 = input side)", "Var[∂L/∂W] / top layer", "weight gradients", logy=True),
            ),
            alt=f"Two log-scale plots over the {self.depth} hidden layers of a tanh network. Left: with the standard "
            f"initialisation the back-propagated variance falls by a factor of about "
            f"{self.backprop_shrink[0]:.2g} per layer towards the input; with Xavier it stays level. Right: "
            f"the weight-gradient variance stays level under both.",
            title="Glorot and Bengio's observation: the signal shrinks, the weight gradients do not",
        )


@experiment("reproductions.glorot")
def glorot(
    depth: int = 10,
    width: int = 128,
    batch: int = 256,
    *,
    input_std: float = 0.1,
    n_seeds: int = 4,
    tolerance: float = 0.15,
    seed: int = 0,
) -> GlorotVariance:
    """Variance of dL/dz and dL/dW per layer of a tanh net under "standard" and Xavier initialisation.

    Inputs N(0, input_std^2) and targets N(0, 1) under MSE; `tolerance` is the relative band of the claims.
    """
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    n_seeds = positive_int("n_seeds", n_seeds)
    input_std = finite_float("input_std", input_std, positive=True)
    tolerance = finite_float("tolerance", tolerance, positive=True)
    if depth < 2:
        raise ValueError(f"depth must be at least 2 to compare layers; got {depth}")
    n_var, backprop, weight = [], [], []
    for init in GLOROT_INITS:
        logs_d, logs_w, nv = np.zeros(depth), np.zeros(depth), 0.0
        for s in range(n_seeds):
            rng = rng_from("seed", seed + s)
            net = MLP([width] * (depth + 1) + [width], "tanh", init=init, seed=rng)
            x, y = input_std * rng.standard_normal((batch, width)), rng.standard_normal((batch, width))
            hidden = net.gradients(x, y).hidden
            logs_d += np.log([t.delta.var() for t in hidden]) / n_seeds
            logs_w += np.log([t.dW.var() for t in hidden]) / n_seeds
            nv += np.mean([width * layer.W.var() for layer in net.layers[:-1]]) / n_seeds
        n_var.append(nv)
        backprop.append(np.exp(logs_d - logs_d[-1]))
        weight.append(np.exp(logs_w - logs_w[-1]))
    backprop_arr, weight_arr = np.array(backprop), np.array(weight)
    shrink = backprop_arr[:, 0] ** (-1.0 / (depth - 1))
    w_factor = weight_arr[:, 0] ** (-1.0 / (depth - 1))
    band = Criterion("relative", tolerance)
    claims = []
    for j, (init, published) in enumerate(zip(GLOROT_INITS, (GLOROT_STANDARD_N_VAR, GLOROT_XAVIER_N_VAR), strict=True)):
        name = _INIT_LABEL[init]
        claims += [
            _claim("glorot", f"{name}: n Var[W]", published, n_var[j], Criterion("relative", 0.05)),
            _claim("glorot", f"{name}: Var[∂L/∂z], factor lost per layer going down", 1.0 / published, shrink[j], band),
            _claim("glorot", f"{name}: Var[∂L/∂W], factor lost per layer going down", 1.0, w_factor[j], band),
        ]
    return GlorotVariance(
        seed=seed,
        depth=depth,
        width=width,
        batch=batch,
        input_std=input_std,
        n_seeds=n_seeds,
        inits=GLOROT_INITS,
        n_var_w=np.array(n_var),
        backprop_var=backprop_arr,
        weight_grad_var=weight_arr,
        backprop_shrink=shrink,
        weight_grad_factor=w_factor,
        claims=tuple(claims),
    )


# -- He et al.: the factor 2 for ReLU --------------------------------------------------------------
HE_INITS = ("xavier_normal", "he_normal")


@dataclass(frozen=True, kw_only=True)
class HeReLU(Result):
    """Signal variance per layer of a deep ReLU net under Xavier and He, and a short training run of each.

    signal_var: (inits, depth) Var[z^l] relative to the first hidden layer, geometric mean over seeds;
    factor: per-layer factor of that variance; loss: (inits, records) batch loss at `steps_recorded`.
    """

    depth: int
    width: int
    batch: int
    n_seeds: int
    inits: tuple[str, ...]
    signal_var: np.ndarray
    factor: np.ndarray
    predicted_last: np.ndarray  # published factor ** (depth - 1): Var[z^depth] / Var[z^1] by the paper's formula
    steps: int
    lr: float
    momentum: float
    batch_size: int
    steps_recorded: np.ndarray = field(metadata={"ledger": False})
    loss: np.ndarray
    initial_loss: np.ndarray  # training-set loss before the first step
    final_loss: np.ndarray  # training-set loss after the last step
    loss_drop: np.ndarray  # 1 - final / initial, per init
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """The variance and training claims."""
        return _claims_table(
            self.claims,
            f"{self.depth}-layer ReLU networks of width {self.width}. Variance over "
            f"{self.n_seeds} seeds of {self.batch} random inputs; training: SGD with momentum "
            f"{self.momentum:g}, lr {self.lr:g}, {self.steps} steps of {self.batch_size} digits.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Left: Var[z^l] per layer with the paper's prediction dashed; right: training loss."""
        k = np.arange(1, self.depth + 1)
        left, right = [], []
        for j, init in enumerate(self.inits):
            name = _INIT_LABEL[init]
            left.append(Series(f"{name}, measured", k, self.signal_var[j]))
            left.append(Series(f"{name}, (n Var[w] / 2)^(l-1)", k, HE_FACTOR[init] ** (k - 1.0), "dashed"))
            right.append(Series(name, self.steps_recorded, self.loss[j]))
        return Figure(
            panels=(
                Panel(tuple(left), "hidden layer l", "Var[z^l] / Var[z^1]", "signal variance", logy=True),
                Panel(tuple(right), "training step", "training loss", "training"),
            ),
            alt=f"Left: log-scale signal variance over the {self.depth} layers of a ReLU network; under Xavier it "
            f"halves at every layer, to {self.signal_var[0, -1]:.2g} of the first layer's, under He it stays "
            f"level, each on its dashed prediction. Right: training loss; the Xavier network stays at "
            f"{self.final_loss[0]:.3g} while the He network falls to {self.final_loss[1]:.3g}.",
            title=f"He et al.'s {self.depth}-layer ReLU network: Xavier stalls, He trains",
        )


@experiment("reproductions.he")
def he(
    depth: int = HE_DEPTH,
    width: int = 64,
    batch: int = 256,
    *,
    n_seeds: int = 2,
    steps: int = 100,
    lr: float = 0.005,
    momentum: float = 0.9,
    batch_size: int = 64,
    seed: int = 0,
) -> HeReLU:
    """Var[z^l] per layer of a `depth`-layer ReLU net (Xavier vs He) and `steps` of momentum SGD on the digits."""
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    n_seeds, steps = positive_int("n_seeds", n_seeds), positive_int("steps", steps)
    batch_size, lr = positive_int("batch_size", batch_size), finite_float("lr", lr, positive=True)
    momentum = finite_float("momentum", momentum, nonnegative=True)
    if depth < 2:
        raise ValueError(f"depth must be at least 2 to compare layers; got {depth}")
    x_train, y_train = digits("train", seed=seed)
    signal, losses, record = [], [], max(steps // 20, 1)
    for init in HE_INITS:
        logs = np.zeros(depth)
        for s in range(n_seeds):
            rng = rng_from("seed", seed + s)
            net = MLP([width] * (depth + 1) + [1], "relu", init=init, seed=rng)
            hidden = net.gradients(rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))).hidden
            logs += np.log([t.z.var() for t in hidden]) / n_seeds
        signal.append(np.exp(logs - logs[0]))
        net = MLP([x_train.shape[1], *[width] * depth, 10], "relu", init=init, loss="softmax_ce", seed=seed)
        start = net.loss(x_train, y_train)
        history = train(
            net,
            x_train,
            y_train,
            optimizer=make_optimizer("momentum", lr, momentum=momentum),
            steps=steps,
            batch_size=batch_size,
            record_every=record,
            seed=seed,
        )
        losses.append((history.steps, history.loss, start, history.final_loss))
    signal_arr = np.array(signal)
    factor = signal_arr[:, -1] ** (1.0 / (depth - 1))
    initial = np.array([h[2] for h in losses])
    final = np.array([h[3] for h in losses])
    drop = 1.0 - final / initial
    claims = [
        _claim("he", f"{_INIT_LABEL[i]}: Var[z] per layer (ReLU)", HE_FACTOR[i], factor[j], Criterion("relative", 0.1))
        for j, i in enumerate(HE_INITS)
    ]
    claims += [
        _claim("he", f"{depth} layers, Xavier: training loss drop", "stalls", drop[0], Criterion("at_most", 0.01)),
        _claim("he", f"{depth} layers, He: training loss drop", "converges", drop[1], Criterion("at_least", 0.2)),
    ]
    return HeReLU(
        seed=seed,
        depth=depth,
        width=width,
        batch=batch,
        n_seeds=n_seeds,
        inits=HE_INITS,
        signal_var=signal_arr,
        factor=factor,
        predicted_last=np.array([HE_FACTOR[i] ** (depth - 1) for i in HE_INITS]),
        steps=steps,
        lr=lr,
        momentum=momentum,
        batch_size=batch_size,
        steps_recorded=losses[0][0],
        loss=np.array([h[1] for h in losses]),
        initial_loss=initial,
        final_loss=final,
        loss_drop=drop,
        claims=tuple(claims),
    )


# -- Pascanu et al.: the singular-value condition and norm clipping ---------------------------------
@dataclass(frozen=True, kw_only=True)
class PascanuChecks(Result):
    """The vanishing condition sigma_max(W_hh) < 1/gamma checked on vanilla RNNs, and norm clipping checked.

    ratio: (nonlinearities, lags) ||dL/dh_(T-1-lag)|| / ||dL/dh_(T-1)|| with sigma_max = margin / gamma;
    bound: margin ** lag, the condition's guarantee.
    """

    nonlinearities: tuple[str, ...]
    gammas: np.ndarray  # max |f'| found numerically
    margin: float
    hidden: int
    length: int
    batch: int
    lags: np.ndarray = field(metadata={"ledger": False})
    ratio: np.ndarray
    worst_ratio_over_bound: np.ndarray  # per nonlinearity, largest ratio / bound over lags >= 1
    clip_threshold: float  # clip_fraction times norm_before
    norm_before: float  # global gradient norm of an exploding ReLU RNN
    norm_after: float
    cosine: float  # between the clipped and the original gradient
    untouched_change: float  # largest entry change when the threshold is above the norm
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """The condition and clipping claims."""
        return _claims_table(
            self.claims,
            f"Vanilla RNNs of {self.hidden} units on {self.length}-step sequences, "
            f"{SIGMA}_max(W_hh) = {self.margin:g}/{GAMMA}; clipping on one gradient of an "
            "exploding ReLU RNN.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Gradient against time lag for each nonlinearity, below the bound margin ** lag."""
        series = [Series(f"{n}, measured", self.lags, self.ratio[i]) for i, n in enumerate(self.nonlinearities)]
        series.append(Series(f"bound {self.margin:g}^lag", self.lags, self.margin ** self.lags.astype(float), "dashed"))
        return Figure(
            panels=(Panel(tuple(series), "time lag", "‖∂L/∂h_k‖ / ‖∂L/∂h_T‖", logy=True),),
            alt=f"Log-scale plot of the gradient against time lag for {' and '.join(self.nonlinearities)} RNNs whose "
            f"recurrent matrix has largest singular value {self.margin:g} over gamma; every curve stays below the "
            f"dashed bound {self.margin:g} to the power of the lag.",
            title="Pascanu et al.'s sufficient condition for vanishing",
        )


@experiment("reproductions.pascanu")
def pascanu(
    nonlinearities: Sequence[str] = ("tanh", "sigmoid"),
    *,
    margin: float = 0.9,
    hidden: int = 16,
    length: int = 40,
    batch: int = 16,
    clip_fraction: float = 0.5,
    exploding_norm: float = 1.5,
    seed: int = 0,
) -> PascanuChecks:
    """Gradient through time of RNNs with sigma_max(W_hh) = margin / gamma; clip_by_global_norm on a real gradient.

    The clipped gradient is that of a ReLU RNN whose W_hh has largest singular value `exploding_norm`,
    clipped at `clip_fraction` of its norm and, as a control, at that norm divided by `clip_fraction`.
    """
    names = tuple(choice("nonlinearities[]", n, PASCANU_GAMMA) for n in nonlinearities)
    margin = finite_float("margin", margin, positive=True)
    if margin >= 1:
        raise ValueError(f"margin must be below 1 (the condition is sigma_max * gamma < 1); got {margin}")
    hidden, length, batch = positive_int("hidden", hidden), positive_int("length", length), positive_int("batch", batch)
    clip_fraction = finite_float("clip_fraction", clip_fraction, positive=True)
    if clip_fraction >= 1:
        raise ValueError(f"clip_fraction must be below 1 so the threshold binds; got {clip_fraction}")
    exploding_norm = finite_float("exploding_norm", exploding_norm, positive=True)
    rng = rng_from("seed", seed)
    x, y = rng.standard_normal((batch, length, 1)), rng.standard_normal((batch, 1))
    lags = np.arange(length)
    gammas = np.array([_max_slope(n)[0] for n in names])
    ratio = np.empty((len(names), length))
    for i, name in enumerate(names):
        net = RecurrentNet(
            "rnn",
            1,
            hidden,
            1,
            nonlinearity=name,
            recurrent_init="orthogonal",
            spectral_norm=margin / float(gammas[i]),
            seed=seed,
        )
        lag_norms = net.gradients(x, y).lag_norms
        ratio[i] = lag_norms / lag_norms[0]
    worst = np.max(ratio[:, 1:] / margin ** lags[1:].astype(float), axis=1)
    exploding = RecurrentNet(
        "rnn", 1, hidden, 1, nonlinearity="relu", recurrent_init="orthogonal", spectral_norm=exploding_norm, seed=seed
    )
    grads = exploding.gradients(x, y).gradients()
    before = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    clip_threshold = clip_fraction * before
    clipped, _ = clip_by_global_norm(grads, clip_threshold)
    flat, flat_clipped = np.concatenate([g.ravel() for g in grads]), np.concatenate([g.ravel() for g in clipped])
    after = float(np.linalg.norm(flat_clipped))
    cosine = float(flat @ flat_clipped / (np.linalg.norm(flat) * after))
    kept, _ = clip_by_global_norm(grads, before / clip_fraction)
    untouched = float(max(np.max(np.abs(k - g)) for k, g in zip(kept, grads, strict=True)))
    claims = [
        _claim("pascanu", f"{GAMMA} = max |f{PRIME}| for {n}", PASCANU_GAMMA[n], gammas[i], Criterion("absolute", 1e-9))
        for i, n in enumerate(names)
    ]
    claims += [
        _claim(
            "pascanu",
            f"{n}: gradient at lag t / {margin:g}^t, largest over t",
            f"{LE} 1",
            worst[i],
            Criterion("at_most", 1.0),
        )
        for i, n in enumerate(names)
    ]
    claims += [
        _claim(
            "pascanu",
            f"norm after clipping at {clip_fraction:g} of the norm (rule: the threshold)",
            clip_threshold,
            after,
            Criterion("relative", 1e-12),
        ),
        _claim("pascanu", "cosine between clipped and original gradient", 1.0, cosine, Criterion("absolute", 1e-12)),
        _claim(
            "pascanu", "largest change to a gradient below the threshold", 0.0, untouched, Criterion("absolute", 0.0)
        ),
    ]
    return PascanuChecks(
        seed=seed,
        nonlinearities=names,
        gammas=gammas,
        margin=margin,
        hidden=hidden,
        length=length,
        batch=batch,
        lags=lags,
        ratio=ratio,
        worst_ratio_over_bound=worst,
        clip_threshold=clip_threshold,
        norm_before=before,
        norm_after=after,
        cosine=cosine,
        untouched_change=untouched,
        claims=tuple(claims),
    )


# -- Saxe et al.: orthogonal initialisation of a deep linear map -----------------------------------
SAXE_INITS = ("orthogonal", "lecun_normal")


@dataclass(frozen=True, kw_only=True)
class SaxeIsometry(Result):
    """Singular values of the product of `depth` square weight matrices, orthogonal versus Gaussian N(0, 1/n).

    spread: (inits, depths) log10(largest / smallest singular value); farthest: (inits, depths) the
    singular value farthest from 1; mean_square: (inits, depths) mean of the squared singular values.
    """

    width: int
    depths: np.ndarray
    inits: tuple[str, ...]
    spread: np.ndarray
    farthest: np.ndarray
    mean_square: np.ndarray
    singular_values: np.ndarray  # (inits, width) at the deepest depth, largest first
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """Default: the claims. "depths": spread and mean square per depth for both inits."""
        if choice("which", which or "claims", ("claims", "depths")) == "claims":
            return _claims_table(
                self.claims,
                f"Products of square {self.width}{TIMES}{self.width} weight matrices "
                "(a deep linear network's input-output map).",
            )
        rows = tuple(
            (int(d), *(float(v) for j in range(len(self.inits)) for v in (self.spread[j, i], self.mean_square[j, i])))
            for i, d in enumerate(self.depths)
        )
        heads = ["depth"]
        for init in self.inits:
            heads += [f"{_INIT_LABEL[init]}: log10(s_max/s_min)", f"{_INIT_LABEL[init]}: mean s²"]
        return Table(
            tuple(heads),
            rows,
            caption="Spread of the singular values with depth; the mean square is the "
            "average gain on a random direction.",
            formats=(None,) + (".3g",) * (len(heads) - 1),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Sorted singular values at the deepest depth, both initialisations, log scale."""
        rank = np.arange(1, self.width + 1)
        series = tuple(Series(_INIT_LABEL[init], rank, self.singular_values[j]) for j, init in enumerate(self.inits))
        deepest = int(self.depths[-1])
        return Figure(
            panels=(Panel(series, "rank", "singular value", f"product of {deepest} matrices", logy=True),),
            alt=f"Log-scale plot of the {self.width} singular values of a product of {deepest} weight matrices. "
            f"Orthogonal: all equal to 1, a flat line. Gaussian: spread over {self.spread[1, -1]:.3g} orders "
            "of magnitude.",
            title="Saxe et al.: orthogonal products stay isometric",
        )


@experiment("reproductions.saxe")
def saxe(depths: Sequence[int] = (1, 2, 4, 8), width: int = 64, *, seed: int = 0) -> SaxeIsometry:
    """Singular values of W_d ... W_1 for each depth d, with orthogonal and with N(0, 1/n) matrices."""
    ds = np.array(sorted({positive_int("depths[]", d) for d in depths}))
    if ds.size < 2:
        raise ValueError(f"depths must list at least two different depths; got {list(depths)}")
    width = positive_int("width", width)
    spread, farthest, mean_sq = (np.empty((len(SAXE_INITS), ds.size)) for _ in range(3))
    values = np.empty((len(SAXE_INITS), width))
    for j, init in enumerate(SAXE_INITS):
        rng = rng_from("seed", seed)
        product, done = np.eye(width), 0
        for i, d in enumerate(ds):
            for _ in range(d - done):
                product = product @ initialize(init, width, width, rng)
            done = d
            s = np.linalg.svd(product, compute_uv=False)
            spread[j, i] = math.log10(s[0] / s[-1])
            farthest[j, i] = s[np.argmax(np.abs(s - 1.0))]
            mean_sq[j, i] = np.mean(s * s)
        values[j] = s
    # an orthogonal product's spread is 0 up to rounding (~1e-16, different on every CPU): publish the 0
    spread[np.abs(spread) < ROUNDING] = 0.0
    rises = float(np.mean(np.diff(spread[1]) > 0))
    claims = (
        _claim(
            "saxe",
            "orthogonal: singular value farthest from 1, any depth",
            SAXE_SINGULAR_VALUE,
            farthest[0, np.argmax(np.abs(farthest[0] - 1.0))],
            Criterion("absolute", 1e-10),
        ),
        _claim(
            "saxe",
            "Gaussian: share of depth steps at which the spread grows",
            "spreads with depth",
            rises,
            Criterion("all", 1.0),
        ),
    )
    return SaxeIsometry(
        seed=seed,
        width=width,
        depths=ds,
        inits=SAXE_INITS,
        spread=spread,
        farthest=farthest,
        mean_square=mean_sq,
        singular_values=values,
        claims=claims,
    )


# -- Schoenholz et al.: the mean-field critical point ----------------------------------------------
@dataclass(frozen=True, kw_only=True)
class MeanFieldProfile(Result):
    """Measured per-layer gradient profiles of deep tanh nets against the mean-field factor chi_1.

    profile: (sigma_w2, depth) ||dL/dz^l||^2 / ||dL/dz^top||^2, geometric mean over seeds, input side first;
    predicted: chi_1 ** (depth - l); measured_chi: per-layer factor fitted to the profile (least squares in log).
    """

    sigma_b2: float
    sigma_w2: np.ndarray
    depth: int
    width: int
    batch: int
    n_seeds: int
    critical: float  # sigma_w2 where chi_1 = 1, from vgdocs.engine.theory
    chi: np.ndarray
    measured_chi: np.ndarray
    depth_scale: np.ndarray  # -1 / ln chi_1 in layers (negative: exploding), from the theory
    measured_depth_scale: np.ndarray  # the same from the measured factor
    profile: np.ndarray
    predicted: np.ndarray
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """Default: the critical point and one chi_1 claim per weight variance. "depth": the depth scales."""
        if choice("which", which or "claims", ("claims", "depth")) == "depth":
            rows = tuple(
                (float(s2), float(c), float(m), float(x), float(mx))
                for s2, c, m, x, mx in zip(
                    self.sigma_w2, self.chi, self.measured_chi, self.depth_scale, self.measured_depth_scale, strict=True
                )
            )
            return Table(
                (
                    f"{SIGMA}_w²",
                    f"{CHI}₁ (theory)",
                    "measured factor",
                    f"depth scale {MINUS}1/ln {CHI}₁",
                    "measured depth scale",
                ),
                rows,
                caption=f"Depth scale in layers: the gradient's squared norm changes by a factor e every "
                f"that many layers (negative: it grows). Our networks have {self.depth} layers.",
            )
        return _claims_table(
            self.claims,
            f"tanh networks, {self.depth} layers of width {self.width}, "
            f"{SIGMA}_b² = {self.sigma_b2:g}; {CHI}₁ multiplies ‖∂L/∂z‖² at every layer. "
            f"Measured: a straight-line fit to log ‖∂L/∂z^l‖² over {self.n_seeds} seeds.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Measured profiles (solid) with the mean-field prediction chi_1^(depth - l) (dashed), log scale."""
        k = np.arange(1, self.depth + 1)
        series = []
        for i, s2 in enumerate(self.sigma_w2):
            series.append(Series(f"{SIGMA}_w² = {s2:g}, measured", k, self.profile[i]))
            series.append(Series(f"{SIGMA}_w² = {s2:g}, {CHI}₁^(L{MINUS}l)", k, self.predicted[i], "dashed"))
        return Figure(
            panels=(Panel(tuple(series), "hidden layer l (1 = input side)", "‖∂L/∂z^l‖² / top layer", logy=True),),
            alt=f"Log-scale plot of the squared gradient norm per layer of {self.depth}-layer tanh networks at weight "
            f"variances {', '.join(f'{v:g}' for v in self.sigma_w2)}. Below the critical value the profile "
            "falls towards the input, above it rises, near it stays level; each follows its dashed "
            "mean-field line.",
            title="Schoenholz et al.: the per-layer factor chi_1 predicts the profile",
        )


@experiment("reproductions.schoenholz")
def schoenholz(
    sigma_w2: Sequence[float] = (1.2, SCHOENHOLZ_CRITICAL_SW2, 3.0),
    *,
    sigma_b2: float = SCHOENHOLZ_SIGMA_B2,
    depth: int = 40,
    width: int = 128,
    batch: int = 64,
    n_seeds: int = 2,
    tolerance: float = 0.05,
    seed: int = 0,
) -> MeanFieldProfile:
    """Per-layer gradient profile of tanh nets with weights N(0, sigma_w2/n), biases N(0, sigma_b2), against chi_1."""
    grid = np.array([finite_float("sigma_w2[]", v, positive=True) for v in sigma_w2])
    sigma_b2 = finite_float("sigma_b2", sigma_b2, nonnegative=True)
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    n_seeds, tolerance = positive_int("n_seeds", n_seeds), finite_float("tolerance", tolerance, positive=True)
    if depth < 3:
        raise ValueError(f"depth must be at least 3 to fit a profile; got {depth}")
    profile = np.empty((grid.size, depth))
    for i, s2 in enumerate(grid):
        logs = np.zeros(depth)
        for s in range(n_seeds):
            rng = rng_from("seed", seed + s)
            net = MLP(
                [width] * (depth + 1) + [1],
                "tanh",
                init="lecun_normal",
                init_gain=math.sqrt(s2),
                bias_std=math.sqrt(sigma_b2),
                seed=rng,
            )
            d = net.gradients(rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))).delta_norms
            logs += 2.0 * np.log(d) / n_seeds
        profile[i] = np.exp(logs - logs[-1])
    layers = np.arange(depth)
    measured = np.exp(-np.polyfit(layers, np.log(profile).T, 1)[0])
    chi = np.array([theory.chi_1("tanh", float(s2), sigma_b2) for s2 in grid])
    critical = theory.critical_sigma_w2("tanh", sigma_b2)
    with np.errstate(divide="ignore"):  # a factor of exactly 1 has an infinite depth scale
        scales = -1.0 / np.log(chi), -1.0 / np.log(measured)
    claims = [
        _claim(
            "schoenholz",
            f"critical {SIGMA}_w² for tanh, {SIGMA}_b² = {sigma_b2:g}",
            SCHOENHOLZ_CRITICAL_SW2,
            critical,
            Criterion("absolute", 0.005),
        )
    ]
    claims += [
        _claim(
            "schoenholz",
            f"{SIGMA}_w² = {s2:g}: per-layer factor (published: {CHI}₁ from their formula)",
            float(chi[i]),
            measured[i],
            Criterion("relative", tolerance),
        )
        for i, s2 in enumerate(grid)
    ]
    return MeanFieldProfile(
        seed=seed,
        sigma_b2=sigma_b2,
        sigma_w2=grid,
        depth=depth,
        width=width,
        batch=batch,
        n_seeds=n_seeds,
        critical=critical,
        chi=chi,
        measured_chi=measured,
        depth_scale=scales[0],
        measured_depth_scale=scales[1],
        profile=profile,
        predicted=chi[:, None] ** (depth - 1.0 - layers)[None, :],
        claims=tuple(claims),
    )


# -- Veit et al.: residual networks are ensembles of short paths ------------------------------------
@dataclass(frozen=True, kw_only=True)
class ResidualPaths(Result):
    """How much gradient the paths of each length carry in a residual MLP with BatchNorm, at initialisation.

    A path of length k passes through the residual branch of k blocks and the skip of the others.
    per_path: mean gradient norm at the input of one sampled path of length k (k = 0..modules), relative
    to k = 0; total: path count C(modules, k) times per_path, normalised to sum 1.
    """

    modules: int
    width: int
    batch: int
    samples: int
    mass: float
    path_counts: np.ndarray
    per_path: np.ndarray
    total: np.ndarray
    decay: float  # per-module factor of a straight-line fit to log per_path over k = 1..modules
    fit_r2: float
    effective: tuple[int, int]  # central `mass` of total: shortest and longest effective path, in modules
    effective_layers: tuple[int, int]  # the same in layers: two per module, as Veit et al. count them
    peak: int
    mean_path_length: float
    # relative |sum of the path-length groups - the network's input gradient|: rounding, so it is
    # published only as decomposition_bound (its last digits differ between CPUs)
    decomposition_error: float = field(metadata={"ledger": False})
    decomposition_bound: float  # ROUNDING when the error is rounding, else the error
    claims: tuple[Claim, ...]

    def table(self, which: str | None = None) -> Table:
        """The claims."""
        return _claims_table(
            self.claims,
            f"Residual MLP with {self.modules} blocks (ReLU after BatchNorm on each "
            f"branch), width {self.width}, batch {self.batch}; {self.samples} sampled paths per "
            f"length; effective range: the central {self.mass:.0%} of the gradient.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Three panels: how many paths, how much gradient each carries, and the product."""
        k = np.arange(self.modules + 1)
        lo, hi = VEIT_EFFECTIVE_MODULES
        veit = np.where((k >= lo) & (k <= hi), self.total.max(), 0.0)
        fit = self.per_path[1] / self.decay * self.decay ** k.astype(float)
        return Figure(
            panels=(
                Panel(
                    (Series("paths", k, self.path_counts / self.path_counts.sum(), "bar"),),
                    "path length k (modules)",
                    "share of paths",
                    "how many paths",
                ),
                Panel(
                    (
                        Series("measured", k, self.per_path, "markers"),
                        Series(f"fit {self.decay:.2g}^k", k, fit, "dashed"),
                    ),
                    "path length k (modules)",
                    "gradient per path",
                    "gradient per path",
                    logy=True,
                ),
                Panel(
                    (Series("ours", k, self.total, "bar"), Series("Veit et al. range", k, veit, "step")),
                    "path length k (modules)",
                    "share of gradient",
                    "gradient by length",
                ),
            ),
            alt=f"Three panels over path lengths 0 to {self.modules}. Left: the number of paths is binomial, centred "
            f"on {self.mean_path_length:g}. Middle: the gradient along one path falls by a factor of about "
            f"{self.decay:.2g} per module on a log scale. Right: their product, the gradient by path length, "
            f"sits between {self.effective[0]} and {self.effective[1]} modules, against Veit et al.'s "
            f"{lo} to {hi}.",
            title="Veit et al.: the gradient flows through short paths",
            width=9.0,
        )


@experiment("reproductions.veit")
def veit(
    modules: int = VEIT_MODULES,
    width: int = 32,
    batch: int = 16,
    *,
    samples: int = 8,
    mass: float = 0.9,
    tolerance: int = 2,
    seed: int = 0,
) -> ResidualPaths:
    """Sample paths of every length through a residual MLP, backpropagate along each, weigh by the path count.

    Each block is h + relu(BN(h W)) (He init, BatchNorm's shift in place of a bias); the loss is MSE
    on random targets. `tolerance`: how
    many modules each end of our effective range may differ from Veit et al.'s and still agree.
    """
    modules, width = positive_int("modules", modules), positive_int("width", width)
    batch, samples = positive_int("batch", batch), positive_int("samples", samples)
    mass = finite_float("mass", mass)
    if not 0 < mass < 1:
        raise ValueError(f"mass must be in (0, 1); got {mass}")
    if batch < 2:
        raise ValueError(f"batch must be at least 2 (BatchNorm needs a batch); got {batch}")
    tolerance = positive_int("tolerance", tolerance)
    rng = rng_from("seed", seed)
    net = MLP(
        [width] * (modules + 1) + [1],
        "relu",
        init="he_normal",
        norm="batch",
        norm_position="before",
        residual=True,
        seed=rng,
    )
    tape = net.gradients(rng.standard_normal((batch, width)), rng.standard_normal((batch, 1)))
    top = tape.layers[-1].delta @ net.layers[-1].W.T
    branches = [
        _Branch(layer.W, tap.z, tap.u, net.eps) for layer, tap in zip(net.layers[:-1], tape.hidden, strict=True)
    ]
    # exact split of the input gradient by path length: group k collects every path through k branches
    groups = np.zeros((modules + 1, batch, width))
    groups[0] = top
    for branch in reversed(branches):
        groups[1:] += branch.back(groups[:-1])
    error = float(np.linalg.norm(groups.sum(axis=0) - tape.input_grad) / np.linalg.norm(tape.input_grad))
    # Veit et al.'s measurement: per length k, backpropagate along sampled single paths
    chosen = np.zeros((modules, samples, modules), dtype=bool)
    for k in range(1, modules + 1):
        for s in range(samples):
            chosen[k - 1, s, rng.choice(modules, size=k, replace=False)] = True
    chosen = chosen.reshape(modules * samples, modules)
    g = np.broadcast_to(top, (modules * samples, batch, width)).copy()
    for i in range(modules - 1, -1, -1):
        on = chosen[:, i]
        g[on] = branches[i].back(g[on])
    norms = np.linalg.norm(g, axis=(1, 2)).reshape(modules, samples).mean(axis=1)
    per_path = np.concatenate([[1.0], norms / np.linalg.norm(top)])
    k = np.arange(modules + 1)
    counts = comb(modules, k, exact=False)
    total = counts * per_path / np.sum(counts * per_path)
    slope, intercept = np.polyfit(k[1:], np.log(per_path[1:]), 1)
    residual = np.log(per_path[1:]) - (intercept + slope * k[1:])
    r2 = 1.0 - np.sum(residual**2) / np.sum((np.log(per_path[1:]) - np.log(per_path[1:]).mean()) ** 2)
    cumulative = np.cumsum(total)
    tail = (1.0 - mass) / 2.0
    effective = (int(np.searchsorted(cumulative, tail)), int(np.searchsorted(cumulative, 1.0 - tail)))
    mean_length = float(np.sum(k * counts) / np.sum(counts))
    lo, hi = VEIT_EFFECTIVE_MODULES
    close = Criterion("absolute", float(tolerance))
    claims = (
        _claim(
            "veit",
            f"mean path length, {modules} modules (binomial)",
            VEIT_MODULES / 2,
            mean_length,
            Criterion("absolute", 1e-9),
        ),
        _claim(
            "veit",
            "gradient per path falls geometrically: R² of the log-linear fit",
            "exponential decay",
            r2,
            Criterion("at_least", 0.9),
        ),
        _claim("veit", "shortest effective path (modules)", lo, effective[0], close),
        _claim("veit", "longest effective path (modules)", hi, effective[1], close),
    )
    return ResidualPaths(
        seed=seed,
        modules=modules,
        width=width,
        batch=batch,
        samples=samples,
        mass=mass,
        path_counts=counts,
        per_path=per_path,
        total=total,
        decay=float(np.exp(slope)),
        fit_r2=float(r2),
        effective=effective,
        effective_layers=tuple(VEIT_LAYERS_PER_MODULE * e for e in effective),
        peak=int(np.argmax(total)),
        mean_path_length=mean_length,
        decomposition_error=error,
        decomposition_bound=within_rounding(error),
        claims=claims,
    )


@dataclass(frozen=True)
class _Branch:
    """The backward map of one residual branch relu(BN(h W)) at a recorded forward pass (gamma 1, beta 0)."""

    W: np.ndarray
    z: np.ndarray  # the branch's pre-normalisation value h W, (batch, width)
    u: np.ndarray  # its normalised value (the ReLU's input)
    eps: float

    def back(self, g: np.ndarray) -> np.ndarray:
        """dL/dh through the branch alone, for gradients g of shape (..., batch, width) at the block output."""
        inv_std = 1.0 / np.sqrt(self.z.var(axis=0) + self.eps)
        du = g * (self.u > 0)
        dz = inv_std * (du - du.mean(axis=-2, keepdims=True) - self.u * (du * self.u).mean(axis=-2, keepdims=True))
        return dz @ self.W.T


# -- every reproduction at a glance ----------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Scoreboard(Result):
    """How many of each paper's claims our reruns meet, over every experiment on the page (default arguments)."""

    papers: tuple[str, ...]
    claims: np.ndarray  # per paper
    agreeing: np.ndarray  # per paper
    total_claims: int
    total_agreeing: int
    disagreements: tuple[str, ...] = field(metadata={"ledger": False})  # "paper: claim" of every failed criterion

    def table(self, which: str | None = None) -> Table:
        """One row per paper: claims checked and claims met."""
        rows = tuple(
            (SOURCES[p], int(n), int(a), bool(a == n))
            for p, n, a in zip(self.papers, self.claims, self.agreeing, strict=True)
        )
        return Table(
            ("source", "claims checked", "claims met", "all met?"),
            rows,
            caption="Every reproduction on this page, counted from the tables below.",
        )


@experiment("reproductions.scoreboard")
def scoreboard(*, seed: int = 0) -> Scoreboard:
    """Run every reproduction with its default arguments and count the claims that meet their criteria."""
    results = (
        nielsen(seed=seed),
        nielsen_exercise(seed=seed),
        glorot(seed=seed),
        he(seed=seed),
        pascanu(seed=seed),
        saxe(seed=seed),
        schoenholz(seed=seed),
        veit(seed=seed),
    )
    claims = [c for r in results for c in r.claims]
    papers = tuple(dict.fromkeys(c.paper for c in claims))
    return Scoreboard(
        seed=seed,
        papers=papers,
        claims=np.array([sum(c.paper == p for c in claims) for p in papers]),
        agreeing=np.array([sum(c.paper == p and c.agrees for c in claims) for p in papers]),
        total_claims=len(claims),
        total_agreeing=sum(c.agrees for c in claims),
        disagreements=tuple(f"{SOURCES[c.paper]}: {c.claim}" for c in claims if not c.agrees),
    )
