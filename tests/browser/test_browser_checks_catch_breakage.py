"""The page checks fail on a deliberately broken copy of a real page (and not on the untouched original)."""

from __future__ import annotations

import shutil

import pytest

from tests.browser import browser_checks as bc

pytestmark = pytest.mark.browser

GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
SVG = 'xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120"'

# kind -> (HTML injected at the end of the article, [(check, *texts one problem must all mention)])
BREAKAGE = {
    "missing-anchor": (
        '<p><a href="#no-such-section">here</a> and <a href="index.html#nowhere-here">Home</a></p>',
        [("anchor", "no-such-section"), ("anchor", "nowhere-here")],
    ),
    "external-script": (
        '<script src="https://cdn.example.com/x.js"></script>',
        [
            ("third-party", "request to a host other than the local server: script https://cdn.example.com/x.js"),
            ("third-party", "<script> loads https://cdn.example.com/x.js"),
        ],
    ),
    "external-css-image": (
        '<div style="width:8px;height:8px;background-image:url(https://fonts.example.net/bg.png)"></div>',
        [("third-party", "image https://fonts.example.net/bg.png")],
    ),
    "figure-without-alt": (
        f'<figure><svg {SVG}><path d="M0 120 L240 0" stroke="currentColor"/></svg>'
        "<figcaption>Loss by depth</figcaption></figure>",
        [("figure", "no text alternative")],
    ),
    "hidden-figure": (
        f'<figure><svg {SVG} role="img" aria-label="Gradient norm by layer" style="display:none">'
        '<path d="M0 120 L240 0" stroke="currentColor"/></svg><figcaption>Norms</figcaption></figure>',
        [("figure", "has zero size")],
    ),
    "raw-tex": (
        r"<p>The bound is $$\frac{1}{4}$$ per layer.</p>",
        [("math", "raw TeX in visible text: $$"), ("math", r"TeX command: ...")],
    ),
    "dark-illegible-figure": (
        f'<figure><svg {SVG} role="img" aria-label="Fixed dark labels">'
        '<text x="10" y="30" style="fill:#222222">depth</text>'
        '<rect x="100" y="50" width="130" height="60" style="fill:#ffffff"/>'
        '<text x="110" y="85" style="fill:currentColor">legend</text></svg></figure>',
        [("dark-mode", 'SVG text "depth" #222222'), ("dark-mode", 'SVG text "legend"')],
    ),
    "faint-series": (
        f'<figure><svg {SVG} role="img" aria-label="Two series, one dark, one pale">'
        '<path d="M0 100 L240 10" style="fill:none;stroke:#333333;stroke-width:2"/>'
        '<path d="M0 10 L240 100" style="fill:none;stroke:#eeeeee;stroke-width:2"/>'
        '<path d="M0 60 L240 60" style="fill:none;stroke:currentColor;stroke-width:2"/></svg></figure>',
        [("dark-mode", "stroke of <path> #333333"), ("contrast", "stroke of <path> #eeeeee")],
    ),
    "console-error-and-404": (
        '<script>console.error("vgdocs-boom")</script><img src="no-such-image.png" alt="missing">',
        [
            ("console", "vgdocs-boom"),
            ("failed-request", "no-such-image.png (HTTP 404)"),
            ("link", "no-such-image.png: no such file"),
        ],
    ),
    "figure-in-second-tab": (
        '<div class="tabbed-set tabbed-alternate" data-tabs="97:2">'
        '<input checked="checked" id="__tabbed_97_1" name="__tabbed_97" type="radio">'
        '<input id="__tabbed_97_2" name="__tabbed_97" type="radio">'
        '<div class="tabbed-labels"><label for="__tabbed_97_1">One</label><label for="__tabbed_97_2">Two</label></div>'
        '<div class="tabbed-content"><div class="tabbed-block"><p>first tab</p></div>'
        f'<div class="tabbed-block"><figure id="tabfig"><svg {SVG}>'
        '<text x="10" y="30" style="fill:#1a1a1a">in-tab-two</text></svg></figure></div></div></div>',
        [("figure", "id=tabfig", "no text alternative"), ("dark-mode", 'SVG text "in-tab-two" #1a1a1a')],
    ),
    "text-dark-only-illegible": (
        '<p style="color:#3a3a3a">dark-only-illegible</p>',
        [("axe", "[slate] color-contrast", "dark-only-illegible")],
    ),
    "heavy": (
        "<!--" + "x" * 310_000 + "--><style>/*" + "y" * 120_000 + "*/</style>",
        [("weight", "page HTML is"), ("weight", "inline <style> is")],
    ),
    "image-without-alt": (
        f'<p><img src="{GIF}" width="20" height="20"></p>',
        [("axe", "image-alt (critical)"), ("figure", "<img> has no alt text")],
    ),
}


@pytest.fixture(scope="module")
def checked(browser, site_dir, tmp_path_factory) -> tuple[list[bc.Problem], list[bc.Problem]]:
    """check_page on a copy of Home carrying every breakage at once, and on the untouched Home (the control)."""
    root = tmp_path_factory.mktemp("broken") / "site"
    shutil.copytree(site_dir, root)
    home = (root / "index.html").read_text(encoding="utf-8")
    assert home.count("</article>") == 1, "Home has no single <article> to inject into"
    injected = "".join(html for html, _ in BREAKAGE.values())
    (root / "broken.html").write_text(home.replace("</article>", injected + "</article>"), encoding="utf-8")
    with bc.serve(root) as base:
        context = bc.new_context(browser)
        recorder = bc.Recorder(base).attach(context)
        page = context.new_page()
        recorder.watch(page)
        site = bc.Site(root=root, base_url=base, docs_dir=bc.REPO / "docs")
        try:
            return bc.check_page(page, recorder, site, "broken.html"), bc.check_page(page, recorder, site, "")
        finally:
            context.close()


def _mentions(problems, check, *texts) -> list[bc.Problem]:
    return [p for p in problems if p.check == check and all(t in p.detail for t in texts)]


@pytest.mark.parametrize("kind", sorted(BREAKAGE))
def test_check_page_reports_the_breakage(checked, kind):
    broken, original = checked
    for check, *texts in BREAKAGE[kind][1]:
        assert _mentions(broken, check, *texts), f"{kind}: no [{check}] problem mentioning {texts} in:\n" + "\n".join(
            map(str, broken)
        )
        assert not _mentions(original, check, *texts), f"the untouched page already has [{check}] {texts}"
