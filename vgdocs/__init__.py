"""Vanishing Gradients, live: a numpy laboratory for gradient flow in deep networks."""

from vgdocs.engine.activations import ACTIVATIONS, Activation, activation
from vgdocs.engine.init import INITIALIZERS, init_std, initialize
from vgdocs.engine.losses import LOSSES
from vgdocs.engine.nets.mlp import MLP, LayerTap, Pass

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
