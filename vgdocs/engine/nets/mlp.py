"""A deep multilayer perceptron with manual backprop and per-layer taps.

Rows are examples: a layer computes z = h @ W + b, then (optionally) a normalisation before or
after the activation, then (optionally) a residual connection out = h + F(h). The backward
pass is written out by hand and vectorised over the batch, so every intermediate the site
talks about (pre-activations, deltas, weight gradients) is available per layer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from vgdocs.engine._checks import choice, finite_array, finite_float, positive_int, rng_from
from vgdocs.engine.activations import Activation
from vgdocs.engine.activations import activation as _activation
from vgdocs.engine.init import initialize
from vgdocs.engine.losses import LOSSES, evaluate_loss
from vgdocs.engine.nets._kernels import PassBuffers, apply_into, times_slope

T = TypeVar("T")

__all__ = ["MLP", "NORMS", "NORM_POSITIONS", "Layer", "LayerTap", "Pass"]

NORMS: tuple[str, ...] = ("batch", "layer")
NORM_POSITIONS: tuple[str, ...] = ("before", "after")
_DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass(eq=False)
class Layer:
    """One dense layer's parameters (arrays are updated in place by optimisers)."""

    W: np.ndarray
    b: np.ndarray | None
    act: Activation
    norm: str | None = None
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    alpha: np.ndarray | None = None  # PReLU's learnable negative slope, shape (1,)
    residual: bool = False
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None

    @property
    def fan_in(self) -> int:
        """Number of inputs."""
        return self.W.shape[0]

    @property
    def fan_out(self) -> int:
        """Number of units."""
        return self.W.shape[1]


@dataclass(frozen=True)
class LayerTap:
    """What one layer saw in a forward/backward pass (rows are examples).

    z: pre-activation h @ W + b; u: the activation's input (z, or norm(z) when normalising
    before the activation); a: the layer's output; delta: dL/dz; grads: dL/d(each parameter).
    """

    z: np.ndarray
    u: np.ndarray
    a: np.ndarray
    delta: np.ndarray
    grads: dict[str, np.ndarray] = field(repr=False)
    dW = property(lambda self: self.grads["W"], doc="dL/dW, shape (fan_in, fan_out).")


@dataclass(frozen=True)
class Pass:
    """One forward and backward pass: the loss, the output and a tap per layer (output last).

    The taps' z, a, delta and dW share one allocation per pass: keep a .copy() of an array you
    store for long, or the whole pass stays in memory with it.
    """

    loss: float
    output: np.ndarray
    layers: tuple[LayerTap, ...]
    input_grad: np.ndarray

    @property
    def hidden(self) -> tuple[LayerTap, ...]:
        """Taps of the hidden layers, input side first."""
        return self.layers[:-1]

    @property
    def delta_norms(self) -> np.ndarray:
        """Frobenius norm of dL/dz per hidden layer (over batch and units), input side first."""
        return np.array([np.linalg.norm(t.delta) for t in self.hidden], dtype=np.float64)

    @property
    def grad_norms(self) -> np.ndarray:
        """Frobenius norm of dL/dW per weight layer, output layer included, input side first."""
        return np.array([np.linalg.norm(t.dW) for t in self.layers], dtype=np.float64)

    @property
    def bias_grad_norms(self) -> np.ndarray:
        """Euclidean norm of dL/db per weight layer (NaN where a layer has no bias)."""
        return np.array([np.linalg.norm(t.grads["b"]) if "b" in t.grads else np.nan for t in self.layers])

    def gradients(self) -> list[np.ndarray]:
        """Gradients in the order of `MLP.parameters()`."""
        return [g for t in self.layers for g in t.grads.values()]


def _overflow_is_data(method: Callable[..., T]) -> Callable[..., T]:
    """Run `method` with numpy's overflow/invalid warnings off: an exploding net returns inf/NaN."""

    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> T:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return method(*args, **kwargs)

    return run


