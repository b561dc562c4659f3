"""diagnose: verdicts on synthetic geometric norms, real nets (numpy and torch), and unit statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from vgdocs.engine.diagnose import VERDICTS, Diagnosis, dead_fraction, diagnose, saturated_fraction
from vgdocs.engine.nets.mlp import MLP


def test_a_quarter_per_layer_is_vanishing_with_factor_one_quarter():
    d = diagnose(0.25 ** np.arange(10)[::-1])
    assert isinstance(d, Diagnosis)
    assert d.verdict == "vanishing" and d.n_layers == 10
    assert d.ratio == pytest.approx(0.25**9, rel=1e-12) and d.factor == pytest.approx(0.25, rel=1e-12)
    assert d.explanation.startswith("vanishing:") and "0.25" in d.explanation


def test_doubling_per_layer_towards_the_input_is_exploding():
    d = diagnose([2.0**k for k in range(8, 0, -1)])
    assert d.verdict == "exploding" and d.factor == pytest.approx(2.0, rel=1e-12)


def test_equal_norms_are_healthy_and_the_thresholds_are_reported():
    d = diagnose([0.3, 0.31, 0.29], vanishing_ratio=1e-3, exploding_ratio=1e3)
    assert d.verdict == "healthy"
    assert (d.vanishing_ratio, d.exploding_ratio) == (1e-3, 1e3)
    assert "[0.001, 1000]" in d.explanation


def test_ratio_exactly_at_a_threshold_is_not_yet_a_problem():
    assert diagnose([1.0, 100.0]).verdict == "healthy"
    assert diagnose([100.0, 1.0]).verdict == "healthy"
    assert diagnose([0.99, 100.0]).verdict == "vanishing"


def test_non_finite_norms_are_exploding_and_name_the_layer():
    d = diagnose([1.0, np.inf, 2.0])
    assert d.verdict == "exploding" and "layer 2" in d.explanation
    assert diagnose([np.nan, 1.0]).verdict == "exploding"


def test_huge_norms_with_a_flat_ratio_are_exploding_unless_max_norm_is_off():
    d = diagnose([5e91, 1e92, 2e92])
    assert d.verdict == "exploding" and "layer 3" in d.explanation and d.max_norm == 1e3
    assert diagnose([5e91, 1e92, 2e92], max_norm=None).verdict == "healthy"


def test_tiny_norms_with_a_flat_ratio_are_vanishing_unless_min_norm_is_off():
    # below min_norm, lr 0.1 moves a weight of order one by less than float32's rounding step
    assert 0.1 * 1e-6 < np.finfo(np.float32).eps
    d = diagnose([1e-8, 4e-9, 1e-8])
    assert d.verdict == "vanishing" and "layer 2" in d.explanation
    assert diagnose([1e-8, 4e-9, 1e-8], min_norm=None).verdict == "healthy"


def test_every_verdict_is_one_of_the_documented_three():
    cases = ([1.0, 1.0], [1e-9, 1.0], [1.0, 1e-9], [np.nan, 1.0], [1e4, 1e4], [1e-7, 1e-7])
    assert {diagnose(c).verdict for c in cases} == set(VERDICTS)


def test_zero_gradients_at_both_ends_are_vanishing():
    assert diagnose([0.0, 0.0]).verdict == "vanishing"
    assert diagnose([0.0, 1.0]).factor == 0.0
    assert diagnose([1.0, 0.0]).verdict == "exploding"


def test_sigmoid_network_is_diagnosed_vanishing_and_relu_he_network_healthy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(128, 64)), rng.normal(size=(128, 1))
    sig = MLP([64] * 11 + [1], "sigmoid", init="xavier_normal", seed=0).gradients(x, y)
    relu = MLP([64] * 11 + [1], "relu", init="he_normal", seed=0).gradients(x, y)
    assert diagnose(sig.grad_norms).verdict == "vanishing"
    assert diagnose(relu.grad_norms).verdict == "healthy"


@pytest.mark.torch
def test_norms_from_torch_autograd_are_accepted_as_plain_numbers(torch):
    torch.manual_seed(0)
    layers = [torch.nn.Linear(64, 64) for _ in range(10)]
    h = torch.randn(128, 64)
    for layer in layers:
        h = torch.sigmoid(layer(h))
    torch.mean((h - torch.randn(128, 64)) ** 2).backward()
    norms = torch.stack([layer.weight.grad.norm() for layer in layers])
    d = diagnose(norms.detach())
    assert d.verdict == "vanishing" and d.factor < 0.5
    assert diagnose([float(v) for v in norms]).ratio == pytest.approx(d.ratio, rel=1e-12)


def test_sigmoid_saturation_matches_the_gaussian_tail_probability():
    rng = np.random.default_rng(1)
    z = rng.normal(0.0, 5.0, size=(2000, 100))
    a = 1.0 / (1.0 + np.exp(-z))
    expected = 2.0 * norm.sf(math.log(99.0) / 5.0)  # sigmoid(z) > 0.99  <=>  z > log 99
    assert saturated_fraction(a, "sigmoid") == pytest.approx(expected, abs=3e-3)


def test_tanh_saturation_is_output_magnitude_above_point_99():
    a = np.tanh(np.array([[0.0, 2.0, 2.7, -3.0]]))
    assert saturated_fraction(a, "tanh") == 0.5  # atanh(0.99) = 2.647


def test_dead_units_are_columns_never_positive():
    a = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0], [0.0, 0.5, 0.0, 0.0]])
    assert dead_fraction(a) == 0.5


def test_activations_add_saturated_and_dead_layers_to_the_explanation():
    dead = np.zeros((16, 10))
    dead[:, :5] = 1.0  # half the units never fire
    live = np.ones((16, 10))
    d = diagnose([1.0, 1.0, 1.0], activations=[live, dead], activation="relu")
    assert d.verdict == "healthy" and d.dead == (0.0, 0.5) and d.dead_layers == (2,)
    assert "dead units in layer(s) 2" in d.explanation
    assert all(math.isnan(v) for v in d.saturated)  # ReLU has no saturating tail
    s = diagnose([1.0, 1e-4], activations=[np.full((4, 3), 0.999), live * 0.5], activation=["sigmoid", "tanh"])
    assert s.verdict == "exploding" and s.saturated == (1.0, 0.0) and s.saturated_layers == (1,)
    assert all(math.isnan(v) for v in s.dead)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: diagnose([1.0]), "grad_norms"),
        (lambda: diagnose([[1.0, 2.0]]), "grad_norms"),
        (lambda: diagnose(["a", "b"]), "grad_norms"),
        (lambda: diagnose([1.0, -1.0]), "grad_norms"),
        (lambda: diagnose([1.0, 1.0], vanishing_ratio=0.0), "vanishing_ratio"),
        (lambda: diagnose([1.0, 1.0], vanishing_ratio=10.0, exploding_ratio=5.0), "vanishing_ratio"),
        (lambda: diagnose([1.0, 1.0], dead_threshold=1.5), "dead_threshold"),
        (lambda: diagnose([1.0, 1.0], max_norm=-1.0), "max_norm"),
        (lambda: diagnose([1.0, 1.0], min_norm=10.0, max_norm=1.0), "min_norm"),
        (lambda: diagnose([1.0, 1.0], activation="relu"), "activation"),
        (lambda: diagnose([1.0, 1.0], activations=[np.ones((2, 2))]), "activation"),
        (lambda: diagnose([1.0, 1.0], activations=[np.ones((2, 2))], activation="softmax"), "activation"),
        (lambda: diagnose([1.0, 1.0], activations=[np.ones(2)], activation="relu"), "activations"),
        (lambda: diagnose([1.0, 1.0], activations=np.ones((2, 2)), activation="relu"), "activations"),
        (lambda: diagnose([1.0, 1.0], activations=[np.ones((2, 2))], activation=["relu", "tanh"]), "activation"),
        (lambda: saturated_fraction(np.ones(3), "relu"), "activation"),
        (lambda: saturated_fraction(np.array([np.nan]), "tanh"), "a"),
        (lambda: dead_fraction(np.ones(3)), "a"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
