"""Optimisers (SGD, momentum, Adam, AdamW) and gradient clipping, on plain numpy arrays.

Update rules follow PyTorch's `torch.optim` defaults (no dampening, no Nesterov, no AMSGrad), so a
step here and a step there agree on identical arrays. Adam's `weight_decay` is an L2 term added to
the gradient; AdamW's is decoupled (Loshchilov & Hutter 2019): the weights shrink by lr * wd
before the Adam step. Clipping by global norm follows Pascanu, Mikolov & Bengio 2013.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from vgdocs.engine._checks import choice, finite_float

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "ScaledOptimizer",
    "clip_by_global_norm",
    "clip_by_value",
    "clip_stacked_by_global_norm",
    "global_norm",
    "make_optimizer",
]

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam", "adamw")


class Optimizer:
    """A stateful optimiser: `step(params, grads)` updates each parameter array in place.

    State (momentum buffers, Adam moments) is kept per position in `params`, so pass the
    parameters in the same order on every step.
    """

    def __init__(
        self, name: str, lr: float, momentum: float, betas: tuple[float, float], eps: float, weight_decay: float
    ) -> None:
        self.name, self.lr, self.momentum = name, lr, momentum
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.t = 0
        self._m: list[np.ndarray] = []
        self._v: list[np.ndarray] = []

    def __repr__(self) -> str:
        return (
            f"Optimizer({self.name!r}, lr={self.lr:g}, momentum={self.momentum:g}, betas={self.betas}, "
            f"eps={self.eps:g}, weight_decay={self.weight_decay:g})"
        )

    def step(self, params: Sequence[np.ndarray | tuple[str, np.ndarray]], grads: Sequence[np.ndarray]) -> None:
        """Apply one update to `params` (arrays, or (name, array) pairs as from `MLP.parameters()`)."""
        arrays, grads = _arrays(params, grads)
        self.t += 1
        if not self._m:
            self._m = [np.zeros_like(p) for p in arrays]
            if self.name in ("adam", "adamw"):
                self._v = [np.zeros_like(p) for p in arrays]
        elif len(self._m) != len(arrays):
            raise ValueError(f"params must keep the same length between steps; had {len(self._m)}, got {len(arrays)}")
        # Overflow in an exploding run is data for the caller, who checks finiteness afterwards.
        with np.errstate(over="ignore", invalid="ignore"):
            for i, (p, g) in enumerate(zip(arrays, grads, strict=True)):
                self._update(i, p, np.asarray(g, dtype=p.dtype))

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        lr, wd = self.lr, self.weight_decay
        if self.name == "adamw":
            if wd:
                p *= 1.0 - lr * wd
        elif wd:
            g = g + wd * p
        if self.name == "sgd":
            p -= lr * g
            return
        m = self._m[i]
        if self.name == "momentum":
            if self.t == 1:
                m[...] = g  # torch seeds the buffer with the first gradient
            else:
                m *= self.momentum
                m += g
            p -= lr * m
            return
        b1, b2 = self.betas
        m *= b1
        m += (1.0 - b1) * g
        v = self._v[i]
        v *= b2
        v += (1.0 - b2) * (g * g)
        bias1, bias2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        denom = np.sqrt(v) / math.sqrt(bias2) + self.eps
        p -= (lr / bias1) * (m / denom)


class ScaledOptimizer(Optimizer):
    """An optimiser that multiplies each parameter's gradient by a fixed factor before its step."""

    def __init__(self, base: Optimizer, factors: Sequence[float]) -> None:
        super().__init__(base.name, base.lr, base.momentum, base.betas, base.eps, base.weight_decay)
        self.factors = tuple(finite_float("factors[]", f, positive=True) for f in factors)

    def step(self, params, grads) -> None:
        if len(grads) != len(self.factors):
            raise ValueError(f"grads must have one entry per factor ({len(self.factors)}); got {len(grads)}")
        super().step(params, [np.asarray(g) * f for g, f in zip(grads, self.factors, strict=True)])


