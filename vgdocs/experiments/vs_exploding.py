"""Vanishing versus exploding: one product of per-layer factors, below 1 or above 1.

Experiments for docs/vanishing-vs-exploding.md: powers of a factor, a weight-scale sweep of a deep
tanh network against mean-field theory, fixes measured on a vanishing and an exploding network,
and an exploding training run with and without gradient clipping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.optim import clip_by_global_norm
from vgdocs.engine.train import train
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["ClippingRun", "Fixes", "Powers", "ScaleSweep", "clipping_run", "fixes", "powers", "scale_sweep"]

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


# -- fixes side by side ----------------------------------------------------------------------------
VANISHING = {"activation": "sigmoid", "init": "xavier_normal", "init_gain": 1.0}
EXPLODING = {"activation": "relu", "init": "he_normal", "init_gain": 1.5}
FIXES = ("none", "relu_he", "batchnorm", "clip")
_FIX_LABEL = {
    "none": "no fix",
    "relu_he": "ReLU + He init (gain 1)",
    "batchnorm": "BatchNorm before the activation",
    "clip": "clip the global norm to 1",
}


@dataclass(frozen=True, kw_only=True)
class Fixes(Result):
    """||dL/dz|| at the first hidden layer over the top one, for each fix on a vanishing and an exploding net."""

    depth: int
    width: int
    fixes: tuple[str, ...]
    labels: tuple[str, ...]
    vanishing: np.ndarray  # first/top ratio of the sigmoid + Xavier net with each fix
    exploding: np.ndarray  # first/top ratio of the ReLU + 1.5 x He net with each fix
    vanishing_base: float
    exploding_base: float
    exploding_gain: float

    def claims(self) -> list[Claim]:
        """What each fix does to the first/top ratio of the two networks, at initialisation."""
        k = {f: i for i, f in enumerate(self.fixes)}
        relu, bn, clip = (next(i for f, i in k.items() if f.startswith(p)) for p in ("relu", "batch", "clip"))
        v, e = self.vanishing, self.exploding
        return [
            Claim(
                "relu-he-replaces-both",
                "ReLU with He weights turns both networks into the same one: ratio {v} and {e}.",
                holds=v[relu] == e[relu] and 0.1 < v[relu] < 10,
                evidence={"v": v[relu], "e": e[relu]},
                intervention="activation and initialisation replaced",
                scope="at initialisation",
            ),
            Claim(
                "batchnorm-rescues-sigmoid-not-all-growth",
                "BatchNorm lifts the sigmoid network's ratio from {v0} to {v}; on the exploding ReLU network it "
                "cuts {e0} to {e}, still more than ten.",
                holds=v[bn] >= 1e-2 and e[bn] < self.exploding_base / 10 and e[bn] > 10,
                evidence={"v0": self.vanishing_base, "v": v[bn], "e0": self.exploding_base, "e": e[bn]},
                intervention="BatchNorm added before each activation",
                scope="at initialisation",
            ),
            Claim(
                "clipping-leaves-the-ratio",
                "Clipping leaves both ratios where they were ({v} and {e}), to within rounding: it scales every "
                "layer's gradient by the same factor, and a ratio of two gradients does not see a common factor.",
                holds=abs(v[clip] / self.vanishing_base - 1) < 1e-12 and abs(e[clip] / self.exploding_base - 1) < 1e-12,
                evidence={"v": v[clip], "e": e[clip]},
                intervention="global-norm clipping added",
                scope="at initialisation",
            ),
        ]

    def table(self, which: str | None = None) -> Table:
        """One row per fix: first/top gradient ratio on the vanishing and on the exploding network."""
        rows = tuple(
            (lab, float(v), float(e)) for lab, v, e in zip(self.labels, self.vanishing, self.exploding, strict=True)
        )
        return Table(
            (
                "fix",
                f"vanishing: sigmoid + Xavier, {self.depth} layers",
                f"exploding: ReLU + {self.exploding_gain:g} {TIMES} He, {self.depth} layers",
            ),
            rows,
            caption="Gradient norm at the first hidden layer divided by the norm at the top hidden layer, "
            "at initialisation (1 is perfect flow).",
            formats=(None, ".3g", ".3g"),
        )


def _first_over_top(setup: dict, fix: str, *, depth: int, width: int, batch: int, seed: int) -> float:
    """||delta_1|| / ||delta_top|| of one freshly initialised network with `fix` applied."""
    rng = rng_from("seed", seed)
    act, init, gain = setup["activation"], setup["init"], setup["init_gain"]
    norm = None
    if fix == "relu_he":
        act, init, gain = "relu", "he_normal", 1.0
    elif fix == "batchnorm":
        norm = "batch"
    net = MLP([width] + [width] * depth + [1], act, init=init, init_gain=gain, norm=norm, seed=rng)
    x, y = rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
    p = net.gradients(x, y)
    hidden = [t.delta for t in p.hidden]
    if fix == "clip":  # clipping rescales every layer's gradient by the same factor
        hidden, _ = clip_by_global_norm(hidden, 1.0)
    return float(np.linalg.norm(hidden[0]) / np.linalg.norm(hidden[-1]))


@experiment("vs_exploding.fixes")
def fixes(
    depth: int = 20, width: int = 64, batch: int = 128, *, fix_names: Sequence[str] = FIXES, seed: int = 0
) -> Fixes:
    """First/top gradient ratio for each fix applied to a vanishing and to an exploding deep network."""
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    names = tuple(choice("fix_names[]", f, FIXES) for f in fix_names)
    kw = {"depth": depth, "width": width, "batch": batch, "seed": seed}
    van = np.array([_first_over_top(VANISHING, f, **kw) for f in names])
    exp = np.array([_first_over_top(EXPLODING, f, **kw) for f in names])
    base = names.index("none") if "none" in names else None
    return Fixes(
        seed=seed,
        depth=depth,
        width=width,
        fixes=names,
        labels=tuple(_FIX_LABEL[f] for f in names),
        vanishing=van,
        exploding=exp,
        vanishing_base=float(van[base]) if base is not None else math.nan,
        exploding_base=float(exp[base]) if base is not None else math.nan,
        exploding_gain=EXPLODING["init_gain"],
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
            rng = rng_from("seed", seed + i)
            net = MLP(
                [width] + [width] * depth + [1],
                act,
                init="lecun_normal",
                init_gain=float(np.sqrt(s2)),
                bias_std=float(np.sqrt(sigma_b2)),
                seed=rng,
            )
            x, y = rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
            d = net.gradients(x, y).delta_norms
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


# -- an exploding training run, with and without clipping -----------------------------------------
RUNS = (
    ("exploding init, no clipping", 1.5, None),
    ("exploding init, clip norm to 1", 1.5, 1.0),
    ("He init, no clipping", 1.0, None),
)


@dataclass(frozen=True, kw_only=True)
class ClippingRun(Result):
    """SGD on the digits with a deep ReLU net: loss and global gradient norm per step, per run (NaN after overflow)."""

    depth: int
    width: int
    lr: float
    steps: int
    batch_size: int
    labels: tuple[str, ...]
    gains: np.ndarray  # He-init gain per run
    clip_norms: np.ndarray  # NaN: no clipping
    loss: np.ndarray  # (runs, steps)
    grad_norm: np.ndarray  # (runs, steps): global norm of the weight gradients before clipping
    overflow_step: np.ndarray  # per run, -1 if it never overflowed
    final_loss: np.ndarray  # per run, NaN after an overflow
    clip_fraction: np.ndarray  # share of steps on which clipping changed the gradient
    unclipped_overflow_step: int
    last_finite_grad_norm: float  # of the unclipped exploding run, the step before it overflowed
    clipped_final_loss: float
    clipped_first_loss: float
    clipped_clip_fraction: float
    he_final_loss: float

    def claims(self) -> list[Claim]:
        """Clipping prevents the overflow; a sensible initialisation trains better without it."""
        return [
            Claim(
                "clipping-prevents-overflow-init-trains-better",
                "Unclipped, the run overflowed at step {step}; clipped, it ran to a loss of {clipped} (from "
                "{first}); He initialisation without clipping reached {he}, lower still.",
                holds=self.unclipped_overflow_step >= 0
                and self.clipped_final_loss < self.clipped_first_loss
                and self.he_final_loss < self.clipped_final_loss,
                evidence={
                    "step": self.unclipped_overflow_step,
                    "clipped": self.clipped_final_loss,
                    "first": self.clipped_first_loss,
                    "he": self.he_final_loss,
                },
                intervention="clipping added (same too-large init); then He init instead, no clipping",
                scope=f"over {self.steps} SGD steps",
            )
        ]

    def table(self, which: str | None = None) -> Table:
        """which=None: one row per run (overflow step, final loss, how often clipping acted);
        which="blowup": the first steps of the unclipped exploding run, up to the step that overflowed."""
        if choice("which", which or "runs", ("runs", "blowup")) == "blowup":
            last = self.steps if self.unclipped_overflow_step < 0 else self.unclipped_overflow_step + 1
            rows = tuple((k, float(self.loss[0, k]), float(self.grad_norm[0, k])) for k in range(last))
            return Table(
                ("step", "training loss", "global gradient norm"),
                rows,
                formats=(None, ".3g", ".3g"),
                caption=f"{self.labels[0]}: loss and gradient norm at each step, up to the first step "
                "whose numbers are no longer finite (NaN: not a number); training stops there.",
            )
        rows = tuple(
            (lab, "never" if o < 0 else f"step {int(o)}", float(f), float(c))
            for lab, o, f, c in zip(self.labels, self.overflow_step, self.final_loss, self.clip_fraction, strict=True)
        )
        return Table(
            ("run", "loss or gradient non-finite", "final loss", "steps clipped"),
            rows,
            caption=f"{self.depth} ReLU layers of width {self.width}, SGD with learning rate {self.lr:g}, "
            f"{self.steps} steps of {self.batch_size} digits.",
            formats=(None, None, ".3g", ".0%"),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Two log-scale panels against step: training loss, and the global gradient norm before clipping."""
        t = np.arange(self.steps)
        loss = tuple(Series(lab, t, self.loss[i]) for i, lab in enumerate(self.labels))
        norm = tuple(Series(lab, t, self.grad_norm[i]) for i, lab in enumerate(self.labels))
        return Figure(
            panels=(
                Panel(loss, "step", "training loss", logy=True),
                Panel(norm, "step", "global gradient norm", logy=True),
            ),
            alt=f"Two log-scale panels over {self.steps} SGD steps. Without clipping, the run with exploding "
            f"initialisation reaches a gradient norm of {self.last_finite_grad_norm:.1e} and overflows at step "
            f"{self.unclipped_overflow_step}, so its lines stop. With clipping the same network keeps training, "
            f"its loss falling from {self.clipped_first_loss:.3g} to {self.clipped_final_loss:.3g}; with He "
            f"initialisation the loss ends at {self.he_final_loss:.3g}.",
            title="Overflow in an exploding run, and clipping preventing it",
        )


