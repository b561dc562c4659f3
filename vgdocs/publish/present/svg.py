"""Turn matplotlib's SVG file into a small, deterministic, accessible fragment for inline HTML."""

from __future__ import annotations

import hashlib
import html
import re

from vgdocs.publish.present.style import INK

__all__ = ["clean_svg"]

_GEOMETRY = re.compile(r'\s(d|x|y|x1|x2|y1|y2|width|height|viewBox|transform|points)="([^"]*)"')
_LONG_FLOAT = re.compile(r"-?\d+\.\d+")


def clean_svg(raw: str, alt: str) -> str:
    """`raw` matplotlib SVG as one line of inline SVG: role="img", aria-label and <title> from `alt`,
    INK as currentColor, no font names (the page's font is used), coordinates to 0.1 pt,
    ids renamed with a prefix derived from the content so figures on one page never collide."""
    svg = raw[raw.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)
    svg = svg.replace(INK, "currentColor").replace(INK.upper(), "currentColor")
    svg = re.sub(r"font-family:[^;\"]*;?\s*", "", svg)
    svg = re.sub(r' transform="rotate\(-?0 [^)]*\)"', "", svg)
    svg = _GEOMETRY.sub(lambda m: f' {m.group(1)}="{_round_all(m.group(2))}"', svg)
    svg = re.sub(r' d="([^"]*)"', lambda m: f' d="{_compact_path(m.group(1))}"', svg)
    svg = re.sub(r' style="([^"]*)"', lambda m: f' style="{_compact_style(m.group(1))}"', svg)
    svg = re.sub(r"\s+", " ", svg)
    svg = re.sub(r">\s+<", "><", svg)
    svg = re.sub(r'\s*style=""', "", svg)
    # Keep xlink:href: mkdocs-material's instant navigation rewrites every element with an `href`
    # attribute, and <use>.href is read-only, which throws on every page with a figure.
    svg = re.sub(r'<path d="[^"]*" style="fill: ?none"/>', "", svg)  # transparent background patches
    svg = re.sub(r"<g(\s[^>]*)?/>", "", _rename_ids(svg))  # empty groups (a tick of length 0)
    svg = _unwrap_bare_groups(svg)
    svg = _MARKER_GROUP.sub(_hoist_marker_style, svg)
    label = html.escape(" ".join(alt.split()), quote=True)
    root_end = svg.index(">")
    root = svg[:root_end].replace(' version="1.1"', "")
    root += (
        f' role="img" aria-label="{label}" class="vg-svg"'
        ' style="max-width:100%;height:auto;stroke-linejoin:round;stroke-linecap:butt"'
    )
    return f"{root}><title>{label}</title>{svg[root_end + 1 :].strip()}"


_MARKER_GROUP = re.compile(r"<g([^>]*)>((?:<use [^>]*/>)+)</g>")
_USE_STYLE = re.compile(r' style="([^"]*)"')


def _hoist_marker_style(m: re.Match[str]) -> str:
    """A series' markers (a group of <use>, each repeating one style) with the style once, on the group.

    Fill and stroke are inherited, so each marker draws as before; a long series' markers shrink by
    a third."""
    attrs, uses = m.group(1), m.group(2)
    styles = set(_USE_STYLE.findall(uses))
    if " style=" in attrs or len(styles) != 1 or uses.count("<use ") != len(_USE_STYLE.findall(uses)):
        return m.group(0)
    return f'<g{attrs} style="{styles.pop()}">{_USE_STYLE.sub("", uses)}</g>'


def _compact_path(d: str) -> str:
    """'M 1 2 L 3 4 z' -> 'M1 2L3 4z': no spaces around path commands."""
    return re.sub(r"\s*([MLHVCSQTAZmlhvcsqtaz])\s*", r"\1", d.strip())


def _compact_style(style: str) -> str:
    """'fill: none; stroke: red' -> 'fill:none;stroke:red'."""
    return re.sub(r"\s*([:;])\s*", r"\1", style.strip()).rstrip(";")


def _round_all(text: str) -> str:
    return _LONG_FLOAT.sub(lambda m: _round(float(m.group(0))), text)


def _round(value: float) -> str:
    out = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


def _unwrap_bare_groups(svg: str) -> str:
    """Remove <g> elements without attributes (matplotlib's id-only groups), keeping their children."""
    out: list[str] = []
    stack: list[bool] = []
    for token in re.split(r"(<g>|<g\s[^>]*>|</g>)", svg):
        if token == "<g>":
            stack.append(False)
        elif token.startswith("<g"):
            stack.append(True)
            out.append(token)
        elif token == "</g>":
            if stack.pop():
                out.append(token)
        else:
            out.append(token)
    return "".join(out)


def _rename_ids(svg: str) -> str:
    """Drop ids nothing refers to; rename the rest 'vg<hash>-<n>' in order of appearance."""
    prefix = "vg" + hashlib.sha256(svg.encode()).hexdigest()[:8]
    referenced = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
    mapping: dict[str, str] = {}
    for old in re.findall(r'\sid="([^"]+)"', svg):
        if old in referenced and old not in mapping:
            mapping[old] = f"{prefix}-{len(mapping)}"

    def replace_id(m: re.Match[str]) -> str:
        old = m.group(1)
        return f' id="{mapping[old]}"' if old in mapping else ""

    svg = re.sub(r'\sid="([^"]+)"', replace_id, svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{mapping.get(m.group(1), m.group(1))})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{mapping.get(m.group(1), m.group(1))}"', svg)