class MLP:
    """A dense network: `widths` = [inputs, hidden..., outputs]; hidden layers share the options.

    activation: a name (or one per hidden layer); init: an initialiser name (see vgdocs.engine.init);
    norm: None, "batch" or "layer", applied `norm_position` ("before"/"after") the activation;
    residual: add the layer's input to its output where the widths match; loss: "mse", "bce"
    or "softmax_ce"; output_activation: used with "mse" only (default linear).
    """

    def __init__(
        self,
        widths: Sequence[int],
        activation: str | Sequence[str] = "relu",
        *,
        init: str = "he_normal",
        init_std: float = 0.01,
        init_gain: float = 1.0,
        bias_std: float = 0.0,
        output_init: str | None = None,
        norm: str | None = None,
        norm_position: str = "before",
        residual: bool = False,
        loss: str = "mse",
        output_activation: str = "linear",
        alpha: float | None = None,
        seed: int | np.random.Generator = 0,
        dtype: str = "float64",
        eps: float = 1e-5,
    ) -> None:
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
            raise TypeError(f"widths must be a sequence of positive integers; got {widths!r}")
        if len(widths) < 2:
            raise ValueError(f"widths must list at least inputs and outputs; got {list(widths)}")
        self.widths = [positive_int(f"widths[{i}]", w) for i, w in enumerate(widths)]
        n_hidden = len(self.widths) - 2
        if isinstance(activation, (str, Activation)):
            names = [activation] * n_hidden
        elif isinstance(activation, Sequence):
            names = list(activation)
        else:
            raise TypeError(f"activation must be a name or a sequence of names; got {type(activation).__name__}")
        if len(names) != n_hidden:
            raise ValueError(
                f"activation must be one name or {n_hidden} names (one per hidden layer); got {len(names)}"
            )
        if norm is not None:
            choice("norm", norm, NORMS)
        choice("norm_position", norm_position, NORM_POSITIONS)
        self.loss_name = choice("loss", loss, LOSSES)
        if loss != "mse" and output_activation != "linear":
            raise ValueError(f"output_activation is fixed by loss={loss!r}; leave it 'linear' (valid only with 'mse')")
        self.output_act = _activation(output_activation)
        self.norm, self.norm_position, self.residual = norm, norm_position, bool(residual)
        self.eps = finite_float("eps", eps, positive=True)
        bias_std = finite_float("bias_std", bias_std, nonnegative=True)
        self.dtype = _DTYPES[choice("dtype", dtype, _DTYPES)]
        rng = rng_from("seed", seed)
        self.layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(self.widths[:-1], self.widths[1:], strict=True)):
            out = i == n_hidden
            act = self.output_act if out else _activation(names[i], alpha)
            use_norm = None if out else norm
            W = initialize(
                output_init if out and output_init else init,
                n_in,
                n_out,
                rng,
                std=init_std,
                gain=init_gain,
                dtype=self.dtype,
            )
            has_bias = not (use_norm == "batch" and norm_position == "before")
            b = None
            if has_bias:
                b = (rng.normal(0.0, bias_std, n_out) if bias_std else np.zeros(n_out)).astype(self.dtype)
            layer = Layer(W, b, act, use_norm, residual=(not out and self.residual and n_in == n_out))
            if use_norm:
                layer.gamma, layer.beta = np.ones(n_out, self.dtype), np.zeros(n_out, self.dtype)
                if use_norm == "batch":
                    layer.running_mean, layer.running_var = np.zeros(n_out, self.dtype), np.ones(n_out, self.dtype)
            if act.name == "prelu":
                layer.alpha = np.array([act.alpha], dtype=self.dtype)
            self.layers.append(layer)

    # -- parameters ---------------------------------------------------------------------------
    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) for every trainable parameter, input side first; arrays are live."""
        out = []
        for i, layer in enumerate(self.layers):
            for key in ("W", "b", "gamma", "beta", "alpha"):
                value = getattr(layer, key)
                if value is not None:
                    out.append((f"layers.{i}.{key}", value))
        return out

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.layers) - 1

    # -- forward / backward -------------------------------------------------------------------
    @_overflow_is_data
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Network output for inputs `x` in evaluation mode (BatchNorm uses running statistics)."""
        h = self._input(x)
        for layer in self.layers[:-1]:
            h = self._layer_forward(layer, h, training=False)[2]
        z = h @ self.layers[-1].W
        if self.layers[-1].b is not None:
            z += self.layers[-1].b
        if self.loss_name == "bce":
            return self.output_act.__class__("sigmoid")(z)
        if self.loss_name == "softmax_ce":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return self.output_act(z)

    @_overflow_is_data
    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Training-mode loss on a batch (no gradients)."""
        h = self._input(x)
        for layer in self.layers[:-1]:
            h = self._layer_forward(layer, h, training=True, update_stats=False)[2]
        z = h @ self.layers[-1].W
        if self.layers[-1].b is not None:
            z += self.layers[-1].b
        return evaluate_loss(self.loss_name, z, y, self.output_act).value

    @_overflow_is_data
    def gradients(self, x: np.ndarray, y: np.ndarray, *, update_stats: bool = True) -> Pass:
        """One training-mode forward and backward pass on a batch: loss, output and taps."""
        h = self._input(x)
        out = PassBuffers(self.layers, h.shape[0], self.dtype)
        inputs, caches = [], []
        for i, layer in enumerate(self.layers[:-1]):
            inputs.append(h)
            cache = self._layer_forward(
                layer, h, training=True, update_stats=update_stats, z_out=out.z[i], a_out=out.a[i]
            )
            caches.append(cache)
            h = cache[2]
        top = self.layers[-1]
        z = np.matmul(h, top.W, out=out.z[-1])
        if top.b is not None:
            z += top.b
        lv = evaluate_loss(self.loss_name, z, y, self.output_act)
        delta = lv.delta.astype(self.dtype, copy=False)
        taps = [LayerTap(z, z, lv.output, delta, self._dense_grads(top, h, delta, out.dW[-1]))]
        g = np.matmul(delta, top.W.T, out=out.g[-1])
        for i in range(len(self.layers) - 2, -1, -1):
            layer, cache = self.layers[i], caches[i]
            delta, grads, g_in = self._layer_backward(layer, inputs[i], cache, g, out.g[i], out.dW[i])
            taps.append(LayerTap(cache[0], cache[1], cache[2], delta, grads))
            g = g_in
        taps.reverse()
        return Pass(lv.value, lv.output, tuple(taps), g)

    # -- internals ----------------------------------------------------------------------------
    def _input(self, x: np.ndarray) -> np.ndarray:
        arr = finite_array("x", x, ndim=2, dtype=self.dtype)
        if arr.shape[1] != self.widths[0]:
            raise ValueError(f"x must have {self.widths[0]} columns (widths[0]); got shape {arr.shape}")
        return arr

    def _layer_forward(
        self,
        layer: Layer,
        h: np.ndarray,
        *,
        training: bool,
        update_stats: bool = True,
        z_out: np.ndarray | None = None,
        a_out: np.ndarray | None = None,
    ):
        """(z, u, a, phi, norm cache): phi = act(u) is kept so the backward pass can reuse it."""
        z = np.matmul(h, layer.W, out=z_out)
        if layer.b is not None:
            z += layer.b
        norm_cache = None
        act = self._act(layer)
        if layer.norm and self.norm_position == "before":
            u, norm_cache = self._norm_forward(layer, z, training, update_stats)
            a = phi = apply_into(act, u, a_out)
        else:
            u = z
            a = phi = apply_into(act, z, a_out)
            if layer.norm:
                a, norm_cache = self._norm_forward(layer, phi, training, update_stats)
        if layer.residual:
            a = a + h
        return z, u, a, phi, norm_cache

    def _layer_backward(
        self, layer: Layer, h_in: np.ndarray, cache: tuple, g: np.ndarray, g_out: np.ndarray, dw_out: np.ndarray
    ):
        """From g = dL/d(layer output) to (delta = dL/dz, parameter grads, dL/d(layer input)).

        g is a fresh array owned by the backward pass, so it is overwritten in place unless the
        residual branch still needs it.
        """
        _, u, _, phi, norm_cache = cache
        grads: dict[str, np.ndarray] = {}
        act = self._act(layer)
        if layer.norm and self.norm_position == "after":
            g_act, grads["gamma"], grads["beta"] = self._norm_backward(layer, g, norm_cache)
            owned = True
        else:
            g_act, owned = g, not layer.residual
        if layer.alpha is not None:
            grads["alpha"] = np.array([np.sum(g_act * np.minimum(u, 0.0))], dtype=self.dtype)
        du = times_slope(act, u, phi, g_act, in_place=owned)
        if layer.norm and self.norm_position == "before":
            delta, grads["gamma"], grads["beta"] = self._norm_backward(layer, du, norm_cache)
        else:
            delta = du
        grads = self._dense_grads(layer, h_in, delta, dw_out) | grads
        grads = {k: grads[k] for k in ("W", "b", "gamma", "beta", "alpha") if k in grads}
        g_in = np.matmul(delta, layer.W.T, out=g_out)
        if layer.residual:
            g_in += g
        return delta, grads, g_in

    @staticmethod
    def _dense_grads(layer: Layer, h: np.ndarray, delta: np.ndarray, out: np.ndarray) -> dict[str, np.ndarray]:
        grads = {"W": np.matmul(h.T, delta, out=out)}
        if layer.b is not None:
            grads["b"] = delta.sum(axis=0)
        return grads

    @staticmethod
    def _act(layer: Layer) -> Activation:
        if layer.alpha is not None:
            return Activation("prelu", float(layer.alpha[0]))
        return layer.act

    def _norm_forward(self, layer: Layer, x: np.ndarray, training: bool, update_stats: bool):
        axis = 0 if layer.norm == "batch" else 1
        if layer.norm == "batch" and not training:
            xhat, var = x - layer.running_mean, layer.running_var
        else:
            mean = x.mean(axis=axis, keepdims=True)
            xhat = x - mean
            var = np.square(xhat).mean(axis=axis, keepdims=True)  # what x.var computes, without a second mean
            if layer.norm == "batch" and update_stats:
                n = x.shape[0]
                layer.running_mean *= 0.9
                layer.running_mean += 0.1 * mean[0]
                layer.running_var *= 0.9
                layer.running_var += 0.1 * var[0] * (n / max(n - 1, 1))
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat *= inv_std
        out = xhat * layer.gamma
        out += layer.beta
        return out, (xhat, inv_std, axis)

    @staticmethod
    def _norm_backward(layer: Layer, g: np.ndarray, cache):
        xhat, inv_std, axis = cache
        dgamma = np.sum(g * xhat, axis=0)
        dbeta = g.sum(axis=0)
        dx = g * layer.gamma  # dL/dxhat, turned into dL/dx in place below
        n = xhat.shape[axis]
        if axis == 0:  # BatchNorm: the column sums of dL/dxhat and of dL/dxhat * xhat are gamma * (dbeta, dgamma)
            mean_dxhat, mean_dxhat_xhat = layer.gamma * dbeta / n, layer.gamma * dgamma / n
        else:
            mean_dxhat = dx.mean(axis=1, keepdims=True)
            mean_dxhat_xhat = np.mean(dx * xhat, axis=1, keepdims=True)
        dx -= mean_dxhat
        dx -= xhat * mean_dxhat_xhat
        dx *= inv_std
        return dx, dgamma, dbeta
