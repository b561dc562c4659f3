"""Residual deep dive and modern blocks: exact path decomposition, binomial counts, zero branches."""

import numpy as np
import pytest
from scipy.stats import binom

from vgdocs.experiments.depth.residual_deep import block_diagram, path_lengths, profiles


def test_paths_by_length_sum_to_the_engine_backward_pass(memo):
    r = path_lengths(blocks=12, width=16, batch=8)
    assert r.decomposition_error < 1e-12


def test_share_of_paths_is_the_binomial_distribution(memo):
    r = path_lengths(blocks=12, width=16, batch=8)
    assert np.allclose(r.share_of_paths, binom.pmf(r.lengths, 12, 0.5))
    assert r.share_of_gradient.sum() == pytest.approx(1.0)


def test_skip_profile_keeps_first_layer_gradient(memo):
    r = profiles(depths=(20,), width=16, batch=16)
    assert r.first_skip[0] > 100 * r.first_plain[0]


def test_block_diagram_has_a_text_alternative():
    svg = block_diagram()
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
