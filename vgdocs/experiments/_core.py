"""The experiment contract: a decorated function returns a frozen Result that names itself.

During a site build, results are memoised by `vgdocs.publish.cache` (arguments + source of the code).

`@experiment("chapter.name")` records which experiment made a Result and with which explicitly
passed arguments, so the ledger can key every published number as page / experiment / quantity.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import numbers
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from vgdocs.publish import cache

__all__ = ["ROUNDING", "Result", "experiment", "flatten_numbers", "within_rounding"]

R = TypeVar("R", bound="Result")

# Errors of exact identities are float64 rounding (~1e-16) and differ between CPUs' kernels, so a
# page publishes "within ROUNDING" instead of the raw error: a fixed bound three decades above the
# noise, which no machine crosses unless something is really wrong.
ROUNDING = 1e-12


def within_rounding(*errors: float) -> float:
    """ROUNDING when every error is below it (pure rounding), else the largest error itself."""
    worst = max(abs(float(e)) for e in errors)
    return ROUNDING if worst < ROUNDING else worst


@dataclasses.dataclass(frozen=True, kw_only=True)
class Result:
    """Base of every experiment's result: plain named numbers and arrays, plus provenance.

    `experiment` is filled in by @experiment ("chapter.name(arg=value, ...)" with the
    arguments the caller passed explicitly); `seed` is the seed the run used, if any.
    """

    experiment: str = ""
    seed: int | None = None

    def numbers(self) -> dict[str, float]:
        """Every number this result holds, flattened to 'field', 'field[i]', 'field[i][j]' or 'field.key'."""
        out: dict[str, float] = {}
        for f in dataclasses.fields(self):
            if f.name in ("experiment",) or f.metadata.get("ledger") is False:
                continue
            out.update(dict(flatten_numbers(f.name, getattr(self, f.name))))
        return out


def flatten_numbers(prefix: str, value: Any) -> Iterator[tuple[str, float]]:
    """Yield (key, float) for every number inside `value` (arrays, sequences, dicts, dataclasses)."""
    if value is None or isinstance(value, (str, bytes)):
        return
    if isinstance(value, (bool, np.bool_)):
        yield prefix, float(value)
    elif isinstance(value, numbers.Real):
        yield prefix, float(value)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            for idx in np.ndindex(value.shape):
                yield prefix + "".join(f"[{i}]" for i in idx), float(value[idx])
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from flatten_numbers(f"{prefix}.{f.name}", getattr(value, f.name))
    elif isinstance(value, dict):
        for k in value:
            yield from flatten_numbers(f"{prefix}.{k}", value[k])
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from flatten_numbers(f"{prefix}[{i}]", v)


def experiment(name: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorate an experiment function: its Result gets `experiment` set to name(args)."""

    def wrap(fn: Callable[..., R]) -> Callable[..., R]:
        sig = inspect.signature(fn)

        def cache_key(*args: Any, **kwargs: Any) -> tuple[str, str, str, str]:
            """(namespace, key, module) under which the cache files this call, and its readable name."""
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{name}: {exc}; parameters are {list(sig.parameters)}") from None
            passed = ", ".join(f"{k}={_short(v)}" for k, v in sorted(bound.arguments.items()))
            bound.apply_defaults()
            key = repr(sorted((k, _canonical(v)) for k, v in bound.arguments.items()))
            return name, key, fn.__module__, f"{name}({passed})"

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> R:
            namespace, key, module, called = cache_key(*args, **kwargs)
            result = cache.memoize(namespace, key, module, lambda: fn(*args, **kwargs))
            return dataclasses.replace(result, experiment=called)

        run.experiment_name = name  # type: ignore[attr-defined]
        run.cache_key = cache_key  # type: ignore[attr-defined]  # vgdocs.publish.prefetch computes ahead
        return run

    return wrap


def _canonical(value: Any) -> Any:
    """A repr-stable stand-in for an argument (arrays by content, sequences element-wise)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, hashlib.sha256(value.tobytes()).hexdigest())
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, float):
        return float.hex(value)
    return value


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_short(v) for v in value) + ")"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)
