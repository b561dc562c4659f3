"""RecurrentNet's options do what they say, a stack of seeds equals separate networks, bad input is named."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.engine.nets.recurrent import RecurrentNet


def test_stack_of_seeds_equals_each_network_built_alone():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 6, 2)), rng.normal(size=(4, 1))
    seeds = [3, 8, 21]
    for cell in ("rnn", "lstm", "gru"):
        stacked = RecurrentNet(cell, 2, 5, 1, seed=seeds)
        together = stacked.gradients(x, y)
        jac = stacked.jacobians(x, 5, [1, 4])
        for s, seed in enumerate(seeds):
            alone = RecurrentNet(cell, 2, 5, 1, seed=seed)
            single = alone.gradients(x, y)
            assert together.loss[s] == pytest.approx(single.loss, rel=1e-14)
            for g_stack, g in zip(together.gradients(), single.gradients(), strict=True):
                np.testing.assert_allclose(g_stack[s], g, rtol=1e-12, atol=1e-16)
            np.testing.assert_allclose(together.h_grad_norms[s], single.h_grad_norms, rtol=1e-12)
            np.testing.assert_allclose(jac[s], alone.jacobians(x, 5, [1, 4]), rtol=1e-12, atol=1e-16)


def test_stack_takes_one_batch_per_network():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2, 4, 6, 2)), rng.normal(size=(2, 4, 1))
    stacked = RecurrentNet("gru", 2, 5, 1, seed=[0, 1])
    loss = stacked.loss(x, y)
    for s in range(2):
        assert loss[s] == pytest.approx(RecurrentNet("gru", 2, 5, 1, seed=s).loss(x[s], y[s]), rel=1e-14)


@pytest.mark.parametrize(("cell", "gates"), [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_spectral_norm_sets_every_gate_block_largest_singular_value(cell, gates):
    net = RecurrentNet(cell, 2, 7, spectral_norm=1.7, seed=4)
    blocks = net.recurrent_blocks()
    assert blocks.shape == (gates, 7, 7)
    np.testing.assert_allclose(np.linalg.norm(blocks, ord=2, axis=(1, 2)), 1.7, rtol=1e-12)


def test_orthogonal_recurrent_init_has_unit_singular_values():
    blocks = RecurrentNet("lstm", 2, 6, recurrent_init="orthogonal", seed=0).recurrent_blocks()
    np.testing.assert_allclose(np.linalg.svd(blocks, compute_uv=False), 1.0, rtol=1e-12)


def test_default_init_is_pytorch_uniform_bound():
    for _, arr in RecurrentNet("gru", 3, 16, 2, seed=0).parameters():
        assert np.max(np.abs(arr)) <= 1 / 4


def test_forget_bias_sets_the_total_lstm_forget_gate_bias():
    p = dict(RecurrentNet("lstm", 2, 4, forget_bias=2.5, seed=0).parameters())
    np.testing.assert_array_equal(p["b_ih"][4:8] + p["b_hh"][4:8], 2.5)
    assert not np.any(p["b_ih"][:4] == 2.5)


def test_lag_norms_run_from_the_last_step_backwards():
    rng = np.random.default_rng(2)
    bptt = RecurrentNet("rnn", 2, 4, seed=0).gradients(rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 1)))
    np.testing.assert_array_equal(bptt.lag_norms, bptt.h_grad_norms[::-1])


def test_exploding_relu_net_returns_inf_and_nan_as_data_without_warnings():
    net = RecurrentNet("rnn", 1, 4, nonlinearity="relu", recurrent_init="orthogonal", spectral_norm=1e3, seed=0)
    for name, arr in net.parameters():
        if name == "W_hh":
            arr[...] = 1e3 * np.ones((4, 4))
    x, y = np.ones((2, 120, 1)), np.zeros((2, 1))
    bptt = net.gradients(x, y)  # pytest turns any numpy warning into an error
    assert not np.isfinite(bptt.loss)
    assert not np.all(np.isfinite(bptt.grads["W_hh"]))


@pytest.mark.parametrize(
    ("kwargs", "exc", "words"),
    [
        ({"cell": "transformer"}, ValueError, ["cell", "lstm", "gru", "rnn"]),
        ({"cell": 3}, TypeError, ["cell"]),
        ({"nonlinearity": "gelu"}, ValueError, ["nonlinearity", "tanh", "sigmoid", "relu"]),
        ({"cell": "lstm", "nonlinearity": "relu"}, ValueError, ["nonlinearity", "lstm"]),
        ({"readout": "mean"}, ValueError, ["readout", "last", "every"]),
        ({"loss": "bce"}, ValueError, ["loss", "mse", "softmax_ce"]),
        ({"recurrent_init": "he"}, ValueError, ["recurrent_init", "orthogonal", "uniform"]),
        ({"spectral_norm": -1.0}, ValueError, ["spectral_norm"]),
        ({"spectral_norm": float("nan")}, ValueError, ["spectral_norm"]),
        ({"forget_bias": 1.0}, ValueError, ["forget_bias", "lstm"]),
        ({"hidden_size": 0}, ValueError, ["hidden_size"]),
        ({"hidden_size": 2.5}, TypeError, ["hidden_size"]),
        ({"seed": -1}, TypeError, ["seed"]),
        ({"seed": []}, ValueError, ["seed"]),
        ({"seed": [0, "a"]}, TypeError, ["seed"]),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, exc, words):
    args = {"cell": "rnn", "input_size": 2, "hidden_size": 3} | kwargs
    with pytest.raises(exc) as info:
        RecurrentNet(**args)
    for word in words:
        assert word in str(info.value)


def test_bad_call_arguments_are_named():
    net = RecurrentNet("lstm", 2, 3, 2, loss="softmax_ce", seed=0)
    x = np.zeros((4, 5, 2))
    cases = [
        (lambda: net.gradients(np.zeros((4, 5, 3)), np.zeros(4, int)), ValueError, "input_size"),
        (lambda: net.gradients(np.zeros((4, 5)), np.zeros(4, int)), ValueError, "x must have shape"),
        (lambda: net.gradients(np.full((4, 5, 2), np.nan), np.zeros(4, int)), ValueError, "finite"),
        (lambda: net.gradients(x, np.zeros(4)), TypeError, "integer class labels"),
        (lambda: net.gradients(x, np.zeros((4, 5), int)), ValueError, "y must have shape (4,)"),
        (lambda: net.gradients(x, np.full(4, 7)), ValueError, "y must hold"),
        (lambda: net.jacobians(x, 5, [0]), ValueError, "t must hold time steps in [0, 4]"),
        (lambda: net.jacobians(x, 2, [3]), ValueError, "ks must be"),
        (lambda: net.jacobian_singular_values(x, 4, [0], example=9), ValueError, "example"),
        (lambda: net.forward(x, h0=np.zeros((4, 2))), ValueError, "h0 must have shape (4, 3)"),
        (lambda: RecurrentNet("gru", 2, 3).forward(x, c0=np.zeros((4, 3))), ValueError, "c0"),
    ]
    for call, exc, words in cases:
        with pytest.raises(exc) as info:
            call()
        assert words in str(info.value)
