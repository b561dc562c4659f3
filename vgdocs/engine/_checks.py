"""Argument checks shared by the engine: each raises with the argument's name and valid choices."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np


def choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return `value` if it is one of `choices`, else raise naming `name` and the choices."""
    options = sorted(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {options}; got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"{name}={value!r} is not valid; choose one of {options}")
    return value


def positive_int(name: str, value: object) -> int:
    """Return `value` as an int if it is a positive integer, else raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer; got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value}")
    return int(value)


def nonnegative_int(name: str, value: object) -> int:
    """Return `value` as an int if it is an integer >= 0, else raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}")
    return int(value)


def finite_float(name: str, value: object, *, positive: bool = False, nonnegative: bool = False) -> float:
    """Return `value` as a float if it is a finite real number (optionally > 0 or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    try:
        out = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite; got an integer too large for a float") from None
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite; got {out}")
    if positive and out <= 0:
        raise ValueError(f"{name} must be > 0; got {out}")
    if nonnegative and out < 0:
        raise ValueError(f"{name} must be >= 0; got {out}")
    return out


def finite_array(name: str, value: object, *, ndim: int | None = None, dtype: type | None = None) -> np.ndarray:
    """Return `value` as a finite float ndarray with `ndim` dimensions, else raise naming `name`."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"{name} must be a rectangular array of real numbers; got {type(value).__name__}") from exc
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {raw.dtype}")
    arr = raw.astype(dtype or np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s); got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def float_dtype(name: str, value: object) -> type:
    """Return np.float32 or np.float64 for a dtype given by name or type, else raise naming `name`."""
    options = {"float32": np.float32, "float64": np.float64}
    try:
        key = np.dtype(value).name if not isinstance(value, str) else value
    except (TypeError, ValueError, SyntaxError, KeyError):  # numpy parses odd strings and objects loosely
        key = None
    if key not in options:
        raise TypeError(f"{name} must be one of {sorted(options)}; got {value!r}")
    return options[key]


def rng_from(name: str, seed: object) -> np.random.Generator:
    """Return a Generator from an int seed or pass a Generator through; never global state."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name} must be a non-negative integer seed or a numpy Generator; got {seed!r}")
    return np.random.default_rng(int(seed))
