"""Closed forms for gradient flow: slope bounds and the mean-field theory of wide random networks.

Mean field (Poole et al. 2016; Schoenholz et al. 2017, "Deep Information Propagation"): with weights
drawn N(0, sigma_w2 / fan_in) and biases N(0, sigma_b2), the variance q of a pre-activation obeys the
length map q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 (z standard normal) and settles at a fixed
point q*; there, each layer multiplies the squared norm of backpropagated gradients by
chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2]. chi_1 < 1 vanishes, chi_1 > 1 explodes, chi_1 = 1 is critical.

Gaussian expectations use Gauss-Legendre rules on each half-line (split at 0, truncated at
|z| = 12, where the tail mass is below 1e-32), because a whole-line Gauss-Hermite rule
is off by ~1e-3 at the kink that ReLU, ELU and SELU have at 0. q = 0 and q = inf mean the limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from vgdocs.engine._checks import finite_float, nonnegative_int
from vgdocs.engine.activations import Activation, activation

__all__ = [
    "chi_1",
    "critical_sigma_w2",
    "depth_scale",
    "effective_learning_rate",
    "fixed_point",
    "gaussian_mean",
    "gradient_factor",
    "length_map",
    "negative_side_slopes",
    "q_trajectory",
    "slope_bound",
    "slope_to_size_ratio",
]

ActivationLike = str | Activation

_HALF_NODES = 256
_Z_MAX = 12.0
_Q_MIN, _Q_MAX = 1e-300, 1e300  # stand-ins for the limits q -> 0 and q -> inf
_Q_DIVERGED = 1e100  # a length map past this is reported as q* = inf
_Q_VANISHED = 1e-200  # ... and below this as q* = 0


def _half_line_rule() -> tuple[np.ndarray, np.ndarray]:
    t, v = np.polynomial.legendre.leggauss(_HALF_NODES)
    z = (t + 1.0) * (_Z_MAX / 2.0)
    w = v * (_Z_MAX / 2.0) * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return np.concatenate([-z[::-1], z]), np.concatenate([w[::-1], w])


_Z, _W = _half_line_rule()


def slope_bound(activation: ActivationLike, n: int) -> float:
    """Largest factor by which n layers of activation slopes can scale a gradient: max|phi'|**n (unitless).

    For the sigmoid, 0.25**n: ten layers shrink a gradient by at least 0.25**10 ~ 9.5e-7 (unit weights).
    """
    slope, n = _act(activation).max_slope, nonnegative_int("n", n)
    return math.inf if n * math.log(slope) > math.log(np.finfo(np.float64).max) else slope**n


def effective_learning_rate(lr: float, activation: ActivationLike, n: int) -> float:
    """Upper bound on the step size felt by a layer n below the output: lr * max|phi'|**n (units of lr)."""
    lr = finite_float("lr", lr, positive=True)
    return lr * slope_bound(activation, n)


def gaussian_mean(f: Callable[[np.ndarray], np.ndarray], q: float) -> float:
    """E[f(sqrt(q) z)] for z ~ N(0, 1), in the units of f; q is a variance (q = 0 or inf: the limit)."""
    if not callable(f):
        raise TypeError(f"f must be a callable taking an array; got {type(f).__name__}")
    return _mean(f, _variance("q", q))


