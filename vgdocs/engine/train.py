"""A training loop that records per-layer gradient health at chosen steps and never crashes on overflow.

A run whose loss or gradients become non-finite stops at that step: `History.overflow_step` says
where, and every later record is NaN. Numpy's overflow warnings are silenced inside the loop
because overflow here is a measurement, not an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from vgdocs.engine._checks import finite_array, finite_float, positive_int, rng_from
from vgdocs.engine.diagnose import RECTIFIED, SATURATING, dead_fraction, saturated_fraction
from vgdocs.engine.nets.mlp import MLP, Pass
from vgdocs.engine.optim import (
    Optimizer,
    clip_by_global_norm,
    clip_by_value,
    clip_stacked_by_global_norm,
    make_optimizer,
)

__all__ = ["History", "accuracy", "fit", "train", "train_stacked"]


@dataclass(frozen=True, eq=False)
class History:
    """What a training run recorded, one row per recorded step (NaN after an overflow).

    loss/accuracy: on the step's batch, before its update (accuracy None for MSE).
    grad_norms, update_ratios: per weight layer (output layer last): Frobenius norm of dL/dW
    before clipping, and ||W_after - W_before|| / ||W_before|| for that step's update.
    delta_norms, saturated, dead: per hidden layer: norm of dL/dz, fraction of unit-examples in a
    sigmoid/tanh tail, fraction of rectified units never positive in the batch (NaN where the
    measure does not apply; thresholds in vgdocs.engine.diagnose). weight_change: ||W_T - W_0|| / ||W_0||
    per weight layer. final_loss: training-set loss after the last update (NaN after overflow).
    clip_fraction: fraction of taken steps on which clipping changed the gradient.
    eval_loss/eval_accuracy: on (x_eval, y_eval) at each recorded step, before its update, or None.
    """

    steps: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray | None
    grad_norms: np.ndarray
    delta_norms: np.ndarray
    update_ratios: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    weight_change: np.ndarray
    overflow_step: int | None
    final_loss: float
    clip_fraction: float
    eval_loss: np.ndarray | None
    eval_accuracy: np.ndarray | None
    seed: int | None


def train(
    net: MLP,
    x: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: str | Optimizer = "adam",
    lr: float = 1e-3,
    steps: int = 100,
    batch_size: int | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    record_every: int = 1,
    seed: int = 0,
    weight_decay: float = 0.0,
    x_eval: np.ndarray | None = None,
    y_eval: np.ndarray | None = None,
) -> History:
    """Train `net` in place for `steps` updates and return its History (records at steps 0, k, 2k, ...).

    optimizer: a name from vgdocs.engine.optim (built with `lr`, `weight_decay`) or a ready Optimizer
    (then `lr` and `weight_decay` are its own). batch_size None means full batch; otherwise
    batches are drawn without replacement from a reshuffle each epoch (seeded by `seed`).
    Pass at most one of clip_norm (global norm) and clip_value (per entry).
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a vgdocs MLP; got {type(net).__name__}")
    x, y = _data("x", "y", x, y)
    steps = positive_int("steps", steps)
    record_every = positive_int("record_every", record_every)
    opt = optimizer if isinstance(optimizer, Optimizer) else make_optimizer(optimizer, lr, weight_decay=weight_decay)
    if clip_norm is not None and clip_value is not None:
        raise ValueError("pass clip_norm or clip_value, not both")
    clip_norm = None if clip_norm is None else finite_float("clip_norm", clip_norm, positive=True)
    clip_value = None if clip_value is None else finite_float("clip_value", clip_value, positive=True)
    n = x.shape[0]
    batch = n if batch_size is None else positive_int("batch_size", batch_size)
    if batch > n:
        raise ValueError(f"batch_size must be at most the number of examples ({n}); got {batch}")
    rng = rng_from("seed", seed)
    if (x_eval is None) != (y_eval is None):
        raise ValueError("x_eval and y_eval must be given together")
    if x_eval is not None:
        x_eval, y_eval = _data("x_eval", "y_eval", x_eval, y_eval)

    rec = _Recorder(net, steps, record_every, evaluate=x_eval is not None)
    params = [arr for _, arr in net.parameters()]
    weights = [layer.W for layer in net.layers]
    start = [w.copy() for w in weights]
    order, pos, clipped, taken, overflow = np.arange(n), n, 0, 0, None
    # One BLAS thread: these matmuls are small, and on a shared machine OpenBLAS threads spin-wait
    # (measured 60 s instead of 0.9 s for 300 steps); it also fixes the summation order.
    with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
        for t in range(steps):
            if batch < n:
                if pos + batch > n:
                    order, pos = rng.permutation(n), 0
                idx = order[pos : pos + batch]
                pos += batch
                xb, yb = x[idx], y[idx]
            else:
                xb, yb = x, y
            tape = net.gradients(xb, yb)
            grads = tape.gradients()
            row = t // record_every if t % record_every == 0 else None
            if not (math.isfinite(tape.loss) and all(_finite(g) for g in grads)):
                overflow = t
                if row is not None:
                    rec.loss[row], rec.grad_norms[row] = tape.loss, tape.grad_norms
                break
            if clip_norm is not None:
                grads, norm = clip_by_global_norm(grads, clip_norm)
                clipped += norm > clip_norm
            elif clip_value is not None:
                clipped += any(float(np.max(np.abs(g))) > clip_value for g in grads)
                grads = clip_by_value(grads, clip_value)
            if row is not None and x_eval is not None:
                rec.evaluate(row, x_eval, y_eval)  # same weights as this row's training loss
            before = [w.copy() for w in weights] if row is not None else None
            opt.step(params, grads)
            taken += 1
            if row is not None:
                rec.record(row, tape, yb, before, weights)
        final = net.loss(x, y) if overflow is None else math.nan
        if overflow is None and not math.isfinite(final):
            overflow = steps  # the last update itself overflowed the weights
        change = np.array([np.linalg.norm(w - w0) / np.linalg.norm(w0) for w, w0 in zip(weights, start, strict=True)])
    return History(
        steps=rec.steps,
        loss=rec.loss,
        accuracy=rec.accuracy,
        grad_norms=rec.grad_norms,
        delta_norms=rec.delta_norms,
        update_ratios=rec.update_ratios,
        saturated=rec.saturated,
        dead=rec.dead,
        weight_change=change,
        overflow_step=overflow,
        final_loss=float(final),
        clip_fraction=clipped / taken if taken else 0.0,
        eval_loss=rec.eval_loss,
        eval_accuracy=rec.eval_accuracy,
        seed=seed if isinstance(seed, int) else None,
    )


