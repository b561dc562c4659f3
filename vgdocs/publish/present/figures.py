"""Inline SVG figures in the house style, with a text alternative and identical bytes for identical data."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import math

import numpy as np

from vgdocs.publish import cache
from vgdocs.publish.present._publish import publish, resolve
from vgdocs.publish.present.numbers import fmt
from vgdocs.publish.present.spec import Figure, Panel
from vgdocs.publish.present.style import INK, MARKERS, PALETTE, rc_params
from vgdocs.publish.present.svg import clean_svg

__all__ = ["figure", "figure_key", "render_figure", "render_markup", "render_svg"]

STYLES = ("line", "dashed", "dotted", "markers", "bar", "step")
_MARKED_UP_TO = 30  # series with at most this many points also get a marker shape per series
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def figure(obj: object, which: object = None) -> str:
    """An inline <figure> (SVG + <figcaption>) for `obj` (a spec.Figure, or anything with `.figure(which)`)."""
    spec = resolve(obj, which, Figure)
    publish(obj, spec, which)
    return render_figure(spec)


def render_figure(f: Figure) -> str:
    """<figure> holding the SVG (role="img", labelled by `f.alt`) and a caption from title and caption.

    During a build the markup is memoised by the spec's content and this module's source: drawing
    is most of a warm build's time, and identical data give identical bytes anyway.
    """
    return cache.memoize("present.figure", figure_key(f), __name__, lambda: render_markup(f))


def figure_key(f: Figure) -> str:
    """The hex digest of a figure spec's content: its markup's key in the build cache."""
    h = hashlib.sha256()
    _digest(f, h)
    return h.hexdigest()


def _digest(value: object, h: hashlib._Hash) -> None:
    """Feed `value`'s content to `h`; unlike pickle, blind to which arrays happen to be shared."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(type(value).__name__.encode())
        for field in dataclasses.fields(value):
            h.update(field.name.encode())
            _digest(getattr(value, field.name), h)
    elif isinstance(value, (list, tuple)):
        h.update(b"(%d" % len(value))
        for item in value:
            _digest(item, h)
    elif (isinstance(value, np.ndarray) or isinstance(value, np.generic)) and np.asarray(value).dtype == object:
        # an object array's bytes are pointers (new every process): digest its items instead
        arr = np.asarray(value)
        h.update(f"O{arr.shape}".encode())
        for item in arr.ravel().tolist():
            _digest(item, h)
    elif isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.ascontiguousarray(value)
        h.update(f"{arr.dtype.str}{arr.shape}".encode() + arr.tobytes())
    else:
        h.update(f"{type(value).__name__}:{value!r}".encode())


def render_markup(f: Figure) -> str:
    """The <figure> markup for `f`, drawn now (render_figure memoises this)."""
    svg = render_svg(f)
    title = f"<strong>{html.escape(f.title)}</strong> " if f.title else ""
    caption = html.escape(f.caption or ("" if f.title else f.alt))
    return f'<figure class="vg-figure">{svg}<figcaption>{title}{caption}</figcaption></figure>'


