"""Exercises at the end of each page: the numbers in their solutions, computed by the engine.

Each page has one experiment, `exercises.<page>()`, whose Result holds every number its solutions
quote (`sentence(result, "... {field} ...")`); an answer that is a lesson ("which is larger") is a
claim (`claim(result, id)`), so the build checks it. The tests in tests/experiments/test_exercises.py
check every answer against an independent source: closed forms, finite differences, plain numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgdocs.engine.activations import activation
from vgdocs.engine.diagnose import diagnose
from vgdocs.engine.init import init_std, initialize
from vgdocs.engine.losses import evaluate_loss
from vgdocs.engine.optim import clip_by_global_norm, global_norm
from vgdocs.engine.theory import chi_1, critical_sigma_w2, slope_bound
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim

__all__ = [
    "ClipExercises",
    "DetectionExercises",
    "ExplodingExercises",
    "InitExercises",
    "RnnExercises",
    "WhatExercises",
    "WhereExercises",
    "WhyExercises",
    "XorExercises",
    "clipping",
    "detection",
    "exploding",
    "initialisation",
    "rnn",
    "what",
    "where",
    "why",
    "xor",
]


@dataclass(frozen=True, kw_only=True)
class WhatExercises(Result):
    """Sigmoid slope bound over depth, and the depth at which it falls below a threshold."""

    depth: int
    bound: float  # 0.25 ** depth
    deeper: int
    bound_deeper: float
    threshold: float
    depth_below_threshold: int  # smallest depth whose bound is below threshold


@experiment("exercises.what")
def what(depth: int = 10, deeper: int = 20, threshold: float = 1e-6) -> WhatExercises:
    """The sigmoid's largest gradient factor over `depth` and `deeper` layers; first depth below `threshold`."""
    n = 1
    while slope_bound("sigmoid", n) >= threshold:
        n += 1
    return WhatExercises(
        depth=depth,
        bound=slope_bound("sigmoid", depth),
        deeper=deeper,
        bound_deeper=slope_bound("sigmoid", deeper),
        threshold=threshold,
        depth_below_threshold=n,
    )


@dataclass(frozen=True, kw_only=True)
class WhyExercises(Result):
    """Slopes of sigmoid and tanh at 0 and at a saturated input."""

    sigmoid_slope_0: float
    tanh_slope_0: float
    tanh_over_sigmoid_0: float
    x: float
    sigmoid_slope_x: float
    sigmoid_slope_drop: float  # slope at x / slope at 0

    def claims(self) -> list[Claim]:
        return [
            Claim(
                id="ex-tanh-four-times-sigmoid-at-zero",
                text="At $x = 0$ tanh's slope is {ratio} times the sigmoid's.",
                holds=abs(self.tanh_over_sigmoid_0 - 4.0) < 1e-12,
                evidence={"ratio": self.tanh_over_sigmoid_0},
                scope="at the input 0",
            )
        ]


@experiment("exercises.why")
def why(x: float = 4.0) -> WhyExercises:
    """Sigmoid and tanh slopes at 0, and the sigmoid's slope at `x`."""
    sig, tanh = activation("sigmoid"), activation("tanh")
    s0 = float(sig.derivative(np.array(0.0)))
    t0 = float(tanh.derivative(np.array(0.0)))
    sx = float(sig.derivative(np.array(float(x))))
    return WhyExercises(
        sigmoid_slope_0=s0,
        tanh_slope_0=t0,
        tanh_over_sigmoid_0=t0 / s0,
        x=float(x),
        sigmoid_slope_x=sx,
        sigmoid_slope_drop=sx / s0,
    )