def fit(
    net: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: str | Optimizer = "sgd",
    lr: float = 0.01,
    steps: int = 100,
    batch_size: int | None = None,
    seed: int | np.random.Generator = 0,
    warmup: int = 0,
    on_gradients: Callable[[int, Any], None] | None = None,
    on_update: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Train any network in place, recording nothing itself; returns each step's batch loss (steps,).

    `net` has `parameters()` ((name, array) pairs) and `gradients(x, y)` returning a pass with
    `.loss` and `.gradients()` (an MLP, a ResidualStack). Each step draws `batch_size` examples with
    replacement from a Generator seeded by `seed` (None: the full batch, no draws), calls
    `on_gradients(t, pass)` before the update (the weights are still those the pass saw), updates,
    then calls `on_update(t)`. warmup: the learning rate rises linearly to `lr` over that many steps.
    Non-finite losses are data: the run carries on and the caller reads them.
    """
    x, y = _data("x", "y", x, y)
    steps = positive_int("steps", steps)
    warmup = 0 if warmup == 0 else positive_int("warmup", warmup)
    n = x.shape[0]
    batch = None if batch_size is None else positive_int("batch_size", batch_size)
    rng = rng_from("seed", seed)
    opt = optimizer if isinstance(optimizer, Optimizer) else make_optimizer(optimizer, lr)
    losses = np.full(steps, np.nan)
    with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
        for t in range(steps):
            if warmup:
                opt.lr = lr * min(1.0, (t + 1) / warmup)
            if batch is None:
                tape = net.gradients(x, y)
            else:
                idx = rng.integers(0, n, batch)
                tape = net.gradients(x[idx], y[idx])
            losses[t] = tape.loss
            if on_gradients is not None:
                on_gradients(t, tape)
            opt.step(net.parameters(), tape.gradients())
            if on_update is not None:
                on_update(t)
    return losses


def train_stacked(
    net, batches, optimizer: str, lr: float, steps: int, max_norm: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Train a stack of independent networks (e.g. a RecurrentNet built from several seeds) for `steps`.

    `net` has `stack`, `parameters()` and `gradients(x, y)` returning an object with `.loss` (stack,)
    and `.gradients()`; `batches()` returns the next (x, y), one batch per network. Each network's
    gradients are clipped by their own global norm (when `max_norm` is given) before the optimiser
    step. From the first step whose loss or gradient norm is not finite (recorded as data), a
    network's gradients are zeroed. Returns (loss, gradient norm before clipping), each (steps, stack).
    """
    opt = make_optimizer(optimizer, lr)
    steps = positive_int("steps", steps)
    params = net.parameters()
    losses, norms = np.full((steps, net.stack), np.nan), np.full((steps, net.stack), np.nan)
    alive = np.ones(net.stack, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            x, y = batches()
            tape = net.gradients(x, y)
            grads = tape.gradients()
            losses[step] = tape.loss
            norms[step] = clip_stacked_by_global_norm(grads, max_norm)
            alive &= np.isfinite(losses[step]) & np.isfinite(norms[step])
            if not alive.any():
                break
            for g in grads:
                g[~alive] = 0.0
            opt.step(params, grads)
    return losses, norms


def accuracy(output: np.ndarray, y: np.ndarray, loss: str) -> float:
    """Fraction classified correctly: argmax for "softmax_ce", output > 0.5 for "bce"; NaN for "mse"."""
    if loss == "softmax_ce":
        labels = y if np.asarray(y).ndim == 1 else np.argmax(y, axis=1)
        return float(np.mean(np.argmax(output, axis=1) == labels))
    if loss == "bce":
        target = np.asarray(y, dtype=np.float64).reshape(output.shape)
        return float(np.mean((output > 0.5) == (target > 0.5)))
    return math.nan


class _Recorder:
    """Preallocated NaN-filled record arrays, filled row by row."""

    def __init__(self, net: MLP, steps: int, every: int, *, evaluate: bool) -> None:
        self.net = net
        self.steps = np.arange(0, steps, every)
        rows, layers, hidden = self.steps.size, len(net.layers), net.depth
        self.loss = np.full(rows, np.nan)
        self.accuracy = None if net.loss_name == "mse" else np.full(rows, np.nan)
        self.grad_norms = np.full((rows, layers), np.nan)
        self.update_ratios = np.full((rows, layers), np.nan)
        self.delta_norms = np.full((rows, hidden), np.nan)
        self.saturated = np.full((rows, hidden), np.nan)
        self.dead = np.full((rows, hidden), np.nan)
        self.eval_loss = np.full(rows, np.nan) if evaluate else None
        self.eval_accuracy = np.full(rows, np.nan) if evaluate and self.accuracy is not None else None

    def record(self, row: int, tape: Pass, y: np.ndarray, before: list[np.ndarray], weights: list[np.ndarray]) -> None:
        self.loss[row] = tape.loss
        self.grad_norms[row] = tape.grad_norms
        self.delta_norms[row] = tape.delta_norms
        self.update_ratios[row] = [
            np.linalg.norm(w - b) / np.linalg.norm(b) for w, b in zip(weights, before, strict=True)
        ]
        if self.accuracy is not None:
            self.accuracy[row] = accuracy(tape.output, y, self.net.loss_name)
        for i, (layer, tap) in enumerate(zip(self.net.layers[:-1], tape.hidden, strict=True)):
            name = layer.act.name
            if name not in SATURATING and name not in RECTIFIED:
                continue
            # the tap's output is the activation's own output unless a norm or a skip comes after it
            plain = not layer.residual and not (layer.norm and self.net.norm_position == "after")
            out = tap.a if plain else layer.act(tap.u)
            if name in SATURATING:
                self.saturated[row, i] = saturated_fraction(out, name)
            else:
                self.dead[row, i] = dead_fraction(out)

    def evaluate(self, row: int, x: np.ndarray, y: np.ndarray) -> None:
        # training-mode loss (no BatchNorm statistics update); accuracy from predict (evaluation mode)
        self.eval_loss[row] = self.net.loss(x, y)
        if self.eval_accuracy is not None:
            self.eval_accuracy[row] = accuracy(self.net.predict(x), y, self.net.loss_name)


def _data(xname: str, yname: str, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    x = finite_array(xname, x, ndim=2)
    try:
        y = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{yname} must be an array of targets or labels") from exc
    if y.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
        raise ValueError(f"{yname} must have one row per example of {xname} ({x.shape[0]}); got shape {y.shape}")
    if y.dtype.kind not in "biuf" or (y.dtype.kind == "f" and not np.all(np.isfinite(y))):
        raise ValueError(f"{yname} must hold finite real targets or integer labels")
    return x, y


def _finite(g: np.ndarray) -> bool:
    # a sum is one cheap pass; it is non-finite if any entry is (or, rarely, if finite entries overflow)
    return math.isfinite(float(np.sum(g))) or bool(np.isfinite(g).all())
