"""Vanishing Gradients, live: a numpy laboratory for gradient flow in deep networks."""

from vgdocs.activations import ACTIVATIONS, Activation, activation
from vgdocs.init import INITIALIZERS, init_std, initialize
from vgdocs.losses import LOSSES
from vgdocs.nets.mlp import MLP, LayerTap, Pass

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "MLP",
    "Activation",
    "LayerTap",
    "Pass",
    "activation",
    "init_std",
    "initialize",
]
__version__ = "0.1.0"