@experiment("vs_exploding.clipping_run")
def clipping_run(
    depth: int = 20, width: int = 64, lr: float = 0.05, steps: int = 25, batch_size: int = 64, *, seed: int = 0
) -> ClippingRun:
    """Train a deep ReLU net on the digits with an exploding init (with and without clipping) and with He init.

    25 steps, because the clipped run is chaotic: a last-bit difference between two CPUs' BLAS kernels
    grows about 4x per step and moves its numbers by more than the ledger's tolerance from step ~31
    (measured: 2e-11 apart at step 20 under OPENBLAS_CORETYPE=Nehalem, 0.5 apart by step 40).
    """
    depth, width, steps = positive_int("depth", depth), positive_int("width", width), positive_int("steps", steps)
    lr, batch_size = finite_float("lr", lr, positive=True), positive_int("batch_size", batch_size)
    x, y = digits("train", seed=seed)
    losses, norms, overflow, final, clipped = [], [], [], [], []
    for _, gain, clip in RUNS:
        net = MLP(
            [x.shape[1]] + [width] * depth + [10],
            "relu",
            init="he_normal",
            init_gain=gain,
            loss="softmax_ce",
            seed=seed,
        )
        h = train(net, x, y, optimizer="sgd", lr=lr, steps=steps, batch_size=batch_size, clip_norm=clip, seed=seed)
        losses.append(h.loss)
        with np.errstate(over="ignore", invalid="ignore"):
            norms.append(np.sqrt(np.sum(h.grad_norms**2, axis=1)))
        overflow.append(-1 if h.overflow_step is None else h.overflow_step)
        final.append(h.final_loss)
        clipped.append(h.clip_fraction)
    norm_arr = np.array(norms)
    blown = overflow[0]
    return ClippingRun(
        seed=seed,
        depth=depth,
        width=width,
        lr=lr,
        steps=steps,
        batch_size=batch_size,
        labels=tuple(r[0] for r in RUNS),
        gains=np.array([r[1] for r in RUNS]),
        clip_norms=np.array([math.nan if r[2] is None else r[2] for r in RUNS]),
        loss=np.array(losses),
        grad_norm=norm_arr,
        overflow_step=np.array(overflow),
        final_loss=np.array(final),
        clip_fraction=np.array(clipped),
        unclipped_overflow_step=int(blown),
        last_finite_grad_norm=float(norm_arr[0, blown - 1]) if blown > 0 else math.nan,
        clipped_final_loss=float(final[1]),
        clipped_first_loss=float(losses[1][0]),
        clipped_clip_fraction=float(clipped[1]),
        he_final_loss=float(final[2]),
    )
