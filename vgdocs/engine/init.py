"""Weight initialisers by name. Each returns a (fan_in, fan_out) matrix for `x @ W`.

Conventions follow the papers: Glorot & Bengio 2010 ("standard" and Xavier), He et al. 2015
(Kaiming, fan_in mode), LeCun 1998, Saxe et al. 2013 (orthogonal).
"""

from __future__ import annotations

import math

import numpy as np

from vgdocs.engine._checks import choice, finite_float, float_dtype, positive_int

__all__ = ["INITIALIZERS", "INIT_LABELS", "init_std", "initialize"]

INITIALIZERS: tuple[str, ...] = (
    "normal",
    "standard",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "orthogonal",
)
_ALIASES = {
    "glorot_uniform": "xavier_uniform",
    "glorot_normal": "xavier_normal",
    "kaiming_uniform": "he_uniform",
    "kaiming_normal": "he_normal",
    "lecun": "lecun_normal",
}

# What a reader sees for each name (aliases included): the papers' names in words, never the identifier.
INIT_LABELS: dict[str, str] = {
    "normal": "normal",
    "standard": "Glorot's standard",
    "xavier_uniform": "Xavier (uniform)",
    "xavier_normal": "Xavier (normal)",
    "he_uniform": "He (uniform)",
    "he_normal": "He (normal)",
    "lecun_normal": "LeCun (normal)",
    "orthogonal": "orthogonal",
    "glorot_uniform": "Glorot (uniform)",
    "glorot_normal": "Glorot (normal)",
    "kaiming_uniform": "Kaiming (uniform)",
    "kaiming_normal": "Kaiming (normal)",
    "lecun": "LeCun (normal)",
}


def _canonical(name: str) -> str:
    choice("init", name.replace("-", "_") if isinstance(name, str) else name, INITIALIZERS + tuple(_ALIASES))
    name = name.replace("-", "_")
    return _ALIASES.get(name, name)


def init_std(name: str, fan_in: int, fan_out: int, *, std: float = 0.01, gain: float = 1.0) -> float:
    """Standard deviation of one weight under initialiser `name` (closed form from its paper)."""
    name = _canonical(name)
    fan_in, fan_out = positive_int("fan_in", fan_in), positive_int("fan_out", fan_out)
    base = {
        "normal": std,
        "standard": 1.0 / math.sqrt(3.0 * fan_in),  # U[-1/sqrt(n), 1/sqrt(n)] has variance 1/(3n)
        "xavier_uniform": math.sqrt(2.0 / (fan_in + fan_out)),
        "xavier_normal": math.sqrt(2.0 / (fan_in + fan_out)),
        "he_uniform": math.sqrt(2.0 / fan_in),
        "he_normal": math.sqrt(2.0 / fan_in),
        "lecun_normal": math.sqrt(1.0 / fan_in),
        "orthogonal": 1.0 / math.sqrt(max(fan_in, fan_out)),
    }[name]
    return base * (1.0 if name == "normal" else gain)


def initialize(
    name: str,
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    *,
    std: float = 0.01,
    gain: float = 1.0,
    dtype: type = np.float64,
) -> np.ndarray:
    """A (fan_in, fan_out) weight matrix drawn from initialiser `name` with `rng`.

    `std` is used by "normal" only; `gain` multiplies every other scheme (orthogonal: the
    singular values are all `gain`).
    """
    name = _canonical(name)
    fan_in, fan_out = positive_int("fan_in", fan_in), positive_int("fan_out", fan_out)
    std = finite_float("std", std, nonnegative=True)
    gain = finite_float("gain", gain, nonnegative=True)
    dtype = float_dtype("dtype", dtype)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    if name == "normal":
        w = rng.normal(0.0, std, size=(fan_in, fan_out))
    elif name == "standard":
        bound = gain / math.sqrt(fan_in)
        w = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    elif name.endswith("_uniform"):
        bound = math.sqrt(3.0) * init_std(name, fan_in, fan_out, gain=gain)
        w = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    elif name == "orthogonal":
        a = rng.normal(size=(max(fan_in, fan_out), min(fan_in, fan_out)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # Haar-uniform, as in Mezzadri 2007
        w = gain * (q if fan_in >= fan_out else q.T)
    else:
        w = rng.normal(0.0, init_std(name, fan_in, fan_out, gain=gain), size=(fan_in, fan_out))
    return w.astype(dtype, copy=False)
