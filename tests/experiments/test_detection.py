"""Detection experiments against Glorot & Bengio's variance argument and against torch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.experiments.detection import dashboard, diagnose_norms, glorot_trap, live_diagnoses
from vgdocs.experiments.digits_bench import VANISHING, probe_batch
from vgdocs.publish.present.spec import Figure, Table

pytestmark = pytest.mark.usefixtures("memo")


def test_glorot_trap_weight_gradients_stay_level_while_the_signal_shrinks_threefold_per_layer():
    t = glorot_trap("tanh", "standard", depth=10, width=64)
    # Glorot & Bengio 2010: n Var[w] = 1/3, so Var[delta] shrinks ~3x per layer and its norm ~sqrt(3)x
    expected = 3.0 ** (-(t.depth - 1) / 2)
    assert expected / 3 < t.delta_ratio < 3 * expected
    assert t.weight_grad_spread < 3.0  # ... while the weight gradients stay within a small factor
    assert t.delta_spread > 30 * t.weight_grad_spread


def test_weight_gradient_is_the_layer_input_times_the_back_propagated_signal():
    t = glorot_trap("tanh", "standard", depth=4, width=16, batch=32)
    x, y = digits("train", seed=0)
    p = MLP([64, 16, 16, 16, 16, 10], "tanh", init="standard", loss="softmax_ce", seed=0).gradients(x[:32], y[:32])
    inputs = [x[:32]] + [tap.a for tap in p.hidden[:-1]]
    direct = [np.linalg.norm(h.T @ tap.delta) for h, tap in zip(inputs, p.hidden, strict=True)]
    np.testing.assert_allclose(t.weight_grad_norms, direct, rtol=1e-12)


def test_live_diagnoses_fall_into_the_glorot_trap_only_when_fed_weight_gradients():
    d = live_diagnoses()
    tanh = d.networks.index("tanh, standard init")
    assert d.verdict_weight[tanh] == "healthy" and d.verdict_delta[tanh] == "vanishing"
    assert d.verdict_delta == ("vanishing", "vanishing", "exploding", "healthy")
    assert d.explanations[0].startswith("vanishing: ")
    assert isinstance(d.table(), Table)


@pytest.mark.torch
def test_diagnose_gives_the_same_verdict_on_norms_computed_by_torch(torch):
    x, y = probe_batch()
    net = VANISHING.net(0)
    ours = net.gradients(x, y, update_stats=False).grad_norms
    layers = []
    for layer in net.layers:
        lin = torch.nn.Linear(layer.fan_in, layer.fan_out, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.b.copy()))
        layers += [lin, torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers[:-1])
    torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    from_torch = [m.weight.grad.norm().item() for m in model if isinstance(m, torch.nn.Linear)]
    np.testing.assert_allclose(from_torch, ours, rtol=1e-9)
    d = diagnose_norms(from_torch)
    assert d.verdict == "vanishing"
    assert d.ratio == pytest.approx(ours[0] / ours[-1], rel=1e-9)


def test_diagnose_norms_reports_the_thresholds_it_used():
    d = diagnose_norms([3.1e-6, 4.4e-5, 8.9e-4, 1.2e-2, 0.21])
    assert d.verdict == "vanishing"
    assert d.ratio == pytest.approx(3.1e-6 / 0.21, rel=1e-12)
    assert d.factor == pytest.approx((3.1e-6 / 0.21) ** 0.25, rel=1e-12)
    assert (d.vanishing_threshold, d.exploding_threshold) == (1e-2, 1e2)
    assert "0.01" in d.explanation


def test_dashboard_shows_the_sick_networks_first_layer_frozen_and_the_healthy_one_near_the_rule_of_thumb():
    d = dashboard()
    assert d.sick_verdict == "vanishing" and d.healthy_verdict == "healthy"
    assert d.chance_loss == math.log(10)
    assert d.sick_first_update < 1e-3 * d.sick_last_update
    assert d.sick_first_change < 1e-4 * d.sick_last_change
    assert 0.1 * d.rule_of_thumb < d.healthy_first_update < 10 * d.rule_of_thumb
    assert d.sick.final_loss > 0.95 * d.chance_loss and d.healthy.final_loss < 0.5 * d.chance_loss
    for which in ("loss", "gradients", "updates", "units"):
        f = d.figure(which)
        assert isinstance(f, Figure) and f.alt
    assert len(d.table().rows) == 9
    assert not any("_history" in k for k in d.numbers())
