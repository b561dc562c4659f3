"""Reproductions against the published numbers, closed forms and an independent backprop (Nielsen's network2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit

from vgdocs.engine import theory
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.experiments import reproductions as repro
from vgdocs.experiments.reproductions import Criterion
from vgdocs.publish import cache


@pytest.fixture(scope="module", autouse=True)
def _memo():
    """Run each default experiment once for the whole module (the scoreboard reuses them, as in a build)."""
    owned = not cache.is_active()
    if owned:
        cache.activate(None)
    yield
    if owned:
        cache.deactivate()


# -- the criteria ----------------------------------------------------------------------------------
def test_criteria_decide_agreement_as_stated():
    assert Criterion("factor", 1.5).holds(0.3, 0.2) and not Criterion("factor", 1.5).holds(0.31, 0.2)
    assert Criterion("factor", 1.5).holds(0.2, 0.3) and not Criterion("factor", 1.5).holds(-0.2, 0.2)
    assert Criterion("relative", 0.1).holds(1.1, 1.0) and not Criterion("relative", 0.1).holds(1.11, 1.0)
    assert Criterion("absolute", 0.005).holds(0.4549, 0.45) and not Criterion("absolute", 0.005).holds(0.456, 0.45)
    assert Criterion("absolute", 0.0).holds(0.0, 0.0) and not Criterion("absolute", 0.0).holds(1e-300, 0.0)
    assert Criterion("at_most", 1.0).holds(1.0, "bound") and not Criterion("at_most", 1.0).holds(1.01, "bound")
    assert Criterion("at_least", 0.2).holds(0.2, "x") and not Criterion("at_least", 0.2).holds(0.19, "x")
    assert not Criterion("relative", 0.1).holds(math.nan, 1.0)


def test_bad_criterion_and_arguments_are_named():
    with pytest.raises(ValueError, match="kind"):
        Criterion("roughly", 0.1)
    with pytest.raises(TypeError, match="published"):
        Criterion("relative", 0.1).holds(1.0, "stalls")
    with pytest.raises(ValueError, match="hidden_layers"):
        repro.nielsen(hidden_layers=(5,))
    with pytest.raises(ValueError, match="margin"):
        repro.pascanu(margin=1.2)
    with pytest.raises(ValueError, match="mass"):
        repro.veit(mass=1.5)
    with pytest.raises(ValueError, match="nonlinearities"):
        repro.pascanu(nonlinearities=("relu",))


# -- Nielsen ---------------------------------------------------------------------------------------
def test_nielsen_ratios_between_layers_match_his_pattern():
    r = repro.nielsen()
    assert all(c.agrees for c in r.rows) and len(r.rows) == 6
    # every layer gets roughly a fifth of the gradient of the layer above: his mean ratio and ours agree closely
    assert 0.15 < r.mean_ratio < 0.3
    assert r.mean_ratio == pytest.approx(r.published_mean_ratio, rel=0.2)
    for ratios in r.ratios:
        assert np.all(ratios < 0.35)


def _network2_bias_gradient(net: MLP, x: np.ndarray, y: np.ndarray) -> list[float]:
    """Nielsen's network2 backprop (column vectors, cross-entropy: delta^L = a - y), averaged over images."""
    weights = [layer.W.T for layer in net.layers]
    biases = [layer.b[:, None] for layer in net.layers]
    total = [np.zeros_like(b) for b in biases]
    for xi, yi in zip(x, y, strict=True):
        activations, zs = [xi[:, None]], []
        for w, b in zip(weights, biases, strict=True):
            zs.append(w @ activations[-1] + b)
            activations.append(expit(zs[-1]))
        delta = activations[-1] - yi[:, None]
        total[-1] += delta
        for layer in range(2, len(weights) + 1):
            sp = expit(zs[-layer]) * (1 - expit(zs[-layer]))
            delta = (weights[-layer + 1].T @ delta) * sp
            total[-layer] += delta
    return [float(np.linalg.norm(t / len(x))) for t in total[:-1]]


def test_nielsen_norms_equal_his_network2_backprop_on_the_same_weights():
    r = repro.nielsen(hidden_layers=(3,), images=200, n_seeds=1, seed=4)
    x, labels = digits("train", seed=4)
    x, y = x[:200], np.eye(10)[labels[:200]]
    net = MLP(
        [64, 30, 30, 30, 10], "sigmoid", init="lecun_normal", bias_std=1.0, loss="bce", seed=np.random.default_rng(4)
    )
    np.testing.assert_allclose(r.norms[0], _network2_bias_gradient(net, x, y), rtol=1e-10)