def render_svg(f: Figure) -> str:
    """The figure as one line of inline SVG markup (deterministic for identical data)."""
    _check(f)
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure as MplFigure

    n = len(f.panels)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    height = (3.2 if ncols == 1 else 2.9) * nrows
    if any(_slanted(_categories(p)) for p in f.panels):
        height += 1.0  # room for the slanted names, so the axes keep their height
    with matplotlib.rc_context():
        # From matplotlib's defaults, not the process's rcParams: a notebook's `plt.rcParams.update`
        # must not leak into the site's figures (nor into the memo, whose key is the spec alone).
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(rc_params())
        fig = MplFigure(figsize=(f.width, height), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.03, h_pad=0.03)
        FigureCanvasSVG(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, panel in zip(axes, f.panels, strict=False):
            _draw(ax, panel)
        for ax in axes[n:]:
            ax.set_axis_off()
        buf = io.StringIO()
        # Constrained layout already fits labels inside the canvas: no second, "tight" drawing pass.
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return clean_svg(buf.getvalue(), f.alt)


def _check(f: Figure) -> None:
    if not isinstance(f.alt, str) or not f.alt.strip():
        raise ValueError("alt must be a sentence saying what the figure shows (screen readers read it); got empty")
    if not f.panels:
        raise ValueError("panels must hold at least one Panel")
    if not (isinstance(f.width, (int, float)) and 2.0 <= f.width <= 12.0):
        raise ValueError(f"width must be between 2 and 12 inches; got {f.width!r}")
    for p, panel in enumerate(f.panels):
        if not panel.series and not panel.hlines:
            raise ValueError(f"panels[{p}] has no series and no hlines: nothing to draw")
        for s, series in enumerate(panel.series):
            if series.style not in STYLES:
                raise ValueError(
                    f"panels[{p}].series[{s}].style={series.style!r} is not valid; choose one of {list(STYLES)}"
                )
            if len(series.x) != len(series.y):
                raise ValueError(
                    f"panels[{p}].series[{s}] ({series.label!r}): x has {len(series.x)} points, y {len(series.y)}"
                )


def _draw(ax, panel: Panel) -> None:
    categories = _categories(panel)
    bar_series = [s for s in panel.series if s.style == "bar"]
    for i, series in enumerate(panel.series):
        colour, marker = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
        x = _positions(series.x, categories)
        y = _plottable(series.y, panel.logy)
        if panel.logx:
            x = _plottable(x, True)
        label = series.label or None
        if series.style == "bar":
            k, width = bar_series.index(series), 0.8 / len(bar_series)
            ax.bar(
                x + (k - (len(bar_series) - 1) / 2) * width, np.nan_to_num(y, nan=0.0), width, color=colour, label=label
            )
            continue
        marked = len(x) <= _MARKED_UP_TO
        if series.style == "step":
            ax.step(x, y, where="mid", color=colour, label=label)
        elif series.style == "markers":
            ax.plot(x, y, linestyle="none", marker=marker, color=colour, label=label)
        else:
            dashes = {"line": "-", "dashed": "--", "dotted": ":"}[series.style]
            ax.plot(x, y, linestyle=dashes, marker=marker if marked else None, color=colour, label=label)
    for y, label in panel.hlines:
        ax.axhline(y, color=INK, linewidth=1.0, linestyle=(0, (4, 3)), alpha=0.7, label=label or None)
    if categories:
        # Long names side by side run into each other: slant them (right end under the tick).
        slant = _slanted(categories)
        ax.set_xticks(
            np.arange(len(categories)), categories, rotation=30 if slant else 0, ha="right" if slant else "center"
        )
        if slant:
            for label in ax.get_xticklabels():
                label.set_rotation_mode("anchor")
        ax.grid(False, axis="x")
    _scale(ax, panel)
    if panel.ylim is not None:
        ax.set_ylim(*panel.ylim)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if panel.title:
        ax.set_title(panel.title)
    labelled = [s for s in panel.series if s.label] + [h for h in panel.hlines if h[1]]
    if len(labelled) > 1 or (panel.hlines and labelled):
        if bar_series:
            # Bars fill the axes: a legend inside would sit on a bar, where no text colour reads in
            # both palettes. Beside the axes it sits on the page (constrained layout makes room).
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        else:
            ax.legend()


def _scale(ax, panel: Panel) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter, NullLocator

    for log, axis, limits in ((panel.logx, ax.xaxis, ax.get_xlim), (panel.logy, ax.yaxis, ax.get_ylim)):
        if not log or not _has_positive(ax, axis is ax.xaxis):
            continue
        (ax.set_xscale if axis is ax.xaxis else ax.set_yscale)("log")
        axis.set_major_formatter(FuncFormatter(_decade_label))
        lo, hi = limits()
        if hi / lo < 10:
            # less than a decade: a few evenly spaced labelled ticks read better than log minor ticks,
            # whose 2-digit labels repeat (2.4, 2.4, 2.3) on a narrow axis
            axis.set_major_locator(MaxNLocator(nbins=4))
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v, 3)))
            axis.set_minor_locator(NullLocator())
        axis.set_minor_formatter(NullFormatter())
    if not panel.logx and _integer_valued(panel):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _integer_valued(panel: Panel) -> bool:
    """True when every series' x values are whole numbers (layers, steps, lags): no 2.5 ticks."""
    xs = [np.asarray(s.x) for s in panel.series if s.style != "bar"]
    if not xs or any(x.dtype.kind not in "iuf" for x in xs):
        return False
    finite = np.concatenate([x[np.isfinite(x)] for x in xs])
    return finite.size > 0 and bool(np.all(finite == np.round(finite)))


def _has_positive(ax, x_axis: bool) -> bool:
    values = [line.get_xdata() if x_axis else line.get_ydata() for line in ax.get_lines()]
    values += [[p.get_x() if x_axis else p.get_height()] for p in ax.patches]
    flat = np.concatenate([np.asarray(v, dtype=float).ravel() for v in values]) if values else np.array([])
    return bool(np.any(np.isfinite(flat) & (flat > 0)))


def _decade_label(value: float, _pos: int) -> str:
    if not (value > 0 and math.isfinite(value)):
        return ""
    exponent = round(math.log10(value))
    if not math.isclose(value, 10.0**exponent, rel_tol=1e-6):
        return fmt(value, 2)
    if -2 <= exponent <= 3:
        return fmt(10.0**exponent)
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def _slanted(categories: list[str]) -> bool:
    """True when category names are too long to stand side by side (they are drawn at 30 degrees)."""
    return len(categories) > 3 and max(len(c) for c in categories) > 12


def _categories(panel: Panel) -> list[str]:
    """Category names when any series has text x values (bar charts by name), else []."""
    names: list[str] = []
    for series in panel.series:
        if np.asarray(series.x).dtype.kind in "USO":
            names += [str(v) for v in series.x if str(v) not in names]
    return names


def _positions(x: object, categories: list[str]) -> np.ndarray:
    if categories:
        return np.array([categories.index(str(v)) for v in x], dtype=float)  # type: ignore[attr-defined]
    return np.asarray(x, dtype=float)


def _plottable(values: object, log: bool) -> np.ndarray:
    """float array with inf (and, on a log axis, values <= 0) turned into gaps; overflowed runs stay data."""
    y = np.array(values, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(y) | ((y <= 0) if log else False)
    y[bad] = np.nan
    return y
