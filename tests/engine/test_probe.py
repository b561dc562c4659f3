"""The engine's probe: one pass at initialisation, read back against the network's own taps."""

from __future__ import annotations

import warnings

import numpy as np

from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe, probe_mlp


def test_probe_reads_the_networks_own_pass():
    rng = np.random.default_rng(0)
    net = MLP([8, 8, 8, 8, 1], "tanh", init="xavier_normal", seed=1)
    x, y = rng.standard_normal((16, 8)), rng.standard_normal((16, 1))
    p, tape = probe(net, x, y, variances=True), net.gradients(x, y, update_stats=False)
    np.testing.assert_array_equal(p.delta_norms, tape.delta_norms)
    np.testing.assert_array_equal(p.grad_norms, tape.grad_norms)
    np.testing.assert_array_equal(p.preactivation_vars, [np.var(t.z) for t in tape.hidden])
    np.testing.assert_array_equal(p.delta_vars, [np.var(t.delta) for t in tape.hidden])
    for a, t in zip(p.activations, tape.hidden, strict=True):
        np.testing.assert_array_equal(a, np.tanh(t.u))


def test_probe_mlp_init_gain_scales_the_first_layers_preactivation_variance_by_its_square():
    plain = probe_mlp("linear", depth=2, width=64, batch=128, seed=0, init="lecun_normal", variances=True)
    scaled = probe_mlp(
        "linear", depth=2, width=64, batch=128, seed=0, init="lecun_normal", init_gain=3.0, variances=True
    )
    assert np.isclose(scaled.preactivation_vars[0], 9.0 * plain.preactivation_vars[0], rtol=1e-12)


def test_an_exploding_probe_returns_inf_as_data_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = probe_mlp("relu", depth=60, width=16, batch=8, seed=0, init="normal", init_std=3.0)
    assert not np.all(np.isfinite(p.delta_norms)) or p.delta_norms[0] > 1e30


def test_delta_variances_are_the_squared_norm_over_the_count_when_the_mean_is_zero():
    p = probe_mlp("tanh", depth=4, width=32, batch=64, seed=2, variances=True)
    n = 64 * 32
    # Var = E[d^2] - E[d]^2, so n * Var <= ||d||^2 with equality only for a zero mean
    assert np.all(n * p.delta_vars <= p.delta_norms**2 * (1 + 1e-12))
    np.testing.assert_allclose(n * p.delta_vars, p.delta_norms**2, rtol=0.05)


def test_variances_are_reported_only_when_asked_for():
    p = probe_mlp("tanh", depth=3, width=8, batch=4, seed=0)
    assert p.preactivation_vars is None and p.delta_vars is None
