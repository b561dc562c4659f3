"""RNN, LSTM and GRU agree with torch.nn.RNN / LSTM / GRU on identical weights, float64, to 1e-10.

The weights of a RecurrentNet are copied into torch's modules (same layout: weight_ih_l0,
weight_hh_l0, bias_ih_l0, bias_hh_l0) and an nn.Linear readout; torch's autograd then gives the
reference loss, outputs, hidden states, every parameter gradient, the input gradient and dL/dh_k
(through retain_grad on the per-step outputs), and dh_t/dh_k through torch.func.jacrev. Relative
error is max|a - t| / max|t|. Skipped when torch is not installed (pip install -e .[torch]).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch parity tests need torch: pip install -e .[torch]")
F = torch.nn.functional

from vgdocs.engine.nets.recurrent import RecurrentNet  # noqa: E402

pytestmark = pytest.mark.torch

TOL = 1e-10
I, HID, O, B, T = 3, 5, 2, 4, 7
MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def _rel(a, t) -> float:
    """max|a - t| / max|t|; a structurally zero reference (a dead ReLU path) needs a == 0 exactly."""
    t = t.detach().numpy() if isinstance(t, torch.Tensor) else t
    scale = np.max(np.abs(t))
    return float(np.max(np.abs(a - t)) / scale) if scale > 0 else float(np.max(np.abs(a)) > 0)


def _torch_copy(net):
    p = {k: torch.tensor(v) for k, v in net.parameters()}
    kwargs = {"nonlinearity": net.nonlinearity} if net.cell == "rnn" else {}
    mod = MODULES[net.cell](I, HID, batch_first=True, dtype=torch.float64, **kwargs)
    lin = torch.nn.Linear(HID, O, dtype=torch.float64)
    with torch.no_grad():
        mod.weight_ih_l0.copy_(p["W_ih"])
        mod.weight_hh_l0.copy_(p["W_hh"])
        mod.bias_ih_l0.copy_(p["b_ih"])
        mod.bias_hh_l0.copy_(p["b_hh"])
        lin.weight.copy_(p["W_out"])
        lin.bias.copy_(p["b_out"])
    return mod, lin


@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
@pytest.mark.parametrize("readout", ["last", "every"])
@pytest.mark.parametrize(("cell", "nonlinearity"), CELLS)
def test_loss_outputs_and_every_gradient_match_torch(cell, nonlinearity, readout, loss):
    rng = np.random.default_rng(7)
    net = RecurrentNet(
        cell,
        I,
        HID,
        O,
        nonlinearity=nonlinearity,
        readout=readout,
        loss=loss,
        forget_bias=1.0 if cell == "lstm" else None,
        seed=11,
    )
    x = rng.normal(size=(B, T, I))
    lead = (B,) if readout == "last" else (B, T)
    y = rng.integers(0, O, size=lead) if loss == "softmax_ce" else rng.normal(size=(*lead, O))
    ours = net.gradients(x, y)

    mod, lin = _torch_copy(net)
    xt = torch.tensor(x, requires_grad=True)
    # step the module one time step at a time so each h_k is a tensor whose .grad is the total dL/dh_k
    state, steps = None, []
    for t in range(T):
        _, state = mod(xt[:, t : t + 1], state)
        h_t = state[0] if cell == "lstm" else state
        h_t.retain_grad()
        steps.append(h_t)
    hs = torch.cat([s[0][:, None] for s in steps], dim=1)
    z = lin(hs[:, -1] if readout == "last" else hs)
    if loss == "mse":
        ref = F.mse_loss(z, torch.tensor(y))
        out = z
    else:
        ref = F.cross_entropy(z.reshape(-1, O), torch.tensor(y).reshape(-1))
        out = torch.softmax(z, dim=-1)
    ref.backward()

    assert abs(ours.loss - ref.item()) <= TOL * abs(ref.item())
    assert _rel(ours.output, out) <= TOL
    assert _rel(ours.hidden, hs) <= TOL
    ref_grads = [mod.weight_ih_l0, mod.weight_hh_l0, mod.bias_ih_l0, mod.bias_hh_l0, lin.weight, lin.bias]
    for (name, _), g, t in zip(net.parameters(), ours.gradients(), ref_grads, strict=True):
        assert _rel(g, t.grad) <= TOL, f"{name}: rel {_rel(g, t.grad):.2e}"
    assert _rel(ours.input_grad, xt.grad) <= TOL
    assert _rel(ours.hidden_grads, torch.stack([s.grad[0] for s in steps], dim=1)) <= TOL


@pytest.mark.parametrize(("cell", "nonlinearity"), CELLS)
def test_initial_state_and_final_state_match_torch(cell, nonlinearity):
    rng = np.random.default_rng(3)
    net = RecurrentNet(cell, I, HID, O, nonlinearity=nonlinearity, seed=5)
    x, h0, c0 = rng.normal(size=(B, T, I)), rng.normal(size=(B, HID)), rng.normal(size=(B, HID))
    mod, _ = _torch_copy(net)
    h0t = torch.tensor(h0)[None]
    if cell == "lstm":
        hs, (_, c_n) = mod(torch.tensor(x), (h0t, torch.tensor(c0)[None]))
        h, c = net.forward(x, h0=h0, c0=c0)
        assert _rel(c[:, -1], c_n[0]) <= TOL
    else:
        hs, _ = mod(torch.tensor(x), h0t)
        h, c = net.forward(x, h0=h0)
        assert c is None
    assert _rel(h, hs) <= TOL


@pytest.mark.parametrize(("cell", "nonlinearity"), CELLS)
def test_jacobian_matches_torch_jacrev(cell, nonlinearity):
    """dh_t/dh_k (c_k held fixed for the LSTM) against torch.func.jacrev of a restarted run."""
    rng = np.random.default_rng(9)
    net = RecurrentNet(cell, I, HID, O, nonlinearity=nonlinearity, seed=2)
    x = rng.normal(size=(B, T, I))
    t, k = T - 1, 1
    ours = net.jacobians(x, t, [k])[0]
    h, c = net.forward(x)
    mod, _ = _torch_copy(net)
    rest = torch.tensor(x[:, k + 1 : t + 1])
    for b in range(B):

        def run(hk, b=b):
            state = hk[None, None]
            if cell == "lstm":
                state = (state, torch.tensor(c[b, k])[None, None])
            return mod(rest[b : b + 1], state)[0][0, -1]

        ref = torch.func.jacrev(run)(torch.tensor(h[b, k]))
        assert _rel(ours[b], ref) <= TOL
