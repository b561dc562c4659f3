"""The MLP's inner loops: one allocation per pass, activations in place, slopes read off outputs.

Private to vgdocs.engine.nets (the MLP's forward and backward passes call these); kept apart so
the model reads as the maths and these read as the memory and speed tricks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from vgdocs.engine.activations import Activation

if TYPE_CHECKING:
    from vgdocs.engine.nets.mlp import Layer

__all__ = ["IN_PLACE", "PassBuffers", "apply_into", "times_slope"]


def times_slope(act: Activation, u: np.ndarray, phi: np.ndarray, g: np.ndarray, *, in_place: bool) -> np.ndarray:
    """g * act'(u), reading the slope off the stored output phi = act(u) where that is exact and cheap.

    tanh' = 1 - phi^2, sigmoid' = phi (1 - phi), relu' = [phi > 0] and linear' = 1 give the same
    numbers as act.derivative(u) without recomputing tanh or the sigmoid.
    """
    name = act.name
    if name == "linear":
        return g
    if name == "relu":
        slope = phi > 0
    elif name == "tanh":
        slope = phi * phi
        np.subtract(1.0, slope, out=slope)
    elif name == "sigmoid":
        slope = 1.0 - phi
        slope *= phi
    else:
        slope = act.derivative(u)
    if in_place:
        g *= slope
        return g
    return g * slope


class PassBuffers:
    """Output arrays of one pass, carved from a single allocation: per layer z, dL/d(input) and dL/dW,
    and the activation output of hidden layers that `apply_into` can write in place.

    numpy backs allocations of 4 MB and more with transparent huge pages, so a big pass faults in a
    few 2 MB pages instead of thousands of fresh 4 KB ones; the views are the arrays the taps hold.
    """

    def __init__(self, layers: Sequence[Layer], n: int, dtype: type) -> None:
        hidden = layers[:-1]
        shapes = (
            [(n, L.fan_out) for L in layers]
            + [(n, L.fan_in) for L in layers]
            + [L.W.shape for L in layers]
            + [(n, L.fan_out) if L.act.name in IN_PLACE else (0, 0) for L in hidden]
        )
        flat = np.empty(sum(a * b for a, b in shapes), dtype=dtype)
        views, start = [], 0
        for a, b in shapes:
            views.append(flat[start : start + a * b].reshape(a, b))
            start += a * b
        k = len(layers)
        self.z, self.g, self.dW = views[:k], views[k : 2 * k], views[2 * k : 3 * k]
        self.a = [v if v.size else None for v in views[3 * k :]]


IN_PLACE = ("relu", "tanh")


def apply_into(act: Activation, u: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """act(u), written into `out` for relu and tanh (the ufuncs vgdocs.engine.activations calls), else fresh."""
    if out is not None and act.name == "relu":
        return np.maximum(u, 0.0, out=out)
    if out is not None and act.name == "tanh":
        return np.tanh(u, out=out)
    return act(u)
