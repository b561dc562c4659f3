"""Small data sets, generated from a seed or shipped with an installed package; nothing is downloaded.

Every function returns (x, y): x is float64 with one example per row; classification labels
are int64 class indices (usable with loss="bce" for two classes or "softmax_ce"), regression
targets are float64 of shape (n, d_out). Examples come in a seeded random order.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from

__all__ = ["adding_problem", "digits", "moons", "spirals", "teacher_student", "xor"]

SPLITS: tuple[str, ...] = ("train", "test", "all")


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: x in {0, 1}^2 (shape (4, 2)) and y = x1 XOR x2 (int labels)."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([0, 1, 1, 0], dtype=np.int64)


def spirals(n: int = 200, noise: float = 0.1, seed: int = 0, *, turns: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in the plane: n points (classes differ in size by at most one).

    A point at radius r in (0, 1] of class k sits at angle 2*pi*turns*r + k*pi, plus Gaussian
    noise of standard deviation `noise` on each coordinate.
    """
    n = _two_class_size(n)
    noise = finite_float("noise", noise, nonnegative=True)
    turns = finite_float("turns", turns, positive=True)
    rng = rng_from("seed", seed)
    y = rng.permutation(np.arange(n) % 2).astype(np.int64)
    r = rng.uniform(0.05, 1.0, n)
    angle = 2.0 * math.pi * turns * r + math.pi * y
    x = r[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return x + noise * rng.normal(size=x.shape), y


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the points of scikit-learn's make_moons), in seeded order.

    The outer moon (label 0) gets n // 2 evenly spaced points, the inner (label 1) the rest;
    Gaussian noise of standard deviation `noise` is added to each coordinate.
    """
    n = _two_class_size(n)
    noise = finite_float("noise", noise, nonnegative=True)
    rng = rng_from("seed", seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0.0, math.pi, n_out), np.linspace(0.0, math.pi, n - n_out)
    x = np.vstack(
        [np.column_stack([np.cos(t_out), np.sin(t_out)]), np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)])]
    )
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n_out, n - n_out])
    order = rng.permutation(n)
    x, y = x[order], y[order]
    return x + noise * rng.normal(size=x.shape), y


def teacher_student(
    n: int = 256,
    d_in: int = 8,
    d_out: int = 1,
    seed: int = 0,
    *,
    depth: int = 1,
    width: int = 32,
    activation: str = "tanh",
    init: str = "xavier_normal",
    noise: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Regression targets from a random teacher network: x ~ N(0, I), y = teacher(x) + noise.

    The teacher is a vgdocs MLP with `depth` hidden layers of `width` units (depth=0: a linear
    map), weights drawn with `init`, zero biases; `noise` is the standard deviation of Gaussian
    label noise.
    """
    from vgdocs.engine.nets.mlp import MLP  # the net imports nothing from here; keep data importable alone

    n, d_in, d_out = positive_int("n", n), positive_int("d_in", d_in), positive_int("d_out", d_out)
    width = positive_int("width", width)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise TypeError(f"depth must be a non-negative integer; got {depth!r}")
    noise = finite_float("noise", noise, nonnegative=True)
    rng = rng_from("seed", seed)
    x = rng.normal(size=(n, d_in))
    teacher = MLP([d_in, *[width] * depth, d_out], activation, init=init, seed=rng)
    y = teacher.predict(x)
    return x, y + noise * rng.normal(size=y.shape)


def digits(split: str = "train", *, test_fraction: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Handwritten digits (scikit-learn's shipped 8x8 set, 1797 images): x in [0, 1] (n, 64), y in 0..9.

    The train/test split is stratified by class and fixed by `seed`: each class puts
    round(test_fraction * its size) images in "test"; "all" returns every image, shuffled.
    """
    choice("split", split, SPLITS)
    test_fraction = finite_float("test_fraction", test_fraction)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1); got {test_fraction}")
    rng = rng_from("seed", seed)
    pixels, labels = _digits_raw()
    test = np.zeros(labels.size, dtype=bool)
    for k in range(10):
        members = rng.permutation(np.flatnonzero(labels == k))
        test[members[: round(test_fraction * members.size)]] = True
    keep = {"train": ~test, "test": test, "all": np.ones_like(test)}[split]
    order = rng.permutation(np.flatnonzero(keep))
    return pixels[order] / 16.0, labels[order].copy()


@functools.cache
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits as scikit-learn's public `load_digits` returns them (read from its bundled file)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError("digits() needs scikit-learn installed (it ships the 8x8 digits data)") from exc
    bunch = load_digits()
    pixels, labels = np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return pixels, labels


def _two_class_size(n: object) -> int:
    n = positive_int("n", n)
    if n < 2:
        raise ValueError(f"n must be at least 2 (one point per class); got {n}")
    return n


def adding_problem(
    n: int, length: int, rng: np.random.Generator, *, stack: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997; as in Le, Jaitly & Hinton 2015): x (n, length, 2), y (n, 1).

    Channel 0 holds values drawn from U[0, 1); channel 1 marks two steps with 1, one in each half
    of the sequence; the target is the sum of the two marked values. Draws from `rng` (a numpy
    Generator, advanced). With `stack`, one independent batch per network: x (stack, n, length, 2),
    y (stack, n, 1).
    """
    n, length = positive_int("n", n), positive_int("length", length)
    if length < 2:
        raise ValueError(f"length must be at least 2 (one marker per half); got {length}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)); got {type(rng).__name__}")
    lead = (n,) if stack is None else (positive_int("stack", stack), n)
    values = rng.uniform(0.0, 1.0, (*lead, length))
    first = rng.integers(0, length // 2, lead)
    second = rng.integers(length // 2, length, lead)
    steps = np.arange(length)
    marks = ((steps == first[..., None]) | (steps == second[..., None])).astype(np.float64)
    y = np.sum(values * marks, axis=-1, keepdims=True)
    return np.stack([values, marks], axis=-1), y
