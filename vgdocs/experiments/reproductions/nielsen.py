"""Nielsen (2015), ch. 5: the bias gradient per layer, and his exercise on when a sigmoid layer can amplify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.activations import activation
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import experiment
from vgdocs.experiments.reproductions._common import (
    DELTA,
    GE,
    PRIME,
    SIGMA,
    Criterion,
    PaperResult,
    compare,
)
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

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


# -- Nielsen: the bias gradient per layer ----------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class NielsenLayers(PaperResult):
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

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            "Ratio of the bias-gradient norms of successive hidden layers "
            f"(layer 1 next to the input); ours: geometric mean over {self.n_seeds} networks."
        )

    def table(self, which: str | None = None) -> Table:
        """Default: the ratio claims. "norms": each layer's norm, his and ours."""
        if choice("which", which or "claims", ("claims", "norms")) == "claims":
            return super().table()
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
        panel = Panel(tuple(series), "hidden layer (1 = next to the input)", "‖∂C/∂b‖", logy=True)
        return Figure(
            panels=(panel,),
            title="Nielsen's sigmoid networks, rerun on the digits",
            alt=f"Log-scale plot of the bias-gradient norm in each hidden layer of sigmoid networks with "
            f"{', '.join(str(h) for h in self.hidden_layers)} hidden layers. Our lines and Nielsen's markers "
            f"fall together, by a factor of about {1 / self.mean_ratio:.2g} per layer towards the input.",
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
            logs[s] = np.log(probe(net, x, y, bias_grads=True).bias_grad_norms[:-1] * y.shape[1])
        log_ratio = logs[:, :-1] - logs[:, 1:]
        norms.append(np.exp(logs.mean(axis=0)))
        ratios.append(np.exp(log_ratio.mean(axis=0)))
        spreads.append(np.exp(log_ratio.std(axis=0)))
        his = NIELSEN_NORMS[h]
        for layer in range(h - 1):
            pair = f"‖{DELTA}{_sup(layer + 1)}‖ / ‖{DELTA}{_sup(layer + 2)}‖"
            claims.append(
                compare(
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
        rows=tuple(claims),
    )


def _sup(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


# -- Nielsen's exercise: when can a sigmoid layer amplify? -----------------------------------------
@dataclass(frozen=True, kw_only=True)
class NielsenExercise(PaperResult):
    """Where |w sigma'(wa + b)| >= 1 is possible, and how wide the set of inputs a is, found numerically."""

    w: np.ndarray = field(metadata={"ledger": False})  # the grid is an input
    width: np.ndarray  # width of {a : |w sigma'(wa + b)| >= 1} at each |w| of the grid (0 below the threshold)
    threshold_w: float  # smallest |w| for which the set is non-empty: 1 / max sigma'
    widest_at_w: float
    widest_width: float

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            "Nielsen's exercise, solved numerically (root finding and maximisation "
            "on vgdocs' sigmoid; no closed form used)."
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
    from scipy.optimize import brentq, minimize_scalar  # on first use: scipy costs 0.2 s to import

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
        compare(
            "nielsen",
            f"smallest |w| with |w {SIGMA}{PRIME}| {GE} 1 possible",
            NIELSEN_THRESHOLD_W,
            threshold,
            Criterion("absolute", 0.005),
        ),
        compare(
            "nielsen",
            "|w| where the input range is widest",
            NIELSEN_WIDEST_AT_W,
            float(best.x),
            Criterion("absolute", 0.05),
        ),
        compare("nielsen", "widest input range", NIELSEN_WIDEST_WIDTH, -float(best.fun), Criterion("absolute", 0.005)),
    )
    return NielsenExercise(
        seed=seed,
        w=grid,
        width=np.array([width(float(w)) for w in grid]),
        threshold_w=threshold,
        widest_at_w=float(best.x),
        widest_width=-float(best.fun),
        rows=claims,
    )
