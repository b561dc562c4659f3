"""Matplotlib figures in the lab notebooks, as compact inline SVG that two builds render byte for byte.

A notebook cell ends with `svg(fig, "name", "what the figure shows")`. Jupyter and mkdocs-jupyter
display the returned object's HTML: the figure's SVG inline in the page, with `role="img"` and the
text alternative as `aria-label`. The SVG is made reproducible and small:

- ids come from matplotlib's hash of the figure with a fixed salt (`svg.hashsalt` = the name), not
  a random one, and no creation date is written;
- every id is prefixed with the name, so several figures on one page never share an id;
- metadata, empty groups and attribute-less wrapper groups are dropped, texts of the
  base size inherit the root's font, and coordinates are rounded to 0.1 pt (a figure of a few
  hundred points shrinks to a few kB).

`STYLE` holds the rcParams the notebooks apply (`plt.rcParams.update(STYLE)`): small fonts,
no tick marks or top/right spines, text kept as text (`svg.fonttype` none) so it stays selectable.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from cycler import cycler  # matplotlib's own dependency

__all__ = ["STYLE", "InlineSVG", "svg"]

STYLE: dict[str, object] = {
    "figure.figsize": (8, 2.6),
    "font.size": 9,
    "font.sans-serif": ["DejaVu Sans"],
    "svg.fonttype": "none",
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 7,
    # every series at least 3:1 against the white figure background (matplotlib's orange and cyan are not)
    "axes.prop_cycle": cycler(color=["#1f77b4", "#b35900", "#237a23", "#d62728", "#7b4fa6", "#8c564b"]),
}
_NS = {"": "http://www.w3.org/2000/svg", "xlink": "http://www.w3.org/1999/xlink"}
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_MPL_GROUP_ID = re.compile(r"[\w.]+_\d+")  # figure_1, axes_2, line2d_3: never referenced
_DIGITS = re.compile(r"(\.\d)\d+")
_REF = re.compile(r"(^#|url\(#)")
_FONT = re.compile(r"font-size: ([\d.]+px); font-family: [^;]*(?:; |$)")


class InlineSVG:
    """An SVG document that notebooks display as HTML (`_repr_html_`); `str()` gives the markup."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.markup


def svg(fig, name: str, alt: str) -> InlineSVG:
    """`fig` (a matplotlib Figure) as compact, reproducible inline SVG with text alternative `alt`; closes it.

    `name` (lower-case words joined by '-') salts matplotlib's ids and prefixes every id, so give
    each figure on a page its own name.
    """
    import matplotlib.pyplot as plt

    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must be lower-case letters, digits and '-', starting with a letter; got {name!r}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty text alternative describing the figure")
    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": name}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    for prefix, uri in _NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.fromstring(buf.getvalue())
    base = f"{plt.rcParams['font.size']:g}px"  # the root's font: texts of that size inherit it
    for el in root.iter():
        el.text = el.text if el.tag.endswith(("}text", "}tspan")) else None
        el.tail = None
        if _MPL_GROUP_ID.fullmatch(el.get("id", "")):
            del el.attrib["id"]
        if el.get("transform", "").startswith("rotate(-0 "):
            del el.attrib["transform"]  # a no-op rotation matplotlib writes on every label
        for key, value in el.attrib.items():
            value = f"{name}-{value}" if key == "id" else _REF.sub(rf"\g<1>{name}-", _DIGITS.sub(r"\1", value))
            value = _FONT.sub(lambda m: "" if m[1] == base else f"font-size: {m[1]}; ", value)
            el.set(key, _path(value) if key == "d" else value)
    _flatten(root)
    root.attrib.pop("version", None)
    root.set("style", f"font: {base} sans-serif")
    root.set("role", "img")
    root.set("aria-label", alt)
    return InlineSVG(ET.tostring(root, encoding="unicode"))


def _path(d: str) -> str:
    """Path data with single spaces and without the 'L' a lineto after a moveto or lineto may omit."""
    out, last = [], ""
    for token in d.split():
        if token.isalpha():
            if token == "L" and last in ("M", "L"):
                last = "L"
                continue
            last = token
        out.append(token)
    return " ".join(out)


def _flatten(el: ET.Element) -> None:
    """Drop metadata, empty groups/defs/styles and attribute-less groups (keeping their children), bottom up."""
    kept: list[ET.Element] = []
    for child in el:
        _flatten(child)
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "metadata" or (tag in ("g", "defs", "style") and len(child) == 0 and not child.text):
            continue
        kept.extend(list(child) if tag == "g" and not child.attrib else [child])
    el[:] = kept
