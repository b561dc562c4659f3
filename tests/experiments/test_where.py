"""Where-page experiments: depth compounds the sigmoid decay; an RNN's gradient obeys the spectral bound."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.engine._checks import rng_from
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.experiments.where import depth_sweep, recurrent_lag


def test_sigmoid_ratio_falls_geometrically_with_depth_and_relu_stays_order_one():
    s = depth_sweep()
    sig, relu = s.first_over_top
    assert np.all(np.diff(sig) < 0)
    per_layer = np.log(sig) / (s.depths - 1)  # log of the geometric per-layer factor
    assert np.all((np.log(0.15) < per_layer) & (per_layer < np.log(0.35)))
    assert np.all((0.2 < relu) & (relu < 5))
    assert s.deepest == s.depths[-1] and s.sigmoid_deepest == sig[-1]


def test_rnn_gradient_never_beats_the_spectral_norm_power():
    # |tanh'| <= 1, so ||dL/dh_{T-1-k}|| <= ||W_hh||_2^k ||dL/dh_{T-1}|| for every lag k
    r = recurrent_lag(steps=40, seed=2)
    rebuilt = RecurrentNet("rnn", 4, r.hidden, 1, seed=rng_from("seed", 2))
    w = rebuilt.recurrent_blocks()[0]
    op = np.linalg.norm(w, 2)
    assert np.all(r.relative <= op ** r.lags.astype(float) * (1 + 1e-9))
    assert r.relative[0] == 1.0
    assert r.at_last < 1e-6


def test_bad_depths_are_named():
    with pytest.raises(TypeError, match="depths"):
        depth_sweep(depths=(2, "four"))
