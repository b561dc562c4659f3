"""Glorot & Bengio (2010): the "standard" initialisation shrinks back-propagated variance by 1/3 per layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float, positive_int, rng_from
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import experiment
from vgdocs.experiments.reproductions._common import (
    INIT_LABEL,
    Criterion,
    PaperResult,
    compare,
)
from vgdocs.publish.present.spec import Figure, Panel, Series

# Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward neural
# networks", sec. 4.2.1: the "standard" initialisation W ~ U[-1/sqrt(n), 1/sqrt(n)] gives
# n Var[W] = 1/3, so in the linear regime the variance of back-propagated gradients is multiplied by
# 1/3 per layer going down while the variance of weight gradients does not depend on the layer
# (their eqs. 5-7 and fig. 7); the normalised ("Xavier") initialisation makes n Var[W] = 1.
GLOROT_STANDARD_N_VAR = 1.0 / 3.0
GLOROT_XAVIER_N_VAR = 1.0

# -- Glorot & Bengio: "standard" versus normalised initialisation ----------------------------------
GLOROT_INITS = ("standard", "xavier_uniform")


@dataclass(frozen=True, kw_only=True)
class GlorotVariance(PaperResult):
    """Per-layer variances in a deep tanh net near its linear regime, for each initialisation.

    Arrays are (inits, depth), hidden layers input side first, geometric means over seeds:
    backprop_var = Var[dL/dz^l], weight_grad_var = Var[dL/dW^l], both relative to the top hidden layer.
    backprop_shrink: factor by which Var[dL/dz] falls per layer going down; weight_grad_factor: same for dL/dW.
    """

    depth: int
    width: int
    batch: int
    input_std: float
    n_seeds: int
    inits: tuple[str, ...]
    n_var_w: np.ndarray  # fan_in * sample variance of the hidden weights, mean over layers and seeds
    backprop_var: np.ndarray
    weight_grad_var: np.ndarray
    backprop_shrink: np.ndarray
    weight_grad_factor: np.ndarray

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            f"{self.depth}-layer tanh network of width {self.width}, inputs "
            f"N(0, {self.input_std:g}²) so every unit sits in tanh's linear regime; "
            f"{self.n_seeds} seeds, {self.batch} examples each."
        )

    def figure(self, which: str | None = None) -> Figure:
        """Two panels: Var[dL/dz] and Var[dL/dW] per layer (log), one line per initialisation."""
        k = np.arange(1, self.depth + 1)
        left = tuple(Series(INIT_LABEL[i], k, self.backprop_var[j]) for j, i in enumerate(self.inits))
        right = tuple(Series(INIT_LABEL[i], k, self.weight_grad_var[j]) for j, i in enumerate(self.inits))
        return Figure(
            panels=(
                Panel(left, "hidden layer (1 = input side)", "Var[∂L/∂z] / top layer", "back-propagated", logy=True),
                Panel(right, "hidden layer (1 = input side)", "Var[∂L/∂W] / top layer", "weight gradients", logy=True),
            ),
            alt=f"Two log-scale plots over the {self.depth} hidden layers of a tanh network. Left: with the standard "
            f"initialisation the back-propagated variance falls by a factor of about "
            f"{self.backprop_shrink[0]:.2g} per layer towards the input; with Xavier it stays level. Right: "
            f"the weight-gradient variance stays level under both.",
            title="Glorot and Bengio's observation: the signal shrinks, the weight gradients do not",
        )


@experiment("reproductions.glorot")
def glorot(
    depth: int = 10,
    width: int = 128,
    batch: int = 256,
    *,
    input_std: float = 0.1,
    n_seeds: int = 4,
    tolerance: float = 0.15,
    seed: int = 0,
) -> GlorotVariance:
    """Variance of dL/dz and dL/dW per layer of a tanh net under "standard" and Xavier initialisation.

    Inputs N(0, input_std^2) and targets N(0, 1) under MSE; `tolerance` is the relative band of the claims.
    """
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    n_seeds = positive_int("n_seeds", n_seeds)
    input_std = finite_float("input_std", input_std, positive=True)
    tolerance = finite_float("tolerance", tolerance, positive=True)
    if depth < 2:
        raise ValueError(f"depth must be at least 2 to compare layers; got {depth}")
    n_var, backprop, weight = [], [], []
    for init in GLOROT_INITS:
        logs_d, logs_w, nv = np.zeros(depth), np.zeros(depth), 0.0
        for s in range(n_seeds):
            rng = rng_from("seed", seed + s)
            net = MLP([width] * (depth + 1) + [width], "tanh", init=init, seed=rng)
            x, y = input_std * rng.standard_normal((batch, width)), rng.standard_normal((batch, width))
            p = probe(net, x, y, variances=True)
            logs_d += np.log(p.delta_vars) / n_seeds
            logs_w += np.log(p.weight_grad_vars[:-1]) / n_seeds
            nv += np.mean([width * layer.W.var() for layer in net.layers[:-1]]) / n_seeds
        n_var.append(nv)
        backprop.append(np.exp(logs_d - logs_d[-1]))
        weight.append(np.exp(logs_w - logs_w[-1]))
    backprop_arr, weight_arr = np.array(backprop), np.array(weight)
    shrink = backprop_arr[:, 0] ** (-1.0 / (depth - 1))
    w_factor = weight_arr[:, 0] ** (-1.0 / (depth - 1))
    band = Criterion("relative", tolerance)
    claims = []
    for j, (init, published) in enumerate(zip(GLOROT_INITS, (GLOROT_STANDARD_N_VAR, GLOROT_XAVIER_N_VAR), strict=True)):
        name = INIT_LABEL[init]
        claims += [
            compare("glorot", f"{name}: n Var[W]", published, n_var[j], Criterion("relative", 0.05), "identity"),
            compare(
                "glorot", f"{name}: Var[∂L/∂z], factor lost per layer going down", 1.0 / published, shrink[j], band
            ),
            compare("glorot", f"{name}: Var[∂L/∂W], factor lost per layer going down", 1.0, w_factor[j], band),
        ]
    return GlorotVariance(
        seed=seed,
        depth=depth,
        width=width,
        batch=batch,
        input_std=input_std,
        n_seeds=n_seeds,
        inits=GLOROT_INITS,
        n_var_w=np.array(n_var),
        backprop_var=backprop_arr,
        weight_grad_var=weight_arr,
        backprop_shrink=shrink,
        weight_grad_factor=w_factor,
        rows=tuple(claims),
    )
