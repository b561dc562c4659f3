"""A square MLP at initialisation and the batch to measure it on, drawn from one seed.

The one builder of "a network at initialisation and its batch": `vgdocs.engine.probe.probe_mlp` is
`probe(*mlp_at_init(...))`, and experiments that need the network itself (a bias spread for the
mean-field sweeps, with sigma_w^2 = gain^2 under LeCun's 1/n and sigma_b^2 = bias_std^2; norm layers)
call it directly. Draws come from one seed in one order: network, inputs, targets.
"""

from __future__ import annotations

import numpy as np

from vgdocs.engine._checks import finite_float, rng_from
from vgdocs.engine.nets.mlp import MLP

__all__ = ["mlp_at_init"]


def mlp_at_init(
    activation: str,
    *,
    depth: int,
    width: int,
    batch: int,
    seed: int,
    init: str = "lecun_normal",
    gain: float = 1.0,
    bias_std: float = 0.0,
    norm: str | None = None,
    init_std: float = 0.01,
    norm_position: str = "before",
    residual: bool = False,
) -> tuple[MLP, np.ndarray, np.ndarray]:
    """(net, x, y): `depth` hidden layers of `width` (weights `init` times `gain`, biases N(0, bias_std^2),
    optional `norm` layers at `norm_position`, optional skips; `init_std` for the naive inits), a batch of
    `batch` standard-normal inputs and standard-normal targets (one output, MSE), drawn from one seed in
    that order."""
    gain = finite_float("gain", gain, positive=True)
    bias_std = finite_float("bias_std", bias_std, nonnegative=True)
    rng = rng_from("seed", seed)
    net = MLP(
        [width] * (depth + 1) + [1],
        activation,
        init=init,
        init_std=init_std,
        init_gain=gain,
        bias_std=bias_std,
        norm=norm,
        norm_position=norm_position,
        residual=residual,
        seed=rng,
    )
    return net, rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
