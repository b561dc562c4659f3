"""Training-time diagnostics: the initial-loss check against ln C, histograms that sum to one."""

import math

import numpy as np
import pytest

from vgdocs.experiments.depth.diagnostics import diagnostics


@pytest.fixture(scope="module")
def run(memo):
    return diagnostics(steps=200, width=32)


def test_healthy_net_starts_at_ln_c_as_uniform_softmax_predicts(run):
    assert run.ln_classes == pytest.approx(math.log(10))
    assert run.loss_start[0] == pytest.approx(math.log(10), rel=0.05)


def test_histograms_are_shares_of_all_values(run):
    assert np.allclose(run.hist_act.sum(axis=-1), 1.0)
    assert np.allclose(run.hist_grad.sum(axis=-1), 1.0)


def test_update_ratio_is_recorded_every_step_for_every_hidden_layer(run):
    assert run.ratio.shape == (3, run.depth, 200)
    assert np.isfinite(run.ratio).all()


def test_unknown_view_names_the_choices(run):
    with pytest.raises(ValueError, match="which"):
        run.figure("weights")
