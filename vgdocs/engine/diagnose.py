"""Gradient-health verdicts from plain per-layer numbers, so norms from any framework can be judged.

The verdict compares the gradient norm of the layer nearest the input with that of the layer
nearest the output. Backprop multiplies by one Jacobian per layer, so this end-to-end ratio is
where vanishing or exploding shows first, and its (L-1)-th root is the average per-layer factor
(about 0.25 or less for a sigmoid chain, whose slope never exceeds 1/4).

Thresholds are rules of thumb, not laws, and every Diagnosis carries the ones it used:
- vanishing below a ratio of 1e-2, exploding above 1e2: two orders of magnitude between the ends
  of the network means, under plain SGD, the first layer moves ~100x slower (or faster) than the
  last. Glorot & Bengio (2010) describe the symptom; the cut-off is a convention.
- exploding, too, when any layer's norm exceeds 1e3 (max_norm): for a mean loss of order one,
  healthy gradient norms are of order 0.01-10, the range where global-norm clipping thresholds
  are usually set (Pascanu et al. 2013 clip near the typical norm). This catches nets whose
  activations grow forwards while deltas grow backwards, leaving the ratio flat but every
  gradient huge. Pass max_norm=None for summed losses or other scales.
- vanishing, too, when any layer's norm is below 1e-6 (min_norm): a step of learning rate 0.1
  then moves weights of order one by less than float32's rounding step (1.2e-7), so that layer
  cannot learn. This catches nets whose forward signal has died, where every gradient is tiny.
- a sigmoid unit is saturated when its output is below 0.01 or above 0.99 (|z| > 4.6, slope
  < 0.0099, under 4% of the peak 1/4); a tanh unit when |output| > 0.99 (|z| > 2.65, slope < 0.02).
  A layer is flagged when more than half its unit-examples are saturated.
- a rectified unit is dead when its output is never positive over the batch, so it passes no
  gradient; a layer is flagged above 40% dead (CS231n's notes: "as much as 40% of your network
  can be dead" with too high a learning rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_array, finite_float
from vgdocs.engine.activations import ACTIVATIONS

__all__ = ["RECTIFIED", "SATURATING", "VERDICTS", "Diagnosis", "dead_fraction", "diagnose", "saturated_fraction"]

VERDICTS: tuple[str, ...] = ("vanishing", "exploding", "healthy")
# Output bands beyond which a unit counts as saturated (see the module docstring).
SATURATION_BANDS: dict[str, tuple[float, float]] = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}
SATURATING: tuple[str, ...] = tuple(SATURATION_BANDS)
RECTIFIED: tuple[str, ...] = tuple(a for a in ACTIVATIONS if a not in (*SATURATING, "linear", "identity"))


@dataclass(frozen=True)
class Diagnosis:
    """A gradient-health verdict, the numbers behind it, the thresholds used and a one-line why.

    ratio: grad norm nearest the input / nearest the output; factor: ratio ** (1 / (n_layers - 1)),
    the mean per-layer change going backwards. vanishing_ratio, exploding_ratio, max_norm, min_norm,
    saturated_threshold, dead_threshold: the thresholds used (None = not applied). saturated/dead:
    fractions per layer (input side first, NaN where the measure does not apply), or None without
    activations. Layer numbers are 1-based.
    """

    verdict: str
    ratio: float
    factor: float
    n_layers: int
    vanishing_ratio: float
    exploding_ratio: float
    max_norm: float | None
    min_norm: float | None
    saturated: tuple[float, ...] | None
    dead: tuple[float, ...] | None
    saturated_threshold: float
    dead_threshold: float
    saturated_layers: tuple[int, ...]
    dead_layers: tuple[int, ...]
    explanation: str


def diagnose(
    grad_norms: Sequence[float] | np.ndarray,
    *,
    activations: Sequence[np.ndarray] | None = None,
    activation: str | Sequence[str] | None = None,
    vanishing_ratio: float = 1e-2,
    exploding_ratio: float = 1e2,
    max_norm: float | None = 1e3,
    min_norm: float | None = 1e-6,
    saturated_threshold: float = 0.5,
    dead_threshold: float = 0.4,
) -> Diagnosis:
    """Verdict on per-layer gradient norms (input side first; NaN or inf counts as exploding).

    activations: optional per-layer outputs (batch, units), input side first, with `activation`
    naming their function (one name, or one per array) so saturated and dead units are counted.
    """
    norms = _norms(grad_norms)
    vanishing_ratio = finite_float("vanishing_ratio", vanishing_ratio, positive=True)
    exploding_ratio = finite_float("exploding_ratio", exploding_ratio, positive=True)
    if vanishing_ratio >= exploding_ratio:
        raise ValueError(f"vanishing_ratio must be below exploding_ratio; got {vanishing_ratio} >= {exploding_ratio}")
    max_norm = None if max_norm is None else finite_float("max_norm", max_norm, positive=True)
    min_norm = None if min_norm is None else finite_float("min_norm", min_norm, positive=True)
    if max_norm is not None and min_norm is not None and min_norm >= max_norm:
        raise ValueError(f"min_norm must be below max_norm; got {min_norm} >= {max_norm}")
    saturated_threshold = _fraction("saturated_threshold", saturated_threshold)
    dead_threshold = _fraction("dead_threshold", dead_threshold)
    saturated, dead = _unit_stats(activations, activation)

    n = norms.size
    first, last = float(norms[0]), float(norms[-1])
    ratio = first / last if last > 0 or math.isnan(last) else (math.inf if first > 0 else math.nan)
    factor = ratio ** (1.0 / (n - 1)) if math.isfinite(ratio) else ratio
    where = f"layer 1 (input side) has gradient norm {first:.3g}, layer {n} (output side) {last:.3g}"
    if not np.all(np.isfinite(norms)):
        bad = int(np.flatnonzero(~np.isfinite(norms))[0]) + 1
        verdict, why = "exploding", f"gradient norm of layer {bad} is {norms[bad - 1]} (overflow)"
    elif last == 0.0 and first == 0.0:
        verdict, why = "vanishing", "every gradient at both ends is exactly zero: nothing learns"
    elif ratio < vanishing_ratio:
        verdict, why = "vanishing", f"{where}: ratio {ratio:.3g} < {vanishing_ratio:g} (per-layer factor {factor:.3g})"
    elif ratio > exploding_ratio:
        verdict, why = "exploding", f"{where}: ratio {ratio:.3g} > {exploding_ratio:g} (per-layer factor {factor:.3g})"
    elif max_norm is not None and norms.max() > max_norm:
        big = int(np.argmax(norms)) + 1
        verdict, why = "exploding", f"layer {big} has gradient norm {norms[big - 1]:.3g} > max_norm {max_norm:g}"
    elif min_norm is not None and norms.min() < min_norm:
        small = int(np.argmin(norms)) + 1
        verdict, why = "vanishing", f"layer {small} has gradient norm {norms[small - 1]:.3g} < min_norm {min_norm:g}"
    else:
        verdict, why = (
            "healthy",
            (
                f"{where}: ratio {ratio:.3g} within [{vanishing_ratio:g}, {exploding_ratio:g}] "
                f"(per-layer factor {factor:.3g})"
            ),
        )
    sat_layers = _over(saturated, saturated_threshold)
    dead_layers = _over(dead, dead_threshold)
    if sat_layers:
        why += f"; over {saturated_threshold:.0%} saturated in {_layer_list(sat_layers)}"
    if dead_layers:
        why += f"; over {dead_threshold:.0%} dead units in {_layer_list(dead_layers)}"
    return Diagnosis(
        verdict,
        ratio,
        factor,
        n,
        vanishing_ratio,
        exploding_ratio,
        max_norm,
        min_norm,
        saturated,
        dead,
        saturated_threshold,
        dead_threshold,
        sat_layers,
        dead_layers,
        f"{verdict}: {why}",
    )


def saturated_fraction(a: np.ndarray, activation: str) -> float:
    """Fraction of entries of sigmoid or tanh outputs `a` in the flat tails (see the module docstring)."""
    choice("activation", activation, SATURATING)
    arr = finite_array("a", a)
    lo, hi = SATURATION_BANDS[activation]
    return float(np.mean((arr < lo) | (arr > hi)))


def dead_fraction(a: np.ndarray) -> float:
    """Fraction of units (columns of `a`, shape (batch, units)) whose output is never positive in the batch."""
    arr = finite_array("a", a, ndim=2)
    return float(np.mean(~np.any(arr > 0.0, axis=0)))


def _norms(grad_norms: object) -> np.ndarray:
    try:
        norms = np.asarray(grad_norms, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"grad_norms must be a 1-D array of per-layer norms; got {type(grad_norms).__name__}") from exc
    if norms.ndim != 1 or norms.size < 2:
        raise ValueError(f"grad_norms must be 1-D with at least 2 layers (input side first); got shape {norms.shape}")
    if np.any(norms < 0):
        raise ValueError("grad_norms must be non-negative (they are norms)")
    return norms


def _fraction(name: str, value: object) -> float:
    out = finite_float(name, value)
    if not 0.0 <= out <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1]; got {out}")
    return out


def _unit_stats(activations: object, activation: object) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    if activations is None:
        if activation is not None:
            raise ValueError("activation is only used with activations; pass both or neither")
        return None, None
    if isinstance(activations, np.ndarray) or not isinstance(activations, Sequence) or not activations:
        raise TypeError("activations must be a non-empty list of per-layer arrays (batch, units), input side first")
    if activation is None:
        raise ValueError(f"activation must name the activations' function, one of {sorted(ACTIVATIONS)}")
    names = [activation] * len(activations) if isinstance(activation, str) else activation
    if not isinstance(names, Sequence) or len(names) != len(activations):
        raise ValueError(f"activation must be one name or one per array ({len(activations)})")
    saturated, dead = [], []
    for i, (a, name) in enumerate(zip(activations, names, strict=True)):
        choice(f"activation[{i}]", name, ACTIVATIONS)
        arr = finite_array(f"activations[{i}]", a, ndim=2)
        saturated.append(saturated_fraction(arr, name) if name in SATURATING else math.nan)
        dead.append(dead_fraction(arr) if name in RECTIFIED else math.nan)
    return tuple(saturated), tuple(dead)


def _over(values: tuple[float, ...] | None, threshold: float) -> tuple[int, ...]:
    if values is None:
        return ()
    return tuple(i + 1 for i, v in enumerate(values) if v > threshold)  # NaN (not applicable) never exceeds


def _layer_list(layers: tuple[int, ...]) -> str:
    shown = ", ".join(map(str, layers[:6]))
    return f"layer(s) {shown}" if len(layers) <= 6 else f"{len(layers)} layers ({shown}, ...)"
