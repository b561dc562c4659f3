"""Activation functions by name: value, derivative and facts (max slope, where, output range).

Every function is numerically stable for |x| up to 1e4 and raises no numpy warnings there.
Convention at kinks: the derivative at exactly 0 is the left-hand one (ReLU'(0) = 0,
leaky ReLU'(0) = alpha), matching PyTorch's autograd.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float

__all__ = ["ACTIVATIONS", "ACTIVATION_LABELS", "Activation", "activation", "sigmoid"]

# SELU constants from Klambauer et al. 2017, to the precision PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

Array = np.ndarray


def _special():
    """scipy.special, imported on first use: 0.2 s to import, and a build whose experiments all come from
    the cache calls no activation."""
    import scipy.special

    return scipy.special


def sigmoid(x: Array) -> Array:
    """Logistic sigmoid 1 / (1 + e^-x), computed without overflow for any finite x."""
    return _special().expit(x)


def _sigmoid_d(x: Array, _a: float) -> Array:
    s = sigmoid(x)
    return s * (1.0 - s)


def _tanh_d(x: Array, _a: float) -> Array:
    t = np.tanh(x)
    return 1.0 - t * t


def _relu(x: Array, _a: float) -> Array:
    return np.maximum(x, 0.0)


def _relu_d(x: Array, _a: float) -> Array:
    return (x > 0).astype(x.dtype)


def _leaky(x: Array, a: float) -> Array:
    return np.where(x > 0, x, a * x)


def _leaky_d(x: Array, a: float) -> Array:
    return np.where(x > 0, 1.0, a).astype(x.dtype)


def _elu(x: Array, a: float) -> Array:
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0.0)))


def _elu_d(x: Array, a: float) -> Array:
    return np.where(x > 0, 1.0, a * np.exp(np.minimum(x, 0.0))).astype(x.dtype)


def _selu(x: Array, _a: float) -> Array:
    return SELU_SCALE * _elu(x, SELU_ALPHA)


def _selu_d(x: Array, _a: float) -> Array:
    return SELU_SCALE * _elu_d(x, SELU_ALPHA)


def _gelu(x: Array, _a: float) -> Array:
    return x * _special().ndtr(x)


def _gelu_d(x: Array, _a: float) -> Array:
    return _special().ndtr(x) + x * _INV_SQRT_2PI * np.exp(-0.5 * np.minimum(x * x, 1e6))


def _softplus(x: Array, _a: float) -> Array:
    return np.logaddexp(0.0, x)


def _swish(x: Array, _a: float) -> Array:
    return x * sigmoid(x)


def _swish_d(x: Array, _a: float) -> Array:
    s = sigmoid(x)
    return s + x * s * (1.0 - s)


def _linear(x: Array, _a: float) -> Array:
    return x


def _ones(x: Array, _a: float) -> Array:
    return np.ones_like(x)


def _argmax_on_grid(df: Callable[[Array, float], Array], alpha: float, lo: float, hi: float) -> tuple[float, float]:
    """Locate the largest slope numerically: a grid, then golden-section refinement."""
    grid = np.linspace(lo, hi, 20001)
    i = int(np.argmax(df(grid, alpha)))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(80):
        c, d = b - g * (b - a), a + g * (b - a)
        if df(np.array([c]), alpha)[0] > df(np.array([d]), alpha)[0]:
            b = d
        else:
            a = c
    x = 0.5 * (a + b)
    return float(df(np.array([x]), alpha)[0]), x


@dataclass(frozen=True)
class _Spec:
    f: Callable[[Array, float], Array]
    df: Callable[[Array, float], Array]
    output_range: tuple[float, float]
    default_alpha: float | None
    slope_where: str  # how the maximum slope is reached, in words


_SPECS: dict[str, _Spec] = {
    "sigmoid": _Spec(lambda x, a: sigmoid(x), _sigmoid_d, (0.0, 1.0), None, "at x = 0"),
    "tanh": _Spec(lambda x, a: np.tanh(x), _tanh_d, (-1.0, 1.0), None, "at x = 0"),
    "relu": _Spec(_relu, _relu_d, (0.0, math.inf), None, "for every x > 0"),
    "leaky_relu": _Spec(_leaky, _leaky_d, (-math.inf, math.inf), 0.01, "for every x > 0"),
    "prelu": _Spec(_leaky, _leaky_d, (-math.inf, math.inf), 0.25, "for every x > 0 (alpha is learned)"),
    "elu": _Spec(_elu, _elu_d, (-1.0, math.inf), 1.0, "for every x >= 0"),
    "selu": _Spec(_selu, _selu_d, (-SELU_SCALE * SELU_ALPHA, math.inf), None, "approached as x -> 0 from below"),
    "gelu": _Spec(_gelu, _gelu_d, (-0.17, math.inf), None, "at x = sqrt(2)"),
    "softplus": _Spec(_softplus, lambda x, a: sigmoid(x), (0.0, math.inf), None, "approached as x -> +inf"),
    "swish": _Spec(_swish, _swish_d, (-0.28, math.inf), None, "at the root of f''(x) = 0"),
    "linear": _Spec(_linear, _ones, (-math.inf, math.inf), None, "everywhere"),
}
_ALIASES = {"silu": "swish", "identity": "linear"}
ACTIVATIONS: tuple[str, ...] = (*_SPECS, "silu", "identity")
# What a reader sees for each name: words and the papers' spellings, never the identifier.
ACTIVATION_LABELS: dict[str, str] = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "prelu": "PReLU",
    "elu": "ELU",
    "selu": "SELU",
    "gelu": "GELU",
    "softplus": "softplus",
    "swish": "swish",
    "linear": "linear",
    "silu": "SiLU",
    "identity": "identity",
}


@dataclass(frozen=True)
class Activation:
    """A named activation function with its derivative and the facts the site quotes."""

    name: str
    alpha: float | None = None

    def __call__(self, x: Array) -> Array:
        """f(x), elementwise."""
        return _SPECS[self.name].f(x, self._a)

    def derivative(self, x: Array) -> Array:
        """f'(x), elementwise (left-hand derivative at kinks)."""
        return _SPECS[self.name].df(x, self._a)

    @property
    def label(self) -> str:
        """The name a reader sees, e.g. 'leaky ReLU' for 'leaky_relu'."""
        return ACTIVATION_LABELS[self.name]

    @property
    def _a(self) -> float:
        return 0.0 if self.alpha is None else self.alpha

    @property
    def max_slope(self) -> float:
        """Supremum of f'(x) over the real line."""
        return self._slope_facts()[0]

    @property
    def argmax_slope(self) -> float:
        """An x where f' reaches (or approaches) its supremum: the kink or the smooth maximum."""
        return self._slope_facts()[1]

    @property
    def slope_where(self) -> str:
        """Where the maximum slope is reached, in words."""
        return _SPECS[self.name].slope_where

    @property
    def output_range(self) -> tuple[float, float]:
        """Infimum and supremum of f (rounded for GELU and swish, whose minima are interior)."""
        if self.name in ("gelu", "swish"):
            grid = np.linspace(-10.0, 0.0, 100001)
            return (float(np.min(self(grid))), math.inf)
        if self.name == "elu":
            return (-self._a, math.inf)
        return _SPECS[self.name].output_range

    def _slope_facts(self) -> tuple[float, float]:
        name, a = self.name, self._a
        if name in ("relu", "leaky_relu", "prelu", "linear"):
            return (max(1.0, a), 1.0 if a <= 1.0 else -1.0)
        if name == "elu":
            return (max(1.0, a), 0.0)
        if name == "selu":
            return (SELU_SCALE * SELU_ALPHA, 0.0)
        if name == "softplus":
            return (1.0, math.inf)
        if name in ("sigmoid", "tanh"):
            return (float(self.derivative(np.array([0.0]))[0]), 0.0)
        return _argmax_on_grid(_SPECS[name].df, a, -6.0, 6.0)


def activation(name: str | Activation, alpha: float | None = None) -> Activation:
    """Look up an activation by name; `alpha` is the negative slope (leaky/prelu) or ELU scale."""
    if isinstance(name, Activation):
        return name
    choice("activation", name, ACTIVATIONS)
    name = _ALIASES.get(name, name)
    spec = _SPECS[name]
    if alpha is not None:
        if spec.default_alpha is None:
            takers = sorted(k for k, s in _SPECS.items() if s.default_alpha is not None)
            raise ValueError(f"alpha is only used by {takers}; activation={name!r} takes none")
        alpha = finite_float("alpha", alpha)
    elif spec.default_alpha is not None:
        alpha = spec.default_alpha
    return Activation(name, alpha)
