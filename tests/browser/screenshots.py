"""Screenshots of pages in both palettes, for a human to look at (not collected by pytest).

Usage: python tests/browser/screenshots.py [--site SITE_DIR] [--out /tmp/screens] [PAGE ...]
PAGE is a site-relative URL ('' is Home); default: Home and fixes/clipping/.
Writes <slug>-<palette>.png (top of the page) and <slug>-<palette>-figure.png (first figure).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.browser import browser_checks as bc

DEFAULT_PAGES = ("", "fixes/clipping/")


def shoot(site: bc.Site, out: Path, names: list[str]) -> list[Path]:
    """Viewport and first-figure screenshots of each page in the default and slate palettes."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = bc.launch_browser(p)
        context = bc.new_context(browser)
        recorder = bc.Recorder(site.base_url).attach(context)
        page = context.new_page()
        for name in names:
            slug = name.strip("/").replace("/", "-") or "home"
            for scheme in ("default", "slate"):
                page.goto(site.url(name), wait_until="networkidle")
                page.add_style_tag(content=bc.NO_TRANSITIONS_CSS)
                problems = bc.switch_palette(page, name, scheme)
                if problems:
                    raise RuntimeError("; ".join(map(str, problems)))
                shot = out / f"{slug}-{scheme}.png"
                page.screenshot(path=str(shot))
                written.append(shot)
                figure = page.locator("article figure").first
                if figure.count():
                    figure.scroll_into_view_if_needed()
                    shot = out / f"{slug}-{scheme}-figure.png"
                    figure.screenshot(path=str(shot))
                    written.append(shot)
        leaks = recorder.take("screenshots")
        browser.close()
    if leaks:
        print("\n".join(map(str, leaks)), file=sys.stderr)
    return written


def main(argv: list[str]) -> int:
    """Build (unless --site) and serve the site, then write the screenshots; prints their paths."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, help="an already built site directory")
    ap.add_argument("--out", type=Path, default=Path("/tmp/screens"))
    ap.add_argument("pages", nargs="*", default=list(DEFAULT_PAGES))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vgdocs-site-") as tmp:
        root = args.site.resolve() if args.site else bc.build_site(Path(tmp) / "site")
        with bc.serve(root) as base:
            for path in shoot(bc.Site(root, base, bc.REPO / "docs"), args.out, args.pages):
                print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
