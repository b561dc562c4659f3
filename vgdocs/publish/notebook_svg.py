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

`STYLE` holds the rcParams the notebooks apply (`plt.rcParams.update(STYLE)`): the site's house
style (vgdocs.publish.present.style), so a notebook figure reads like every other figure on the site.
Text, axes and grid are drawn in the house INK, a near-black that reads on a local notebook's white
page and that `svg()` turns into `currentColor`, so on the site they take the page's text colour in
the light and the dark palette alike; series use the house palette (at least 3:1 against both
pages); the background is transparent. `GUIDE` is the colour for reference lines (INK as well).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from vgdocs.publish.present.style import INK, rc_params

__all__ = ["GUIDE", "STYLE", "InlineSVG", "svg"]

STYLE: dict[str, object] = {
    **{k: v for k, v in rc_params().items() if k != "svg.hashsalt"},  # svg() salts ids with the figure's name
    "figure.figsize": (8, 2.6),
    "font.size": 8,  # the tick labels' size, the most frequent text: it is the root's font, written once
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    # lean small multiples: no grid, no tick marks (the labels stay); a page holds several figures
    "axes.grid": False,
    "lines.solid_capstyle": "butt",  # the SVG default: no stroke-linecap on every line
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "xtick.minor.size": 0,
    "ytick.minor.size": 0,
}
GUIDE = INK
_NS = {"": "http://www.w3.org/2000/svg", "xlink": "http://www.w3.org/1999/xlink"}
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_MPL_GROUP_ID = re.compile(r"[\w.]+_\d+")  # figure_1, axes_2, line2d_3: never referenced
_DIGITS = re.compile(r"(\.\d)\d+")
_REF = re.compile(r"(^#|url\(#)")
_INHERITED = {"fill", "stroke", "stroke-width", "stroke-opacity", "fill-opacity", "stroke-linecap", "stroke-linejoin"}
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
    # text stays text and the background stays transparent whatever rcParams the caller has now
    saving = {"svg.hashsalt": name, "svg.fonttype": "none", "savefig.facecolor": "none", "savefig.edgecolor": "none"}
    with plt.rc_context(saving):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    for prefix, uri in _NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.fromstring(buf.getvalue())
    base = f"{plt.rcParams['font.size']:g}px"  # the root's font: texts of that size inherit it
    for el in root.iter():
        keep = el.tag.endswith(("}text", "}tspan")) and not (len(el) and not (el.text or "").strip())
        el.text = el.text if keep else None  # not the indentation before a mathtext label's first tspan
        el.tail = None
        if _MPL_GROUP_ID.fullmatch(el.get("id", "")):
            del el.attrib["id"]
        if el.get("transform", "").startswith("rotate(-0 "):
            del el.attrib["transform"]  # a no-op rotation matplotlib writes on every label
        for key, value in el.attrib.items():
            value = f"{name}-{value}" if key == "id" else _REF.sub(rf"\g<1>{name}-", _DIGITS.sub(r"\1", value))
            value = _FONT.sub(lambda m: "" if m[1] == base else f"font-size: {m[1]}; ", value)
            value = re.sub(INK, "currentColor", value, flags=re.I)  # the page's text colour, in either palette
            if key == "style":
                value = re.sub(r"\s*([:;])\s*", r"\1", value).strip().rstrip(";")
                if el.tag.endswith(("}text", "}tspan")):
                    value = re.sub(r"(^|;)fill:currentColor(;|$)", lambda m: m[1] and m[2], value)
            if key in ("x", "y", "width", "height"):
                value = value.removesuffix(".0")
            el.set(key, _path(value) if key == "d" else value)
        if el.get("style") == "":
            del el.attrib["style"]
    _flatten(root)
    _group_clipped(root)
    _hoist_common_styles(root)
    _group_texts(root)
    _number_ids(root, name)
    root.attrib.pop("version", None)
    root.set("style", f"font: {base} sans-serif; fill: currentColor")  # text inherits both
    root.set("role", "img")
    root.set("aria-label", alt)
    return InlineSVG(ET.tostring(root, encoding="unicode"))


def _path(d: str) -> str:
    """Path data without the 'L' a lineto after a moveto or lineto may omit, spaces only between
    numbers, and no '.0' ('M 1.0 2 L 3 4' -> 'M1 2 3 4')."""
    out, last = [], ""
    for token in d.split():
        if token.isalpha():
            if token == "L" and last in ("M", "L"):
                last = "L"
                continue
            last = token
        else:
            token = token.removesuffix(".0")
        out.append(token)
    if len(out) > 5 and out[0] == "M" and len(out) % 2 == 1 and not any(t.isalpha() for t in out[1:]):
        out = _relative(out[1:])
    return re.sub(r" ?([A-Za-z]) ?", r"\1", " ".join(out)).replace(" -", "-")


