"""House number formatting: significant digits, scientific notation at the extremes, text bars."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from vgdocs.engine._checks import positive_int

__all__ = ["bars", "fmt", "is_number"]

_SMALL = 1e-3  # below this (in magnitude) numbers print as 9.54e-7
_LARGE = 1e6  # at or above this numbers print as 1.2e6
_EIGHTHS = " ▏▎▍▌▋▊▉"
_FULL = "█"


def is_number(x: object) -> bool:
    """True for real numbers (Python or numpy), False for bools, strings and None."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def fmt(x: object, digits: int = 3) -> str:
    """`x` rounded to `digits` significant digits: '0.25', '1230', '9.54e-7', 'NaN', 'inf'; bools as yes/no."""
    digits = positive_int("digits", digits)
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral):
        value = int(x)
        return str(value) if abs(value) < _LARGE else _scientific(float(value), digits)
    if not isinstance(x, numbers.Real):
        raise TypeError(f"x must be a real number (int, float or numpy scalar); got {type(x).__name__}")
    value = float(x)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    # Round first, so 999.96 -> 1000 and 9.9996e5 -> 1e6 pick their notation from the rounded value.
    rounded = float(f"{value:.{digits - 1}e}")
    magnitude = abs(rounded)
    if magnitude < _SMALL or magnitude >= _LARGE:
        return _scientific(rounded, digits)
    exponent = math.floor(math.log10(magnitude))
    decimals = digits - 1 - exponent
    if decimals <= 0:
        return f"{rounded:.0f}"
    return _trim(f"{rounded:.{decimals}f}")


def bars(values: Sequence[object], *, width: int = 12, log: bool = True) -> list[str]:
    """One text bar per value (block characters, eighth-cell resolution), on a shared linear or log scale.

    Missing, NaN and (on a log scale) non-positive values get an empty bar; +-inf a full bar with an arrow.
    """
    width = positive_int("width", width)
    finite = [abs(float(v)) for v in values if is_number(v) and math.isfinite(float(v))]
    if log:
        finite = [v for v in finite if v > 0]
    if not finite:
        return ["" for _ in values]
    top = max(finite)
    if log:
        # A floor one decade under the smallest value gives the smallest bar a visible length.
        floor = math.log10(min(finite)) - 1.0
        span = math.log10(top) - floor
    out = []
    for v in values:
        if not is_number(v) or math.isnan(float(v)):
            out.append("")
            continue
        value = abs(float(v))
        if math.isinf(value):
            out.append(_FULL * width + "▶")
            continue
        if log:
            frac = 0.0 if value <= 0 else (math.log10(value) - floor) / span
        else:
            frac = value / top if top > 0 else 0.0
        out.append(_bar(min(max(frac, 0.0), 1.0), width))
    return out


def _bar(frac: float, width: int) -> str:
    eighths = round(frac * width * 8)
    full, part = divmod(eighths, 8)
    return (_FULL * full + (_EIGHTHS[part] if part else "")) or ("▏" if frac > 0 else "")


def _scientific(value: float, digits: int) -> str:
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{_trim(mantissa)}e{int(exponent)}"


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text
