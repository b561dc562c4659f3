"""Residual stacks with normalisation: hand-written backprop against central finite differences."""

import numpy as np
import pytest

from vgdocs.engine.data import digits
from vgdocs.engine.nets.blocks import ResidualStack


def _finite_difference_check(net, x, y, h=1e-6):
    _, grads = net.gradients(x, y)
    rng = np.random.default_rng(1)
    for name, value in net.parameters():
        for _ in range(3):
            idx = tuple(rng.integers(0, s) for s in value.shape)
            old = value[idx]
            value[idx] = old + h
            up = net.gradients(x, y)[0]
            value[idx] = old - h
            down = net.gradients(x, y)[0]
            value[idx] = old
            assert grads[name][idx] == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-7), name


@pytest.mark.parametrize(
    ("arrangement", "norm"),
    [
        ("post", "layer"),
        ("pre", "layer"),
        ("pre", "group"),
        ("pre", "batch"),
        ("post", "batch"),
        ("plain", "layer"),
        ("none", "layer"),
    ],
)
def test_backprop_matches_finite_differences(arrangement, norm):
    rng = np.random.default_rng(0)
    net = ResidualStack(5, 8, 3, 4, arrangement=arrangement, norm=norm, groups=2, branch_scale=0.7, seed=0)
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 4, 6)
    _finite_difference_check(net, x, y)


def test_zero_branch_makes_every_block_the_identity_at_step_zero():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    zero = ResidualStack(5, 8, 6, 3, arrangement="plain", zero_branch=True, seed=0)
    one = ResidualStack(5, 8, 1, 3, arrangement="plain", zero_branch=True, seed=0)
    one.params["out.W"][...] = zero.params["out.W"]
    assert np.allclose(zero.predict(x), one.predict(x))


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="arrangement"):
        ResidualStack(2, 4, 1, 2, arrangement="sandwich")
    with pytest.raises(ValueError, match="groups"):
        ResidualStack(2, 6, 1, 2, norm="group", groups=4)


def test_features_are_what_the_output_layer_turns_into_probabilities():
    x, _ = digits("test")
    net = ResidualStack(64, 8, 3, 10, arrangement="post", seed=1)
    z = net.features(x[:20]) @ net.params["out.W"] + net.params["out.b"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(net.predict(x[:20]), p / p.sum(axis=1, keepdims=True), rtol=1e-12)
