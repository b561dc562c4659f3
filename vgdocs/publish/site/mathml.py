"""TeX to MathML at build time, so pages typeset math with no script and no third-party request.

A Python-Markdown extension (`vgdocs.publish.site.mathml` in mkdocs.yml's markdown_extensions), so
every engine that renders Markdown with Python-Markdown (MkDocs, ProperDocs, Zensical) typesets it:
pymdownx.arithmatex (generic mode) leaves `\\(...\\)` / `\\[...\\]` in spans and divs of class
"arithmatex", and this extension's postprocessor, the last to run on a page's HTML (markdown-exec
output included), turns them into <math> elements. TeX it cannot convert is logged as a warning
(which fails `mkdocs build --strict`) and left as it was. Notebook Markdown cells keep `$...$` /
`$$...$$`; the page hook (pages.py) converts those with `render_notebook_math`. HTML a hook
injects after Markdown ran (the claims table) renders its Markdown with `markdown_inline`.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable

from latex2mathml.converter import convert
from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

__all__ = [
    "MathError",
    "MathMLExtension",
    "makeExtension",
    "markdown_inline",
    "render_arithmatex",
    "render_notebook_math",
    "tex_to_mathml",
]

# under "mkdocs.": MkDocs and ProperDocs count this logger's warnings, so --strict fails on bad TeX
log = logging.getLogger("mkdocs.plugins.vgdocs.mathml")

_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])\s*</(?P=tag)>', re.S
)
_UNCONVERTED = re.compile(r">\\[A-Za-z]+<")  # latex2mathml keeps unknown commands as text: '<mi>\foo</mi>'
_NAMESPACE = ' xmlns="http://www.w3.org/1998/Math/MathML"'
_NOTEBOOK_MARKDOWN_CELL = re.compile(r'(<div class="jp-Cell jp-MarkdownCell.*?)(?=<div class="jp-Cell |\Z)', re.S)
_CODE = re.compile(r"(<(pre|code)\b.*?</\2>)", re.S)
# inline math may wrap at a soft line break (one newline), never across a blank line
_DOLLARS = re.compile(
    r"(?<![\\$])\$\$(?P<block>.+?)\$\$|(?<![\\$])\$(?P<inline>(?:[^$\n]|\n(?![ \t]*\n))+?)\$(?!\d)", re.S
)


def _wrap(mathml: str, display: bool) -> str:
    # Not class "arithmatex": mkdocs-material styles that for MathJax output (fixed widths, scrollbars).
    if display:
        return f'<div class="vg-math" style="overflow-x:auto;overflow-y:hidden;padding:.4em 0">{mathml}</div>'
    return f'<span class="vg-math">{mathml}</span>'


class MathError(ValueError):
    """TeX that latex2mathml cannot turn into MathML (the message quotes it)."""


def tex_to_mathml(tex: str, *, display: bool) -> str:
    """MathML markup for `tex` (display="block" or "inline"); raises MathError on TeX it cannot convert."""
    try:
        out = convert(tex.strip(), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises assorted exception types on malformed input
        raise MathError(f"cannot convert TeX {tex.strip()!r} to MathML: {exc}") from exc
    leftover = _UNCONVERTED.search(out)
    if leftover:
        raise MathError(f"unsupported TeX command {leftover.group(0)[1:-1]} in {tex.strip()!r}")
    return out.replace(_NAMESPACE, "")


def render_arithmatex(content: str, on_error: Callable[[MathError], None]) -> str:
    """`content` with arithmatex spans/divs replaced by MathML; unconvertible math goes to `on_error` and stays."""
    return _ARITHMATEX.sub(_replacer(on_error), content)


def _replacer(on_error: Callable[[MathError], None]) -> Callable[[re.Match[str]], str]:
    """A re.sub callback turning a match with a `block` or `inline` TeX group into MathML."""

    def replace(m: re.Match[str]) -> str:
        display = m.group("block") is not None
        tex = html.unescape(m.group("block") if display else m.group("inline"))
        try:
            mathml = tex_to_mathml(tex, display=display)
        except MathError as exc:
            on_error(exc)
            return m.group(0)
        return _wrap(mathml, display)

    return replace


def render_notebook_math(content: str, on_error: Callable[[MathError], None]) -> str:
    """`content` (mkdocs-jupyter HTML) with `$...$` and `$$...$$` in Markdown cells, outside code, as MathML."""
    replace = _replacer(on_error)

    def cell(m: re.Match[str]) -> str:
        parts = _CODE.split(m.group(1))
        # split() with two groups yields [text, code, tagname, text, code, tagname, ...]
        return "".join(_DOLLARS.sub(replace, p) if i % 3 == 0 else p for i, p in enumerate(parts) if i % 3 != 2)

    return _NOTEBOOK_MARKDOWN_CELL.sub(cell, content)


class _MathMLPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        return render_arithmatex(text, _warn)


def _warn(error: MathError) -> None:
    """Log unconvertible TeX, naming the page when a site hook has said which one is being built."""
    from vgdocs.publish import ledger  # the drift hook marks the page; under an engine without hooks it is None

    page = ledger.current_page()
    log.warning(f"page {page!r}: {error}" if page else str(error))


class MathMLExtension(Extension):
    """Typeset arithmatex's generic output as MathML once the page's HTML is complete."""

    def extendMarkdown(self, md: Markdown) -> None:
        # priority 1: after raw HTML (30) is put back, so math inside markdown-exec output is included
        md.postprocessors.register(_MathMLPostprocessor(md), "vgdocs-mathml", 1)


def markdown_inline(text: str, on_error: Callable[[MathError], None] | None = None) -> str:
    """One paragraph of Markdown (emphasis, code, `$...$` math) as inline HTML, math as MathML, the
    same path as a page's Markdown. Unconvertible math goes to `on_error` (default: a warning that
    fails a strict build)."""
    md = Markdown(
        extensions=["pymdownx.arithmatex", MathMLExtension()],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    if on_error is not None:
        md.postprocessors.register(_Postprocess(on_error), "vgdocs-mathml", 1)
    out = md.convert(text).strip()
    return out[3:-4] if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1 else out


class _Postprocess(Postprocessor):
    def __init__(self, on_error: Callable[[MathError], None]) -> None:
        super().__init__()
        self.on_error = on_error

    def run(self, text: str) -> str:
        return render_arithmatex(text, self.on_error)


def makeExtension(**kwargs) -> MathMLExtension:
    """Entry point for `markdown_extensions: [vgdocs.publish.site.mathml]`."""
    return MathMLExtension(**kwargs)