def length_map(activation: ActivationLike, q: float, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """Next layer's pre-activation variance sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 (units of q)."""
    return _length(_act(activation), _variance("q", q), *_sigmas(sigma_w2, sigma_b2))


def q_trajectory(
    activation: ActivationLike, q0: float, depth: int, sigma_w2: float, sigma_b2: float = 0.0
) -> np.ndarray:
    """Pre-activation variances q^0 = q0, q^1, ..., q^depth under the length map (depth + 1 values, units of q0)."""
    act, (sw, sb) = _act(activation), _sigmas(sigma_w2, sigma_b2)
    q = [_variance("q0", q0)]
    for _ in range(nonnegative_int("depth", depth)):
        q.append(_length(act, q[-1], sw, sb))
    return np.array(q, dtype=np.float64)


def fixed_point(activation: ActivationLike, sigma_w2: float, sigma_b2: float = 0.0, *, q0: float = 1.0) -> float:
    """Fixed point q* of the length map reached by iterating from q0 (units of q).

    0 where the variance vanishes with depth, inf where it diverges.
    """
    q0 = _variance("q0", q0)
    if math.isinf(q0):
        raise ValueError("q0 must be finite; got inf")
    return _fixed_point(_act(activation), *_sigmas(sigma_w2, sigma_b2), q0)


def chi_1(activation: ActivationLike, sigma_w2: float, sigma_b2: float = 0.0, *, q: float | None = None) -> float:
    """Per-layer factor sigma_w2 E[phi'(sqrt(q) z)^2] on squared gradient norms (unitless; q defaults to q*)."""
    act, (sw, sb) = _act(activation), _sigmas(sigma_w2, sigma_b2)
    return _chi(act, sw, sb, None if q is None else _variance("q", q))


def gradient_factor(activation: ActivationLike, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """Predicted ratio ||dL/dz^l|| / ||dL/dz^(l+1)|| of gradient norms one layer apart: sqrt(chi_1) (unitless)."""
    return math.sqrt(chi_1(activation, sigma_w2, sigma_b2))


def depth_scale(activation: ActivationLike, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """Gradient depth scale xi = -1/ln(chi_1), in layers: squared gradient norms scale as exp(-l / xi).

    Positive when gradients vanish, negative when they explode, inf at criticality (chi_1 = 1).
    """
    chi = chi_1(activation, sigma_w2, sigma_b2)
    return math.inf if chi == 1.0 else -1.0 / math.log(chi)


def critical_sigma_w2(activation: ActivationLike, sigma_b2: float = 0.0) -> float:
    """Smallest weight variance sigma_w2 (times fan_in) at which chi_1 reaches 1, for bias variance sigma_b2.

    Unitless. ReLU: 2 for every sigma_b2 (He et al. 2015); tanh with sigma_b2 = 0.05: about 1.76.
    """
    act = _act(activation)
    sb = finite_float("sigma_b2", sigma_b2, nonnegative=True)

    def excess(sw: float) -> float:
        return _chi(act, sw, sb, None) - 1.0

    # chi_1 need not be monotone in sigma_w2 (ELU's rises past 1 and falls back as q* diverges):
    # step up a fine geometric grid and bracket the first crossing
    lo = 0.5 / act.max_slope**2  # chi_1 <= sigma_w2 * max_slope**2 = 0.5 here
    while (hi := 1.05 * lo) <= 1e6:
        if excess(hi) >= 0:
            return float(_brentq()(excess, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500))
        lo = hi
    raise ValueError(f"no critical sigma_w2 below 1e6 for activation={act.name!r}, sigma_b2={sb}: chi_1 stays below 1")


def _mean(f: Callable[[np.ndarray], np.ndarray], q: float) -> float:
    with np.errstate(over="ignore"):  # a divergent length map is data: q = inf
        return float(np.dot(_W, f(math.sqrt(min(max(q, _Q_MIN), _Q_MAX)) * _Z)))


def _length(act: Activation, q: float, sw: float, sb: float) -> float:
    return math.inf if math.isinf(q) else sw * _mean(lambda u: np.square(act(u)), q) + sb


def _chi(act: Activation, sw: float, sb: float, q: float | None) -> float:
    q = _fixed_point(act, sw, sb, 1.0) if q is None else q
    return sw * _mean(lambda u: np.square(act.derivative(u)), q)


def _fixed_point(act: Activation, sw: float, sb: float, q0: float) -> float:
    def gap(q: float) -> float:
        return _length(act, q, sw, sb) - q

    g0 = gap(q0)
    if abs(g0) <= 1e-14 * max(q0, 1.0):
        return q0
    # The length map is increasing in q, so iterates move monotonically towards the root on the side
    # gap(q0) points to; widen the bracket that way with ever larger steps (factors 2, 4, 16, 256, ...).
    factor = 2.0
    if g0 > 0:
        lo, hi = q0, max(q0 + g0, factor * q0)
        while gap(hi) > 0:
            if hi > _Q_DIVERGED:
                return math.inf
            factor = min(factor * factor, 1e16)
            lo, hi = hi, factor * hi
    else:
        hi, lo = q0, min(q0 + g0, q0 / factor)
        while gap(lo) < 0:
            if lo < _Q_VANISHED:
                return 0.0
            factor = min(factor * factor, 1e16)
            hi, lo = lo, lo / factor
    return float(_brentq()(gap, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500))


def _act(value: object) -> Activation:
    if not isinstance(value, (str, Activation)):
        raise TypeError(f"activation must be a name or an Activation; got {type(value).__name__}")
    return activation(value)


def _sigmas(sigma_w2: object, sigma_b2: object) -> tuple[float, float]:
    return (finite_float("sigma_w2", sigma_w2, positive=True), finite_float("sigma_b2", sigma_b2, nonnegative=True))


def _variance(name: str, q: object) -> float:
    if isinstance(q, bool) or not isinstance(q, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number (a variance); got {q!r}")
    q = float(q)
    if math.isnan(q) or q < 0:
        raise ValueError(f"{name} must be a variance >= 0 (inf allowed); got {q}")
    return q


def _brentq():
    """scipy's Brent root finder, imported on first use (scipy.optimize costs 0.15 s to import)."""
    from scipy.optimize import brentq

    return brentq


def slope_to_size_ratio(activation: ActivationLike) -> float:
    """sqrt(E[phi'(u)^2] / E[phi(u)^2]) for u ~ N(0, 1): the activation's slope relative to its output size.

    Unitless. A normaliser that divides each layer by the size of its outputs passes this factor
    back per layer: sigmoid about 0.39 (its output is mostly the constant 1/2), softplus about
    0.56, ReLU exactly 1, GELU about 1.03.
    """
    act = _act(activation)
    return math.sqrt(_mean(lambda u: np.square(act.derivative(u)), 1.0) / _mean(lambda u: np.square(act(u)), 1.0))


def negative_side_slopes(activation: ActivationLike, *, reach: float = 40.0, points: int = 200001) -> tuple:
    """(smallest slope, largest slope, slope just below zero) of phi over -reach <= x < 0 (unitless).

    Measured on a geometric grid from -1e-9 to -reach, so the value just below a kink (SELU's
    lambda * alpha ~ 1.758) and the dip of GELU and swish below zero are both found.
    """
    act = _act(activation)
    reach = finite_float("reach", reach, positive=True)
    x = -np.geomspace(1e-9, reach, nonnegative_int("points", points))
    d = act.derivative(x)
    return float(np.min(d)), float(np.max(d)), float(d[0])
