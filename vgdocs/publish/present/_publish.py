"""What a reader reads goes to the ledger: the one place where presenting a Result records numbers.

THE LEDGER RULE. The ledger holds what a reader reads, keyed page / experiment / quantity:

- a table's numeric cells, as `table[which].<row label>.<column header>`;
- each number a sentence quotes, under the field path it quotes (`ratio`, `norms[9]`, `history.loss[3]`);
- a figure's plotted series, as `figure[which].<panel>.<series>.y[i]` (x too when x is data rather
  than an axis grid); a series longer than SERIES_IN_FULL points is ledgered as summary statistics
  (`.n`, `.first`, `.last`, `.min`, `.max`, `.mean_abs`, `.geomean_abs`, `.nonfinite`), so the file stays
  readable while a change to any curve's level, ends or extremes still fails the build;
- a claim's evidence and verdict (`claim[id].<name>`, `claim[id].holds`);
- a lookup a page's script displays one entry at a time (`present.lookup`): each entry as
  `<field>.<key>`. The explorer is the one such page: its reader reads one grid cell's first-to-last
  ratio at a time, so every cell's ratio is its own entry (`ratio.activation=relu,init=he,...`, 1,560
  entries) and a drift names the cell. The grid's per-layer profiles stay out: they are the plotted
  series of 1,560 cells, and the ratio follows any change to a profile's ends.

Not ledgered: axis grids (x values that are evenly spaced on a linear or log scale: layers, steps,
lags, widths), inputs the page passed (they are in the experiment key), and Result fields no page shows.

Why statistics and no hash for long series: a hash is exact, and a hash of rounded values flips
whenever one of hundreds of values sits within CPU noise (up to 7e-5 relative, see ledger.RTOL) of a
rounding boundary, which with that many values is likely on some machine. Statistics are compared
with the ledger's tolerance like every other number, so they cannot flap.

`table`, `figure`, `sentence` and `claim` in vgdocs.publish.present call the functions here; during
a site build they record under the page being built (the drift hook sets it); outside a build
`ledger.publish` does nothing, so calling present.* from Python has no side effect.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from vgdocs.publish import ledger
from vgdocs.publish.present.numbers import is_number
from vgdocs.publish.present.spec import Figure, Table

T = TypeVar("T", Table, Figure)

SERIES_IN_FULL = 16  # a plotted series of at most this many points is ledgered point by point


@dataclasses.dataclass(frozen=True)
class _Source:
    """Stands in for a Result when a bare spec object is rendered: names the ledger entries."""

    experiment: str


def resolve(obj: object, which: object, kind: type[T]) -> T:
    """`obj` itself if it is a `kind`, else `obj.table(which)` / `obj.figure(which)`, checked."""
    method = "table" if kind is Table else "figure"
    if isinstance(obj, kind):
        if which is not None:
            raise ValueError(f"which must be None when obj is already a {kind.__name__}; got which={which!r}")
        return obj
    make = getattr(obj, method, None)
    if not callable(make):
        raise TypeError(
            f"obj must be a vgdocs.publish.present.spec.{kind.__name__} or have a .{method}(which) method; "
            f"got {type(obj).__name__}"
        )
    out = make() if which is None else make(which)
    if not isinstance(out, kind):
        raise TypeError(
            f"{type(obj).__name__}.{method}({which!r}) must return a {kind.__name__}; got {type(out).__name__}"
        )
    return out


def publish(obj: object, shown: Table | Figure, which: object = None) -> None:
    """Record the numbers `shown` displays, under `obj`'s experiment (or the spec's caption/title)."""
    if isinstance(shown, Table):
        numbers, tag, name = table_numbers(shown), "table", f"table:{_table_name(shown)}"
    else:
        numbers, tag, name = figure_numbers(shown), "figure", f"figure:{shown.title or shown.alt}"
    if getattr(obj, "experiment", None) is None:
        ledger.publish(_Source(name), numbers)
        return
    tag = tag if which is None else f"{tag}[{which}]"
    ledger.publish(obj, {f"{tag}.{k}": v for k, v in numbers.items()})


def publish_lookup(obj: object, field: str) -> int:
    """Record every entry of `obj.<field>` (a mapping from a key naming what the reader picks to a number)
    as `<field>.<key>`; returns how many. For a page whose script shows one entry at a time."""
    if getattr(obj, "experiment", None) is None:
        raise TypeError(
            f"obj must be a Result (it names the experiment the entries belong to); got {type(obj).__name__}"
        )
    names = [f.name for f in dataclasses.fields(obj)] if dataclasses.is_dataclass(obj) else []
    values = getattr(obj, field, None) if isinstance(field, str) else None
    if not isinstance(values, Mapping):
        mappings = [n for n in names if isinstance(getattr(obj, n), Mapping)]
        raise ValueError(
            f"field must name a mapping field of {type(obj).__name__}; got {field!r}, choose from {mappings}"
        )
    bad = [k for k, v in values.items() if not isinstance(k, str) or not is_number(v)]
    if bad:
        raise ValueError(f"{field} must map str keys to numbers; bad entries: {bad[:3]}")
    ledger.publish(obj, {f"{field}.{k}": float(v) for k, v in values.items()})
    return len(values)


def publish_quoted(obj: object, quoted: Mapping[str, float]) -> None:
    """Record the numbers a sentence quoted, keyed by the field path it quoted them from."""
    if quoted:
        ledger.publish(obj, quoted)


def table_numbers(t: Table) -> dict[str, float]:
    """Every numeric cell, keyed 'row label.column header' (row label = first cell, else row index)."""
    out: dict[str, float] = {}
    for i, row in enumerate(t.rows):
        label = row[0] if row and isinstance(row[0], str) else f"row{i}"
        for header, cell in zip(t.headers, row, strict=False):
            if is_number(cell):
                out[_unique(out, f"{label}.{header}")] = float(cell)  # type: ignore[arg-type]
    return out


def figure_numbers(f: Figure) -> dict[str, float]:
    """The plotted data of every series ('panel.series.y[i]' or its summary) and every reference line."""
    out: dict[str, float] = {}
    names: set[str] = set()
    for p, panel in enumerate(f.panels):
        pname = panel.title or f"panel{p}"
        for s, series in enumerate(panel.series):
            sname, n = f"{pname}.{series.label or f'series{s}'}", 2
            while sname in names:
                sname, n = f"{pname}.{series.label or f'series{s}'}#{n}", n + 1
            names.add(sname)
            x, y = _floats(series.x), _floats(series.y)
            if x is not None and not is_grid(x):
                out.update(series_numbers(f"{sname}.x", x))
            if y is not None:
                out.update(series_numbers(f"{sname}.y", y))
        for y, label in panel.hlines:
            out[_unique(out, f"{pname}.hline.{label}")] = float(y)
    return out


def series_numbers(name: str, values: np.ndarray) -> dict[str, float]:
    """`name[i]` for a short series; for a long one, summary statistics a reviewer can read.

    Statistics are over the finite values; `nonfinite` counts NaN and inf (an overflowed run is data).
    Means are of magnitudes, so signed values cannot cancel into noise; the geometric mean follows
    values spanning many decades (vanishing gradients), where the arithmetic mean sees only the largest.
    """
    if len(values) <= SERIES_IN_FULL:
        return {f"{name}[{i}]": float(v) for i, v in enumerate(values)}
    finite = values[np.isfinite(values)]
    out = {f"{name}.n": float(len(values)), f"{name}.nonfinite": float(len(values) - len(finite))}
    out[f"{name}.first"], out[f"{name}.last"] = float(values[0]), float(values[-1])
    if len(finite):
        out[f"{name}.min"], out[f"{name}.max"] = float(finite.min()), float(finite.max())
        magnitudes = np.abs(finite)
        out[f"{name}.mean_abs"] = math.fsum(magnitudes.tolist()) / len(finite)
        nonzero = magnitudes[magnitudes > 0]
        if len(nonzero):
            out[f"{name}.geomean_abs"] = math.exp(math.fsum(np.log(nonzero).tolist()) / len(nonzero))
    return out


def is_grid(x: np.ndarray) -> bool:
    """True when `x` is an axis grid: evenly spaced on a linear or a log scale (or at most two points)."""
    if len(x) <= 2 or not np.all(np.isfinite(x)):
        return len(x) <= 2
    steps = np.diff(x)
    if np.allclose(steps, steps[0], rtol=1e-6, atol=0.0):
        return True
    if np.all(x > 0):
        ratios = np.diff(np.log(x))
        return bool(np.allclose(ratios, ratios[0], rtol=1e-6, atol=0.0))
    return bool(np.all(x == np.round(x)) and np.all(steps > 0))  # layer/step indices, not all of them


def _floats(values: Any) -> np.ndarray | None:
    """`values` as a float array, or None when it is not numeric (category names)."""
    arr = np.asarray(values.tolist() if hasattr(values, "tolist") else list(values), dtype=object)
    if not all(is_number(v) for v in arr.ravel()):
        return None
    return arr.astype(float).ravel()


def _table_name(t: Table) -> str:
    return t.caption or " | ".join(t.headers)


def _unique(out: dict[str, float], key: str) -> str:
    n, candidate = 2, key
    while candidate in out:
        candidate, n = f"{key}#{n}", n + 1
    return candidate
