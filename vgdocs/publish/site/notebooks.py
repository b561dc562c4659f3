"""Make mkdocs-jupyter's HTML fit the site: no CDN scripts, and its stylesheet as one shared file.

nbconvert's template loads MathJax and mermaid from a CDN and inlines ~600 KB of JupyterLab CSS
into every notebook page. Math is typeset at build time instead (vgdocs.publish.site.mathml); the CSS goes
to one cached file that only notebook pages link to.
"""

from __future__ import annotations

import re

__all__ = ["CSS_PATH", "strip_notebook_assets"]

CSS_PATH = "assets/vgdocs-notebook.css"  # under site_dir

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.S)
_MATHJAX_COMMENTS = re.compile(r"<!-- (Load mathjax|MathJax configuration|End of mathjax configuration) -->\s*")
_CODE_CELL = re.compile(r'<div class="(highlight-ipynb[^"]*)"><pre>')
_REMOTE = ("mathjax", "mermaid", "cdnjs", "require.js", "requirejs")


def strip_notebook_assets(content: str) -> tuple[str, str]:
    """(content without inline <style> and remote-loading <script> blocks, the concatenated CSS).

    nbconvert's Pygments colours are dropped: code cells take the site's own code colours (class
    "highlight", contrast-checked in both palettes) and, scrolling sideways, become keyboard-focusable.
    """
    css = "\n".join(m.group(1).strip() for m in _STYLE.finditer(content) if "td.linenos" not in m.group(1))
    content = _STYLE.sub("", content)
    content = _SCRIPT.sub(lambda m: "" if _loads_remote(m.group(0)) else m.group(0), content)
    content = _CODE_CELL.sub(r'<div class="highlight \1"><pre tabindex="0">', content)
    return _MATHJAX_COMMENTS.sub("", content), css


def _loads_remote(script: str) -> bool:
    lowered = script.lower()
    return 'src=""' in lowered or any(word in lowered for word in _REMOTE)
