"""The site builds strictly with zero warnings, fails loudly on a broken block, and calls no third party."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import META_PAGES
from tests.site.conftest import CONFIG, PROJECT_ENV, REPO, make_project, mkdocs_build
from vgdocs.publish import ledger

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# rel values of <link> that make the browser fetch something
FETCHING_RELS = {"stylesheet", "icon", "preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload", "manifest"}
# Pages with issues of their own, wired into the nav by the lead once they are finished.
NAV_PENDING = {"rnn.md", "reproductions/index.md"}

LIVE_PAGE = """# Live page

Inline $\\sigma'(0) = \\tfrac14$ and a display:

$$
\\prod_{k=1}^{n} \\sigma'(z_k) \\le 0.25^n
$$

```python exec="on" id="live-table"
from vgdocs.publish.present import table
from vgdocs.publish.present.spec import Table
print(table(Table(headers=("n", "bound"), rows=((1, 0.25), (10, 0.25**10)), caption="Bound")))
```
"""


@pytest.mark.slow
def test_real_site_builds_strict_with_zero_warnings(real_site):
    assert real_site.returncode == 0, real_site.output[-8000:]
    warnings = [line for line in real_site.output.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)]
    assert warnings == []
    print(f"cold strict build of the whole site: {real_site.seconds:.1f} s")  # shown with -s / in the report


@pytest.mark.slow
def test_failing_block_fails_the_strict_build_and_names_its_page(tmp_path):
    broken = LIVE_PAGE + '\n```python exec="on" id="deliberate-crash"\nraise RuntimeError("boom from a block")\n```\n'
    config = make_project(tmp_path, {"index.md": LIVE_PAGE, "chapter/broken.md": broken})
    build = mkdocs_build(config, tmp_path / "site", env=PROJECT_ENV)
    assert build.returncode != 0
    assert "page 'chapter/broken.md'" in build.output
    assert "deliberate-crash" in build.output and "boom from a block" in build.output
    assert "Aborted" in build.output


@pytest.mark.slow
def test_unconvertible_math_fails_the_strict_build_and_names_its_page(tmp_path):
    config = make_project(tmp_path, {"index.md": LIVE_PAGE, "maths.md": "# Maths\n\nBad $\\notacommand{x}$ here.\n"})
    build = mkdocs_build(config, tmp_path / "site", env=PROJECT_ENV)
    assert build.returncode != 0
    assert "page 'maths.md'" in build.output and "\\notacommand" in build.output


@pytest.mark.slow
def test_failing_notebook_cell_fails_the_build_and_names_the_notebook(tmp_path):
    pages = {"index.md": LIVE_PAGE, "lab/broken.ipynb": _notebook("raise ValueError('nb boom')")}
    config = make_project(tmp_path, pages)
    build = mkdocs_build(config, tmp_path / "site", env=PROJECT_ENV)
    assert build.returncode != 0
    assert "lab/broken.ipynb" in build.output and "nb boom" in build.output


@pytest.mark.slow
def test_math_becomes_mathml_and_notebook_pages_lose_cdn_scripts_and_inline_css(tmp_path):
    markdown = "# Lab\n\nThe bound $0.25^n$ and `$code$`; see [home](../index.md#live-page)."
    notebook = _notebook("print(0.25 ** 10)", markdown=markdown)
    config = make_project(tmp_path, {"index.md": LIVE_PAGE, "lab/nb.ipynb": notebook})
    recorded = tmp_path / "published.tsv"
    build = mkdocs_build(config, tmp_path / "site", env={**PROJECT_ENV, "VGDOCS_LEDGER_RECORD": str(recorded)})
    assert build.returncode == 0, build.output[-6000:]
    # the table on the home page reached the ledger under its page, through the hooks
    expected = {"row0.n": 1.0, "row0.bound": 0.25, "row1.n": 10.0, "row1.bound": 0.25**10}
    published = {k: v for k, v in ledger.load(recorded).items() if k.startswith("index/")}
    assert published == {f"index/table:Bound/{k}": v for k, v in expected.items()}
    home = (build.site / "index.html").read_text(encoding="utf-8")
    assert home.count("<math") == 2 and "\\(" not in home and "\\[" not in home
    lab = (build.site / "lab" / "nb" / "index.html").read_text(encoding="utf-8")
    assert "<math" in lab and "<code>$code$</code>" in lab
    assert "mathjax" not in lab.lower() and "cdnjs" not in lab
    assert max((len(s) for s in re.findall(r"<style.*?</style>", lab, re.S)), default=0) < 20_000
    assert '<a href="nb.ipynb" download>' in lab and (build.site / "lab" / "nb" / "nb.ipynb").is_file()
    assert 'href="../../#live-page"' in lab  # a notebook's link to a page's source file, as a page URL
    assert (build.site / "assets" / "vgdocs-notebook.css").stat().st_size > 100_000
    assert third_party_requests(build.site) == []


@pytest.mark.slow
def test_real_site_makes_no_third_party_requests(real_site):
    assert real_site.returncode == 0, real_site.output[-4000:]
    assert third_party_requests(real_site.site) == []


def test_third_party_check_catches_fonts_scripts_and_styles(tmp_path):
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<link rel="canonical" href="https://example.org/">'
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3"></script>'
        '<div style="background:url(//cdn.example.net/x.png)"></div>'
        '<a href="https://arxiv.org/abs/1211.5063">paper</a><img src="http://127.0.0.1:8000/x.png" alt="">',
        encoding="utf-8",
    )
    (tmp_path / "x.css").write_text("@import url('https://fonts.example.com/a.css');", encoding="utf-8")
    found = {host for _, host in third_party_requests(tmp_path)}
    assert found == {"fonts.googleapis.com", "cdn.jsdelivr.net", "cdn.example.net", "fonts.example.com"}


def test_every_docs_page_is_in_the_nav():
    docs = REPO / "docs"
    pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.suffix in (".md", ".ipynb")}
    assert pages - set(nav_files()) - NAV_PENDING == set()


def test_every_docs_page_has_a_live_table_or_figure():
    docs = REPO / "docs"
    pages = sorted(docs.rglob("*.md"))
    assert pages, "docs/ holds no pages yet"
    missing = []
    for page in pages:
        blocks = re.findall(r'^(`{3,}|~{3,})\s*python\b[^\n]*exec="on"[^\n]*\n(.*?)^\1', page.read_text(), re.S | re.M)
        if "<!-- vgdocs:claims -->" in page.read_text():  # the build fills in the table of every claim
            continue
        if page.relative_to(docs).as_posix() in META_PAGES:
            continue
        if not any(re.search(r"\b(table|figure)\(", code) for _, code in blocks):
            missing.append(page.relative_to(docs).as_posix())
    for notebook in sorted(docs.rglob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        if not any(c["cell_type"] == "code" and "".join(c["source"]).strip() for c in cells):
            missing.append(notebook.relative_to(docs).as_posix())
    assert missing == []


# --- helpers ---------------------------------------------------------------------------------------


def third_party_requests(site: Path) -> list[tuple[str, str]]:
    """(file, host) for every URL a browser would fetch from a host other than this machine."""
    found: list[tuple[str, str]] = []
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            urls = _FetchedUrls.of(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".css":
            urls = _css_urls(path.read_text(encoding="utf-8", errors="replace"))
        else:
            continue
        for url in urls:
            host = urlsplit(url.strip().strip("'\"")).hostname
            if host and host not in LOCAL_HOSTS:
                found.append((path.relative_to(site).as_posix(), host))
    return found


def nav_files() -> list[str]:
    """Every page file named in mkdocs.yml's nav, in order."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!ENV", lambda loader, node: None)
    out: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(yaml.load(CONFIG.read_text(encoding="utf-8"), Loader=Loader)["nav"])
    return out


def _css_urls(css: str) -> list[str]:
    return re.findall(r"url\(\s*([^)]+?)\s*\)", css) + re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css)


class _FetchedUrls(HTMLParser):
    """URLs in attributes, inline styles and <style> blocks that make a browser send a request."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    @classmethod
    def of(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        return parser.urls

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("src", "poster", "data", "formaction", "background"):
            if values.get(name):
                self.urls.append(values[name])
        if values.get("srcset"):
            self.urls += [part.split()[0] for part in values["srcset"].split(",") if part.strip()]
        href = values.get("href") or values.get("xlink:href")
        if href and tag == "link" and set((values.get("rel") or "").lower().split()) & FETCHING_RELS:
            self.urls.append(href)
        if href and tag in ("image", "use", "feimage"):
            self.urls.append(href)
        if values.get("style"):
            self.urls += _css_urls(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += _css_urls(data)


def _notebook(code: str, markdown: str = "# Notebook") -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [markdown]},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": [code]},
    ]
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return json.dumps({"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5})
