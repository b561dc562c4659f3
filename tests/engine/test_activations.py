"""Activations: values and derivatives against PyTorch and finite differences, and the quoted facts."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

from vgdocs.engine.activations import ACTIVATIONS, SELU_ALPHA, SELU_SCALE, activation, sigmoid

NAMES = tuple(a for a in ACTIVATIONS if a not in ("silu", "identity"))
KINKS = {"relu", "leaky_relu", "prelu", "elu", "selu"}
GRID = np.concatenate([np.linspace(-30.0, 30.0, 6001), [-1e4, -1e3, -50.0, 50.0, 1e3, 1e4]])
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _torch_f(torch, name: str, alpha: float | None):
    F = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, negative_slope=alpha),
        "prelu": lambda t: F.prelu(t, torch.tensor([alpha], dtype=t.dtype)),
        "elu": lambda t: F.elu(t, alpha=alpha),
        "selu": F.selu,
        "gelu": lambda t: F.gelu(t, approximate="none"),
        "softplus": F.softplus,
        "swish": F.silu,
        "linear": lambda t: t,
    }[name]


@pytest.mark.torch
@pytest.mark.parametrize("name", NAMES)
def test_value_and_derivative_match_torch(torch, name: str) -> None:
    act = activation(name)
    # torch's softplus switches to the identity above x = 20 (its `threshold`); compare below it
    x = GRID[GRID <= 20.0] if name == "softplus" else GRID
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = _torch_f(torch, name, act.alpha)(t)
    out.sum().backward()
    np.testing.assert_allclose(act(x), out.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(act.derivative(x), t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name: str) -> None:
    x = np.linspace(-8.0, 8.0, 1601)
    x = x[np.abs(x) > 1e-3] if name in KINKS else x  # a difference across a kink measures nothing
    act, h = activation(name), 1e-6
    fd = (act(x + h) - act(x - h)) / (2.0 * h)
    np.testing.assert_allclose(act.derivative(x), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_no_numpy_warnings_and_finite_up_to_1e4(name: str, dtype: type) -> None:
    act = activation(name)
    x = np.concatenate([np.linspace(-1e4, 1e4, 20001), np.linspace(-50.0, 50.0, 2001)]).astype(dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value, slope = act(x), act.derivative(x)
    assert value.dtype == dtype and slope.dtype == dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(slope))
    lo, hi = act.output_range
    assert np.min(value) >= lo - 1e-6 and np.max(value) <= hi


def test_sigmoid_equals_half_one_plus_tanh_half_x() -> None:
    x = np.linspace(-40.0, 40.0, 80001)
    assert np.max(np.abs(sigmoid(x) - (1.0 + np.tanh(x / 2.0)) / 2.0)) <= 2.0**-52


def test_sigmoid_max_slope_is_exactly_a_quarter_at_zero() -> None:
    act = activation("sigmoid")
    assert act.max_slope == 0.25 and act.argmax_slope == 0.0
    assert act.derivative(np.array([0.0]))[0] == 0.25
    assert np.max(act.derivative(GRID)) == 0.25


def test_tanh_max_slope_is_one_at_zero() -> None:
    act = activation("tanh")
    assert act.max_slope == 1.0 and act.argmax_slope == 0.0
    assert np.max(act.derivative(GRID)) == 1.0


def test_gelu_max_slope_is_at_sqrt2() -> None:
    # gelu'' = phi(x) (2 - x^2) vanishes at sqrt(2); gelu'(sqrt 2) = Phi(sqrt 2) + sqrt(2) phi(sqrt 2)
    act = activation("gelu")
    expected = 0.5 * (1.0 + math.erf(1.0)) + math.sqrt(2.0) * INV_SQRT_2PI * math.exp(-1.0)
    assert act.argmax_slope == pytest.approx(math.sqrt(2.0), abs=1e-6)
    assert act.max_slope == pytest.approx(expected, rel=1e-12)


def test_swish_max_slope_is_at_root_of_x_tanh_half_x_equals_2() -> None:
    # swish'' = s(1-s)(2 - x tanh(x/2) ... ) vanishes where x tanh(x/2) = 2
    root = brentq(lambda x: x * math.tanh(x / 2.0) - 2.0, 1.0, 4.0, xtol=1e-14)
    s = 1.0 / (1.0 + math.exp(-root))
    act = activation("swish")
    assert act.argmax_slope == pytest.approx(root, abs=1e-6)
    assert act.max_slope == pytest.approx(s + root * s * (1.0 - s), rel=1e-12)


@pytest.mark.parametrize(
    "name,alpha,slope",
    [
        ("relu", None, 1.0),
        ("leaky_relu", None, 1.0),
        ("prelu", 3.0, 3.0),
        ("elu", 2.0, 2.0),
        ("linear", None, 1.0),
        ("softplus", None, 1.0),
        ("selu", None, 1.0507009873554805 * 1.6732632423543772),
    ],
)
def test_piecewise_max_slopes(name: str, alpha: float | None, slope: float) -> None:
    act = activation(name, alpha)
    assert act.max_slope == pytest.approx(slope, rel=1e-15)
    assert np.max(act.derivative(GRID)) <= slope * (1.0 + 1e-15)


def test_selu_constants_are_klambauer_2017() -> None:
    assert SELU_ALPHA == pytest.approx(1.6732632423543772, rel=1e-15)
    assert SELU_SCALE == pytest.approx(1.0507009873554805, rel=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_max_slope_is_the_supremum_on_a_grid(name: str) -> None:
    act = activation(name)
    d = act.derivative(GRID)
    assert np.max(d) <= act.max_slope * (1.0 + 1e-12)
    assert np.max(d) >= act.max_slope * (1.0 - 1e-3)  # reached (or approached) inside |x| <= 30


def test_derivative_at_zero_is_the_left_hand_one() -> None:
    zero = np.array([0.0])
    assert activation("relu").derivative(zero)[0] == 0.0
    assert activation("leaky_relu", 0.1).derivative(zero)[0] == 0.1


def test_aliases_are_the_same_functions() -> None:
    x = np.linspace(-5.0, 5.0, 101)
    np.testing.assert_array_equal(activation("silu")(x), activation("swish")(x))
    np.testing.assert_array_equal(activation("identity").derivative(x), np.ones_like(x))


def test_unknown_name_raises_value_error_listing_choices() -> None:
    with pytest.raises(ValueError, match=r"activation='nope'.*relu"):
        activation("nope")
    with pytest.raises(TypeError, match="activation"):
        activation(3)


def test_alpha_is_rejected_where_unused_and_when_not_finite() -> None:
    with pytest.raises(ValueError, match="alpha"):
        activation("tanh", alpha=0.1)
    with pytest.raises(ValueError, match="alpha"):
        activation("leaky_relu", alpha=math.nan)
