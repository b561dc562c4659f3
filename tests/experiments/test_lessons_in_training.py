"""Lessons measured during training, at initialisation and on frozen features: they hold by default and
fail when the experiment is perturbed (shorter budget, smaller init, shallower stack)."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.experiments.detection.saturation import saturation
from vgdocs.experiments.fixes.optimisers import ratio_during_training
from vgdocs.experiments.what import signal_collapse


@pytest.fixture(scope="module")
def during(memo):
    return ratio_during_training()


def test_default_training_claims_hold(during):
    assert {c.id: c.holds for c in during.claims()} == dict.fromkeys((c.id for c in during.claims()), True)


def test_trace_starts_where_the_probe_ratio_starts(during):
    # step 0's batch ratio and the probe-batch ratio are the same network on different digits: same decade
    assert np.all(np.abs(np.log10(during.trace[:, :, 0] / during.start)) < 0.5)


def test_ten_steps_of_adam_do_not_raise_the_ratio_a_hundredfold():
    short = ratio_during_training(steps=10, record_every=5)
    verdicts = {c.id: c.holds for c in short.claims()}
    assert verdicts["opt-adam-raises-tanh-ratio"] is False
    assert verdicts["opt-adam-tanh-trains"] is False


def test_a_three_layer_stack_does_not_erase_its_input():
    shallow = signal_collapse(depth=3, frozen=2, steps=300, seeds=(0, 1))
    verdicts = {c.id: c.holds for c in shallow.claims()}
    assert verdicts["what-forward-signal-collapses"] is False


def test_spread_of_the_first_layer_matches_a_direct_forward_pass():
    r = signal_collapse(depth=2, frozen=1, steps=1, seeds=(0,))
    x, _ = digits("train")
    net = MLP([64, 32, 32, 10], "sigmoid", init="xavier_normal", loss="softmax_ce", seed=0)
    h = 1.0 / (1.0 + np.exp(-(x @ net.layers[0].W + net.layers[0].b)))  # the logistic function, written out
    assert r.spread[0, 0, 0] == pytest.approx(float(np.median(h.std(axis=0))), rel=1e-12)


def test_saturation_claims_hold_and_fail_when_the_large_init_is_not_large(memo):
    assert all(c.holds for c in saturation().claims())
    small = saturation(seeds=(0,), std=0.2)
    verdicts = {c.id: c.holds for c in small.claims()}
    assert verdicts["saturation-lowers-slope"] is False
    assert verdicts["saturation-raises-ratio"] is False


def test_default_signal_collapse_and_layer_movement_lessons_hold(memo):
    from vgdocs.experiments.what import layer_movement

    for result in (signal_collapse(), layer_movement()):
        assert all(c.holds for c in result.claims()), [c.id for c in result.claims() if not c.holds]
