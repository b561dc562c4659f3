"""What-page training run: a deep sigmoid net's first layers barely move under SGD; a ReLU net's do."""

from __future__ import annotations

import math

import pytest

from vgdocs.experiments.what import layer_movement


@pytest.fixture(scope="module")
def run():
    return layer_movement()


def test_sigmoid_first_layer_moves_orders_of_magnitude_less_than_its_output_layer(run):
    assert run.weight_change.shape == (2, run.depth + 1)
    assert run.sigmoid_last_over_first > 1e3
    assert run.relu_first > 100 * run.sigmoid_first


def test_sigmoid_net_ends_at_the_uniform_guess_loss_and_relu_net_learns(run):
    assert run.chance_loss == math.log(10)
    assert abs(run.loss_end[0] - run.chance_loss) < 0.05
    assert run.loss_end[1] < run.loss_end[0] - 0.5


def test_half_life_is_ln2_over_the_per_layer_decay(run):
    assert 0 < run.sigmoid_factor < 0.5
    assert run.sigmoid_half_life == pytest.approx(math.log(2) / -math.log(run.sigmoid_factor))
    assert run.sigmoid_half_life < 1  # the gradient more than halves at every sigmoid layer


def test_bad_learning_rate_is_named():
    with pytest.raises(ValueError, match="lr"):
        layer_movement(lr=-1.0)
