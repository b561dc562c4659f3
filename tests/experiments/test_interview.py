"""Interview experiments: skip connections keep the gradient; an open forget gate keeps it over time."""

from __future__ import annotations

import pytest

from vgdocs.experiments.interview import gated_memory, residual_flow


def test_residual_connections_rescue_a_deep_sigmoid_stack():
    r = residual_flow()
    assert r.plain < 1e-8
    assert 0.1 < r.residual < 100


def test_forget_bias_orders_lstm_memory_and_vanilla_rnn_vanishes():
    g = gated_memory()
    far = g.relative[:, -1]
    assert g.labels[0] == "vanilla RNN" and g.far_lag == 50
    assert far[0] < 1e-8
    assert far[1] < far[2] < far[3]  # forget biases 0 < 1 < 3
    assert g.lstm_open_at_far > 1e-3


def test_lags_must_fit_in_the_sequence():
    with pytest.raises(ValueError, match="lags"):
        gated_memory(steps=20)
