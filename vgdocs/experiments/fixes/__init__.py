"""Experiments for docs/fixes/: each fix measured before and after on the same digits task."""

from vgdocs.experiments.fixes.activations import ActivationSwap, activations
from vgdocs.experiments.fixes.bench import Bench, FewerLayers, bench, fewer_layers
from vgdocs.experiments.fixes.clipping import Clipping, clipping
from vgdocs.experiments.fixes.comparison import Comparison, comparison
from vgdocs.experiments.fixes.defaults import Defaults, defaults
from vgdocs.experiments.fixes.initialisation import Initialisation, initialisation
from vgdocs.experiments.fixes.normalisation import Normalisation, normalisation
from vgdocs.experiments.fixes.optimisers import Optimisers, optimisers
from vgdocs.experiments.fixes.residual import Residual, residual

__all__ = [
    "ActivationSwap",
    "Bench",
    "Clipping",
    "Comparison",
    "Defaults",
    "FewerLayers",
    "Initialisation",
    "Normalisation",
    "Optimisers",
    "Residual",
    "activations",
    "bench",
    "clipping",
    "comparison",
    "defaults",
    "fewer_layers",
    "initialisation",
    "normalisation",
    "optimisers",
    "residual",
]
