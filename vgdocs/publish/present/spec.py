"""Plain descriptions of tables and figures; `vgdocs.publish.present` renders them in the house style.

Experiments build these from their Results (method `table(which)` / `figure(which)`), so the
renderer knows nothing about training and the engine knows nothing about Markdown or SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Figure", "Panel", "Series", "Table"]


@dataclass(frozen=True)
class Table:
    """A table: header strings and rows of cells (str, int, float, bool or None).

    `bar_column`: index of a numeric column to echo as a text bar (log scale when `bar_log`);
    `formats`: optional per-column format spec (e.g. ".3g", ".2e", ".1%"), else automatic.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    caption: str = ""
    bar_column: int | None = None
    bar_log: bool = True
    formats: tuple[str | None, ...] | None = None


@dataclass(frozen=True)
class Series:
    """One line (or set of bars / markers) in a panel."""

    label: str
    x: np.ndarray
    y: np.ndarray
    style: str = "line"  # "line", "dashed", "dotted", "markers", "bar", "step"


@dataclass(frozen=True)
class Panel:
    """One set of axes."""

    series: tuple[Series, ...]
    xlabel: str = ""
    ylabel: str = ""
    title: str = ""
    logx: bool = False
    logy: bool = False
    hlines: tuple[tuple[float, str], ...] = ()  # reference lines (y value, label)
    ylim: tuple[float, float] | None = None


@dataclass(frozen=True)
class Figure:
    """A figure of one or more panels side by side, with a text alternative for screen readers."""

    panels: tuple[Panel, ...]
    alt: str
    title: str = ""
    caption: str = ""
    width: float = field(default=7.0)  # inches; height follows the panel count
