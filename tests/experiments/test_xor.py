"""XOR 2-8-8-1: ReLU solves more seeds than sigmoid in 200 epochs of Adam at its default learning rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.engine.data import xor
from vgdocs.experiments.xor import learning_rates, xor_runs
from vgdocs.publish import cache


@pytest.fixture(scope="module")
def runs():
    # memory-only memo, so learning_rates() reuses this module's default run instead of training it again
    cache.activate(None)
    yield xor_runs()
    cache.deactivate()


def test_relu_solves_more_seeds_than_sigmoid(runs):
    assert runs.activations == ("sigmoid", "relu")
    assert runs.relu_solved > runs.sigmoid_solved
    assert runs.relu_solved >= runs.n_seeds // 2


def test_sigmoid_nets_stay_on_the_ln2_plateau(runs):
    assert runs.chance_loss == math.log(2)
    assert np.all(np.abs(runs.final_loss[0] - math.log(2)) < 0.01)
    assert np.median(runs.first_over_last[0]) < 0.2 < np.median(runs.first_over_last[1])


def test_solved_and_probe_follow_from_the_outputs(runs):
    x, y = xor()
    assert runs.loss_curves.shape == (2, runs.n_seeds, runs.epochs // runs.record_every)
    np.testing.assert_array_equal(runs.probe_prediction, runs.outputs[:, :, 2])
    assert np.array_equal(x[2], [1.0, 0.0])
    np.testing.assert_array_equal(runs.solved, np.all((runs.outputs > 0.5) == (y == 1), axis=2))
    np.testing.assert_array_equal(runs.solved_count, runs.solved.sum(axis=1))


def test_a_larger_learning_rate_lets_sigmoid_catch_up(runs):
    lrs = learning_rates()
    assert lrs.solved_count[0, 0] == runs.sigmoid_solved
    assert lrs.solved_count[1, 0] > lrs.solved_count[0, 0]
    assert lrs.solved_count[1, 1] >= lrs.solved_count[0, 1]


def test_bad_activation_is_named():
    with pytest.raises(ValueError, match="activations"):
        xor_runs(activations=("sigmoid", "relux"))
