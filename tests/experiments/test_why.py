"""Why-page experiments against closed forms and a rigorous operator-norm bound."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.experiments.why import (
    activation_curves,
    activation_facts,
    delta_profile,
    gradient_flow,
    slope_bound,
    weight_scale,
)


def test_sigmoid_slope_is_a_quarter_at_zero_and_equals_rescaled_tanh():
    facts = activation_facts()
    assert facts.sigmoid_max_slope == 0.25
    assert facts.sigmoid_argmax == 0.0
    assert facts.tanh_over_sigmoid == 4.0
    assert facts.identity_max_error < 1e-15
    assert facts.slope_identity_max_error < 1e-15


def test_relu_slope_is_one_when_active_and_zero_otherwise():
    facts = activation_facts()
    assert (facts.relu_slope_active, facts.relu_slope_inactive, facts.relu_slope_at_zero) == (1.0, 0.0, 0.0)
    i = facts.names.index("relu")
    assert list(facts.slope_at[i]) == [0.0, 1.0]


def test_activation_table_slopes_match_central_differences():
    facts = activation_facts()
    curves = activation_curves(names=facts.names, lo=-4.0, hi=4.0, points=801)
    h = curves.x[1] - curves.x[0]
    for i, name in enumerate(curves.names):
        fd = (curves.f[i, 2:] - curves.f[i, :-2]) / (2 * h)
        smooth = np.abs(curves.x[1:-1]) > 2 * h  # away from the ReLU-family kinks
        np.testing.assert_allclose(curves.df[i, 1:-1][smooth], fd[smooth], atol=2e-4, err_msg=name)
        # the tabulated maximum is never beaten on the grid
        assert curves.df[i].max() <= facts.max_slope[facts.names.index(name)] + 1e-12


def test_slope_bound_is_the_closed_form_power_of_a_quarter():
    bound = slope_bound()
    assert bound.bound_at_10 == 9.5367431640625e-07
    assert list(bound.depths) == [1, 2, 5, 8, 10, 15, 20]
    np.testing.assert_array_equal(bound.bound, 0.25 ** np.array([1, 2, 5, 8, 10, 15, 20], dtype=float))
    np.testing.assert_allclose(bound.effective_lr, 0.01 * bound.bound, rtol=1e-15)
    assert bound.layers_per_decade == pytest.approx(1 / math.log10(4))


def test_sigmoid_delta_shrinks_no_faster_than_slope_times_operator_norm_allows():
    # ||delta_k|| <= max|sigmoid'| * ||W_{k+1}||_2 * ||delta_{k+1}||, a rigorous bound per layer
    d, _, net = delta_profile("sigmoid", "xavier_normal", depth=10, width=64, batch=128, seed=3)
    for k in range(len(d) - 1):
        op = np.linalg.norm(net.layers[k + 1].W, 2)
        assert d[k] <= 0.25 * op * d[k + 1] * (1 + 1e-12)
    assert d[0] / d[-1] < 1e-4


def test_gradient_flow_relu_needs_he_init_to_hold_its_norm():
    flow = gradient_flow()
    assert flow.sigmoid_first_over_top < 1e-4
    sigmoid = flow.ratios[flow.labels.index("sigmoid + Xavier")]
    assert np.all(sigmoid[:-1] < flow.toy[0][:-1])  # the real sigmoid net sits below the toy bound
    assert flow.ratios[flow.labels.index("tanh + Xavier"), 0] < 0.5  # the toy's "no decay" is wrong for tanh
    assert 0.2 < flow.relu_he_first_over_top < 5
    assert flow.relu_xavier_first_over_top < flow.relu_he_first_over_top / 5
    assert 0.4 < flow.relu_active_fraction < 0.6  # half the ReLU slopes are 0, not 1
    np.testing.assert_array_equal(flow.toy[flow.toy_activations.index("relu")], np.ones(flow.depth))
    np.testing.assert_array_equal(flow.toy[0], 0.25 ** np.arange(flow.depth - 1, -1, -1.0))


def test_big_sigmoid_weights_saturate_units_and_fall_short_of_the_toy_factor():
    sweep = weight_scale()
    np.testing.assert_array_equal(sweep.toy_factor, sweep.sigma_w * 0.25)
    assert np.all(np.diff(sweep.saturated) >= 0)
    assert np.all(np.diff(sweep.mean_slope) < 0)
    big = sweep.sigma_w >= 4
    assert np.all(sweep.per_layer_factor[big] < sweep.toy_factor[big])
    assert sweep.per_layer_factor.max() > 1  # huge weights still explode, saturated or not


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="activation_name"):
        slope_bound(activation_name="sigmoidal")
    with pytest.raises(TypeError, match="depth"):
        gradient_flow(depth=2.5)
    with pytest.raises(ValueError, match="which"):
        activation_curves().figure("fancy")
