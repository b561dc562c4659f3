"""One forward/backward pass at initialisation: the probe every "gradients at init" measurement uses.

`probe_mlp` and `probe_recurrent` build a network, feed it standard-normal inputs against a random
standard-normal regression target (MSE) and return one `Profile`: the single per-layer profile type
(the command line's `profile`, and experiments that take gradients at initialisation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_FLOATS", "Profile", "probe", "probe_mlp", "probe_recurrent"]

MAX_FLOATS = 5e7  # weights plus the per-layer z, a and delta a pass keeps: about 400 MB in float64


@dataclass(frozen=True)
class Profile:
    """One forward/backward pass: loss, per-layer norms (input side first) and hidden activations.

    delta_norms: Frobenius norm of dL/dz per hidden layer; grad_norms: of dL/dW per weight layer;
    activations: each hidden layer's activation output (batch, units) with its function's name;
    Opt-in fields (MLPs only; None unless the probe was asked for them):
    preactivation_vars, delta_vars: Var(z) and Var(dL/dz) of each hidden layer over batch and units, and
    weight_grad_vars: Var(dL/dW) of each weight layer over its entries, output layer last (variances=True);
    bias_grad_norms: Euclidean norm of dL/db per weight layer, output layer last, NaN where a layer has
    no bias (bias_grads=True);
    activation_inputs: each hidden layer's activation input u, (batch, units): z, or norm(z) when
    normalising before the activation (activation_inputs=True).
    """

    loss: float
    delta_norms: np.ndarray
    grad_norms: np.ndarray
    activations: tuple[np.ndarray, ...]
    activation_names: tuple[str, ...]
    lag_norms: np.ndarray | None = None  # recurrent models: ||dL/dh_k|| per time lag, nearest lag first
    preactivation_vars: np.ndarray | None = None
    delta_vars: np.ndarray | None = None
    weight_grad_vars: np.ndarray | None = None
    bias_grad_norms: np.ndarray | None = None
    activation_inputs: tuple[np.ndarray, ...] | None = None


def probe(
    net: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    variances: bool = False,
    bias_grads: bool = False,
    activation_inputs: bool = False,
) -> Profile:
    """One forward/backward pass of an MLP `net` on (x, y) at its current weights (no statistics updated).

    variances: also report Var(z), Var(dL/dz) per hidden layer and Var(dL/dW) per weight layer;
    bias_grads: the norm of dL/db per weight layer; activation_inputs: a copy of each hidden layer's u.
    Each is a further pass over the taps, paid only when asked.
    Overflow in an exploding network is data: its norms come back inf or NaN, without warnings.
    """
    with np.errstate(all="ignore"):
        tape = net.gradients(x, y, update_stats=False)
        acts = tuple(layer.act(tap.u) for layer, tap in zip(net.layers[:-1], tape.hidden, strict=True))
        names = tuple(layer.act.name for layer in net.layers[:-1])
        extra: dict[str, Any] = {}
        if variances:
            extra["preactivation_vars"] = np.array([tap.z.var() for tap in tape.hidden], dtype=np.float64)
            extra["delta_vars"] = np.array([tap.delta.var() for tap in tape.hidden], dtype=np.float64)
            extra["weight_grad_vars"] = np.array([tap.dW.var() for tap in tape.layers], dtype=np.float64)
        if bias_grads:
            extra["bias_grad_norms"] = tape.bias_grad_norms
        if activation_inputs:
            extra["activation_inputs"] = tuple(tap.u.copy() for tap in tape.hidden)
        return Profile(tape.loss, tape.delta_norms, tape.grad_norms, acts, names, **extra)


def probe_mlp(
    activation: str,
    *,
    depth: int,
    width: int,
    batch: int,
    seed: int,
    init: str = "xavier_normal",
    init_std: float = 0.01,
    init_gain: float = 1.0,
    norm: str | None = None,
    norm_position: str = "before",
    residual: bool = False,
    variances: bool = False,
) -> Profile:
    """An MLP of `depth` hidden layers of `width` (zero biases) on standard-normal inputs, random MSE target."""
    from vgdocs.engine.at_init import mlp_at_init

    size = (depth + 1) * width * (width + 3 * batch)
    if size > MAX_FLOATS:
        raise ValueError(
            f"this network needs about {size:.2g} floats (weights and per-layer batch arrays), over "
            f"the {MAX_FLOATS:.0e} a profile allows; reduce depth, width or batch"
        )
    net, x, y = mlp_at_init(
        activation,
        depth=depth,
        width=width,
        batch=batch,
        seed=seed,
        init=init,
        gain=init_gain,
        init_std=init_std,
        norm=norm,
        norm_position=norm_position,
        residual=residual,
    )
    return probe(net, x, y, variances=variances)


def probe_recurrent(model: str, *, activation: str, steps: int, width: int, batch: int, seed: int) -> Profile:
    """One RNN/LSTM/GRU layer of `width` units over `steps` standard-normal inputs, MSE on the last step.

    "Layers" are time steps, first step first: delta_norms and grad_norms both hold ||dL/dh_k||;
    gated cells' states pass through tanh whatever `activation` says.
    """
    from vgdocs.engine.nets.recurrent import RecurrentNet

    size = steps * batch * width * 12  # gates, states and their gradients per step
    if size > MAX_FLOATS:
        raise ValueError(
            f"this sequence needs about {size:.2g} floats, over the {MAX_FLOATS:.0e} a profile "
            f"allows; reduce steps, width or batch"
        )
    rng = np.random.default_rng(seed)
    f = activation if model == "rnn" else "tanh"
    net = RecurrentNet(model, width, width, 1, nonlinearity=f, seed=rng)
    tape = net.gradients(rng.standard_normal((batch, steps, width)), rng.standard_normal((batch, 1)))
    states = tuple(tape.hidden[:, k] for k in range(steps))
    return Profile(tape.loss, tape.h_grad_norms, tape.h_grad_norms, states, (f,) * steps, tape.lag_norms)
