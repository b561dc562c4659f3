"""Initialisers: sample statistics against the closed forms of their papers.

Statistical tolerances: a (300, 400) matrix has N = 120000 entries; the sample standard deviation
of a normal has relative standard error 1/sqrt(2N) ~ 0.2%, of a uniform ~ 0.13%, so a 1.5%
tolerance is more than 5 standard errors wide and the fixed seeds make the tests deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.engine.init import INITIALIZERS, init_std, initialize

FAN_IN, FAN_OUT = 300, 400
N = FAN_IN * FAN_OUT
CLOSED_FORM_STD = {
    "he_normal": math.sqrt(2.0 / FAN_IN),
    "he_uniform": math.sqrt(2.0 / FAN_IN),
    "xavier_normal": math.sqrt(2.0 / (FAN_IN + FAN_OUT)),
    "xavier_uniform": math.sqrt(2.0 / (FAN_IN + FAN_OUT)),
    "lecun_normal": math.sqrt(1.0 / FAN_IN),
    "standard": math.sqrt(1.0 / (3.0 * FAN_IN)),
}
UNIFORM_BOUND = {
    "xavier_uniform": math.sqrt(6.0 / (FAN_IN + FAN_OUT)),
    "he_uniform": math.sqrt(6.0 / FAN_IN),
    "standard": 1.0 / math.sqrt(FAN_IN),
}


def _draw(name: str, seed: int = 0, **kw) -> np.ndarray:
    return initialize(name, FAN_IN, FAN_OUT, np.random.default_rng(seed), **kw)


def _kurtosis(w: np.ndarray) -> float:
    c = w - w.mean()
    return float(np.mean(c**4) / np.mean(c**2) ** 2)


@pytest.mark.parametrize("name", list(CLOSED_FORM_STD))
def test_init_std_is_the_closed_form(name: str) -> None:
    assert init_std(name, FAN_IN, FAN_OUT) == pytest.approx(CLOSED_FORM_STD[name], rel=1e-15)
    assert init_std(name, FAN_IN, FAN_OUT, gain=3.0) == pytest.approx(3.0 * CLOSED_FORM_STD[name], rel=1e-15)


@pytest.mark.parametrize("name", list(CLOSED_FORM_STD))
def test_sample_std_and_mean_match_the_closed_form(name: str) -> None:
    w = _draw(name)
    assert w.shape == (FAN_IN, FAN_OUT)
    assert w.std() == pytest.approx(CLOSED_FORM_STD[name], rel=0.015)
    assert abs(w.mean()) <= 5.0 * CLOSED_FORM_STD[name] / math.sqrt(N)


def test_he_normal_std_is_sqrt_2_over_fan_in() -> None:
    assert _draw("he_normal").std() == pytest.approx(math.sqrt(2.0 / FAN_IN), rel=0.015)


def test_xavier_normal_std_is_sqrt_2_over_fan_sum() -> None:
    assert _draw("xavier_normal").std() == pytest.approx(math.sqrt(2.0 / (FAN_IN + FAN_OUT)), rel=0.015)


@pytest.mark.parametrize("name", list(UNIFORM_BOUND))
def test_uniform_schemes_fill_their_bound(name: str) -> None:
    w, bound = _draw(name), UNIFORM_BOUND[name]
    assert np.max(np.abs(w)) <= bound
    assert np.max(w) >= 0.999 * bound and np.min(w) <= -0.999 * bound
    assert _kurtosis(w) == pytest.approx(1.8, abs=0.03)  # uniform: 9/5


@pytest.mark.parametrize("name", ["he_normal", "xavier_normal", "lecun_normal", "normal"])
def test_normal_schemes_are_gaussian(name: str) -> None:
    assert _kurtosis(_draw(name)) == pytest.approx(3.0, abs=0.1)


def test_glorot_standard_uniform_has_n_var_one_third() -> None:
    """U[-1/sqrt(n), 1/sqrt(n)] with n = fan_in: n Var(W) = 1/3 (Glorot & Bengio 2010, eq. 1)."""
    assert FAN_IN * _draw("standard").var() == pytest.approx(1.0 / 3.0, rel=0.03)


def test_normal_uses_std_and_ignores_gain() -> None:
    assert _draw("normal", std=0.05, gain=7.0).std() == pytest.approx(0.05, rel=0.015)
    assert np.all(_draw("normal", std=0.0) == 0.0)


def test_gain_scales_the_draw_exactly() -> None:
    np.testing.assert_allclose(_draw("he_normal", gain=2.5), 2.5 * _draw("he_normal"), rtol=1e-15)


@pytest.mark.parametrize("shape", [(64, 64), (80, 30), (30, 80), (1, 5), (5, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_singular_values_all_equal_gain(shape: tuple[int, int], gain: float) -> None:
    w = initialize("orthogonal", *shape, np.random.default_rng(1), gain=gain)
    assert w.shape == shape
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False), gain, rtol=1e-12)


def test_orthogonal_is_haar_not_a_fixed_basis() -> None:
    a = initialize("orthogonal", 50, 50, np.random.default_rng(1))
    b = initialize("orthogonal", 50, 50, np.random.default_rng(2))
    assert not np.allclose(a, b)
    # a Haar-random orthogonal matrix's entries have variance 1/n
    assert a.var() == pytest.approx(1.0 / 50.0, rel=0.1)


@pytest.mark.parametrize("name", INITIALIZERS)
def test_same_seed_same_matrix_and_dtype_respected(name: str) -> None:
    a, b = _draw(name, seed=4), _draw(name, seed=4)
    np.testing.assert_array_equal(a, b)
    assert _draw(name, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "alias,name",
    [
        ("glorot_normal", "xavier_normal"),
        ("kaiming-uniform", "he_uniform"),
        ("lecun", "lecun_normal"),
        ("xavier-normal", "xavier_normal"),
    ],
)
def test_aliases_draw_the_same_matrix(alias: str, name: str) -> None:
    np.testing.assert_array_equal(_draw(alias), _draw(name))


def test_bad_arguments_name_themselves() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"init='bogus'.*he_normal"):
        initialize("bogus", 3, 3, rng)
    with pytest.raises(ValueError, match="fan_in"):
        initialize("he_normal", 0, 3, rng)
    with pytest.raises(TypeError, match="fan_out"):
        initialize("he_normal", 3, 2.5, rng)
    with pytest.raises(TypeError, match="rng"):
        initialize("he_normal", 3, 3, 0)
    with pytest.raises(ValueError, match="std"):
        initialize("normal", 3, 3, rng, std=-1.0)
    with pytest.raises(ValueError, match="gain"):
        initialize("he_normal", 3, 3, rng, gain=math.inf)