def make_optimizer(
    name: str,
    lr: float,
    *,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> Optimizer:
    """An optimiser by name ("sgd", "momentum", "adam", "adamw") with learning rate `lr`."""
    choice("optimizer", name, OPTIMIZERS)
    lr = finite_float("lr", lr, positive=True)
    momentum = finite_float("momentum", momentum, nonnegative=True)
    if momentum >= 1.0:
        raise ValueError(f"momentum must be in [0, 1); got {momentum}")
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r}")
    b1, b2 = (finite_float(f"betas[{i}]", b, nonnegative=True) for i, b in enumerate(betas))
    if b1 >= 1.0 or b2 >= 1.0:
        raise ValueError(f"betas must each be in [0, 1); got {(b1, b2)}")
    eps = finite_float("eps", eps, positive=True)
    weight_decay = finite_float("weight_decay", weight_decay, nonnegative=True)
    return Optimizer(name, lr, momentum, (b1, b2), eps, weight_decay)


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """Euclidean norm of all gradients joined into one vector (inf or NaN if any entry is)."""
    arrays = [np.asarray(g, dtype=np.float64) for g in _grad_list(grads)]
    with np.errstate(over="ignore", invalid="ignore"):
        total = math.fsum(float(np.vdot(a, a)) for a in arrays)
        if math.isinf(total) and all(np.isfinite(a).all() for a in arrays):
            # Squares of finite entries above ~1e154 overflow; rescale by the largest entry first.
            scale = max(float(np.max(np.abs(a))) for a in arrays if a.size)
            return scale * math.sqrt(math.fsum(float(np.vdot(a / scale, a / scale)) for a in arrays))
    return math.sqrt(total)


def clip_by_global_norm(grads: Sequence[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """(clipped gradients, global norm before clipping); rescales by max_norm / norm when norm > max_norm.

    A non-finite norm is returned as is with the gradients unchanged, so a caller can record the
    overflow instead of crashing. Arrays that need no change are returned as the same objects.
    """
    max_norm = finite_float("max_norm", max_norm, positive=True)
    grads = _grad_list(grads)
    norm = global_norm(grads)
    if not math.isfinite(norm) or norm <= max_norm:
        return list(grads), norm
    scale = max_norm / norm
    return [g * scale for g in grads], norm


def clip_stacked_by_global_norm(grads: Sequence[np.ndarray], max_norm: float | None) -> np.ndarray:
    """Global norm of each of a stack of networks (leading axis of every array), shape (stack,).

    Where a network's norm exceeds `max_norm` (None: never), its gradients are rescaled in place
    to norm `max_norm`: clip_by_global_norm applied to every network of the stack at once.
    """
    flat = [np.asarray(g).reshape(np.shape(g)[0], -1) for g in _grad_list(grads)]
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.sqrt(sum(np.einsum("ij,ij->i", f, f) for f in flat))
    for s in np.flatnonzero(np.isinf(norms)):  # squares of entries above ~1e154 overflow: rescale first
        norms[s] = global_norm([f[s] for f in flat])
    if max_norm is not None:
        over = np.isfinite(norms) & (norms > max_norm)
        scale = np.where(over, max_norm / np.where(over, norms, 1.0), 1.0)
        for f in flat:
            f *= scale[:, None]
    return norms


def clip_by_value(grads: Sequence[np.ndarray], limit: float) -> list[np.ndarray]:
    """Gradients with every entry clipped to [-limit, limit] (NaN entries stay NaN)."""
    limit = finite_float("limit", limit, positive=True)
    return [np.clip(g, -limit, limit) for g in _grad_list(grads)]


def _grad_list(grads: object) -> list[np.ndarray]:
    if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
        raise TypeError(f"grads must be a list of arrays; got {type(grads).__name__}")
    out = []
    for i, g in enumerate(grads):
        try:
            arr = np.asarray(g)
        except ValueError as exc:  # ragged nested lists
            raise TypeError(f"grads[{i}] must be an array of real numbers") from exc
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"grads[{i}] must be an array of real numbers; got dtype {arr.dtype}")
        out.append(arr)
    return out


def _arrays(params: object, grads: object) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if isinstance(params, np.ndarray) or not isinstance(params, Sequence):
        raise TypeError(f"params must be a list of arrays or (name, array) pairs; got {type(params).__name__}")
    arrays = [p[1] if isinstance(p, tuple) and len(p) == 2 else p for p in params]
    grads = _grad_list(grads)
    if len(grads) != len(arrays):
        raise ValueError(f"grads must have one array per parameter ({len(arrays)}); got {len(grads)}")
    for i, (p, g) in enumerate(zip(arrays, grads, strict=True)):
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(f"params[{i}] must be a float ndarray (updated in place); got {type(p).__name__}")
        if g.shape != p.shape:
            raise ValueError(f"grads[{i}] must have shape {p.shape} like params[{i}]; got {g.shape}")
    return arrays, grads
