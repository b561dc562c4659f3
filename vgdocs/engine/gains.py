"""Recommended initialisation gains: the factor that keeps a layer's output variance steady.

The gain g of an activation f is chosen so that weights of variance g^2 / fan_in keep the
second moment of the pre-activations constant from layer to layer: g^2 E[f(z)^2] = Var(z).
ReLU zeroes half its inputs, so E[relu(z)^2] = Var(z)/2 and g = sqrt(2) (He et al. 2015); a
leaky ReLU with slope a keeps (1 + a^2)/2 of it, g = sqrt(2 / (1 + a^2)). tanh's 5/3 and
SELU's 3/4 are the conventions PyTorch documents (torch.nn.init.calculate_gain).
"""

from __future__ import annotations

import math

from vgdocs.engine._checks import choice, finite_float

__all__ = ["GAIN_ACTIVATIONS", "gain"]

GAIN_ACTIVATIONS: tuple[str, ...] = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def gain(name: str, alpha: float = 0.01) -> float:
    """The recommended gain for activation `name` (`alpha`: leaky ReLU's negative slope)."""
    choice("name", name, GAIN_ACTIVATIONS)
    alpha = finite_float("alpha", alpha)
    if name in ("linear", "sigmoid"):
        return 1.0
    if name == "tanh":
        return 5.0 / 3.0
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + alpha * alpha))
    return 0.75
