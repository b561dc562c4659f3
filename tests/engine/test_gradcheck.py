"""MLP backprop agrees with central finite differences, in float64, for every architecture option.

Relative error of one parameter array (W, b, gamma, beta or alpha of one layer):

    rel = ||g - g_fd||_2 / max(||g||_2, ||g_fd||_2)

where g is the analytic gradient from `MLP.gradients` and g_fd[i] = (L(p_i + h) - L(p_i - h)) / (2h)
with h = 1e-5. Every array of every layer must reach rel <= 1e-6 (a per-array bound, so a wrong
small array cannot hide behind a large one); the worst case measured is about 2e-8.

Kinked activations (ReLU family, ELU, SELU) are kept away from their kinks by choosing the first
seed whose activation inputs all satisfy |u| >= 1e-3, a hundred times the step h (inputs and
weights are O(1), so a step moves u by about h); the tolerance is never loosened. An array whose
analytic gradient is structurally zero (|g| <= 1e-12, e.g. the shift beta of a linear layer that
feeds a BatchNorm, which removes it again) must instead have every finite difference below 1e-8,
the rounding noise of the difference. Nets are tiny (widths 4-5, batch 6): the file runs in ~5 s.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import central_differences
from vgdocs.engine.activations import ACTIVATIONS
from vgdocs.engine.losses import LOSSES
from vgdocs.engine.nets.mlp import MLP

ACTS = tuple(a for a in ACTIVATIONS if a not in ("silu", "identity"))  # aliases: same functions
KINKED = {"relu", "leaky_relu", "prelu", "elu", "selu"}
ARCHS = {
    "plain": {},
    "residual": {"residual": True},
    "batch_before": {"norm": "batch", "norm_position": "before"},
    "batch_after": {"norm": "batch", "norm_position": "after"},
    "layer_before": {"norm": "layer", "norm_position": "before"},
    "layer_after": {"norm": "layer", "norm_position": "after"},
}
H = 1e-5
TOL = 1e-6
KINK_MARGIN = 1e-3
BATCH = 6
ZERO = 1e-12  # an analytic gradient this small is exactly zero up to rounding
FD_NOISE = 1e-8  # rounding noise of a central difference: ~ machine eps * |L| / h


def _data(loss: str, n_out: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(BATCH, 4))
    if loss == "mse":
        y = rng.normal(size=(BATCH, n_out))
    elif loss == "bce":
        y = rng.integers(0, 2, size=(BATCH, n_out)).astype(np.float64)
    else:
        y = rng.integers(0, n_out, size=BATCH)
    return x, y


def _checkable_net(act: str | list[str], arch: dict, loss: str, **extra) -> tuple[MLP, np.ndarray, np.ndarray]:
    """First seed giving a net whose kinks are far from every activation input and no gradient is zero."""
    n_out = 3 if loss == "softmax_ce" else 2
    for seed in range(50):
        # widths 4 -> 5 -> 5 -> 5: the first hidden layer changes width, the next two can be residual
        net = MLP([4, 5, 5, 5, n_out], act, loss=loss, seed=seed, bias_std=0.3, **arch, **extra)
        rng = np.random.default_rng(1000 + seed)
        x, y = _data(loss, n_out, rng)
        for layer in net.layers:  # move norms off their identity start so gamma/beta matter
            if layer.gamma is not None:
                layer.gamma[:] = rng.uniform(0.5, 1.5, layer.gamma.shape)
                layer.beta[:] = rng.normal(0.0, 0.3, layer.beta.shape)
        p = net.gradients(x, y, update_stats=False)
        kink_ok = all(
            np.min(np.abs(t.u)) >= KINK_MARGIN
            for t, layer in zip(p.hidden, net.layers, strict=False)
            if layer.act.name in KINKED
        )
        if kink_ok and all(np.linalg.norm(t.dW) > 1e-8 for t in p.layers):
            return net, x, y
    raise AssertionError(f"no seed in 0..49 keeps {act} away from its kink with non-zero gradients")


def _finite_difference(net: MLP, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Central differences of the training-mode loss for every parameter element (arrays are live)."""
    return [central_differences(lambda: net.loss(x, y), p, H) for _, p in net.parameters()]