@dataclass(frozen=True, kw_only=True)
class WhereExercises(Result):
    """Mean-field factor per layer on squared gradient norms for ReLU with Xavier-like and He variance."""

    depth: int
    chi_xavier: float  # sigma_w2 = 1
    chi_he: float  # sigma_w2 = 2
    norm_factor_xavier_depth: float  # sqrt(chi) ** depth

    def claims(self) -> list[Claim]:
        return [
            Claim(
                id="ex-relu-he-keeps-relu-xavier-halves",
                text="For ReLU, weight variance $1/n$ halves the squared gradient per layer "
                "(factor {chi_xavier}); He's $2/n$ keeps it (factor {chi_he}).",
                holds=abs(self.chi_xavier - 0.5) < 1e-6 and abs(self.chi_he - 1.0) < 1e-6,
                evidence={"chi_xavier": self.chi_xavier, "chi_he": self.chi_he},
                intervention="weight variance 2/n instead of 1/n; same activation, no bias",
                scope="at initialisation, in the wide-network limit",
            )
        ]


@experiment("exercises.where")
def where(depth: int = 10) -> WhereExercises:
    """chi_1 of ReLU at sigma_w2 = 1 and 2, and the norm factor over `depth` layers at sigma_w2 = 1."""
    cx, ch = chi_1("relu", 1.0), chi_1("relu", 2.0)
    return WhereExercises(depth=depth, chi_xavier=cx, chi_he=ch, norm_factor_xavier_depth=math.sqrt(cx) ** depth)


@dataclass(frozen=True, kw_only=True)
class DetectionExercises(Result):
    """A verdict on four logged norms, and the initial-loss check for C classes."""

    norms: tuple[float, ...]
    ratio: float
    factor: float
    vanishing: bool
    classes: int
    initial_loss: float  # softmax cross-entropy at zero logits
    ln_classes: float


@experiment("exercises.detection")
def detection(norms: tuple[float, ...] = (1e-7, 1e-5, 1e-3, 0.1), classes: int = 10) -> DetectionExercises:
    """`diagnose` on `norms` (input side first); the loss of a `classes`-way softmax with all-zero logits."""
    d = diagnose(list(norms))
    z = np.zeros((4, classes))
    loss = evaluate_loss("softmax_ce", z, np.arange(4) % classes, activation("identity")).value
    return DetectionExercises(
        norms=tuple(float(v) for v in norms),
        ratio=d.ratio,
        factor=d.factor,
        vanishing=d.verdict == "vanishing",
        classes=classes,
        initial_loss=loss,
        ln_classes=math.log(classes),
    )


@dataclass(frozen=True, kw_only=True)
class XorExercises(Result):
    """The gradient a sigmoid output with BCE passes back, at a confident wrong and an undecided output."""

    z_wrong: float
    grad_wrong: float  # dL/dz = sigmoid(z) - y for y = 0
    grad_undecided: float  # at z = 0, y = 0
    mse_grad_wrong: float  # MSE on the sigmoid output, same z and y

    def claims(self) -> list[Claim]:
        return [
            Claim(
                id="ex-bce-beats-mse-when-confidently-wrong",
                text="Confidently wrong ($z = {z}$, target 0), cross-entropy passes back {bce}, "
                "squared error on the sigmoid output only {mse}.",
                holds=self.grad_wrong > 100 * self.mse_grad_wrong,
                evidence={"z": self.z_wrong, "bce": self.grad_wrong, "mse": self.mse_grad_wrong},
                intervention="loss BCE instead of MSE; same output unit, input and target",
                scope="one output unit, one example",
            )
        ]


@experiment("exercises.xor")
def xor(z_wrong: float = 8.0) -> XorExercises:
    """dL/dz of BCE and of MSE-on-sigmoid for one output at `z_wrong` (target 0), and BCE at z = 0."""
    sig, y = activation("sigmoid"), np.zeros((1, 1))
    bce = evaluate_loss("bce", np.array([[z_wrong]]), y, sig).delta
    mid = evaluate_loss("bce", np.zeros((1, 1)), y, sig).delta
    mse = evaluate_loss("mse", np.array([[z_wrong]]), y, sig).delta
    return XorExercises(
        z_wrong=float(z_wrong),
        grad_wrong=float(bce[0, 0]),
        grad_undecided=float(mid[0, 0]),
        mse_grad_wrong=float(mse[0, 0]),
    )


