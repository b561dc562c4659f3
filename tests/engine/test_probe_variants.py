"""What experiments probe beside vgdocs.engine.probe's own networks: a Gaussian MLP with a weight gain
and a bias spread (`mlp_at_init`, probed by `probe`) and a recurrent net the caller built
(`probe_sequence`); both give a `Profile`."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.engine.at_init import mlp_at_init
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.probe import Profile, probe, probe_mlp, probe_recurrent
from vgdocs.engine.sequences import probe_sequence


@pytest.mark.parametrize("layer", [0, 2, 4])
def test_mlp_at_init_probe_weight_gradient_norm_is_the_directional_finite_difference(layer):
    # |dL/dW| equals the slope of the loss along dL/dW / |dL/dW|, measured by central differences on a
    # network rebuilt from the same seed in the same draw order (network, inputs, targets)
    kw = dict(depth=4, width=8, batch=16, seed=5, gain=1.3, bias_std=0.2)
    profile = probe(*mlp_at_init("tanh", **kw))
    rng = np.random.default_rng(5)
    net = MLP([8] * 5 + [1], "tanh", init="lecun_normal", init_gain=1.3, bias_std=0.2, seed=rng)
    x, y = rng.standard_normal((16, 8)), rng.standard_normal((16, 1))
    g = net.gradients(x, y).gradients()[2 * layer]  # weights and biases alternate, weights first
    w = net.layers[layer].W
    assert g.shape == w.shape
    u, h = g / np.linalg.norm(g), 1e-6
    w += h * u
    up = net.loss(x, y)
    w -= 2 * h * u
    down = net.loss(x, y)
    assert (up - down) / (2 * h) == pytest.approx(profile.grad_norms[layer], rel=1e-6)


def test_mlp_at_init_probe_at_unit_gain_without_bias_is_the_engine_mlp_probe():
    ours = probe(*mlp_at_init("relu", depth=6, width=16, batch=32, seed=2, init="xavier_normal"))
    engine = probe_mlp("relu", depth=6, width=16, batch=32, seed=2, init="xavier_normal")
    assert isinstance(ours, Profile)
    np.testing.assert_array_equal(ours.delta_norms, engine.delta_norms)
    np.testing.assert_array_equal(ours.grad_norms, engine.grad_norms)
    assert ours.loss == engine.loss


@pytest.mark.parametrize(("model", "f"), [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
def test_sequence_probe_of_the_engine_probes_network_gives_its_profile(model, f):
    # probe_recurrent builds its own network; probe_sequence on that network and data must agree
    engine = probe_recurrent(model, activation=f, steps=7, width=5, batch=4, seed=3)
    rng = np.random.default_rng(3)
    net = RecurrentNet(model, 5, 5, 1, nonlinearity=f if model == "rnn" else "tanh", seed=rng)
    ours = probe_sequence(net, rng.standard_normal((4, 7, 5)), rng.standard_normal((4, 1)))
    np.testing.assert_array_equal(ours.lag_norms, engine.lag_norms)
    np.testing.assert_array_equal(ours.delta_norms, engine.delta_norms)
    assert ours.activation_names == engine.activation_names
    np.testing.assert_array_equal(ours.lag_norms, ours.delta_norms[::-1])  # nearest lag first


def test_sequence_probe_refuses_a_stack_of_networks():
    net = RecurrentNet("rnn", 2, 3, 1, seed=[0, 1])
    with pytest.raises(TypeError, match="not a stack"):
        probe_sequence(net, np.zeros((2, 4, 5, 2)), np.zeros((2, 4, 1)))
