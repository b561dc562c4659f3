"""Send what a table, figure or sentence shows to the ledger, and resolve what to render."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from vgdocs.publish import ledger
from vgdocs.publish.present.numbers import is_number
from vgdocs.publish.present.spec import Figure, Table

T = TypeVar("T", Table, Figure)


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
    """Publish `obj.numbers()` when `obj` is a Result, else the numbers the spec object displays.

    A Result's figure also publishes the data it draws (as `figure[which].panel.series.y[i]`), since
    a figure may plot derived arrays that are not fields of the Result.
    """
    if callable(getattr(obj, "numbers", None)):
        ledger.publish(obj)
        if isinstance(shown, Figure):
            tag = "figure" if which is None else f"figure[{which}]"
            ledger.publish(obj, {f"{tag}.{k}": v for k, v in figure_numbers(shown).items()})
    elif isinstance(shown, Table):
        ledger.publish(_Source(f"table:{_table_name(shown)}"), table_numbers(shown))
    else:
        ledger.publish(_Source(f"figure:{shown.title or shown.alt}"), figure_numbers(shown))


def publish_result(obj: object) -> None:
    """Publish `obj.numbers()` if `obj` has them (sentences quote Result fields)."""
    if callable(getattr(obj, "numbers", None)):
        ledger.publish(obj)


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
    """The data behind every series, keyed 'panel.series.x[i]' / '.y[i]'."""
    out: dict[str, float] = {}
    for p, panel in enumerate(f.panels):
        pname = panel.title or f"panel{p}"
        for s, series in enumerate(panel.series):
            sname = f"{pname}.{series.label or f'series{s}'}"
            for axis, values in (("x", series.x), ("y", series.y)):
                for i, v in enumerate(_as_list(values)):
                    if is_number(v):
                        out[_unique(out, f"{sname}.{axis}[{i}]")] = float(v)
        for y, label in panel.hlines:
            out[_unique(out, f"{pname}.hline.{label}")] = float(y)
    return out


def _table_name(t: Table) -> str:
    return t.caption or " | ".join(t.headers)


def _as_list(values: Any) -> list[Any]:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _unique(out: dict[str, float], key: str) -> str:
    n, candidate = 2, key
    while candidate in out:
        candidate, n = f"{key}#{n}", n + 1
    return candidate