def _nielsen_width(w: float) -> float:
    """Nielsen's closed form for the width of {a : |w sigma'(wa + b)| >= 1}."""
    return 2.0 / w * math.log(w * (1 + math.sqrt(1 - 4 / w)) / 2 - 1)


def test_nielsen_exercise_matches_closed_form_and_his_rounded_numbers():
    r = repro.nielsen_exercise()
    assert r.threshold_w == pytest.approx(4.0, abs=1e-9)  # 1 / max sigma' = 1 / (1/4)
    above = r.w > 4.0
    np.testing.assert_allclose(r.width[above], [_nielsen_width(w) for w in r.w[above]], rtol=1e-8)
    assert np.all(r.width[~above] == 0.0)
    best = minimize_scalar(
        lambda w: -_nielsen_width(w), bounds=(4.0001, 20.0), method="bounded", options={"xatol": 1e-10}
    )
    assert r.widest_at_w == pytest.approx(best.x, abs=1e-4)
    assert r.widest_width == pytest.approx(-best.fun, abs=1e-10)
    assert round(r.widest_width, 2) == 0.45 and round(r.widest_at_w, 1) == 6.9
    assert all(c.agrees for c in r.rows)


# -- Glorot & Bengio -------------------------------------------------------------------------------
def test_glorot_standard_init_shrinks_backprop_variance_about_3x_per_layer_while_weight_gradients_stay_flat():
    r = repro.glorot()
    standard, xavier = 0, 1
    assert r.n_var_w[standard] == pytest.approx(1 / 3, rel=0.02)
    assert r.backprop_shrink[standard] == pytest.approx(3.0, rel=0.1)
    # in the linear regime the shrink is 1 / (n Var[W]) of the weights actually drawn
    assert r.backprop_shrink[standard] == pytest.approx(1 / r.n_var_w[standard], rel=0.1)
    assert r.weight_grad_factor[standard] == pytest.approx(1.0, rel=0.1)
    assert r.backprop_shrink[xavier] == pytest.approx(1.0, rel=0.1)
    assert r.weight_grad_factor[xavier] == pytest.approx(1.0, rel=0.1)
    assert all(c.agrees for c in r.rows)


# -- He et al. -------------------------------------------------------------------------------------
def test_he_xavier_halves_relu_signal_per_layer_he_keeps_it_and_only_he_trains():
    r = repro.he()
    xavier, he = 0, 1
    assert r.factor[xavier] == pytest.approx(0.5, rel=0.05)
    assert r.factor[he] == pytest.approx(1.0, rel=0.05)
    # after 30 layers the Xavier signal is near 2^-29 of the first layer's (within the compounded error)
    assert r.signal_var[xavier, -1] == pytest.approx(0.5 ** (r.depth - 1), rel=1.0)
    assert r.final_loss[xavier] == pytest.approx(math.log(10), rel=1e-3)  # chance level: it stalls
    assert r.loss_drop[he] > 0.2
    assert all(c.agrees for c in r.rows)


# -- Pascanu et al. --------------------------------------------------------------------------------
def test_pascanu_bound_holds_at_every_lag_and_gammas_are_published_values():
    r = repro.pascanu()
    np.testing.assert_allclose(r.gammas, [1.0, 0.25], atol=1e-9)
    assert np.all(r.worst_ratio_over_bound <= 1.0)
    lags = r.lags[1:].astype(float)
    assert np.all(r.ratio[:, 1:] <= r.margin**lags + 1e-15)
    assert r.norm_before > r.clip_threshold
    assert r.norm_after == pytest.approx(r.clip_threshold, rel=1e-12)
    assert r.cosine == pytest.approx(1.0, abs=1e-12) and r.untouched_change == 0.0


# -- Saxe et al. -----------------------------------------------------------------------------------
def test_saxe_orthogonal_products_have_unit_singular_values_and_gaussian_ones_spread():
    r = repro.saxe()
    orthogonal, gaussian = 0, 1
    assert np.all(np.abs(r.farthest[orthogonal] - 1.0) < 1e-10)
    np.testing.assert_allclose(r.singular_values[orthogonal], 1.0, atol=1e-10)
    assert np.all(np.diff(r.spread[gaussian]) > 0) and r.spread[gaussian, -1] > 5
    np.testing.assert_allclose(r.mean_square[gaussian], 1.0, rtol=0.25)  # norm-preserving on average
    assert all(c.agrees for c in r.rows)


