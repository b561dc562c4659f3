"""Claims of the criticality experiment and the layer-norm pairing: true as measured, false when perturbed."""

import dataclasses
import math

import numpy as np
import pytest

from vgdocs.engine import theory
from vgdocs.experiments.criticality import PAIRS, criticality
from vgdocs.experiments.digits_bench import VANISHING, run
from vgdocs.experiments.fixes.defaults import layer_norm_pairing


def _claim(result, cid):
    return next(c for c in result.claims() if c.id == cid)


def test_every_criticality_claim_holds():
    r = criticality()
    assert all(c.holds for c in r.claims()), [c.id for c in r.claims() if not c.holds]


def test_relu_he_is_critical_by_he_et_al_closed_form():
    # He et al. 2015: E[relu'(z)^2] = 1/2 exactly, so sigma_w2 = 2 gives chi_1 = 1 whatever the bias
    r = criticality()
    i = next(i for i, p in enumerate(PAIRS) if p[0] == "relu" and p[2] == "He")
    assert r.chi[i] == pytest.approx(1.0, abs=1e-9)


def test_slope_to_size_ratio_against_monte_carlo():
    # independent source: a plain Monte Carlo estimate of sqrt(E[f'(u)^2] / E[f(u)^2])
    u = np.random.default_rng(0).standard_normal(2_000_000)
    sig = 1 / (1 + np.exp(-u))
    mc = math.sqrt(np.mean((sig * (1 - sig)) ** 2) / np.mean(sig**2))
    assert theory.slope_to_size_ratio("sigmoid") == pytest.approx(mc, rel=5e-3)
    assert theory.slope_to_size_ratio("relu") == pytest.approx(1.0, abs=1e-9)  # E[1{u>0}] = E[u^2 1{u>0}] = 1/2


def test_selu_slope_just_below_zero_is_lambda_alpha():
    from vgdocs.engine.activations import SELU_ALPHA, SELU_SCALE

    assert theory.negative_side_slopes("selu")[2] == pytest.approx(SELU_SCALE * SELU_ALPHA, rel=1e-8)


def test_tanh_claim_fails_if_xavier_were_at_the_critical_point():
    """Perturb: give the tanh pair its critical sigma_w2 instead of Xavier's 1; the 'ordered' claim must fail."""
    r = criticality()
    i = next(i for i, p in enumerate(PAIRS) if p[0] == "tanh")
    chi = r.chi.copy()
    chi[i] = theory.chi_1("tanh", theory.critical_sigma_w2("tanh", r.sigma_b2), r.sigma_b2)
    perturbed = dataclasses.replace(r, chi=chi)
    assert _claim(perturbed, "tanh-xavier-is-ordered").holds is False
    assert _claim(perturbed, "only-relu-he-is-critical").holds is False


def test_layer_norm_claim_holds_and_fails_when_sigmoid_gets_batch_norm(memo):
    """Perturb: the sigmoid run under batch norm instead of layer norm cures it, so the claim must fail."""
    r = layer_norm_pairing()
    assert _claim(r, "layer-norm-needs-slope-not-centring").holds is True
    runs = list(r.runs)
    runs[r.names.index("sigmoid")] = run(VANISHING.but(norm="batch"), "sigmoid", 0)
    perturbed = dataclasses.replace(r, runs=tuple(runs))
    assert _claim(perturbed, "layer-norm-needs-slope-not-centring").holds is False
