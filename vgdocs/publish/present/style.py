"""The one matplotlib house style: a colour-blind-safe palette legible on light and dark pages.

Text, axes and grid are drawn in INK, which the SVG clean-up turns into `currentColor`, so they
take the page's text colour in either palette. Series colours are the Okabe-Ito hues moved to
mid luminance, so each keeps at least 3:1 contrast (WCAG non-text contrast) against both the
white page and mkdocs-material's dark "slate" page.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DARK_PAGE", "INK", "LIGHT_PAGE", "MARKERS", "PALETTE", "rc_params"]

INK = "#010203"  # sentinel colour, replaced by currentColor in the SVG
LIGHT_PAGE = "#ffffff"
DARK_PAGE = "#1e2029"  # mkdocs-material slate background, hsl(232, 15%, 14%)

PALETTE = (
    "#1f7fc4",  # blue
    "#d55e00",  # vermillion
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#bf7a00",  # ochre (Okabe-Ito orange, darkened)
    "#7f7f7f",  # grey
)
MARKERS = ("o", "s", "^", "D", "v", "P")  # second cue besides colour on short series


def rc_params() -> dict[str, Any]:
    """matplotlib rcParams for every figure: real SVG text, no metadata, fixed id salt, INK colours."""
    from cycler import cycler

    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "vgdocs",
        "svg.image_inline": True,
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": 10,
        "axes.titlesize": 10.5,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.edgecolor": "none",
        "text.color": INK,
        "axes.labelcolor": INK,
        "axes.edgecolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "grid.color": INK,
        "grid.alpha": 0.18,
        "grid.linewidth": 0.6,
        "axes.grid": True,
        "axes.axisbelow": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.8,
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "axes.formatter.use_mathtext": False,
        "axes.unicode_minus": True,
        "lines.linewidth": 1.8,
        "lines.markersize": 4.5,
        "legend.frameon": False,
        "legend.handlelength": 2.2,
        "path.simplify": True,
        "path.simplify_threshold": 0.2,
    }