def _relative_errors(net: MLP, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    analytic = net.gradients(x, y, update_stats=False).gradients()
    numeric = _finite_difference(net, x, y)
    names = [n for n, _ in net.parameters()]
    assert len(analytic) == len(numeric) == len(names)
    errors = {}
    for name, g, fd in zip(names, analytic, numeric, strict=True):
        assert g.shape == fd.shape, name
        if np.linalg.norm(g) <= ZERO:  # structurally zero, e.g. beta feeding a BatchNorm through a linear unit
            errors[name] = 0.0 if np.max(np.abs(fd)) <= FD_NOISE else np.inf
        else:
            errors[name] = float(np.linalg.norm(g - fd) / max(np.linalg.norm(g), np.linalg.norm(fd)))
    return errors


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("arch", list(ARCHS))
@pytest.mark.parametrize("act", ACTS)
def test_backprop_matches_central_differences(act: str, arch: str, loss: str) -> None:
    net, x, y = _checkable_net(act, ARCHS[arch], loss)
    errors = _relative_errors(net, x, y)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOL, f"{act}/{arch}/{loss}: {worst} relative error {errors[worst]:.2e}"


@pytest.mark.parametrize("output_activation", ["sigmoid", "tanh", "softplus"])
def test_mse_output_activation_matches_central_differences(output_activation: str) -> None:
    net, x, y = _checkable_net("tanh", {}, "mse", output_activation=output_activation)
    assert max(_relative_errors(net, x, y).values()) <= TOL


def test_mixed_activations_with_residual_layernorm_match_central_differences() -> None:
    net, x, y = _checkable_net(["gelu", "prelu", "sigmoid"], {"residual": True, "norm": "layer"}, "softmax_ce")
    assert max(_relative_errors(net, x, y).values()) <= TOL


def test_input_gradient_matches_central_differences() -> None:
    net, x, y = _checkable_net("swish", ARCHS["batch_after"], "bce")
    analytic = net.gradients(x, y, update_stats=False).input_grad
    fd = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += H
        down[idx] -= H
        fd[idx] = (net.loss(up, y) - net.loss(down, y)) / (2.0 * H)
    assert np.linalg.norm(analytic - fd) / np.linalg.norm(fd) <= TOL


def test_gradcheck_detects_a_wrong_gradient() -> None:
    """The check has teeth: a gradient off by 1e-4 relative in one element fails the bound."""
    net, x, y = _checkable_net("tanh", {}, "mse")
    numeric = _finite_difference(net, x, y)
    wrong = net.gradients(x, y, update_stats=False).gradients()[0].copy()
    wrong.reshape(-1)[0] += 1e-4 * np.linalg.norm(wrong)
    assert np.linalg.norm(wrong - numeric[0]) / np.linalg.norm(numeric[0]) > TOL


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("act", ACTS)
def test_taps_match_the_activation_and_its_derivative(act: str, dtype: str) -> None:
    """The MLP's fast paths (slopes read off stored outputs, outputs written in place) change no number."""
    net = MLP([6, 7, 7, 3], act, seed=2, bias_std=0.5, dtype=dtype)
    rng = np.random.default_rng(3)
    p = net.gradients(rng.normal(size=(9, 6)), rng.normal(size=(9, 3)))
    for i, (layer, tap) in enumerate(zip(net.layers[:-1], p.hidden, strict=True)):
        assert tap.a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(tap.a, layer.act(tap.u))
        g = p.layers[i + 1].delta @ net.layers[i + 1].W.T
        rtol = 1e-6 if dtype == "float32" else 1e-14
        np.testing.assert_allclose(tap.delta, g * layer.act.derivative(tap.u), rtol=rtol)
