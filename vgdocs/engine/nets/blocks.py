"""A stack of residual blocks with normalisation, written out forward and backward by hand.

Rows are examples. An input layer maps to `width` features; each of `blocks` blocks has the
branch F(h) = relu(h W1 + b1) W2 + b2, scaled by `branch_scale`, arranged as

- "post": h <- norm(h + s F(h))            (the original Transformer, post-LN),
- "pre":  h <- h + s F(norm(h))            (pre-LN, Xiong et al. 2020; a final norm before the head),
- "plain": h <- h + s F(h)                 (no normalisation at all),
- "none": h <- F(h)                        (no skip: a plain deep network with the same layers).

`norm` is "layer", "group" (GroupNorm, `groups` groups of features per example) or "batch"
(BatchNorm over the batch, running statistics in evaluation). `zero_branch` starts every W2 at
zero (the zero-initialised residual branch of Fixup, SkipInit, ReZero and Goyal et al.'s zero-gamma):
each block is then the identity at step 0. The loss is softmax cross-entropy on integer labels.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from vgdocs.engine._checks import choice, finite_array, finite_float, positive_int, rng_from
from vgdocs.engine.activations import activation
from vgdocs.engine.losses import evaluate_loss

__all__ = ["ARRANGEMENTS", "BLOCK_NORMS", "ResidualStack", "StackPass"]

ARRANGEMENTS: tuple[str, ...] = ("post", "pre", "plain", "none")
BLOCK_NORMS: tuple[str, ...] = ("layer", "group", "batch")
_LINEAR = activation("linear")


class StackPass(NamedTuple):
    """One training-mode pass: the loss and dL/d(parameter) by name, in the order of `parameters()`."""

    loss: float
    grads: dict[str, np.ndarray]

    def gradients(self) -> list[np.ndarray]:
        """Gradients in the order of `ResidualStack.parameters()`."""
        return list(self.grads.values())


class ResidualStack:
    """Input layer, `blocks` residual blocks of width `width`, output layer (see the module docstring)."""

    def __init__(
        self,
        n_in: int,
        width: int,
        blocks: int,
        n_out: int,
        *,
        arrangement: str = "pre",
        norm: str = "layer",
        groups: int = 8,
        branch_scale: float = 1.0,
        zero_branch: bool = False,
        seed: int | np.random.Generator = 0,
        eps: float = 1e-5,
    ) -> None:
        self.n_in, self.width = positive_int("n_in", n_in), positive_int("width", width)
        self.blocks, self.n_out = positive_int("blocks", blocks), positive_int("n_out", n_out)
        self.arrangement = choice("arrangement", arrangement, ARRANGEMENTS)
        self.norm = choice("norm", norm, BLOCK_NORMS)
        self.groups = positive_int("groups", groups)
        if self.norm == "group" and width % self.groups:
            raise ValueError(f"groups must divide width; got groups={groups}, width={width}")
        self.branch_scale = finite_float("branch_scale", branch_scale, nonnegative=True)
        self.eps = finite_float("eps", eps, positive=True)
        rng = rng_from("seed", seed)
        he = math.sqrt(2.0 / width)
        self.params: dict[str, np.ndarray] = {
            "in.W": rng.normal(0.0, math.sqrt(1.0 / n_in), (n_in, width)),
            "in.b": np.zeros(width),
        }
        self.stats: dict[str, np.ndarray] = {}
        for k in range(blocks):
            self.params[f"{k}.W1"] = rng.normal(0.0, he, (width, width))
            self.params[f"{k}.b1"] = np.zeros(width)
            w2 = rng.normal(0.0, he, (width, width))
            self.params[f"{k}.W2"] = np.zeros_like(w2) if zero_branch else w2
            self.params[f"{k}.b2"] = np.zeros(width)
            if self._normed:
                self._add_norm(str(k))
        if self.arrangement == "pre":
            self._add_norm("final")
        self.params["out.W"] = rng.normal(0.0, math.sqrt(1.0 / width), (width, n_out))
        self.params["out.b"] = np.zeros(n_out)

    @property
    def _normed(self) -> bool:
        return self.arrangement in ("post", "pre")

    def _add_norm(self, key: str) -> None:
        self.params[f"{key}.gamma"] = np.ones(self.width)
        self.params[f"{key}.beta"] = np.zeros(self.width)
        if self.norm == "batch":
            self.stats[f"{key}.mean"] = np.zeros(self.width)
            self.stats[f"{key}.var"] = np.ones(self.width)

    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) for every trainable parameter; arrays are live (optimisers update them in place)."""
        return list(self.params.items())

    # -- normalisation ------------------------------------------------------------------------------
    def _norm_forward(self, key: str, x: np.ndarray, training: bool):
        gamma, beta = self.params[f"{key}.gamma"], self.params[f"{key}.beta"]
        n, d = x.shape
        if self.norm == "batch":
            if training:
                mean, var = x.mean(axis=0), x.var(axis=0)
                m, v = self.stats[f"{key}.mean"], self.stats[f"{key}.var"]
                m *= 0.9
                m += 0.1 * mean
                v *= 0.9
                v += 0.1 * var * (n / max(n - 1, 1))
            else:
                mean, var = self.stats[f"{key}.mean"], self.stats[f"{key}.var"]
            inv = 1.0 / np.sqrt(var + self.eps)
            xhat = (x - mean) * inv
            return xhat * gamma + beta, (xhat, inv, training)
        g = self.groups if self.norm == "group" else 1
        xg = x.reshape(n, g, d // g)
        mean = xg.mean(axis=2, keepdims=True)
        inv = 1.0 / np.sqrt(xg.var(axis=2, keepdims=True) + self.eps)
        xhat = (xg - mean) * inv
        return xhat.reshape(n, d) * gamma + beta, (xhat, inv, training)

    def _norm_backward(self, key: str, g: np.ndarray, cache, grads: dict[str, np.ndarray]) -> np.ndarray:
        xhat, inv, training = cache
        gamma = self.params[f"{key}.gamma"]
        n, d = g.shape
        grads[f"{key}.gamma"] = np.sum(g * xhat.reshape(n, d), axis=0)
        grads[f"{key}.beta"] = g.sum(axis=0)
        dxhat = g * gamma
        if self.norm == "batch":
            if not training:
                return dxhat * inv
            return inv * (dxhat - dxhat.mean(axis=0) - xhat * np.mean(dxhat * xhat, axis=0))
        dg = dxhat.reshape(xhat.shape)
        dx = inv * (dg - dg.mean(axis=2, keepdims=True) - xhat * np.mean(dg * xhat, axis=2, keepdims=True))
        return dx.reshape(n, d)

    # -- passes -------------------------------------------------------------------------------------
    def _forward(self, x: np.ndarray, training: bool):
        p, s = self.params, self.branch_scale
        arr = finite_array("x", x, ndim=2)
        if arr.shape[1] != self.n_in:
            raise ValueError(f"x must have {self.n_in} columns (n_in); got shape {arr.shape}")
        h = arr @ p["in.W"] + p["in.b"]
        caches = []
        for k in range(self.blocks):
            c: dict = {"h": h}
            u = h
            if self.arrangement == "pre":
                u, c["norm"] = self._norm_forward(str(k), h, training)
            c["u"] = u
            c["z1"] = u @ p[f"{k}.W1"] + p[f"{k}.b1"]
            c["r"] = np.maximum(c["z1"], 0.0)
            f = c["r"] @ p[f"{k}.W2"] + p[f"{k}.b2"]
            if self.arrangement == "none":
                h = f
            elif self.arrangement == "post":
                h, c["norm"] = self._norm_forward(str(k), h + s * f, training)
            else:
                h = h + s * f
            caches.append(c)
        top = h
        if self.arrangement == "pre":
            top, fcache = self._norm_forward("final", h, training)
            caches.append({"norm": fcache})
        return arr, top, caches

    def features(self, x: np.ndarray) -> np.ndarray:
        """What the output layer reads (after the last block, and the final norm in pre-LN), in evaluation mode."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._forward(x, training=False)[1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities in evaluation mode (BatchNorm uses its running statistics)."""
        with np.errstate(over="ignore", invalid="ignore"):
            _, top, _ = self._forward(x, training=False)
            z = top @ self.params["out.W"] + self.params["out.b"]
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

    def gradients(self, x: np.ndarray, y: np.ndarray) -> StackPass:
        """Training-mode loss and dL/d(parameter) for every parameter, by name."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._gradients(x, y)

    def _gradients(self, x: np.ndarray, y: np.ndarray) -> StackPass:
        p, s = self.params, self.branch_scale
        arr, top, caches = self._forward(x, training=True)
        z = top @ p["out.W"] + p["out.b"]
        lv = evaluate_loss("softmax_ce", z, y, _LINEAR)
        grads: dict[str, np.ndarray] = {"out.W": top.T @ lv.delta, "out.b": lv.delta.sum(axis=0)}
        g = lv.delta @ p["out.W"].T
        if self.arrangement == "pre":
            g = self._norm_backward("final", g, caches.pop()["norm"], grads)
        for k in range(self.blocks - 1, -1, -1):
            c = caches[k]
            if self.arrangement == "post":
                g = self._norm_backward(str(k), g, c["norm"], grads)
            gf = g if self.arrangement == "none" else s * g
            grads[f"{k}.W2"] = c["r"].T @ gf
            grads[f"{k}.b2"] = gf.sum(axis=0)
            dz1 = (gf @ p[f"{k}.W2"].T) * (c["z1"] > 0)
            grads[f"{k}.W1"] = c["u"].T @ dz1
            grads[f"{k}.b1"] = dz1.sum(axis=0)
            du = dz1 @ p[f"{k}.W1"].T
            if self.arrangement == "pre":
                du = self._norm_backward(str(k), du, c["norm"], grads)
            g = du if self.arrangement == "none" else g + du
        grads["in.W"] = arr.T @ g
        grads["in.b"] = g.sum(axis=0)
        return StackPass(lv.value, {name: grads[name] for name in self.params})

    def block_grad_norms(self, grads: dict[str, np.ndarray]) -> np.ndarray:
        """Frobenius norm of dL/d(W1, W2) of each block, input side first."""
        return np.array(
            [math.hypot(np.linalg.norm(grads[f"{k}.W1"]), np.linalg.norm(grads[f"{k}.W2"])) for k in range(self.blocks)]
        )
