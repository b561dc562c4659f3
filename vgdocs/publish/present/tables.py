"""Markdown tables in the house style: aligned numbers, significant digits, optional text bars."""

from __future__ import annotations

import numpy as np

from vgdocs.publish.present._publish import publish, resolve
from vgdocs.publish.present.numbers import bars, fmt, is_number
from vgdocs.publish.present.spec import Table

__all__ = ["render_table", "table"]

_MISSING = "—"


def table(obj: object, which: object = None) -> str:
    """Markdown for `obj` (a spec.Table, or anything with `.table(which)`); publishes its numbers."""
    spec = resolve(obj, which, Table)
    publish(obj, spec)
    return render_table(spec)


def render_table(t: Table) -> str:
    """Markdown for a spec.Table: caption paragraph, header, alignment row, one line per row."""
    n = _check(t)
    columns = [[_cell(row[j], t.formats[j] if t.formats else None) for row in t.rows] for j in range(n)]
    headers = [_escape(h) for h in t.headers]
    numeric = [all(is_number(row[j]) or row[j] is None for row in t.rows) and bool(t.rows) for j in range(n)]
    if t.bar_column is not None:
        j = t.bar_column
        drawn = bars([row[j] for row in t.rows], log=t.bar_log)
        columns.insert(j + 1, [f'<span class="vg-bar" aria-hidden="true">{b}</span>' if b else "" for b in drawn])
        headers.insert(j + 1, "log scale" if t.bar_log else "scale")
        numeric.insert(j + 1, False)
    lines = [
        _line(headers),
        _line([("---:" if right else ":---") for right in numeric]),
        *(_line([col[i] for col in columns]) for i in range(len(t.rows))),
    ]
    body = "\n".join(lines)
    return f"{_escape(t.caption)}\n\n{body}\n" if t.caption else body + "\n"


def _check(t: Table) -> int:
    n = len(t.headers)
    if n == 0:
        raise ValueError("headers must name at least one column")
    for i, row in enumerate(t.rows):
        if len(row) != n:
            raise ValueError(f"rows[{i}] has {len(row)} cells; headers has {n} columns")
    if t.formats is not None and len(t.formats) != n:
        raise ValueError(f"formats has {len(t.formats)} entries; headers has {n} columns")
    if t.bar_column is not None:
        if not 0 <= t.bar_column < n:
            raise ValueError(f"bar_column={t.bar_column} is not a column index; choose one of {list(range(n))}")
        if not all(is_number(row[t.bar_column]) or row[t.bar_column] is None for row in t.rows):
            raise ValueError(f"bar_column={t.bar_column} ({t.headers[t.bar_column]!r}) must hold numbers")
    return n


def _cell(value: object, spec: str | None) -> str:
    if value is None:
        return _MISSING
    if is_number(value):
        return fmt(value) if not spec else format(value, spec)
    if isinstance(value, (bool, np.bool_)):
        return fmt(value)
    if isinstance(value, str):
        return _escape(value)
    raise TypeError(f"table cells must be str, int, float, bool or None; got {type(value).__name__} ({value!r})")


def _escape(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