def _relative(numbers: list[str]) -> list[str]:
    """A polyline 'M x0 y0 x1 y1 ...' as 'M x0 y0 l dx dy ...': smaller numbers, the same points.

    Differences are taken in tenths of a point (the coordinates' precision), so they add up exactly."""
    tenths = [round(float(v) * 10) for v in numbers]
    out = ["M", numbers[0], numbers[1], "l"]
    for i in range(2, len(tenths), 2):
        out += [_tenths(tenths[i] - tenths[i - 2]), _tenths(tenths[i + 1] - tenths[i - 1])]
    return out


def _tenths(n: int) -> str:
    whole, tenth = divmod(abs(n), 10)
    return ("-" if n < 0 else "") + (f"{whole or ''}.{tenth}" if tenth else f"{whole}")


def _number_ids(root: ET.Element, name: str) -> None:
    """Ids '<name>-<matplotlib hash>' become '<name>-0', '<name>-1', ... in document order (references follow)."""
    ids = {el.get("id"): f"{name}-{n}" for n, el in enumerate(e for e in root.iter() if e.get("id"))}
    pattern = re.compile("|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)))
    if not ids:
        return
    for el in root.iter():
        for key, value in el.attrib.items():
            if key == "id" or "#" in value:
                el.set(key, pattern.sub(lambda m: ids[m[0]], value))


def _group_texts(el: ET.Element) -> None:
    """Consecutive <text> siblings with one style (a row of tick labels) share it from a <g>."""
    text, g = f"{{{_NS['']}}}text", f"{{{_NS['']}}}g"
    _group_runs(el, "style", "data-texts", joins=lambda e: e.tag == text, starts=lambda e: e.tag == text)
    for group in el.iter(g):
        if "data-texts" in group.attrib:
            group.set("style", group.attrib.pop("data-texts"))


def _group_clipped(el: ET.Element) -> None:
    """Consecutive siblings clipped to the same axes go into one <g clip-path>: the reference once per panel."""
    _group_runs(el, "clip-path", "clip-path", joins=lambda e: True, starts=lambda e: not e.tag.endswith("}g"))


def _group_runs(
    el: ET.Element, attr: str, mark: str, *, joins: Callable[[ET.Element], bool], starts: Callable[[ET.Element], bool]
) -> None:
    """Consecutive siblings with one value of `attr` move into a <g> that holds it once, as `mark`.

    A sibling `joins` a run it follows (a group made here: its only attribute is `mark`); two
    siblings that both `start` a run and agree make a new group. Depth first, every level."""
    out: list[ET.Element] = []
    g = f"{{{_NS['']}}}g"
    for child in el:
        _group_runs(child, attr, mark, joins=joins, starts=starts)
        value = child.get(attr) if joins(child) else None
        last = out[-1] if out else None
        if value and last is not None and last.tag == g and last.attrib == {mark: value}:
            del child.attrib[attr]
            last.append(child)
        elif value and last is not None and starts(last) and last.get(attr) == value:
            group = ET.Element(g, {mark: value})
            del last.attrib[attr], child.attrib[attr]
            group.extend([last, child])
            out[-1] = group
        else:
            out.append(child)
    el[:] = out


def _hoist_common_styles(root: ET.Element) -> None:
    """Declarations every child of a group repeats (a series' markers, the lines of one panel: fill,
    stroke, stroke width) move to the group once; they are inherited, so nothing draws differently."""
    for g in root.iter(f"{{{_NS['']}}}g"):
        children = list(g)
        if not children or "style" in g.attrib or any("style" not in c.attrib for c in children):
            continue
        declared = [c.get("style", "").split(";") for c in children]
        common = [d for d in declared[0] if d and d.split(":")[0] in _INHERITED and all(d in ds for ds in declared)]
        if not common:
            continue
        g.set("style", ";".join(common))
        for c, ds in zip(children, declared, strict=True):
            rest = ";".join(d for d in ds if d not in common)
            if rest:
                c.set("style", rest)
            else:
                del c.attrib["style"]


def _flatten(el: ET.Element) -> None:
    """Drop metadata, empty groups/defs/styles and attribute-less groups (keeping their children), bottom up."""
    kept: list[ET.Element] = []
    for child in el:
        _flatten(child)
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "metadata" or (tag in ("g", "defs", "style") and len(child) == 0 and not child.text):
            continue
        if tag == "path" and child.get("style", "").replace(" ", "") in ("fill:none", "fill:none;"):
            continue  # a transparent background patch: draws nothing
        kept.extend(list(child) if tag == "g" and not child.attrib else [child])
    el[:] = kept
