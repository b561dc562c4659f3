"""A deep MLP at initialisation with Gaussian weights of a chosen scale, and the batch to probe it on.

The mean-field sweeps (weight variance sigma_w^2 = gain^2 under LeCun's 1/n, bias variance
sigma_b^2 = bias_std^2) take gradients at initialisation of such a network:
`vgdocs.engine.probe.probe(*gaussian_mlp(...))` is `probe_mlp` with a weight gain and a bias spread,
with the same draws in the same order (network, inputs, targets from one seed).
"""

from __future__ import annotations

import numpy as np

from vgdocs.engine._checks import finite_float, rng_from
from vgdocs.engine.nets.mlp import MLP

__all__ = ["gaussian_mlp"]


def gaussian_mlp(
    activation: str,
    *,
    depth: int,
    width: int,
    batch: int,
    seed: int,
    init: str = "lecun_normal",
    gain: float = 1.0,
    bias_std: float = 0.0,
) -> tuple[MLP, np.ndarray, np.ndarray]:
    """(net, x, y): `depth` hidden layers of `width` (weights `init` times `gain`, biases N(0, bias_std^2)),
    a batch of `batch` standard-normal inputs and standard-normal targets (one output, MSE), drawn from
    one seed in that order."""
    gain = finite_float("gain", gain, positive=True)
    bias_std = finite_float("bias_std", bias_std, nonnegative=True)
    rng = rng_from("seed", seed)
    net = MLP([width] * (depth + 1) + [1], activation, init=init, init_gain=gain, bias_std=bias_std, seed=rng)
    return net, rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
