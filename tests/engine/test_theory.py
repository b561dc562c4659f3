"""Mean-field theory: published numbers, closed forms, and agreement with a wide random MLP.

The network checks use width 1000, 12 hidden layers and a batch of 32 (weights N(0, sigma_w2/1000),
biases N(0, sigma_b2)), and compare the geometric mean of the measured per-layer ratio
||dL/dz^l|| / ||dL/dz^(l+1)|| over the 11 hidden-to-hidden steps with theory's sqrt(chi_1), to 2%
relative (the measured error stays below 0.7% across seeds). Targets are 1000x larger than the
outputs so that dL/d(output) ~ -y does not depend on the forward pass, as mean-field theory
assumes (gradient independence); with targets the size of the outputs the error signal is partly
aligned with the activations and He-initialised ReLU then measures ~8% growth per layer, not 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import ndtr

from vgdocs.engine import theory
from vgdocs.engine.activations import activation
from vgdocs.engine.nets.mlp import MLP

WIDTH, DEPTH, BATCH = 1000, 12, 32
FLOW_TOL = 0.02


# -- published numbers --------------------------------------------------------------------------
def test_sigmoid_slope_bound_over_ten_layers() -> None:
    assert theory.slope_bound("sigmoid", 10) == 0.25**10 == 9.5367431640625e-07
    assert theory.slope_bound("tanh", 50) == 1.0
    assert theory.slope_bound("sigmoid", 0) == 1.0


def test_effective_learning_rate_is_lr_times_slope_bound() -> None:
    assert theory.effective_learning_rate(0.1, "sigmoid", 5) == pytest.approx(0.1 * 0.25**5, rel=1e-15)


def test_tanh_critical_point_is_schoenholz_1_76() -> None:
    """Schoenholz et al. 2017 (Deep Information Propagation): tanh with sigma_b^2 = 0.05 is critical at 1.76."""
    assert theory.critical_sigma_w2("tanh", 0.05) == pytest.approx(1.76, abs=0.005)


def test_tanh_without_bias_is_critical_at_one() -> None:
    """Poole et al. 2016: with sigma_b = 0 the tanh order-to-chaos transition is at sigma_w^2 = 1."""
    assert theory.critical_sigma_w2("tanh", 0.0) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("sigma_b2", [0.0, 0.05, 0.3])
def test_relu_critical_sigma_w2_is_two(sigma_b2: float) -> None:
    """He et al. 2015: ReLU needs Var(W) = 2/fan_in, whatever the bias variance."""
    assert theory.critical_sigma_w2("relu", sigma_b2) == pytest.approx(2.0, rel=1e-12)


def test_leaky_relu_critical_sigma_w2_is_2_over_1_plus_alpha_squared() -> None:
    act = activation("leaky_relu", 0.2)
    assert theory.critical_sigma_w2(act) == pytest.approx(2.0 / 1.04, rel=1e-12)


def test_selu_has_fixed_point_one_at_unit_weight_variance() -> None:
    """Klambauer et al. 2017: SELU with Var(W) = 1/fan_in keeps unit variance (q* = 1)."""
    assert theory.fixed_point("selu", 1.0, 0.0, q0=0.3) == pytest.approx(1.0, abs=1e-9)
    assert theory.length_map("selu", 1.0, 1.0) == pytest.approx(1.0, abs=1e-9)


# -- closed forms ---------------------------------------------------------------------------------
@pytest.mark.parametrize("q", [0.0, 0.01, 1.0, 37.5])
def test_relu_length_map_halves_the_variance(q: float) -> None:
    assert theory.length_map("relu", q, 1.7, 0.1) == pytest.approx(1.7 * q / 2 + 0.1, rel=1e-13, abs=1e-15)
    assert theory.chi_1("relu", 1.7, q=q) == pytest.approx(0.85, rel=1e-13)


def test_relu_fixed_point_is_sigma_b2_over_one_minus_half_sigma_w2() -> None:
    assert theory.fixed_point("relu", 1.5, 0.1) == pytest.approx(0.1 / (1 - 0.75), rel=1e-12)
    assert theory.fixed_point("relu", 2.5, 0.1) == math.inf
    assert theory.fixed_point("relu", 1.0, 0.0) == 0.0


def test_linear_network_is_exact() -> None:
    assert theory.fixed_point("linear", 0.5, 0.2) == pytest.approx(0.4, rel=1e-12)
    assert theory.chi_1("linear", 0.5, 0.2) == pytest.approx(0.5, rel=1e-13)


@pytest.mark.parametrize("q", [0.04, 1.0, 6.0])
def test_gaussian_mean_is_exact_across_elus_kink(q: float) -> None:
    """E[elu'(sqrt(q) z)^2] = 1/2 + e^(2q) Phi(-2 sqrt(q)): the split rule is exact where Gauss-Hermite is not."""
    d = activation("elu")
    expected = 0.5 + math.exp(2 * q) * ndtr(-2 * math.sqrt(q))
    assert theory.gaussian_mean(lambda u: d.derivative(u) ** 2, q) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("name", ["tanh", "gelu", "swish", "softplus"])
@pytest.mark.parametrize("q", [0.3, 4.0])
def test_length_map_matches_adaptive_quadrature(name: str, q: float) -> None:
    act = activation(name)

    def integrand(z: float) -> float:
        return float(act(np.array([math.sqrt(q) * z]))[0]) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    expected = 1.3 * (quad(integrand, -np.inf, 0, epsrel=1e-13)[0] + quad(integrand, 0, np.inf, epsrel=1e-13)[0]) + 0.1
    assert theory.length_map(name, q, 1.3, 0.1) == pytest.approx(expected, rel=1e-11)


def test_q_trajectory_converges_to_the_fixed_point() -> None:
    q = theory.q_trajectory("tanh", 3.0, 60, 2.5, 0.05)
    assert q.shape == (61,) and q[0] == 3.0
    assert q[-1] == pytest.approx(theory.fixed_point("tanh", 2.5, 0.05), rel=1e-10)


def test_tanh_ordered_critical_chaotic_phases() -> None:
    crit = theory.critical_sigma_w2("tanh", 0.05)
    assert theory.chi_1("tanh", 0.8 * crit, 0.05) < 1 < theory.chi_1("tanh", 1.2 * crit, 0.05)
    assert theory.chi_1("tanh", crit, 0.05) == pytest.approx(1.0, abs=1e-12)
    assert theory.depth_scale("tanh", 0.8 * crit, 0.05) > 0 > theory.depth_scale("tanh", 1.2 * crit, 0.05)
    assert abs(theory.depth_scale("tanh", crit, 0.05)) > 1e9


def test_depth_scale_and_gradient_factor_follow_chi_1() -> None:
    chi = theory.chi_1("tanh", 1.2, 0.05)
    assert theory.depth_scale("tanh", 1.2, 0.05) == pytest.approx(-1 / math.log(chi), rel=1e-14)
    assert theory.gradient_factor("tanh", 1.2, 0.05) == pytest.approx(math.sqrt(chi), rel=1e-14)


def test_elu_critical_point_is_the_first_crossing() -> None:
    """ELU's chi_1 rises past 1 before sigma_w2 = 2 and falls back to 1 there as q* diverges."""
    crit = theory.critical_sigma_w2("elu", 0.05)
    assert crit < 1.9
    assert theory.chi_1("elu", crit, 0.05) == pytest.approx(1.0, abs=1e-12)
    assert theory.chi_1("elu", 0.99 * crit, 0.05) < 1.0


# -- a wide random network follows the theory ----------------------------------------------------
def _delta_ratios(net: MLP, x_std: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = x_std * rng.normal(size=(BATCH, WIDTH))
    y = 1e3 * rng.normal(size=(BATCH, WIDTH))
    d = net.gradients(x, y).delta_norms
    assert d.shape == (DEPTH,)
    return d[:-1] / d[1:]


def _geometric_mean(r: np.ndarray) -> float:
    return float(np.exp(np.mean(np.log(r))))


@pytest.mark.parametrize("sigma_w2", [0.8, 1.76, 3.0])
def test_wide_tanh_net_gradient_ratio_matches_sqrt_chi_1(sigma_w2: float) -> None:
    sigma_b2 = 0.05
    net = MLP(
        [WIDTH] * (DEPTH + 2),
        "tanh",
        init="normal",
        init_std=math.sqrt(sigma_w2 / WIDTH),
        bias_std=math.sqrt(sigma_b2),
        seed=11,
    )
    q_star = theory.fixed_point("tanh", sigma_w2, sigma_b2)
    # inputs scaled so that the first layer already sits at the fixed point q*
    ratios = _delta_ratios(net, math.sqrt((q_star - sigma_b2) / sigma_w2), seed=12)
    assert _geometric_mean(ratios) == pytest.approx(theory.gradient_factor("tanh", sigma_w2, sigma_b2), rel=FLOW_TOL)


def test_wide_he_relu_net_keeps_gradient_norm_flat() -> None:
    net = MLP([WIDTH] * (DEPTH + 2), "relu", init="he_normal", seed=13)
    ratios = _delta_ratios(net, 1.0, seed=14)
    assert _geometric_mean(ratios) == pytest.approx(1.0, rel=FLOW_TOL)
    assert _geometric_mean(ratios) ** 2 == pytest.approx(theory.chi_1("relu", 2.0), rel=2 * FLOW_TOL)


def test_wide_xavier_relu_net_halves_gradient_variance_per_layer() -> None:
    net = MLP([WIDTH] * (DEPTH + 2), "relu", init="xavier_normal", seed=15)
    ratios = _delta_ratios(net, 1.0, seed=16)
    assert _geometric_mean(ratios) ** 2 == pytest.approx(0.5, rel=2 * FLOW_TOL)
    assert _geometric_mean(ratios) ** 2 == pytest.approx(theory.chi_1("relu", 1.0), rel=2 * FLOW_TOL)


def test_wide_tanh_net_forward_variance_follows_the_length_map() -> None:
    """Per-layer variance of pre-activations, from unit-variance inputs, tracks q^l to 2%."""
    sigma_w2, sigma_b2 = 3.0, 0.05
    net = MLP(
        [WIDTH] * 8, "tanh", init="normal", init_std=math.sqrt(sigma_w2 / WIDTH), bias_std=math.sqrt(sigma_b2), seed=17
    )
    x = np.random.default_rng(18).normal(size=(BATCH, WIDTH))
    measured = np.array([np.mean(t.z**2) for t in net.gradients(x, np.zeros((BATCH, WIDTH))).hidden])
    predicted = theory.q_trajectory("tanh", sigma_w2 + sigma_b2, 5, sigma_w2, sigma_b2)
    np.testing.assert_allclose(measured, predicted, rtol=FLOW_TOL)


# -- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: theory.slope_bound("nope", 3), ValueError, "activation"),
        (lambda: theory.slope_bound("tanh", -1), ValueError, "n"),
        (lambda: theory.slope_bound(3, 3), TypeError, "activation"),
        (lambda: theory.effective_learning_rate(0.0, "tanh", 2), ValueError, "lr"),
        (lambda: theory.length_map("tanh", -1.0, 1.0), ValueError, "q"),
        (lambda: theory.length_map("tanh", 1.0, 0.0), ValueError, "sigma_w2"),
        (lambda: theory.chi_1("tanh", 1.0, -0.1), ValueError, "sigma_b2"),
        (lambda: theory.chi_1("tanh", math.nan), ValueError, "sigma_w2"),
        (lambda: theory.fixed_point("tanh", 1.0, q0="1"), TypeError, "q0"),
        (lambda: theory.critical_sigma_w2("tanh", math.inf), ValueError, "sigma_b2"),
        (lambda: theory.q_trajectory("tanh", 1.0, 2.5, 1.0), TypeError, "depth"),
        (lambda: theory.gaussian_mean(3.0, 1.0), TypeError, "f"),
    ],
)
def test_bad_arguments_name_themselves(call, exc: type, name: str) -> None:
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call()