@dataclass(frozen=True, kw_only=True)
class ExplodingExercises(Result):
    """Critical weight variance of tanh and the growth of a too-large ReLU variance over depth."""

    tanh_critical: float
    sigma_w2: float
    depth: int
    relu_factor: float  # norm factor per layer, sqrt(chi_1)
    relu_growth: float  # relu_factor ** depth

    def claims(self) -> list[Claim]:
        return [
            Claim(
                id="ex-relu-variance-three-explodes",
                text="ReLU with weight variance ${s}/n$ multiplies the gradient norm by {f} per layer: "
                "{g} over {depth} layers.",
                holds=self.relu_growth > 1000.0,
                evidence={"s": self.sigma_w2, "f": self.relu_factor, "g": self.relu_growth, "depth": self.depth},
                intervention="weight variance 3/n instead of He's 2/n",
                scope="at initialisation, in the wide-network limit",
            )
        ]


@experiment("exercises.exploding")
def exploding(sigma_w2: float = 3.0, depth: int = 50) -> ExplodingExercises:
    """tanh's critical sigma_w2 (no bias); ReLU's per-layer norm factor at `sigma_w2` and over `depth`."""
    f = math.sqrt(chi_1("relu", sigma_w2))
    return ExplodingExercises(
        tanh_critical=critical_sigma_w2("tanh"),
        sigma_w2=float(sigma_w2),
        depth=depth,
        relu_factor=f,
        relu_growth=f**depth,
    )


@dataclass(frozen=True, kw_only=True)
class RnnExercises(Result):
    """A scalar linear recurrence h_t = w h_(t-1) + x_t: the gradient of h_T with respect to h_0 is w**T."""

    steps: int
    w_small: float
    w_large: float
    grad_small: float  # measured by backpropagating through the unrolled recurrence
    grad_large: float


@experiment("exercises.rnn")
def rnn(steps: int = 50, w_small: float = 0.9, w_large: float = 1.1) -> RnnExercises:
    """d h_T / d h_0 for the scalar linear recurrence, backpropagated step by step, for two weights."""

    def backprop(w: float) -> float:
        g = 1.0  # dh_T/dh_T
        for _ in range(steps):
            g *= w  # one step back: dh_t/dh_(t-1) = w
        return g

    return RnnExercises(
        steps=steps, w_small=w_small, w_large=w_large, grad_small=backprop(w_small), grad_large=backprop(w_large)
    )


@dataclass(frozen=True, kw_only=True)
class InitExercises(Result):
    """He's standard deviation for one layer, predicted and measured on a drawn matrix."""

    fan_in: int
    fan_out: int
    he_std: float
    measured_std: float
    xavier_std: float


@experiment("exercises.initialisation")
def initialisation(fan_in: int = 256, fan_out: int = 128, seed: int = 0) -> InitExercises:
    """He and Xavier (normal) standard deviations for a fan_in x fan_out layer; He's measured on one draw."""
    w = initialize("he_normal", fan_in, fan_out, np.random.default_rng(seed))
    return InitExercises(
        fan_in=fan_in,
        fan_out=fan_out,
        he_std=init_std("he_normal", fan_in, fan_out),
        measured_std=float(w.std()),
        xavier_std=init_std("xavier_normal", fan_in, fan_out),
        seed=seed,
    )


@dataclass(frozen=True, kw_only=True)
class ClipExercises(Result):
    """Global-norm clipping of a gradient with two parameter blocks."""

    norm_before: float
    max_norm: float
    norm_after: float
    scale: float


@experiment("exercises.clipping")
def clipping(max_norm: float = 5.0) -> ClipExercises:
    """Clip the gradient ([30, 40], [0]) (global norm 50) to `max_norm`."""
    grads = [np.array([30.0, 40.0]), np.array([0.0])]
    clipped, before = clip_by_global_norm(grads, max_norm)
    after = global_norm(clipped)
    return ClipExercises(norm_before=before, max_norm=float(max_norm), norm_after=after, scale=after / before)
