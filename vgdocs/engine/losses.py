"""Losses on the output layer's pre-activation: value, output, and dL/dz in one stable pass.

Every loss is a mean over the batch (and over output units for MSE and binary cross-entropy),
matching PyTorch's default `reduction="mean"`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_array
from vgdocs.engine.activations import Activation, sigmoid

__all__ = ["LOSSES", "LossValue", "evaluate_loss"]

LOSSES: tuple[str, ...] = ("mse", "bce", "softmax_ce")


@dataclass(frozen=True)
class LossValue:
    """A loss evaluated on a batch: its value, the network's output and dL/dz at the output."""

    value: float
    output: np.ndarray
    delta: np.ndarray


def evaluate_loss(name: str, z: np.ndarray, y: np.ndarray, output_activation: Activation) -> LossValue:
    """Loss `name` of targets `y` given output pre-activations `z` (batch, outputs).

    MSE applies `output_activation`; "bce" uses a sigmoid output and "softmax_ce" a softmax,
    both fused with the loss for stability. Softmax targets are integer labels or one-hot rows.
    """
    choice("loss", name, LOSSES)
    n = z.shape[0]
    if name == "mse":
        y = _targets(y, z)
        out = output_activation(z)
        diff = out - y
        value = float(np.mean(diff * diff))
        delta = (2.0 / diff.size) * diff * output_activation.derivative(z)
        return LossValue(value, out, delta)
    if name == "bce":
        y = _targets(y, z)
        # softplus(z) - y*z == -[y log s(z) + (1-y) log(1-s(z))], without log(0)
        value = float(np.mean(np.logaddexp(0.0, z) - y * z))
        out = sigmoid(z)
        return LossValue(value, out, (out - y) / z.size)
    y = _labels_or_targets(y)
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer) or y.shape[0] != n or y.min() < 0 or y.max() >= z.shape[1]:
            raise ValueError(f"y must hold {n} integer class labels in [0, {z.shape[1] - 1}] for loss='softmax_ce'")
        onehot = np.zeros_like(z)
        onehot[np.arange(n), y] = 1.0
    else:
        onehot = _targets(y, z)
    shifted = z - z.max(axis=1, keepdims=True)
    logsum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    logp = shifted - logsum
    value = float(-np.sum(onehot * logp) / n)
    out = np.exp(logp)
    return LossValue(value, out, (out - onehot) / n)


def _labels_or_targets(y: object) -> np.ndarray:
    """Integer class labels as they are; anything else must be a finite real array."""
    try:
        raw = np.asarray(y)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"y must be a rectangular array of labels or targets; got {type(y).__name__}") from exc
    return raw if raw.dtype.kind in "iu" else finite_array("y", raw)


def _targets(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    shape = z.shape
    y = finite_array("y", y, dtype=z.dtype)
    if y.ndim == 1 and shape[1] == 1:
        y = y[:, None]
    if y.shape != shape:
        raise ValueError(f"y must have shape {shape} to match the network output; got {y.shape}")
    return y
