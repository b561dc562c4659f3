"""mkdocs hook for pages: notebook pages without CDN assets, failing blocks named, dates, citations.

(Math in Markdown pages is the Markdown extension vgdocs/publish/site/mathml.py; the ledger's page
context is drift.py's job.)

- on_config: the last-commit date of every page source and CITATION.cff (conventions.py).
- on_page_markdown: remember the page so a failing markdown-exec block's warning names it; set
  its last-updated date.
- on_page_context: the page's BibTeX entry for the "Cite this page" box (overrides/main.html);
  before Material's search indexes the page, each figure's SVG steps aside for its text alternative
  (the index gets the alt text, not tick labels, and its HTML parser skips ~1/3 of the page bytes);
  on_post_page puts the SVG back, byte for byte.
- on_page_content: in notebook pages, TeX -> MathML (`$...$` in Markdown cells);
  notebook pages lose their CDN <script>s, link one shared stylesheet instead of inlining it,
  get a download link to the .ipynb that mkdocs-jupyter copies beside them, and their links to
  other pages' source files (`../why.md`) become page URLs.
- on_post_page: the figures' SVG back in place; the SVG favicon inlined as a data: URI (conventions.py says why).
- on_post_build: write that stylesheet.

vgdocs modules are looked up at each event (not bound at import) because the serve hook may
drop them from sys.modules to pick up edited code.
"""

from __future__ import annotations

import importlib
import logging
import posixpath
import re
from types import ModuleType

from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url, write_file

log = logging.getLogger("mkdocs.plugins.vgdocs.hooks")

_DOC_LINK = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|/|#)([^"#?]+\.(?:md|ipynb))(#[^"]*)?"')
_state: dict[str, object] = {
    "page": None,
    "notebook_css": None,
    "dates": {},
    "citation": {},
    "favicon": None,
    "figures": [],
}
# a figure from vgdocs.publish.present.figures: <figure class="vg-figure"><svg ... aria-label="ALT" ...>...</svg>
_FIGURE_SVG = re.compile(r'(?<=<figure class="vg-figure">)<svg\b[^>]*?aria-label="([^"]*)"[^>]*>.*?</svg>', re.S)
_STASHED = re.compile(r'<span data-vg-figure="(\d+)">[^<]*</span>')


class _NamePage(logging.Filter):
    """Prefix markdown-exec warnings with the page being rendered (its messages name only the block)."""

    def filter(self, record: logging.LogRecord) -> bool:
        page = _state["page"]
        if page and record.levelno >= logging.WARNING and not getattr(record, "vgdocs_page", None):
            record.msg = f"page '{page}': {record.msg}"
            record.vgdocs_page = page
        return True


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def on_config(config):
    """Read the pages' last-commit dates and CITATION.cff; attach the page-naming filter to markdown-exec's loggers.

    (Replacing a filter from an earlier load of this hook.)
    """
    names = [n for n in logging.root.manager.loggerDict if n.startswith("mkdocs.plugins.markdown_exec")]
    for name in names:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if type(f).__name__ == _NamePage.__name__]:
            logger.removeFilter(old)  # `mkdocs serve` loads this hook module afresh on every rebuild
        logger.addFilter(_NamePage())
    conventions = _module("vgdocs.publish.site.conventions")
    root = posixpath.dirname(config.config_file_path)
    docs = posixpath.relpath(config.docs_dir, root)
    _state["dates"] = conventions.git_dates(root, docs)
    _state["citation"] = conventions.citation(root)
    return config


def on_pre_build(*, config) -> None:
    """Forget the notebook stylesheet of a previous build (serve rebuilds in one process)."""
    _state["notebook_css"] = None
    _state["favicon"] = None  # read again: `mkdocs serve` may have seen it change
    _module("vgdocs.publish.assets").reset()


def on_page_markdown(markdown: str, *, page, config, files) -> str:
    """Warnings logged from here until on_page_content name this page."""
    _state["page"] = page.file.src_uri
    stamp = _state["dates"].get(page.file.src_uri)
    if stamp is not None:  # shown by Material's "Last update" line (partials/source-file.html)
        page.meta["revision_date"] = _module("vgdocs.publish.site.conventions").updated_html(stamp)
    return markdown


