"""Vanishing vs exploding: powers, the mean-field critical point, overflow as data, fixes side by side."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.experiments.vs_exploding import clipping_run, fixes, powers, scale_sweep


def test_powers_are_exact():
    p = powers()
    assert p.half_to_the_10 == 0.0009765625 and p.two_to_the_10 == 1024.0
    np.testing.assert_array_equal(p.values, p.factors[:, None] ** p.depths[None, :].astype(float))


def test_scale_sweep_follows_mean_field_and_crosses_near_the_published_critical_point():
    s = scale_sweep()
    # Schoenholz et al. 2017: tanh with sigma_b^2 = 0.05 is critical near sigma_w^2 = 1.76
    assert s.critical_theory == pytest.approx(1.76, abs=0.01)
    assert s.critical_measured == pytest.approx(s.critical_theory, rel=0.15)
    assert np.all(np.abs(np.log(s.measured / s.predicted)) < np.log(3))
    assert s.smallest < 1e-8 and s.largest > 1e4
    assert np.all(np.diff(s.measured) > 0)


def test_exploding_run_overflows_as_data_and_clipping_prevents_it():
    c = clipping_run()
    assert c.unclipped_overflow_step >= 0
    assert np.isnan(c.final_loss[0]) and np.all(np.isnan(c.loss[0, c.unclipped_overflow_step + 1 :]))
    assert c.overflow_step[1] == -1 and np.isfinite(c.clipped_final_loss)
    assert c.clipped_final_loss < c.clipped_first_loss
    assert c.clipped_clip_fraction > 0.5
    assert c.overflow_step[2] == -1 and c.he_final_loss < c.clipped_final_loss
    blowup = c.table("blowup").rows
    assert len(blowup) == c.unclipped_overflow_step + 1
    assert all(np.isfinite(r[1]) for r in blowup[:-1]) and not np.isfinite(blowup[-1][1])


def test_clipping_leaves_the_layer_ratio_alone_and_relu_he_fixes_both():
    f = fixes()
    rows = dict(zip(f.fixes, zip(f.vanishing, f.exploding, strict=True), strict=True))
    np.testing.assert_allclose(rows["clip"], rows["none"], rtol=1e-12)
    assert rows["none"][0] < 1e-8 and rows["none"][1] > 1e2
    assert rows["relu_he"][0] == rows["relu_he"][1] and 0.2 < rows["relu_he"][0] < 5
    assert rows["batchnorm"][0] > 1e6 * rows["none"][0]
    assert 1 < rows["batchnorm"][1] < rows["none"][1] / 10  # most of the growth removed, not all


def test_bad_fix_is_named():
    with pytest.raises(ValueError, match="fix_names"):
        fixes(fix_names=("none", "dropout"))
