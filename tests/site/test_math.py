"""Build-time math: TeX in arithmatex output and notebook Markdown cells becomes MathML; bad TeX is reported."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import markdown
import pytest

from vgdocs.publish.site.mathml import MathError, render_arithmatex, render_notebook_math, tex_to_mathml
from vgdocs.publish.site.notebooks import strip_notebook_assets


def _arithmatex(text: str) -> str:
    config = {"pymdownx.arithmatex": {"generic": True}}
    return markdown.Markdown(extensions=["pymdownx.arithmatex"], extension_configs=config).convert(text)


def _fail(error: Exception) -> None:
    raise AssertionError(f"unexpected math error: {error}")


def test_tex_becomes_mathml_with_fractions_products_and_scripts():
    root = ET.fromstring(tex_to_mathml(r"\prod_{k=1}^{n} \sigma'(z_k) \le \frac{1}{4^n}", display=True))
    assert root.tag == "math" and root.get("display") == "block"
    tags = {el.tag for el in root.iter()}
    assert {"munderover", "mfrac", "msub", "msup"} <= tags
    assert tex_to_mathml("x", display=False).startswith('<math display="inline">')


def test_unknown_tex_commands_are_errors_not_silent_raw_tex():
    with pytest.raises(MathError, match=r"unsupported TeX command \\notacommand"):
        tex_to_mathml(r"\notacommand{x} + 1", display=False)


def test_arithmatex_spans_and_divs_become_mathml_and_html_escapes_are_undone():
    html = _arithmatex("Inline $a < b$ here.\n\n$$\nx^2 \\ge 0\n$$\n")
    out = render_arithmatex(html, _fail)
    assert "arithmatex" not in out and "\\(" not in out and "\\[" not in out
    assert out.count("<math") == 2
    assert '<span class="vg-math"><math display="inline">' in out
    assert "<mo>&#x0003C;</mo>" in out  # the '<' arrived HTML-escaped and was converted as a '<'


def test_bad_math_is_reported_and_left_in_place():
    errors: list[Exception] = []
    html = _arithmatex("Good $x$ and bad $\\nope$.")
    out = render_arithmatex(html, errors.append)
    assert len(errors) == 1 and "\\nope" in str(errors[0])
    assert out.count("<math") == 1 and "\\nope" in out


NOTEBOOK = (
    '<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"><p>Bound $0.25^n$, cost <code>$x$</code>, '
    "and</p><p>$$\\sum_i x_i$$</p></div>"
    '<div class="jp-Cell jp-CodeCell jp-Notebook-cell"><pre>print("$5 and $6")</pre><pre>$5 and $6</pre></div>'
)


def test_notebook_math_is_converted_in_markdown_cells_only_and_never_in_code():
    out = render_notebook_math(NOTEBOOK, _fail)
    assert out.count("<math") == 2 and '<math display="block">' in out
    assert "<code>$x$</code>" in out
    assert out.endswith('<pre>print("$5 and $6")</pre><pre>$5 and $6</pre></div>')


def test_notebook_inline_math_wrapped_at_a_soft_line_break_is_converted_but_not_across_paragraphs():
    """A notebook's Markdown source wraps lines; `$\\eta\\,\\partial<newline>L$` is one formula."""
    cell = (
        '<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell">'
        "<p>the update $\\eta\\,\\partial\nL/\\partial W$ over</p></div>"
    )
    out = render_notebook_math(cell, _fail)
    assert out.count("<math") == 1 and "\\partial" not in out and "$" not in out
    prices = '<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"><p>costs $5</p>\n\n<p>or $6</p></div>'
    assert render_notebook_math(prices, _fail) == prices


def test_notebook_pages_lose_cdn_scripts_and_inline_css_but_keep_local_scripts():
    html = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js"> </script>'
        '<script type="text/x-mathjax-config">MathJax.Hub.Config({})</script>'
        '<script type="module">const m = await import("https://cdnjs.cloudflare.com/mermaid.mjs")</script>'
        '<script src=""> </script>'
        "<script>document.addEventListener('clipboard-copy', f)</script>"
        '<style type="text/css">pre { line-height: 125%; } td.linenos .normal { color: inherit; }</style>'
        '<style type="text/css">.jupyter-wrapper{color:red}</style><div class="jupyter-wrapper">x</div>'
        '<div class="highlight-ipynb hl-python"><pre>print(1)</pre></div>'
    )
    out, css = strip_notebook_assets(html)
    assert css == ".jupyter-wrapper{color:red}"  # nbconvert's Pygments colours give way to the site's
    assert '<div class="highlight highlight-ipynb hl-python"><pre tabindex="0">print(1)</pre>' in out
    assert "cdnjs" not in out and "MathJax" not in out and "<style" not in out and 'src=""' not in out
    assert "clipboard-copy" in out and '<div class="jupyter-wrapper">x</div>' in out
