"""Experiments for docs/fixes/: each fix measured before and after on the same digits task."""

from vgdocs.experiments.fixes.activations import ActivationSwap, activations
from vgdocs.experiments.fixes.initialisation import Initialisation, initialisation

__all__ = ["ActivationSwap", "Initialisation", "activations", "initialisation"]
