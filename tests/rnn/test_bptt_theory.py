"""Backprop through time obeys its closed forms (Pascanu, Mikolov & Bengio 2013).

For h_i = f(W_hh h_{i-1} + W_ih x_i + b), dh_t/dh_k = prod_{i=k+1..t} diag(f'(z_i)) W_hh, so
||dh_t/dh_k||_2 <= (sigma_max(W_hh) * gamma)^(t-k) with gamma = max |f'| (1 for tanh and ReLU, 1/4
for sigmoid). The bound is reached by a tanh net near 0 with a scaled orthogonal W_hh. The
eigenvalue version is not a bound: a nilpotent W_hh (every eigenvalue 0) with a large singular
value makes the gradient grow for H-1 steps before it vanishes exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.engine.activations import activation
from vgdocs.engine.nets.recurrent import RecurrentNet

GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}


def _rnn(nonlinearity, hidden, *, spectral_norm=None, recurrent_init="uniform", seed=0):
    return RecurrentNet(
        "rnn",
        2,
        hidden,
        1,
        nonlinearity=nonlinearity,
        recurrent_init=recurrent_init,
        spectral_norm=spectral_norm,
        seed=seed,
    )


@pytest.mark.parametrize("nonlinearity", ["tanh", "sigmoid", "relu"])
def test_rnn_jacobian_is_the_product_of_diag_slope_times_recurrent_matrix(nonlinearity):
    net = _rnn(nonlinearity, 6, seed=4)
    x = np.random.default_rng(1).normal(size=(3, 8, 2))
    p = dict(net.parameters())
    f = activation(nonlinearity)
    h = np.zeros((3, 6))
    slopes = []
    for i in range(8):
        z = x[:, i] @ p["W_ih"].T + p["b_ih"] + h @ p["W_hh"].T + p["b_hh"]
        slopes.append(f.derivative(z))
        h = f(z)
    t, k = 7, 2
    expected = np.broadcast_to(np.eye(6), (3, 6, 6))
    for i in range(k + 1, t + 1):
        expected = (slopes[i][:, :, None] * p["W_hh"]) @ expected  # newest step on the left
    got = net.jacobians(x, t, [k])[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("nonlinearity", ["tanh", "sigmoid", "relu"])
def test_jacobian_norm_never_exceeds_singular_value_bound(nonlinearity, sigma):
    net = _rnn(nonlinearity, 8, spectral_norm=sigma, seed=3)
    assert np.linalg.norm(dict(net.parameters())["W_hh"], 2) == pytest.approx(sigma, rel=1e-12)
    x = np.random.default_rng(2).normal(size=(5, 12, 2))
    t, ks = 11, list(range(12))
    norms = np.linalg.norm(net.jacobians(x, t, ks), ord=2, axis=(-2, -1))  # (k, batch)
    bound = (sigma * GAMMA[nonlinearity]) ** (t - np.array(ks))
    assert np.all(norms <= bound[:, None] * (1 + 1e-12))


@pytest.mark.parametrize("sigma", [0.7, 1.0, 1.3])
def test_bound_is_reached_by_tanh_near_zero_with_scaled_orthogonal_weights(sigma):
    """Near 0 tanh is linear and (sigma Q)^n has every singular value sigma^n: the bound is an equality."""
    net = _rnn("tanh", 8, spectral_norm=sigma, recurrent_init="orthogonal", seed=1)
    for name, arr in net.parameters():
        if name.startswith("b_"):
            arr[...] = 0.0
    x = 1e-6 * np.random.default_rng(0).normal(size=(2, 10, 2))
    svals = net.jacobian_singular_values(x, 9, [0, 3, 6, 9])
    lags = np.array([9, 6, 3, 0])
    np.testing.assert_allclose(svals, np.broadcast_to((sigma**lags)[:, None], svals.shape), rtol=1e-8)


def test_nilpotent_recurrent_matrix_has_zero_eigenvalues_yet_the_gradient_grows():
    """W_hh = a * (shift matrix): all eigenvalues 0, sigma_max = a, so ||dh_t/dh_{t-n}|| ~ a^n for n < H."""
    H, a, T = 6, 3.0, 10
    net = _rnn("tanh", H, seed=0)
    for name, arr in net.parameters():
        arr[...] = 0.0 if name != "W_ih" else arr
    W = dict(net.parameters())["W_hh"]
    W[...] = a * np.eye(H, k=1)
    assert np.all(np.linalg.matrix_power(W, H) == 0.0)  # nilpotent: the characteristic polynomial is l^H
    assert np.linalg.norm(W, 2) == pytest.approx(a, rel=1e-14)
    x = 1e-6 * np.random.default_rng(0).normal(size=(2, T, 2))
    t = T - 1
    norms = net.jacobian_singular_values(x, t, list(range(T)))[:, 0]  # largest singular value per k
    lag = t - np.arange(T)
    growing = lag < H
    # states stay below a^H * 1e-6, so tanh' = 1 - h^2 differs from 1 by < 1e-6
    np.testing.assert_allclose(norms[growing], a ** lag[growing], rtol=1e-6)
    assert np.all(norms[~growing] == 0.0)
    assert norms[lag == H - 1][0] > 100.0
