"""Data sets: shapes, determinism, balance, and agreement with their definitions and with scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.engine.data import digits, moons, spirals, teacher_student, xor


def test_xor_labels_are_the_exclusive_or_of_the_inputs():
    x, y = xor()
    assert x.shape == (4, 2) and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.logical_xor(x[:, 0] > 0.5, x[:, 1] > 0.5).astype(int))


@pytest.mark.parametrize("make", [spirals, moons])
def test_two_class_sets_are_seeded_balanced_and_shuffled(make):
    x, y = make(101, 0.1, 3)
    assert x.shape == (101, 2) and x.dtype == np.float64 and y.dtype == np.int64
    assert abs(int(np.sum(y == 0)) - int(np.sum(y == 1))) == 1
    x2, y2 = make(101, 0.1, 3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(101, 0.1, 4)[0], x)
    # shuffled: the first half is not all one class
    assert 0 < y[:50].sum() < 50


def test_noiseless_spiral_points_lie_on_their_spiral():
    x, y = spirals(400, 0.0, 0, turns=1.5)
    r = np.hypot(x[:, 0], x[:, 1])
    expected = 2 * math.pi * 1.5 * r + math.pi * y
    residual = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - expected)))
    np.testing.assert_allclose(residual, 0.0, atol=1e-12)


def test_noiseless_moons_are_scikit_learns_points():
    from sklearn.datasets import make_moons

    x, y = moons(51, 0.0, 0)
    xs, ys = make_moons(51, shuffle=False, noise=0.0)
    key = np.lexsort((x[:, 1], x[:, 0]))
    key_s = np.lexsort((xs[:, 1], xs[:, 0]))
    np.testing.assert_allclose(x[key], xs[key_s], atol=1e-15)
    np.testing.assert_array_equal(y[key], ys[key_s])


def test_noise_has_the_requested_standard_deviation():
    clean, _ = moons(4000, 0.0, 5)
    noisy, _ = moons(4000, 0.2, 5)
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)


def test_linear_teacher_is_recovered_exactly_by_least_squares():
    x, y = teacher_student(200, 5, 3, 0, depth=0)
    assert x.shape == (200, 5) and y.shape == (200, 3)
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose(x @ w, y, atol=1e-12)


def test_teacher_label_noise_shows_up_as_least_squares_residual():
    x, y = teacher_student(5000, 4, 1, 1, depth=0, noise=0.3)
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert np.std(y - x @ w) == pytest.approx(0.3, rel=0.05)


def test_nonlinear_teacher_is_deterministic_and_not_linear():
    x, y = teacher_student(500, 4, 2, 7, depth=2, width=16)
    np.testing.assert_array_equal(y, teacher_student(500, 4, 2, 7, depth=2, width=16)[1])
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert np.linalg.norm(y - x @ w) > 1e-3 * np.linalg.norm(y)


def test_digits_are_scikit_learns_images_scaled_to_unit_range():
    from sklearn.datasets import load_digits

    ref = load_digits()
    x, y = digits("all")
    assert x.shape == (1797, 64) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    key = np.lexsort(np.column_stack([x, y]).T)
    key_ref = np.lexsort(np.column_stack([ref.data / 16.0, ref.target]).T)
    np.testing.assert_array_equal(x[key], ref.data[key_ref] / 16.0)
    np.testing.assert_array_equal(y[key], ref.target[key_ref])


def test_digits_split_is_stratified_disjoint_and_deterministic():
    xtr, ytr = digits("train", test_fraction=0.25, seed=0)
    xte, yte = digits("test", test_fraction=0.25, seed=0)
    assert len(ytr) + len(yte) == 1797
    counts = np.bincount(ytr, minlength=10) + np.bincount(yte, minlength=10)
    np.testing.assert_array_equal(np.bincount(yte, minlength=10), np.round(0.25 * counts).astype(int))
    train_rows = {r.tobytes() for r in xtr}
    assert sum(r.tobytes() in train_rows for r in xte) <= 20  # a handful of images are exact duplicates
    np.testing.assert_array_equal(xte, digits("test", test_fraction=0.25, seed=0)[0])
    assert not np.array_equal(yte, digits("test", test_fraction=0.25, seed=1)[1])


def test_digits_arrays_are_private_copies():
    x, y = digits("test")
    x[:] = -1.0
    y[:] = 0
    assert digits("test")[0].min() == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: spirals(1), "n"),
        (lambda: spirals(0), "n"),
        (lambda: spirals(10, noise=-0.1), "noise"),
        (lambda: spirals(10, turns=0.0), "turns"),
        (lambda: moons(2.5), "n"),
        (lambda: moons(10, seed=-1), "seed"),
        (lambda: teacher_student(10, 0), "d_in"),
        (lambda: teacher_student(10, depth=-1), "depth"),
        (lambda: teacher_student(10, activation="nope"), "activation"),
        (lambda: digits("validation"), "split"),
        (lambda: digits(test_fraction=1.0), "test_fraction"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
