"""The probe's opt-in fields against an independent computation: central differences of the loss
for the gradient statistics, the forward pass written out by hand for the activation inputs."""

from __future__ import annotations

import numpy as np

from tests.conftest import central_differences
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe

H = 1e-6  # central-difference step; the error is O(H^2) plus rounding ~ 1e-16 / H


def _net_and_batch(**extra) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    net = MLP([5, 6, 6, 3], "tanh", init="xavier_normal", seed=3, **extra)
    return net, rng.standard_normal((9, 5)), rng.standard_normal((9, 3))


def _central_differences(net: MLP, x: np.ndarray, y: np.ndarray, array: np.ndarray) -> np.ndarray:
    """dL/d(array) entry by entry, from the loss alone (no backward pass)."""
    return central_differences(lambda: net.loss(x, y), array, H)


def test_weight_gradient_variances_match_central_differences_in_every_weight_layer():
    net, x, y = _net_and_batch(bias_std=0.3)
    p = probe(net, x, y, variances=True)
    expected = [_central_differences(net, x, y, layer.W).var() for layer in net.layers]
    assert p.weight_grad_vars.shape == (len(net.layers),)  # output layer included, last
    np.testing.assert_allclose(p.weight_grad_vars, expected, rtol=1e-6)


def test_bias_gradient_norms_match_central_differences_in_every_weight_layer():
    net, x, y = _net_and_batch(bias_std=0.3)
    p = probe(net, x, y, bias_grads=True)
    expected = [np.linalg.norm(_central_differences(net, x, y, layer.b)) for layer in net.layers]
    np.testing.assert_allclose(p.bias_grad_norms, expected, rtol=1e-6)


def test_bias_gradient_norms_are_nan_for_layers_without_a_bias():
    net, x, y = _net_and_batch(norm="batch", norm_position="before")
    p = probe(net, x, y, bias_grads=True)
    assert np.all(np.isnan(p.bias_grad_norms[:-1])) and np.isfinite(p.bias_grad_norms[-1])


def test_activation_inputs_are_the_forward_pass_written_out_by_hand():
    net, x, y = _net_and_batch(bias_std=0.3)
    p = probe(net, x, y, activation_inputs=True)
    h = x
    for layer, u in zip(net.layers[:-1], p.activation_inputs, strict=True):
        expected = h @ layer.W + layer.b
        np.testing.assert_allclose(u, expected, rtol=1e-12, atol=1e-15)
        h = np.tanh(expected)


def test_activation_inputs_are_copies_that_outlive_the_pass():
    net, x, y = _net_and_batch(bias_std=0.3)
    p = probe(net, x, y, activation_inputs=True)
    kept = [u.copy() for u in p.activation_inputs]
    probe(net, 2.0 * x, y)  # a second pass must not write into the first profile's arrays
    for u, k in zip(p.activation_inputs, kept, strict=True):
        np.testing.assert_array_equal(u, k)


def test_opt_in_fields_are_absent_from_a_plain_probe():
    net, x, y = _net_and_batch()
    p = probe(net, x, y)
    assert p.weight_grad_vars is None and p.bias_grad_norms is None and p.activation_inputs is None
