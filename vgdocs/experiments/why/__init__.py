"""Why gradients vanish: the chain rule multiplies one slope (and one weight) per layer.

Experiments for docs/why.md, in two modules: `slopes` (activation slopes, the 0.25^n bound) and
`networks` (the scalar toy next to a real network, and how the weight scale moves the per-layer
factor). Every public name is importable from `vgdocs.experiments.why`.
"""

from vgdocs.experiments.why.networks import (
    NETWORKS,
    GradientFlow,
    WeightScale,
    delta_profile,
    gradient_flow,
    weight_scale,
)
from vgdocs.experiments.why.slopes import (
    CURVE_GROUPS,
    PROBES,
    TABLE_ACTIVATIONS,
    ActivationCurves,
    ActivationFacts,
    SlopeBound,
    activation_curves,
    activation_facts,
    slope_bound,
)

__all__ = [
    "CURVE_GROUPS",
    "NETWORKS",
    "PROBES",
    "TABLE_ACTIVATIONS",
    "ActivationCurves",
    "ActivationFacts",
    "GradientFlow",
    "SlopeBound",
    "WeightScale",
    "activation_curves",
    "activation_facts",
    "delta_profile",
    "gradient_flow",
    "slope_bound",
    "weight_scale",
]
