"""Backprop through time agrees with central finite differences, in float64, for every cell and head.

Relative error of one array (a parameter, the input or dL/dh_k):

    rel = ||g - g_fd||_2 / max(||g||_2, ||g_fd||_2)

with g_fd[i] = (L(p_i + h) - L(p_i - h)) / (2h), h = 1e-5; every array must reach rel <= 1e-6
(the worst measured is about 6e-9: the LSTM with cross-entropy at every step).
The tanh, sigmoid and ReLU vanilla RNN, the LSTM and the GRU are checked with both readouts
("last", "every") and both losses (MSE, softmax cross-entropy). The ReLU RNN uses the first seed
whose pre-activations all satisfy |z| >= 1e-3, a hundred times the step, so no difference
straddles the kink. Sizes are tiny (I=3, H=4, O=2, B=3, T=5): the file runs in about a second.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import central_differences
from vgdocs.engine.nets.recurrent import RecurrentNet

H_STEP = 1e-5
TOL = 1e-6
I, HID, O, B, T = 3, 4, 2, 3, 5
CELLS = [("rnn", "tanh"), ("rnn", "sigmoid"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def _rel(g: np.ndarray, fd: np.ndarray) -> float:
    scale = max(np.linalg.norm(g), np.linalg.norm(fd))
    return float(np.linalg.norm(g - fd) / scale) if scale > 0 else 0.0


def _fd(f, arr: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f() with respect to every entry of `arr` (perturbed in place)."""
    return central_differences(f, arr, H_STEP)


def _problem(cell, nonlinearity, readout, loss, seed):
    rng = np.random.default_rng(seed)
    net = RecurrentNet(cell, I, HID, O, nonlinearity=nonlinearity, readout=readout, loss=loss, seed=seed)
    x = rng.normal(size=(B, T, I))
    lead = (B,) if readout == "last" else (B, T)
    y = rng.integers(0, O, size=lead) if loss == "softmax_ce" else rng.normal(size=(*lead, O))
    return net, x, y


def _away_from_kink(cell, nonlinearity, readout, loss):
    for seed in range(100):
        net, x, y = _problem(cell, nonlinearity, readout, loss, seed)
        if nonlinearity != "relu":
            return net, x, y
        h, _ = net.forward(x)
        p = dict(net.parameters())
        h_prev = np.concatenate([np.zeros((B, 1, HID)), h[:, :-1]], axis=1)
        z = x @ p["W_ih"].T + p["b_ih"] + h_prev @ p["W_hh"].T + p["b_hh"]
        if np.min(np.abs(z)) >= 1e-3:
            return net, x, y
    raise AssertionError("no seed keeps the ReLU pre-activations away from the kink")


@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
@pytest.mark.parametrize("readout", ["last", "every"])
@pytest.mark.parametrize(("cell", "nonlinearity"), CELLS)
def test_every_parameter_gradient_matches_finite_differences(cell, nonlinearity, readout, loss):
    net, x, y = _away_from_kink(cell, nonlinearity, readout, loss)
    bptt = net.gradients(x, y)
    for (name, arr), g in zip(net.parameters(), bptt.gradients(), strict=True):
        rel = _rel(g, _fd(lambda: net.loss(x, y), arr))
        assert rel <= TOL, f"{cell}/{nonlinearity} {readout} {loss}: {name} rel {rel:.2e}"
    rel = _rel(bptt.input_grad, _fd(lambda: net.loss(x, y), x))
    assert rel <= TOL, f"input grad rel {rel:.2e}"


@pytest.mark.parametrize(("cell", "nonlinearity"), CELLS)
def test_hidden_state_gradient_matches_finite_differences(cell, nonlinearity):
    """dL/dh_k: restart the run at step k+1 from a perturbed h_k (c_k held) and difference the loss."""
    net, x, y = _away_from_kink(cell, nonlinearity, "last", "mse")
    bptt = net.gradients(x, y)
    h, c = net.forward(x)
    p = dict(net.parameters())

    def loss_from(k, hk):
        c0 = c[:, k] if c is not None else None
        h_rest, _ = net.forward(x[:, k + 1 :], h0=hk, c0=c0)
        out = h_rest[:, -1] @ p["W_out"].T + p["b_out"]
        return float(np.mean((out - y) ** 2))

    for k in range(T - 1):
        hk = h[:, k].copy()
        rel = _rel(bptt.hidden_grads[:, k], _fd(lambda k=k, hk=hk: loss_from(k, hk), hk))
        assert rel <= TOL, f"dL/dh_{k} rel {rel:.2e}"
    assert np.allclose(bptt.h_grad_norms, np.linalg.norm(bptt.hidden_grads, axis=(0, 2)), rtol=1e-14, atol=0)


@pytest.mark.parametrize(("cell", "nonlinearity"), CELLS)
def test_jacobian_matches_finite_differences_of_the_forward_pass(cell, nonlinearity):
    net, x, _ = _away_from_kink(cell, nonlinearity, "last", "mse")
    h, c = net.forward(x)
    t, ks = T - 1, [0, 2, T - 1]
    jac = net.jacobians(x, t, ks)
    assert jac.shape == (len(ks), B, HID, HID)
    for j, k in enumerate(ks):
        hk = h[:, k].copy()
        fd = np.empty((B, HID, HID))
        for u in range(HID):
            for sign in (1.0, -1.0):
                hp = hk.copy()
                hp[:, u] += sign * H_STEP
                if k == t:
                    ht = hp
                else:
                    ht = net.forward(x[:, k + 1 : t + 1], h0=hp, c0=c[:, k] if c is not None else None)[0][:, -1]
                fd[:, :, u] = ht / (2 * H_STEP) if sign > 0 else fd[:, :, u] - ht / (2 * H_STEP)
        for b in range(B):
            rel = _rel(jac[j, b], fd[b])
            assert rel <= TOL, f"dh_{t}/dh_{k} example {b}: rel {rel:.2e}"
