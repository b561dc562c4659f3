"""Home headline: sigmoid gradients collapse across layers; ReLU + He and sigmoid + BatchNorm do not."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.experiments.home import headline


def test_sigmoid_gradient_spans_many_orders_while_relu_and_batchnorm_stay_flat():
    h = headline()
    assert h.labels == ("sigmoid", "ReLU (He init)", "sigmoid + BatchNorm")
    assert h.grad_norms.shape == (3, h.depth + 1)
    assert h.sigmoid_span > 8
    assert np.all(h.spans[1:] < 1.5)
    assert h.first_over_last_hidden[0] < 1e-8
    assert np.all((0.1 < h.first_over_last_hidden[1:]) & (h.first_over_last_hidden[1:] < 10))


def test_spans_and_ratios_are_the_plotted_norms():
    h = headline(depth=6, batch=64, seed=1)
    np.testing.assert_allclose(h.spans, np.log10(h.grad_norms.max(axis=1) / h.grad_norms.min(axis=1)))
    np.testing.assert_allclose(h.first_over_last_hidden, h.grad_norms[:, 0] / h.grad_norms[:, 5])
    # in a sigmoid stack the norm falls monotonically from the last hidden layer to the first
    assert np.all(np.diff(h.grad_norms[0, :6]) > 0)


def test_headline_rejects_a_batch_larger_than_the_data():
    with pytest.raises(ValueError, match="batch"):
        headline(batch=10**6)
