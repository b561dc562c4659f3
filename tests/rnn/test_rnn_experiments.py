"""The recurrent-network page's experiments against closed forms and independent recomputation."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.optim import clip_by_global_norm, clip_stacked_by_global_norm
from vgdocs.engine.train import train_stacked
from vgdocs.experiments.rnn import (
    adding_data,
    adding_problem,
    clipping,
    nilpotent,
    spectral_sweep,
)
from vgdocs.publish.present.spec import Figure, Table


def test_adding_data_marks_one_step_in_each_half_and_sums_the_marked_values():
    x, y = adding_data(200, 9, np.random.default_rng(0))
    assert x.shape == (200, 9, 2) and y.shape == (200, 1)
    values, marks = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert np.all(marks[:, :4].sum(axis=1) == 1) and np.all(marks[:, 4:].sum(axis=1) == 1)
    for n in range(200):
        i, j = np.flatnonzero(marks[n])
        assert y[n, 0] == values[n, i] + values[n, j]
    xs, ys = adding_data(5, 9, np.random.default_rng(0), stack=3)
    assert xs.shape == (3, 5, 9, 2) and ys.shape == (3, 5, 1)
    with pytest.raises(ValueError, match="length"):
        adding_data(5, 1, np.random.default_rng(0))


def test_spectral_sweep_never_exceeds_the_singular_value_bound():
    r = spectral_sweep((0.5, 1.0, 3.0), hidden=8, length=15, batch=4)
    assert r.ratio.shape == (2, 3, 15)
    np.testing.assert_array_equal(r.ratio[:, :, 0], 1.0)
    lags = np.arange(15)
    bound = (np.array([0.5, 1.0, 3.0])[None, :, None] * np.array([1.0, 0.25])[:, None, None]) ** lags
    assert np.all(r.ratio <= bound * (1 + 1e-12))
    assert r.worst_ratio_over_bound <= 1.0
    np.testing.assert_allclose(r.factor, r.ratio[:, :, -1] ** (1 / 14), rtol=1e-12)
    assert isinstance(r.table(), Table) and isinstance(r.figure(), Figure)


def test_nilpotent_matrix_has_zero_spectral_radius_but_gain_grows_as_its_singular_value():
    r = nilpotent(hidden=5, scale=3.0)
    assert r.spectral_radius == 0.0
    assert r.sigma_max == pytest.approx(3.0, rel=1e-14)
    np.testing.assert_allclose(r.gain[:5], 3.0 ** np.arange(5), rtol=1e-6)
    assert np.all(r.gain[5:] == 0.0)
    assert (r.peak_lag, r.zero_from_lag) == (4, 5)
    assert isinstance(r.table(), Table)


def test_stacked_training_equals_training_each_network_alone():
    """Per-network clipping and optimiser state: a stack of two trains exactly like two single runs."""
    rng = np.random.default_rng(0)
    batches = [adding_data(4, 6, rng, stack=2) for _ in range(5)]
    stacked = RecurrentNet("lstm", 2, 3, seed=[4, 9])
    it = iter(batches)
    loss, norm = train_stacked(stacked, lambda: next(it), "adam", 0.05, 5, 0.5)
    for s, seed in enumerate((4, 9)):
        alone = RecurrentNet("lstm", 2, 3, seed=[seed])
        it1 = iter([(x[s : s + 1], y[s : s + 1]) for x, y in batches])
        loss1, norm1 = train_stacked(alone, lambda it1=it1: next(it1), "adam", 0.05, 5, 0.5)
        np.testing.assert_allclose(loss[:, s], loss1[:, 0], rtol=1e-12)
        np.testing.assert_allclose(norm[:, s], norm1[:, 0], rtol=1e-12)
        for (_, a), (_, b) in zip(stacked.parameters(), alone.parameters(), strict=True):
            np.testing.assert_allclose(a[s], b[0], rtol=1e-11, atol=1e-14)
    assert np.any(norm > 0.5)  # clipping was exercised


def test_per_network_clipping_equals_clip_by_global_norm_on_each_network():
    rng = np.random.default_rng(3)
    grads = [
        rng.normal(size=(4, 5, 3)) * np.array([0.01, 1.0, 10.0, 1e160])[:, None, None],
        rng.normal(size=(4, 7)) * np.array([0.01, 1.0, 10.0, 1e160])[:, None],
    ]
    grads[1][2, 0] = np.nan  # a network whose gradient overflowed stays as it is
    expected = [clip_by_global_norm([g[s] for g in grads], 1.0) for s in range(4)]
    norms = clip_stacked_by_global_norm(grads, 1.0)
    for s, (clipped, norm) in enumerate(expected):
        if np.isfinite(norm):
            assert norms[s] == pytest.approx(norm, rel=1e-12)
        else:
            assert np.isnan(norms[s])
        for g, c in zip(grads, clipped, strict=True):
            np.testing.assert_allclose(g[s], c, rtol=1e-12)


def test_adding_problem_scores_against_the_mean_predictor():
    r = adding_problem((4, 6), cells=("rnn", "gru"), hidden=4, batch=8, steps=3, n_seeds=2, test_size=32)
    assert r.test_mse.shape == (2, 2, 2)
    _, y = adding_data(32, 6, np.random.default_rng([0, 6, 1]))
    np.testing.assert_allclose(r.trivial_mse[:, 1], np.var(y), rtol=1e-12)
    np.testing.assert_allclose(r.ratio, r.test_mse / r.trivial_mse, rtol=0)
    np.testing.assert_array_equal(r.n_learned, (r.ratio < r.threshold).sum(axis=2))
    for i in range(2):
        every = [int(n) for k, n in enumerate(r.lengths) if r.n_learned[i, k] == 2]
        assert r.longest_learned[i] == (max(every) if every else 0)
    assert r.survival_init.shape == (2, 6) and np.all(r.survival_init[:, 0] == 1.0)
    table = r.table()
    assert len(table.rows) == 2 and len(table.headers) == 5
    assert len(r.figure().panels) == 2


def test_clipping_at_an_unreached_threshold_changes_nothing_and_real_clipping_survives():
    never = clipping(steps=10, max_norm=1e300)
    np.testing.assert_array_equal(never.loss[0], never.loss[1])
    clipped = clipping(steps=10)
    assert clipped.overflow_step > 0
    assert np.all(np.isnan(clipped.loss[0, clipped.overflow_step :]))  # the run stopped after it
    assert np.all(np.isfinite(clipped.loss[1]))
    assert clipped.unclipped_peak_norm > clipped.max_norm
    assert isinstance(clipped.figure(), Figure)


def test_bad_experiment_arguments_are_named():
    with pytest.raises(ValueError, match="cells"):
        adding_problem(cells=("transformer",))
    with pytest.raises(ValueError, match="nonlinearities"):
        spectral_sweep(nonlinearities=("gelu",))
    with pytest.raises(ValueError, match="spectral_norms"):
        spectral_sweep((-1.0,))
    with pytest.raises(ValueError, match="optimizer"):
        adding_problem(optimizer="rmsprop")


def test_a_too_small_budget_makes_the_adding_problem_claim_false_and_the_build_check_names_it(monkeypatch):
    """20 Adam steps teach no cell the adding problem, so 'LSTM and GRU learn longer, every seed' must fail."""
    from vgdocs.publish import claims as claims_registry
    from vgdocs.publish.present import claim

    r = adding_problem(steps=20, test_size=64)
    verdict = {c.id: c for c in r.claims()}["adding-gated-learn-longer-every-seed"]
    assert verdict.holds is False
    assert verdict.evidence["lstm_wins"] < verdict.evidence["seeds"]
    monkeypatch.setenv(claims_registry.PAGE_ENV, "rnn.md")
    claims_registry.reset()
    try:
        claim(r, "adding-gated-learn-longer-every-seed")
        failing = claims_registry.failing()
        assert [f.claim.id for f in failing] == ["adding-gated-learn-longer-every-seed"]
        assert "rnn.md" in claims_registry.format_failures(failing)
    finally:
        claims_registry.reset()


def test_longest_length_per_seed_is_the_longest_length_that_seed_learned():
    r = adding_problem((4, 6), cells=("rnn", "gru"), hidden=4, batch=8, steps=3, n_seeds=2, test_size=32)
    for i in range(2):
        for s in range(2):
            got = [int(n) for k, n in enumerate(r.lengths) if r.ratio[i, k, s] < r.threshold]
            assert r.longest_per_seed[i, s] == (max(got) if got else 0)


def test_adding_problem_leaves_no_worker_processes_behind():
    """joblib's workers idle 300 s before exiting, and a process exits only after joining its children:
    left running, they held the build's second process (and so every cold build) for five minutes."""
    import multiprocessing

    adding_problem.__wrapped__((3, 4), cells=("rnn",), hidden=4, batch=4, steps=2, n_seeds=1, test_size=8)
    assert multiprocessing.active_children() == []