# -- Schoenholz et al. -----------------------------------------------------------------------------
def test_schoenholz_critical_point_and_measured_factor_follow_mean_field():
    r = repro.schoenholz()
    assert r.critical == pytest.approx(1.76, abs=0.005)
    np.testing.assert_allclose(r.measured_chi, r.chi, rtol=0.05)
    below, above = r.sigma_w2 < r.critical - 0.1, r.sigma_w2 > r.critical + 0.1
    assert np.all(r.profile[below, 0] < 0.1) and np.all(r.profile[above, 0] > 10)
    np.testing.assert_allclose(r.depth_scale, [theory.depth_scale("tanh", s2, r.sigma_b2) for s2 in r.sigma_w2])
    assert np.all(r.measured_depth_scale[below] > 0) and np.all(r.measured_depth_scale[above] < 0)
    near = ~(below | above)
    assert np.all(np.abs(r.measured_depth_scale[near]) > r.depth)  # critical: longer than the network is deep
    assert all(c.agrees for c in r.rows)


# -- Veit et al. -----------------------------------------------------------------------------------
def test_veit_paths_split_the_input_gradient_exactly_and_short_paths_carry_it():
    r = repro.veit()
    assert r.decomposition_error < 1e-12  # summing every path group gives the network's own input gradient
    assert r.path_counts.sum() == pytest.approx(2.0**r.modules, rel=1e-12)
    assert r.mean_path_length == pytest.approx(r.modules / 2)
    assert r.total.sum() == pytest.approx(1.0)
    assert r.fit_r2 > 0.9 and 0 < r.decay < 0.5
    lo, hi = r.effective
    assert abs(lo - 5) <= 2 and abs(hi - 17) <= 2  # Veit et al.: 5-17 modules (10-34 layers)
    assert hi < r.mean_path_length  # effective paths are far shorter than the typical path
    assert r.effective_layers == (2 * lo, 2 * hi)


def test_veit_effective_range_is_stable_across_seeds():
    for seed in (1, 2):
        lo, hi = repro.veit(seed=seed).effective
        assert 3 <= lo <= 8 and 12 <= hi <= 19


# -- all of it ------------------------------------------------------------------------------------
def test_scoreboard_counts_every_claim_of_every_reproduction():
    s = repro.scoreboard()
    results = (
        repro.nielsen(),
        repro.nielsen_exercise(),
        repro.glorot(),
        repro.he(),
        repro.pascanu(),
        repro.saxe(),
        repro.schoenholz(),
        repro.veit(),
    )
    claims = [c for r in results for c in r.rows]
    assert int(s.checked.sum()) == len(claims) and int(s.met.sum()) == sum(c.agrees for c in claims)
    assert s.total_source == sum(c.basis == "source" for c in claims) == int(s.checked[:, 0].sum())
    assert s.total_source_met == s.total_source and s.disagreements == ()
    assert all(c.holds for c in s.claims())


def test_every_result_tabulates_its_claims_and_describes_a_figure():
    from vgdocs.publish.present.tables import render_table

    for r in (
        repro.nielsen(),
        repro.nielsen_exercise(),
        repro.glorot(),
        repro.he(),
        repro.pascanu(),
        repro.saxe(),
        repro.schoenholz(),
        repro.veit(),
    ):
        text = render_table(r.table())
        assert "agrees?" in text and text.count("| yes |") == len(r.rows)
        fig = r.figure()
        assert fig.alt and all(len(s.x) == len(s.y) > 0 for p in fig.panels for s in p.series)
    assert "Nielsen (MNIST" in render_table(repro.nielsen().table("norms"))
    assert "mean squared singular value" in render_table(repro.saxe().table("depths"))


def test_schoenholz_claim_fails_when_the_bias_variance_is_not_the_papers():
    """Perturb: sigma_b2 = 0.3 instead of the paper's 0.05 moves the critical point off 1.76; the claim must fail."""
    r = repro.schoenholz((1.76,), sigma_b2=0.3, depth=8, width=32, batch=16, n_seeds=1)
    first = r.claims()[0]
    assert first.id.startswith("schoenholz-1-critical") and first.holds is False
    assert repro.schoenholz((1.76,), depth=8, width=32, batch=16, n_seeds=1).claims()[0].holds is True
