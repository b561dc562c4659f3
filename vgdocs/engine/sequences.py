"""Gradients through time at initialisation, as the one per-layer `Profile` type.

`vgdocs.engine.probe.probe_recurrent` builds its own network on standard-normal sequences; the
experiments that study a particular recurrent network (an orthogonal W_hh of chosen norm, an LSTM
with a forget bias, sequences of their own) build it and call `probe_sequence` instead.
"""

from __future__ import annotations

import numpy as np

from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.probe import Profile

__all__ = ["probe_sequence"]


def probe_sequence(net: RecurrentNet, x: np.ndarray, y: np.ndarray) -> Profile:
    """One forward/backward pass through time of a single (unstacked) `net` on (x, y) at its current weights.

    "Layers" are time steps, first step first: delta_norms and grad_norms both hold ||dL/dh_k||,
    lag_norms the same nearest lag first; activations are the hidden states per step.
    """
    if not isinstance(net, RecurrentNet) or net.stacked:
        raise TypeError(f"net must be one vgdocs RecurrentNet (not a stack); got {type(net).__name__}")
    tape = net.gradients(x, y)
    steps = tape.hidden.shape[1]
    name = net.nonlinearity if net.cell == "rnn" else "tanh"  # gated cells' states pass through tanh
    states = tuple(tape.hidden[:, k] for k in range(steps))
    return Profile(tape.loss, tape.h_grad_norms, tape.h_grad_norms, states, (name,) * steps, tape.lag_norms)
