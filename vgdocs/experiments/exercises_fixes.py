"""Exercises for the fixes pages (activations, residual connections, optimisers): the numbers in their solutions.

Like `vgdocs.experiments.exercises` (which holds the chapters before the fixes and the
initialisation and clipping pages): one experiment per page, lessons as claims, answers checked
against closed forms and finite differences in tests/experiments/test_exercises.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine.activations import activation
from vgdocs.engine.optim import make_optimizer
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim

__all__ = ["ActivationExercises", "OptimiserExercises", "ResidualExercises", "activations", "optimisers", "residual"]


@dataclass(frozen=True, kw_only=True)
class ActivationExercises(Result):
    """Slopes at a negative input: what each activation passes back for a unit that is 'off'."""

    x: float  # the input, below zero
    relu: float  # each activation's slope at x
    leaky_relu: float
    elu: float

    def claims(self) -> list[Claim]:
        return [
            Claim(
                id="ex-relu-passes-nothing-below-zero",
                text="At $x = {x}$ ReLU passes back {ReLU}, leaky ReLU {leaky}, ELU {ELU}.",
                holds=self.relu == 0.0 < self.leaky_relu < self.elu,
                evidence={"x": self.x, "ReLU": self.relu, "leaky": self.leaky_relu, "ELU": self.elu},
                intervention="activation changed; same input",
                scope="one unit, one input",
            )
        ]


@experiment("exercises_fixes.activations")
def activations(x: float = -1.0) -> ActivationExercises:
    """Derivatives of ReLU, leaky ReLU (slope 0.01) and ELU (scale 1) at `x` (negative)."""
    at = np.array(float(x))
    return ActivationExercises(
        x=float(x),
        relu=float(activation("relu").derivative(at)),
        leaky_relu=float(activation("leaky_relu").derivative(at)),
        elu=float(activation("elu").derivative(at)),
    )


@dataclass(frozen=True, kw_only=True)
class ResidualExercises(Result):
    """A scalar chain of layers h -> a*h, with and without a skip (h -> h + a*h), backpropagated."""

    slope: float
    depth: int
    plain: float  # d h_L / d h_0 without skips: slope ** depth
    residual: float  # with skips: (1 + slope) ** depth

    def claims(self) -> list[Claim]:
        return [
            Claim(
                id="ex-skip-keeps-the-gradient",
                text="Over {depth} layers of slope {a}, the plain chain keeps {plain} of the gradient, "
                "the chain with skips {res}.",
                holds=self.residual > 1.0 > 1e-3 > self.plain,
                evidence={"depth": self.depth, "a": self.slope, "plain": self.plain, "res": self.residual},
                intervention="a skip connection around every layer; same slopes and depth",
                scope="a scalar chain (one unit per layer)",
            )
        ]


@experiment("exercises_fixes.residual")
def residual(slope: float = 0.25, depth: int = 10) -> ResidualExercises:
    """Backpropagate 1 through `depth` layers of local slope `slope`, without and with skips."""
    plain = res = 1.0
    for _ in range(depth):
        plain *= slope  # d(a h)/dh
        res *= 1.0 + slope  # d(h + a h)/dh: the identity adds 1
    return ResidualExercises(slope=float(slope), depth=depth, plain=plain, residual=res)


@dataclass(frozen=True, kw_only=True)
class OptimiserExercises(Result):
    """The first step SGD and Adam take on a tiny and on a normal gradient."""

    lr: float
    tiny: float  # a gradient far below the learning rate
    normal: float  # a gradient of order one
    sgd_tiny: float  # size of each optimiser's first step on each gradient
    sgd_normal: float
    adam_tiny: float  # about lr whatever the gradient's scale
    adam_normal: float

    def claims(self) -> list[Claim]:
        return [
            Claim(
                id="ex-adam-first-step-ignores-gradient-scale",
                text="For a gradient of {tiny}, SGD's first step is {SGD}; Adam's is {Adam}, "
                "about the learning rate {lr}, as for a gradient of {normal}.",
                holds=abs(self.adam_tiny / self.lr - 1) < 0.02 and self.sgd_tiny < 1e-3 * self.lr,
                evidence={
                    "tiny": self.tiny,
                    "normal": self.normal,
                    "SGD": self.sgd_tiny,
                    "Adam": self.adam_tiny,
                    "lr": self.lr,
                },
                intervention="Adam instead of SGD; same gradient and learning rate",
                scope="the first step",
            )
        ]


@experiment("exercises_fixes.optimisers")
def optimisers(lr: float = 1e-3, tiny: float = 1e-6, normal: float = 1.0) -> OptimiserExercises:
    """Size of one SGD and one Adam step (default betas, eps 1e-8) on gradients `tiny` and `normal`."""

    def step(name: str, g: float) -> float:
        p = np.zeros(1)
        make_optimizer(name, lr).step([p], [np.array([g])])
        return float(abs(p[0]))

    return OptimiserExercises(
        lr=float(lr),
        tiny=float(tiny),
        normal=float(normal),
        sgd_tiny=step("sgd", tiny),
        sgd_normal=step("sgd", normal),
        adam_tiny=step("adam", tiny),
        adam_normal=step("adam", normal),
    )
