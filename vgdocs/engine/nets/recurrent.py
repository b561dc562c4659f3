"""Recurrent networks (vanilla RNN, LSTM, GRU) with backprop through time written by hand.

Gate equations and parameter layout follow PyTorch's nn.RNN / nn.LSTM / nn.GRU, so weights copy
across unchanged: W_ih (gates*H, I), W_hh (gates*H, H), b_ih and b_hh (gates*H,); gate order
i, f, g, o (LSTM) and r, z, n (GRU, where r multiplies W_hn h + b_hn). Inputs are
(batch, time, features) and h_0 = c_0 = 0 unless given. A readout W_out (O, H), b_out (O,)
maps the last hidden state (or every one) to outputs scored by MSE or softmax cross-entropy.

A sequence of seeds builds a stack of independent networks that run as one vectorised
computation: every parameter, output and tap gains a leading stack axis, and each network's
numbers equal those of the same network built alone.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, finite_array, finite_float, positive_int, rng_from
from vgdocs.engine.activations import activation
from vgdocs.engine.init import initialize
from vgdocs.engine.losses import evaluate_loss
from vgdocs.engine.nets.cells import GATES, STEP_BACK, Run, forward

__all__ = [
    "BPTT",
    "CELLS",
    "NONLINEARITIES",
    "READOUTS",
    "RECURRENT_INITS",
    "RECURRENT_LOSSES",
    "RecurrentNet",
]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru")
NONLINEARITIES: tuple[str, ...] = ("tanh", "sigmoid", "relu")
READOUTS: tuple[str, ...] = ("last", "every")
RECURRENT_LOSSES: tuple[str, ...] = ("mse", "softmax_ce")
RECURRENT_INITS: tuple[str, ...] = ("uniform", "orthogonal")
_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "W_out", "b_out")
_LINEAR = activation("linear")


def _overflow_is_data(method):
    """Run `method` with numpy's overflow/invalid warnings off: an exploding run returns inf/NaN as data."""

    @functools.wraps(method)
    def run(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return method(*args, **kwargs)

    return run


@dataclass(frozen=True)
class BPTT:
    """One forward and backward pass through time (a leading stack axis when the net is stacked).

    loss: batch-mean loss; output: readout (after softmax for "softmax_ce"); hidden: h_k,
    shape (B, T, H); hidden_grads: total dL/dh_k, shape (B, T, H) (rows carry the 1/B of the
    batch mean); input_grad: dL/dx, shape (B, T, I); grads: dL/d(parameter) by name.
    """

    loss: float | np.ndarray  # one per network when stacked
    output: np.ndarray
    hidden: np.ndarray  # (B, T, H)
    hidden_grads: np.ndarray  # (B, T, H)
    input_grad: np.ndarray  # (B, T, I)
    grads: dict[str, np.ndarray] = field(repr=False)

    @property
    def h_grad_norms(self) -> np.ndarray:
        """||dL/dh_k|| (Frobenius over batch and units) for every step k, first step first."""
        return np.sqrt(np.sum(self.hidden_grads**2, axis=(-3, -1)))

    @property
    def lag_norms(self) -> np.ndarray:
        """||dL/dh_k|| indexed by time lag T-1-k from the last step: nearest lag first."""
        return self.h_grad_norms[..., ::-1]

    def gradients(self) -> list[np.ndarray]:
        """Gradients in the order of `RecurrentNet.parameters()`."""
        return [self.grads[name] for name in _NAMES]


class RecurrentNet:
    """A one-layer recurrent network with a linear readout, trained by backprop through time.

    cell: "rnn", "lstm" or "gru"; nonlinearity: "tanh", "sigmoid" or "relu" (vanilla RNN only);
    readout: "last" (score h_T) or "every" (score every h_k); loss: "mse" or "softmax_ce";
    recurrent_init: "uniform" (PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for every weight) or
    "orthogonal" (each gate's H x H block of W_hh orthogonal); spectral_norm: rescale each gate's
    block of W_hh to this largest singular value; forget_bias: total LSTM forget-gate bias
    (b_ih's forget slice set to it, b_hh's to 0); seed: an int, a Generator, or a sequence of
    ints for a stack of independent networks.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        output_size: int = 1,
        *,
        nonlinearity: str = "tanh",
        readout: str = "last",
        loss: str = "mse",
        recurrent_init: str = "uniform",
        spectral_norm: float | None = None,
        forget_bias: float | None = None,
        seed: int | np.random.Generator | Sequence[int] = 0,
    ) -> None:
        self.cell = choice("cell", cell, CELLS)
        self.nonlinearity = choice("nonlinearity", nonlinearity, NONLINEARITIES)
        if cell != "rnn" and nonlinearity != "tanh":
            raise ValueError(
                f"nonlinearity is fixed by the gates of cell={cell!r}; leave it 'tanh' "
                f"(choices {list(NONLINEARITIES)} apply to cell='rnn' only)"
            )
        self.readout = choice("readout", readout, READOUTS)
        self.loss_name = choice("loss", loss, RECURRENT_LOSSES)
        self.recurrent_init = choice("recurrent_init", recurrent_init, RECURRENT_INITS)
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.output_size = positive_int("output_size", output_size)
        if spectral_norm is not None:
            spectral_norm = finite_float("spectral_norm", spectral_norm, nonnegative=True)
        if forget_bias is not None:
            if cell != "lstm":
                raise ValueError(f"forget_bias applies to cell='lstm' only; got cell={cell!r}")
            forget_bias = finite_float("forget_bias", forget_bias)
        self.spectral_norm, self.forget_bias = spectral_norm, forget_bias
        self.act = activation(self.nonlinearity)
        self.stacked = isinstance(seed, Sequence) and not isinstance(seed, (str, bytes))
        seeds = list(seed) if self.stacked else [seed]
        if not seeds:
            raise ValueError("seed must be an int, a Generator or a non-empty sequence of ints; got []")
        if self.stacked and not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds):
            raise TypeError(f"seed must be a sequence of non-negative integers for a stack; got {seed!r}")
        self.seeds = tuple(int(s) if isinstance(s, numbers.Integral) else None for s in seeds)
        draws = [self._draw(rng_from("seed", s)) for s in seeds]
        self._p = {name: np.stack([d[name] for d in draws]) for name in _NAMES}

    # -- parameters ---------------------------------------------------------------------------
    @property
    def stack(self) -> int:
        """Number of independent networks held (1 unless built from a sequence of seeds)."""
        return self._p["W_hh"].shape[0]

    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) for W_ih, W_hh, b_ih, b_hh, W_out, b_out; arrays are live views."""
        return [(name, self._public(self._p[name])) for name in _NAMES]

    def recurrent_blocks(self) -> np.ndarray:
        """W_hh split per gate: shape (gates, H, H) (stack axis first when stacked), in PyTorch gate order."""
        w = self._p["W_hh"]
        return self._public(w.reshape(w.shape[0], GATES[self.cell], self.hidden_size, self.hidden_size))

    # -- forward / backward -------------------------------------------------------------------
    @_overflow_is_data
    def forward(
        self, x: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(h_k, c_k) for inputs x (B, T, I), each (B, T, H); c is None except for the LSTM.

        h0 and c0 (B, H) start the run (zeros if omitted), like PyTorch's (output, state).
        """
        run = self._forward(self._input(x), h0, c0)
        c = self._public(np.stack(run.c, axis=2)) if self.cell == "lstm" else None
        return self._public(np.stack(run.h, axis=2)), c

    @_overflow_is_data
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Readout for inputs x: (B, O) for readout "last", (B, T, O) for "every" (softmax probabilities for CE)."""
        z = self._readout_z(self._forward(self._input(x)).h)
        if self.loss_name == "softmax_ce":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            z = e / e.sum(axis=-1, keepdims=True)
        return self._public(z)

    @_overflow_is_data
    def loss(self, x: np.ndarray, y: np.ndarray) -> float | np.ndarray:
        """Batch-mean loss (one per network when stacked), without gradients."""
        xs = self._input(x)
        z = self._readout_z(self._forward(xs).h)
        values = [evaluate_loss(self.loss_name, zs, ys, _LINEAR).value for zs, ys in self._pairs(z, y, xs)]
        return values[0] if not self.stacked else np.array(values)

    @_overflow_is_data
    def gradients(self, x: np.ndarray, y: np.ndarray) -> BPTT:
        """One forward pass and full backprop through time: loss, taps and every parameter's gradient."""
        xs = self._input(x)
        run = self._forward(xs)
        T = len(run.h)
        S, B, H = run.h[0].shape
        z = self._readout_z(run.h)
        evals = [evaluate_loss(self.loss_name, zs, ys, _LINEAR) for zs, ys in self._pairs(z, y, xs)]
        delta = np.stack([e.delta for e in evals]).reshape(z.shape)
        outputs = np.stack([e.output for e in evals]).reshape(z.shape)
        p = self._p
        if self.readout == "last":
            top, g_top = run.h[-1], delta @ p["W_out"]
        else:
            top, g_top = np.stack(run.h, axis=2), delta @ p["W_out"][:, None]
        flat_delta = delta.reshape(S, -1, self.output_size)
        grads = {"W_out": flat_delta.mT @ top.reshape(S, -1, H), "b_out": flat_delta.sum(axis=1)}

        step_back = STEP_BACK[self.cell]
        W_hh = p["W_hh"]
        dW_ih, dW_hh = np.zeros(p["W_ih"].shape), np.zeros(W_hh.shape)
        db_ih, db_hh = np.zeros((S, B, W_hh.shape[1])), np.zeros((S, B, W_hh.shape[1]))
        d_h, d_x = [None] * T, [None] * T
        gh = np.zeros((S, B, H))
        gc = np.zeros((S, B, H))
        for t in range(T - 1, -1, -1):
            if self.readout == "every":
                gh = gh + g_top[:, :, t]
            elif t == T - 1:
                gh = g_top
            d_h[t] = gh
            da_x, da_h, gh, gc = step_back(run.cache[t], gh, gc, W_hh)
            dW_ih += da_x.mT @ run.x[t]
            dW_hh += da_h.mT @ run.h_prev(t)
            db_ih += da_x
            db_hh += da_h
            d_x[t] = da_x @ p["W_ih"]
        grads |= {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih.sum(axis=1), "b_hh": db_hh.sum(axis=1)}
        loss = np.array([e.value for e in evals])
        return BPTT(
            loss=float(loss[0]) if not self.stacked else loss,
            output=self._public(outputs),
            hidden=self._public(np.stack(run.h, axis=2)),
            hidden_grads=self._public(np.stack(d_h, axis=2)),
            input_grad=self._public(np.stack(d_x, axis=2)),
            grads={name: self._public(grads[name]) for name in _NAMES},
        )

    @_overflow_is_data
    def jacobians(self, x: np.ndarray, t: int, ks: Sequence[int]) -> np.ndarray:
        """Exact dh_t/dh_k per example for each k in `ks` (k <= t, steps from 0): shape (len(ks), B, H, H).

        For the LSTM, c_k is held fixed (h_k is perturbed alone), matching what dL/dh_k measures.
        Rows index units of h_t, columns units of h_k. Built by backpropagating the H unit
        vectors from h_t at once.
        """
        xs = self._input(x)
        T = xs.shape[2]
        t = self._step_index("t", t, T)
        ks = [self._step_index("ks", k, T) for k in ks]
        if not ks or max(ks) > t:
            raise ValueError(f"ks must be a non-empty list of steps <= t={t}; got {list(ks)}")
        run = self._forward(xs)
        S, B, H = run.h[0].shape
        W = self._p["W_hh"][:, None]
        gh = np.broadcast_to(np.eye(H), (S, B, H, H))
        gc = np.zeros((S, B, H, H))
        wanted = set(ks)
        found = {t: gh}
        for step in range(t, min(ks), -1):
            cache = tuple(a[:, :, None] for a in run.cache[step])  # a unit-vector axis before the units
            _, _, gh, gc = STEP_BACK[self.cell](cache, gh, gc, W)
            if step - 1 in wanted:
                found[step - 1] = gh
        return self._public(np.stack([found[k] for k in ks], axis=1))

    def jacobian_singular_values(
        self, x: np.ndarray, t: int, ks: Sequence[int], *, example: int | None = None
    ) -> np.ndarray:
        """Singular values of dh_t/dh_k, largest first, shape (len(ks), H): the mean over the batch
        of each ranked singular value, or those of one `example` (a row index)."""
        jac = self.jacobians(x, t, ks)
        if example is not None:
            n = jac.shape[-3]
            if isinstance(example, bool) or not isinstance(example, numbers.Integral) or not 0 <= example < n:
                raise ValueError(f"example must be a row index in [0, {n - 1}] or None (batch mean); got {example!r}")
            return np.linalg.svd(jac[..., example, :, :], compute_uv=False)
        return np.linalg.svd(jac, compute_uv=False).mean(axis=-2)

    # -- internals ----------------------------------------------------------------------------
    def _draw(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        G, H, I, O = GATES[self.cell], self.hidden_size, self.input_size, self.output_size
        k = 1.0 / math.sqrt(H)
        p = {"W_ih": rng.uniform(-k, k, (G * H, I))}
        if self.recurrent_init == "orthogonal":
            p["W_hh"] = np.concatenate([initialize("orthogonal", H, H, rng) for _ in range(G)])
        else:
            p["W_hh"] = rng.uniform(-k, k, (G * H, H))
        p["b_ih"], p["b_hh"] = rng.uniform(-k, k, G * H), rng.uniform(-k, k, G * H)
        # nn.Linear's defaults: kaiming_uniform(a=sqrt 5) and its bias rule both give bound 1/sqrt(H)
        p["W_out"], p["b_out"] = rng.uniform(-k, k, (O, H)), rng.uniform(-k, k, O)
        if self.spectral_norm is not None:
            for g in range(G):
                block = p["W_hh"][g * H : (g + 1) * H]
                top = np.linalg.norm(block, 2)
                if top > 0:
                    block *= self.spectral_norm / top
        if self.forget_bias is not None:
            p["b_ih"][H : 2 * H] = self.forget_bias
            p["b_hh"][H : 2 * H] = 0.0
        return p

    def _public(self, a: np.ndarray) -> np.ndarray:
        return a if self.stacked else a[0]

    def _input(self, x: object) -> np.ndarray:
        """x as (stack or 1, B, T, I)."""
        arr = finite_array("x", x)
        if arr.ndim == 4 and self.stacked and arr.shape[0] == self.stack:
            pass
        elif arr.ndim == 3:
            arr = arr[None]
        else:
            extra = f" or ({self.stack}, batch, time, {self.input_size}) for this stack" if self.stacked else ""
            raise ValueError(f"x must have shape (batch, time, {self.input_size}){extra}; got {arr.shape}")
        if arr.shape[-1] != self.input_size:
            raise ValueError(
                f"x must have {self.input_size} features (input_size) in its last axis; got shape {arr.shape}"
            )
        return arr

    def _state(self, name: str, value: object, B: int) -> np.ndarray:
        S, H = self.stack, self.hidden_size
        arr = finite_array(name, value)
        if arr.shape == (B, H):
            return np.broadcast_to(arr, (S, B, H))
        if arr.shape == (S, B, H) and self.stacked:
            return arr
        raise ValueError(f"{name} must have shape ({B}, {H}) (batch, hidden_size); got {arr.shape}")

    def _forward(self, xs: np.ndarray, h0: object = None, c0: object = None) -> Run:
        """Run the cell over time, keeping per step what the backward pass needs (small arrays only)."""
        if c0 is not None and self.cell != "lstm":
            raise ValueError(f"c0 is the LSTM cell state; cell={self.cell!r} takes h0 only")
        S, H = self.stack, self.hidden_size
        B = xs.shape[1]
        h = np.zeros((S, B, H)) if h0 is None else self._state("h0", h0, B)
        c = np.zeros((S, B, H)) if c0 is None else self._state("c0", c0, B)
        return forward(self.cell, self._p, self.act, xs, h, c)

    def _readout_z(self, hs: list[np.ndarray]) -> np.ndarray:
        """Readout pre-activations: (S, B, O) from the last state, or (S, B, T, O) from every one."""
        W_out, b_out = self._p["W_out"], self._p["b_out"]
        if self.readout == "every":
            return np.stack(hs, axis=2) @ W_out[:, None].mT + b_out[:, None, None]
        return hs[-1] @ W_out.mT + b_out[:, None]

    def _pairs(self, z: np.ndarray, y: object, xs: np.ndarray):
        """(z, y) per network, flattened to the 2-D outputs and targets evaluate_loss takes."""
        B, T = xs.shape[1], xs.shape[2]
        ce = self.loss_name == "softmax_ce"
        lead = (B,) if self.readout == "last" else (B, T)
        want = lead if ce else (*lead, self.output_size)
        arr = np.asarray(y)
        if ce and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"y must hold integer class labels for loss='softmax_ce'; got dtype {arr.dtype}")
        if not ce:
            arr = finite_array("y", arr)
            if self.output_size == 1 and arr.shape in (lead, (self.stack, *lead)):
                arr = arr[..., None]
        if arr.shape == want:
            arr = np.broadcast_to(arr, (self.stack, *want))
        elif not (self.stacked and arr.shape == (self.stack, *want)):
            raise ValueError(
                f"y must have shape {want} for readout={self.readout!r}, loss={self.loss_name!r}; got {np.shape(y)}"
            )
        n = math.prod(lead)
        for s in range(self.stack):
            ys = arr[s].reshape(n) if ce else arr[s].reshape(n, self.output_size)
            yield z[s].reshape(n, self.output_size), ys

    @staticmethod
    def _step_index(name: str, k: object, T: int) -> int:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k < T:
            raise ValueError(f"{name} must hold time steps in [0, {T - 1}]; got {k!r}")
        return int(k)
