"""Gains and the init-derivation page's experiments, against PyTorch and closed forms."""

import math

import pytest

from vgdocs.engine.gains import GAIN_ACTIVATIONS, gain
from vgdocs.experiments.depth.init_derivation import symmetry, variance_rules


@pytest.mark.torch
@pytest.mark.parametrize("name", GAIN_ACTIVATIONS)
def test_gain_matches_torch_calculate_gain(name):
    torch = pytest.importorskip("torch")
    param = 0.01 if name == "leaky_relu" else None
    assert gain(name) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-12)


@pytest.mark.torch
def test_leaky_gain_follows_torch_for_other_slopes():
    torch = pytest.importorskip("torch")
    assert gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))


def test_gain_rejects_unknown_activation():
    with pytest.raises(ValueError, match="name"):
        gain("softsign")


def test_xavier_uniform_bound_matches_glorot_formula():
    r = variance_rules()
    assert r.uniform_bound == pytest.approx(math.sqrt(6 / (r.fan_in + r.fan_out)))
    assert r.uniform_max <= r.uniform_bound
    assert r.measured[2] == pytest.approx(2 / (r.fan_in + r.fan_out), rel=0.05)


def test_constant_init_keeps_units_identical_and_claim_holds():
    r = symmetry(steps=30)
    assert r.spread[0][0] == 0.0
    assert all(c.holds for c in symmetry().claims())
