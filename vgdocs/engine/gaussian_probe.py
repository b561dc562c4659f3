"""The probe of a network whose weights are N(0, gain^2 * var_init) and biases N(0, bias_std^2).

The mean-field sweeps (weight variance sigma_w^2 = gain^2 under LeCun's 1/n, bias variance
sigma_b^2) take gradients at initialisation of such a network: this is `probe_mlp` with a weight
gain and a bias spread, same draws in the same order (network, inputs, targets from one seed).
"""

from __future__ import annotations

import numpy as np

from vgdocs.engine._checks import finite_float, rng_from
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import Profile, probe

__all__ = ["probe_gaussian"]


def probe_gaussian(
    activation: str,
    *,
    depth: int,
    width: int,
    batch: int,
    seed: int,
    init: str = "lecun_normal",
    gain: float = 1.0,
    bias_std: float = 0.0,
) -> Profile:
    """`depth` hidden layers of `width` (weights `init` times `gain`, biases N(0, bias_std^2)) on one batch.

    Inputs and targets are standard normal (targets one-dimensional, MSE); numpy's overflow
    warnings are silenced, since a far-from-critical network may overflow and that is data.
    """
    gain = finite_float("gain", gain, positive=True)
    bias_std = finite_float("bias_std", bias_std, nonnegative=True)
    rng = rng_from("seed", seed)
    net = MLP([width] * (depth + 1) + [1], activation, init=init, init_gain=gain, bias_std=bias_std, seed=rng)
    x, y = rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
    with np.errstate(over="ignore", invalid="ignore"):
        return probe(net, x, y)