@event_priority(50)  # before Material's search plugin (0) reads page.content
def on_page_context(context, *, page, config, nav):
    """The page's BibTeX entry, for the "Cite this page" box (overrides/main.html); figures' SVG set aside."""
    figures: list[str] = []

    def stash(m: re.Match[str]) -> str:
        figures.append(m.group(0))
        return f'<span data-vg-figure="{len(figures) - 1}">{m.group(1)}</span>'

    if page.content:
        page.content = _FIGURE_SVG.sub(stash, page.content)
    _state["figures"] = figures
    page.meta["vg_bibtex"] = _module("vgdocs.publish.site.conventions").bibtex(
        _state["citation"],
        title=page.title or config.site_name,
        url=page.canonical_url or page.abs_url or page.url,
        src=page.file.src_uri,
        stamp=_state["dates"].get(page.file.src_uri),
    )
    return context


def on_page_content(html: str, *, page, config, files) -> str:
    """Notebook pages: typeset their math as MathML; strip CDN scripts and inline CSS."""
    math = _module("vgdocs.publish.site.mathml")
    src = page.file.src_uri

    def report(error: Exception) -> None:
        log.warning(f"page '{src}': {error}")

    if src.endswith(".ipynb"):
        notebooks = _module("vgdocs.publish.site.notebooks")
        html, css = notebooks.strip_notebook_assets(html)
        if css:
            _state["notebook_css"] = css
            href = get_relative_url(notebooks.CSS_PATH, page.url or ".")
            html = f'<link rel="stylesheet" href="{href}">\n{html}'
        html = _notebook_links(math.render_notebook_math(html, report), page, files)
        html = _with_download_link(html, src)  # after the link rewrite: this href is the file itself
    _state["page"] = None
    return html


def _notebook_links(html: str, page, files) -> str:
    """Links to other pages written as `../why.md` in notebook Markdown (mkdocs-jupyter leaves them) -> page URLs."""

    def replace(m: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), m.group(1)))
        found = files.get_file_from_path(target)
        if found is None:
            log.warning(f"page '{page.file.src_uri}': link '{m.group(1)}' points to no documentation file")
            return m.group(0)
        return f'href="{get_relative_url(found.url, page.url)}{m.group(2) or ""}"'

    return _DOC_LINK.sub(replace, html)


def _with_download_link(html: str, src: str) -> str:
    """`html` with a link to the .ipynb (which mkdocs-jupyter copies beside the page) after its title."""
    name = posixpath.basename(src)
    link = (
        f'<p class="vg-download"><a href="{name}" download>Download this notebook ({name})</a>'
        " and run it with <code>jupyter lab</code> in the project's environment.</p>"
    )
    head, found, tail = html.partition("</h1>")
    return f"{head}</h1>{link}{tail}" if found else link + html


@event_priority(100)  # the figures are back before any other hook reads the page
def on_post_page(output: str, *, page, config) -> str:
    """The figures' SVG back in place; the page's <link rel="icon"> at the favicon's SVG text (a data: URI)."""
    figures = _state["figures"]
    if figures:
        output = _STASHED.sub(lambda m: figures[int(m.group(1))], output)
        _state["figures"] = []
    conventions = _module("vgdocs.publish.site.conventions")
    icon = str(config.theme.get("favicon") or "")
    path = posixpath.join(config.docs_dir, icon)
    if not icon.endswith(".svg") or not posixpath.isfile(path):
        return output  # Material's own PNG, or an icon from the theme: left as a file
    if _state["favicon"] is None:
        with open(path, encoding="utf-8") as f:
            _state["favicon"] = conventions.favicon_data_uri(f.read())
    return conventions.inline_favicon(output, posixpath.basename(icon), str(_state["favicon"]))


def on_post_build(*, config) -> None:
    """Write the notebook stylesheet that notebook pages link to, and the files pages' blocks emitted."""
    for path, data in _module("vgdocs.publish.assets").emitted().items():
        write_file(data, f"{config.site_dir}/{path}")
    css = _state["notebook_css"]
    if css:
        path = _module("vgdocs.publish.site.notebooks").CSS_PATH
        write_file(css.encode("utf-8"), f"{config.site_dir}/{path}")
