"""One step of each recurrent cell, forward over a whole sequence and backward one step at a time.

The numbers behind vgdocs.engine.nets.recurrent.RecurrentNet: `forward` runs a cell over time and
keeps per step what the backward pass needs; `STEP_BACK[cell]` takes one step of backprop through
time. Arrays carry a leading stack axis (independent networks computed at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["GATES", "STEP_BACK", "Run", "forward"]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass
class Run:
    """One forward run, per time step: inputs, states and what each backward step needs."""

    x: list[np.ndarray]
    h0: np.ndarray
    h: list[np.ndarray] = field(default_factory=list)
    c: list[np.ndarray] = field(default_factory=list)
    cache: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def h_prev(self, t: int) -> np.ndarray:
        """The state entering step t."""
        return self.h[t - 1] if t > 0 else self.h0


def _rnn_back(cache, gh, gc, W):
    """Step backward of h = f(W_ih x + W_hh h_prev + b).

    Every step function returns (dL/d input-side pre-activations, dL/d hidden-side ones, dL/dh_prev,
    dL/dc_prev); arrays may carry extra broadcast axes (the Jacobian's unit-vector axis).
    """
    (slope,) = cache
    da = gh * slope
    return da, da, da @ W, gc


def _lstm_back(cache, gh, gc, W):
    """Step backward of the LSTM: gate pre-activation grads (shared by both sides), dL/dh_prev, dL/dc_prev."""
    a, tc, c_prev = cache
    H = tc.shape[-1]
    i, f, g, o = a[..., :H], a[..., H : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]
    gc = gc + gh * o * (1.0 - tc * tc)
    slope = a * (1.0 - a)  # sigmoid' on i, f, o
    slope[..., 2 * H : 3 * H] = 1.0 - g * g  # tanh' on g
    da = np.concatenate([gc * g, gc * c_prev, gc * i, gh * tc], axis=-1)
    da *= slope
    return da, da, da @ W, gc * f


def _gru_back(cache, gh, gc, W):
    """Step backward of the GRU: input-side and hidden-side pre-activation grads differ by r on n."""
    rz, n, ghn, h_prev = cache
    H = n.shape[-1]
    r, z = rz[..., :H], rz[..., H:]
    dn = gh * (1.0 - z) * (1.0 - n * n)
    dz = gh * (h_prev - n) * z * (1.0 - z)
    dr = dn * ghn * r * (1.0 - r)
    dx = np.concatenate([dr, dz, dn], axis=-1)
    dh = np.concatenate([dr, dz, dn * r], axis=-1)
    return dx, dh, gh * z + dh @ W, gc


STEP_BACK = {"rnn": _rnn_back, "lstm": _lstm_back, "gru": _gru_back}


def forward(cell: str, p: dict[str, np.ndarray], act, xs: np.ndarray, h: np.ndarray, c: np.ndarray) -> Run:
    """Run `cell` with parameters `p` over inputs xs (S, B, T, I) from states h, c (S, B, H);
    `act` is the vanilla RNN's nonlinearity (unused by the gated cells)."""
    H, T = h.shape[-1], xs.shape[2]
    run = Run(x=[xs[:, :, t] for t in range(T)], h0=h)
    if cell == "rnn":
        W_x, W_h = p["W_ih"].mT, p["W_hh"].mT
        b = (p["b_ih"] + p["b_hh"])[:, None]
        for x_t in run.x:
            z = x_t @ W_x
            z += h @ W_h
            z += b
            h = act(z)
            run.h.append(h)
            run.cache.append((act.derivative(z),))
        return run
    # sigmoid(v) = (1 + tanh(v/2)) / 2: halving the sigmoid gates' columns lets one tanh call
    # (no overflow for any finite v) produce every gate
    G = GATES[cell]
    scale = np.full(G * H, 0.5)
    scale[2 * H : 3 * H] = 1.0  # the tanh block: g (LSTM) or n (GRU)
    shift = 1.0 - scale
    W_x, W_h = p["W_ih"].mT * scale, p["W_hh"].mT * scale
    if cell == "lstm":
        b = ((p["b_ih"] + p["b_hh"]) * scale)[:, None]
        for x_t in run.x:
            a = x_t @ W_x
            a += h @ W_h
            a += b
            np.tanh(a, out=a)
            a *= scale
            a += shift
            c_prev = c
            c = a[..., H : 2 * H] * c_prev
            c += a[..., :H] * a[..., 2 * H : 3 * H]
            tc = np.tanh(c)
            h = a[..., 3 * H :] * tc
            run.h.append(h)
            run.c.append(c)
            run.cache.append((a, tc, c_prev))
        return run
    b_x, b_h = p["b_ih"][:, None] * scale, p["b_hh"][:, None] * scale
    for x_t in run.x:
        gx = x_t @ W_x
        gx += b_x
        gh = h @ W_h
        gh += b_h
        rz = np.tanh(gx[..., : 2 * H] + gh[..., : 2 * H])
        rz *= 0.5
        rz += 0.5
        ghn = gh[..., 2 * H :]
        n = np.tanh(gx[..., 2 * H :] + rz[..., :H] * ghn)
        h_prev = h
        h = n + rz[..., H:] * (h_prev - n)
        run.h.append(h)
        run.cache.append((rz, n, ghn, h_prev))
    return run
