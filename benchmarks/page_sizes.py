"""Print each built page's own HTML size (inline SVG and CSS included) and flag pages over budget.

Usage: python benchmarks/page_sizes.py [SITE_DIR]
Without SITE_DIR the site is built first (mkdocs build --strict into a temporary directory).
Exit status 1 when a page is over budget.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vgdocs.publish.site.engines import command

MAX_PAGE_BYTES = 150_000  # 150 kB (SI): a phone should not load every figure of a section at once (issue 14)
MAX_INLINE_CSS_BYTES = 100_000  # a notebook page must not inline the ~575 kB JupyterLab stylesheet

_SVG = re.compile(rb"<svg\b.*?</svg>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(rb"<style\b[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc=)[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_FIGURE = re.compile(rb"<figure\b", re.IGNORECASE)
_NOTEBOOK = re.compile(rb'class="[^"]*\b(?:jupyter-wrapper|jp-Notebook)\b', re.IGNORECASE)


@dataclass(frozen=True)
class PageSize:
    """Byte counts of one built page: whole file, inline <svg>, inline <style>, inline <script>."""

    page: str
    total: int
    svg: int
    style: int
    script: int
    figures: int
    notebook: bool

    def problems(self) -> list[str]:
        """Budget breaches of this page, as sentences (empty when within budget)."""
        out = []
        if self.total > MAX_PAGE_BYTES:
            out.append(f"page HTML is {self.total / 1000:.1f} kB > {MAX_PAGE_BYTES / 1000:.0f} kB")
        if self.style > MAX_INLINE_CSS_BYTES:
            out.append(f"inline <style> is {self.style / 1000:.1f} kB > {MAX_INLINE_CSS_BYTES / 1000:.0f} kB")
        return out


def page_url(site_dir: Path, html: Path) -> str:
    """Site-relative URL of a built HTML file ('' for Home, 'why/' for why/index.html)."""
    rel = html.relative_to(site_dir).as_posix()
    if rel == "index.html":
        return ""
    return rel[: -len("index.html")] if rel.endswith("/index.html") else rel


def html_pages(site_dir: Path) -> list[Path]:
    """Every built page of the site (404.html excluded), sorted by URL."""
    files = [p for p in Path(site_dir).rglob("*.html") if p.relative_to(site_dir).as_posix() != "404.html"]
    return sorted(files, key=lambda p: page_url(site_dir, p))


def measure(site_dir: Path, html: Path) -> PageSize:
    """Byte counts of one built HTML file."""
    data = html.read_bytes()
    return PageSize(
        page=page_url(site_dir, html),
        total=len(data),
        svg=sum(len(m) for m in _SVG.findall(data)),
        style=sum(len(m) for m in _STYLE.findall(data)),
        script=sum(len(m) for m in _SCRIPT.findall(data)),
        figures=len(_FIGURE.findall(data)),
        notebook=bool(_NOTEBOOK.search(data)),
    )


def page_sizes(site_dir: Path) -> list[PageSize]:
    """Byte counts of every page in a built site."""
    site_dir = Path(site_dir)
    return [measure(site_dir, p) for p in html_pages(site_dir)]


def render(rows: list[PageSize]) -> str:
    """Plain-text table of page sizes in kB (1000 bytes), one row per page, breaches flagged."""
    head = f"{'page':<36} {'total kB':>9} {'svg kB':>8} {'style kB':>9} {'script kB':>10} {'figs':>5}  flag"
    lines = [head, "-" * len(head)]
    for r in rows:
        flag = "; ".join(r.problems()) or ("notebook" if r.notebook else "")
        name = ("/" + r.page) + (" [nb]" if r.notebook else "")
        lines.append(
            f"{name:<36} {r.total / 1000:>9.1f} {r.svg / 1000:>8.1f} {r.style / 1000:>9.1f} "
            f"{r.script / 1000:>10.1f} {r.figures:>5}  {flag}"
        )
    total = sum(r.total for r in rows)
    lines.append("-" * len(head))
    lines.append(f"{len(rows)} pages, {total / 1000:.1f} kB of HTML; budget {MAX_PAGE_BYTES / 1000:.0f} kB per page")
    return "\n".join(lines)


def build(dest: Path, repo: Path) -> None:
    """Build the site strictly into dest with the running interpreter's mkdocs."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    cmd = [*command("build"), "-d", str(dest)]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"mkdocs build failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


def main(argv: list[str]) -> int:
    """Print the table for argv[0] (or a fresh build); 1 when any page is over budget."""
    if argv:
        rows = page_sizes(Path(argv[0]))
    else:
        with tempfile.TemporaryDirectory(prefix="vgdocs-site-") as tmp:
            build(Path(tmp), Path(__file__).resolve().parent.parent)
            rows = page_sizes(Path(tmp))
    print(render(rows))
    return 1 if any(r.problems() for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
