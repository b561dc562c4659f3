"""Interview experiment: an open forget gate keeps an LSTM's gradient alive over time; a vanilla RNN's vanishes."""

from __future__ import annotations

import pytest

from vgdocs.experiments.interview import gated_memory


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
