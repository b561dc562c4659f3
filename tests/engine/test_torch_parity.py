"""MLP agrees with PyTorch autograd on identical weights, in float64, to 1e-10 relative.

The torch network is built independently from torch.nn.functional (matmul, batch_norm, layer_norm,
the activations, mse_loss / binary_cross_entropy_with_logits / cross_entropy) with the MLP's own
weights copied in. Relative error of an array a against torch's t is max|a - t| / max|t| (worst
element over the array's largest entry), required <= 1e-10 for the loss, the output, every
parameter's gradient, every layer's delta (dL/dz) and the input gradient. Arrays that torch says
are structurally zero (max|t| <= 1e-12, e.g. beta of a linear unit feeding a BatchNorm) must be
zero to 1e-12 in the MLP too. Skipped when torch is not installed (pip install -e .[torch]).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch parity tests need torch: pip install -e .[torch]")
F = torch.nn.functional

from vgdocs.engine.activations import ACTIVATIONS  # noqa: E402
from vgdocs.engine.losses import LOSSES  # noqa: E402
from vgdocs.engine.nets.mlp import MLP  # noqa: E402

pytestmark = pytest.mark.torch

ACTS = tuple(a for a in ACTIVATIONS if a not in ("silu", "identity"))
ARCHS = {
    "plain": {},
    "residual": {"residual": True},
    "batch_before": {"norm": "batch", "norm_position": "before"},
    "batch_after": {"norm": "batch", "norm_position": "after"},
    "layer_before": {"norm": "layer", "norm_position": "before"},
    "layer_after": {"norm": "layer", "norm_position": "after"},
    "residual_layer_after": {"residual": True, "norm": "layer", "norm_position": "after"},
}
TOL = 1e-10
ZERO = 1e-12
BATCH = 16


def _torch_act(layer, u, alpha):
    name, a = layer.act.name, layer.act.alpha
    return {
        "sigmoid": lambda: torch.sigmoid(u),
        "tanh": lambda: torch.tanh(u),
        "relu": lambda: F.relu(u),
        "leaky_relu": lambda: F.leaky_relu(u, negative_slope=a),
        "prelu": lambda: F.prelu(u, alpha),
        "elu": lambda: F.elu(u, alpha=a),
        "selu": lambda: F.selu(u),
        "gelu": lambda: F.gelu(u, approximate="none"),
        "softplus": lambda: F.softplus(u),
        "swish": lambda: F.silu(u),
        "linear": lambda: u,
    }[name]()


def _torch_norm(net, layer, x, gamma, beta, running):
    if layer.norm == "batch":
        mean, var = running if running else (None, None)
        return F.batch_norm(x, mean, var, gamma, beta, training=True, momentum=0.1, eps=net.eps)
    return F.layer_norm(x, (x.shape[1],), gamma, beta, eps=net.eps)


def torch_pass(net: MLP, x: np.ndarray, y: np.ndarray, running=None):
    """Loss, output, parameter grads, per-layer dL/dz and input grad from torch autograd."""
    params = {name: torch.tensor(arr, dtype=torch.float64, requires_grad=True) for name, arr in net.parameters()}
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    h, zs = xt, []
    for i, layer in enumerate(net.layers):
        p = {k: params.get(f"layers.{i}.{k}") for k in ("W", "b", "gamma", "beta", "alpha")}
        z = h @ p["W"] + (p["b"] if p["b"] is not None else 0.0)
        z.retain_grad()
        zs.append(z)
        if i == len(net.layers) - 1:
            break
        stats = running[i] if running else None
        if layer.norm and net.norm_position == "before":
            a = _torch_act(layer, _torch_norm(net, layer, z, p["gamma"], p["beta"], stats), p["alpha"])
        else:
            a = _torch_act(layer, z, p["alpha"])
            if layer.norm:
                a = _torch_norm(net, layer, a, p["gamma"], p["beta"], stats)
        h = a + h if layer.residual else a
    if net.loss_name == "mse":
        out = _torch_act(net.layers[-1], z, None)
        loss = F.mse_loss(out, torch.tensor(y, dtype=torch.float64).reshape(out.shape))
    elif net.loss_name == "bce":
        out = torch.sigmoid(z)
        loss = F.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64))
    else:
        out = torch.softmax(z, dim=1)
        target = torch.tensor(y) if y.ndim == 1 else torch.tensor(y, dtype=torch.float64)
        loss = F.cross_entropy(z, target)
    loss.backward()
    grads = [params[name].grad.numpy() for name, _ in net.parameters()]
    return loss.item(), out.detach().numpy(), grads, [z.grad.numpy() for z in zs], xt.grad.numpy()


def _rel(a: np.ndarray, t: np.ndarray) -> float:
    a, t = np.asarray(a, dtype=np.float64), np.asarray(t, dtype=np.float64)
    assert a.shape == t.shape
    scale = float(np.max(np.abs(t)))
    if scale <= ZERO:
        return 0.0 if np.max(np.abs(a)) <= ZERO else np.inf
    return float(np.max(np.abs(a - t)) / scale)


def _net_and_data(act, arch: dict, loss: str, seed: int = 0, **extra):
    n_out = 3 if loss == "softmax_ce" else 2
    net = MLP([6, 8, 8, 8, n_out], act, loss=loss, seed=seed, bias_std=0.2, **arch, **extra)
    rng = np.random.default_rng(seed + 100)
    for layer in net.layers:
        if layer.gamma is not None:
            layer.gamma[:] = rng.uniform(0.5, 1.5, layer.gamma.shape)
            layer.beta[:] = rng.normal(0.0, 0.3, layer.beta.shape)
    x = rng.normal(size=(BATCH, 6))
    if loss == "mse":
        y = rng.normal(size=(BATCH, n_out))
    elif loss == "bce":
        y = rng.uniform(0.0, 1.0, size=(BATCH, n_out))
    else:
        y = rng.integers(0, n_out, size=BATCH)
    return net, x, y


def _assert_parity(net: MLP, x: np.ndarray, y: np.ndarray) -> None:
    t_loss, t_out, t_grads, t_deltas, t_xgrad = torch_pass(net, x, y)
    p = net.gradients(x, y, update_stats=False)
    assert abs(p.loss - t_loss) <= TOL * abs(t_loss)
    assert _rel(p.output, t_out) <= TOL
    names = [n for n, _ in net.parameters()]
    errors = {n: _rel(g, t) for n, g, t in zip(names, p.gradients(), t_grads, strict=True)}
    errors |= {f"delta[{i}]": _rel(tap.delta, d) for i, (tap, d) in enumerate(zip(p.layers, t_deltas, strict=True))}
    errors["input_grad"] = _rel(p.input_grad, t_xgrad)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOL, f"{worst}: relative error {errors[worst]:.2e}"


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("arch", list(ARCHS))
@pytest.mark.parametrize("act", ACTS)
def test_gradients_match_torch_autograd(act: str, arch: str, loss: str) -> None:
    _assert_parity(*_net_and_data(act, ARCHS[arch], loss))


@pytest.mark.parametrize("act,alpha", [("leaky_relu", 0.2), ("prelu", -0.1), ("elu", 0.5)])
def test_gradients_match_torch_with_custom_alpha(act: str, alpha: float) -> None:
    _assert_parity(*_net_and_data(act, ARCHS["batch_after"], "mse", alpha=alpha))


@pytest.mark.parametrize("output_activation", ["sigmoid", "tanh", "softplus", "gelu"])
def test_mse_with_output_activation_matches_torch(output_activation: str) -> None:
    _assert_parity(*_net_and_data("tanh", {}, "mse", output_activation=output_activation))


def test_softmax_ce_with_one_hot_targets_matches_torch() -> None:
    net, x, labels = _net_and_data("relu", ARCHS["layer_before"], "softmax_ce")
    _assert_parity(net, x, np.eye(3)[labels])


def test_mixed_activations_per_layer_match_torch() -> None:
    _assert_parity(*_net_and_data(["selu", "prelu", "gelu"], ARCHS["residual"], "bce"))


def test_wide_deep_net_matches_torch() -> None:
    net = MLP([32] * 12 + [4], "tanh", norm="batch", residual=True, loss="softmax_ce", seed=3, bias_std=0.1)
    rng = np.random.default_rng(3)
    _assert_parity(net, rng.normal(size=(64, 32)), rng.integers(0, 4, size=64))


@pytest.mark.parametrize("position", ["before", "after"])
def test_batchnorm_running_statistics_and_eval_output_match_torch(position: str) -> None:
    """Running mean/var (unbiased variance, momentum 0.1) and eval-mode predictions equal torch's."""
    net, x, y = _net_and_data("relu", {"norm": "batch", "norm_position": position}, "mse")
    running = [(torch.zeros(8, dtype=torch.float64), torch.ones(8, dtype=torch.float64)) for _ in net.layers[:-1]]
    for _ in range(3):
        torch_pass(net, x, y, running)
        net.gradients(x, y)
    for layer, (mean, var) in zip(net.layers[:-1], running, strict=True):
        assert _rel(layer.running_mean, mean.numpy()) <= TOL
        assert _rel(layer.running_var, var.numpy()) <= TOL
    x_new = np.random.default_rng(7).normal(size=(5, 6))
    h = torch.tensor(x_new, dtype=torch.float64)
    with torch.no_grad():
        for layer, (mean, var) in zip(net.layers[:-1], running, strict=True):
            t = lambda v, L=layer, m=mean, s=var: F.batch_norm(  # noqa: E731
                v, m, s, torch.tensor(L.gamma), torch.tensor(L.beta), training=False, eps=net.eps
            )
            z = h @ torch.tensor(layer.W) + (torch.tensor(layer.b) if layer.b is not None else 0.0)
            h = F.relu(t(z)) if position == "before" else t(F.relu(z))
        out = h @ torch.tensor(net.layers[-1].W) + torch.tensor(net.layers[-1].b)
    assert _rel(net.predict(x_new), out.numpy()) <= TOL


def test_parity_check_detects_a_wrong_gradient() -> None:
    """The comparison has teeth: scaling one gradient element by 1 + 1e-8 fails the bound."""
    net, x, y = _net_and_data("tanh", {}, "mse")
    t_grads = torch_pass(net, x, y)[2]
    wrong = net.gradients(x, y, update_stats=False).gradients()[0].copy()
    i = np.unravel_index(np.argmax(np.abs(wrong)), wrong.shape)
    wrong[i] *= 1 + 1e-8
    assert _rel(wrong, t_grads[0]) > TOL
