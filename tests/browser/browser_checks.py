"""Checks of a built site in a real browser; every check returns a list of Problem (empty = pass)."""

from __future__ import annotations

import contextlib
import functools
import html.parser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]  # best practice too (issue 15)
AXE_BLOCKING = ("serious", "critical")
TEXT_CONTRAST = 4.5  # WCAG 1.4.3 (AA) minimum for text; figure labels are text
GRAPHIC_CONTRAST = 3.0  # WCAG 1.4.11 (AA) minimum for graphical objects: lines, markers, bars
TIMEOUT_MS = 10_000
CHECKS = (
    "load",
    "third-party",
    "failed-request",
    "console",
    "figure",
    "math",
    "palette",
    "contrast",
    "dark-mode",
    "axe",
    "link",
    "anchor",
    "weight",
    "convention",
)


def _load_page_sizes():
    spec = importlib.util.spec_from_file_location("vgdocs_page_sizes", REPO / "benchmarks" / "page_sizes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


page_sizes = _load_page_sizes()


@dataclass(frozen=True)
class Problem:
    """One failed check on one page: check name, site-relative page URL, what is wrong and where."""

    check: str
    page: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] /{self.page}: {self.detail}"


@dataclass(frozen=True)
class Site:
    """A built site on disk, served at base_url, with the docs directory its pages came from."""

    root: Path
    base_url: str
    docs_dir: Path | None = None

    def url(self, page: str) -> str:
        """Absolute URL of a site-relative page URL."""
        return self.base_url + page


# ---------------------------------------------------------------- build, discover, serve


def build_site(dest: Path, repo: Path = REPO) -> Path:
    """Build the site with mkdocs --strict into dest; raise with mkdocs' output if it fails."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    from vgdocs.publish.site.engines import command

    cmd = [*command("build"), "-d", str(dest)]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"mkdocs build --strict failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
    return dest


def discover_pages(site_dir: Path) -> list[str]:
    """Site-relative URLs of every built page ('' is Home), from walking *.html; 404.html excluded."""
    return [page_sizes.page_url(site_dir, p) for p in page_sizes.html_pages(site_dir)]


def page_file(site_dir: Path, page: str) -> Path:
    """HTML file behind a site-relative page URL."""
    return site_dir / (page + "index.html" if page == "" or page.endswith("/") else page)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the suite reports failed requests itself
        pass


@contextlib.contextmanager
def serve(site_dir: Path) -> Iterator[str]:
    """Serve site_dir on 127.0.0.1 at a free port; yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def launch_browser(playwright):
    """Chromium for the suite: Debian's /usr/bin/chromium here, the runner's Chrome on GitHub Actions."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        chrome = shutil.which("google-chrome") or shutil.which("google-chrome-stable")
        if chrome:
            return playwright.chromium.launch(executable_path=chrome, args=LAUNCH_ARGS)
        return playwright.chromium.launch(channel="chrome", args=LAUNCH_ARGS)
    path = os.environ.get("VGDOCS_CHROMIUM", CHROMIUM)
    if not Path(path).exists():
        raise RuntimeError(f"no Chromium at {path}: install it (apt-get install chromium) or set VGDOCS_CHROMIUM")
    return playwright.chromium.launch(executable_path=path, args=LAUNCH_ARGS)


def new_context(browser, color_scheme: str = "light"):
    """A desktop-sized context with service workers blocked, so every request passes our route."""
    return browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme=color_scheme, service_workers="block"
    )


# ---------------------------------------------------------------- network and console


@dataclass
class Recorder:
    """Routes every request of a context: local ones go through, all others are aborted and recorded."""

    base_url: str
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    pending: set = field(default_factory=set)  # playwright Request objects in flight

    def attach(self, context) -> Recorder:
        context.route("**/*", self._route)
        context.on("request", lambda request: self.pending.add(request))
        context.on("requestfinished", lambda request: self.pending.discard(request))
        context.on("requestfailed", self._on_failed)
        context.on("response", self._on_response)
        context.on("console", self._on_console)
        context.on("weberror", lambda err: self.console.append(f"uncaught: {err.error}"))
        return self

    def watch(self, page) -> None:
        """Record WebSockets too (context.route does not see them)."""
        page.on("websocket", lambda ws: self.external.append(f"websocket {ws.url}"))

    def _local(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or self._local(url):
            route.continue_()
        else:
            self.external.append(f"{route.request.resource_type} {url}")
            route.abort("blockedbyclient")

    def settle(self, page, timeout_ms: int = TIMEOUT_MS) -> None:
        """Wait until no request is in flight (so none is cut off by the next navigation); record stragglers."""
        waited = 0
        while self.pending and waited < timeout_ms:
            page.wait_for_timeout(50)
            waited += 50
        self.failed += [f"{r.url} (no response after {timeout_ms / 1000:.0f} s)" for r in self.pending]
        self.pending.clear()

    def _on_failed(self, request) -> None:
        self.pending.discard(request)
        if self._local(request.url):
            self.failed.append(f"{request.url} ({request.failure})")

    def _on_response(self, response) -> None:
        if self._local(response.url) and response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def _on_console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.console.append(f"{message.text} ({where})" if where else message.text)

    def take(self, page: str) -> list[Problem]:
        """Problems recorded since the last take, attributed to page; the record is cleared."""
        out = [
            Problem("third-party", page, f"request to a host other than the local server: {u}") for u in self.external
        ]
        out += [Problem("failed-request", page, u) for u in self.failed]
        out += [Problem("console", page, m) for m in self.console]
        self.external.clear()
        self.failed.clear()
        self.console.clear()
        return out


# ---------------------------------------------------------------- figures

# Content graphics: every <figure> in the article, and every <svg> or <img> outside a figure that is not an
# icon and not marked decorative (aria-hidden="true", or an <img> with alt="" and role="presentation").
_GRAPHICS_JS = r"""
() => {
  const article = document.querySelector('article') || document.body;
  const icon = '.twemoji, .md-icon, .md-content__button, .headerlink, button, .md-clipboard, .md-annotation, .md-tag';
  const loose = [...article.querySelectorAll('svg, img')].filter(s =>
      !(s.parentElement && s.parentElement.closest('svg')) && !s.closest('figure') && !s.closest(icon)
      && s.getAttribute('aria-hidden') !== 'true'
      && !(s.tagName === 'IMG' && s.getAttribute('alt') === '' && s.getAttribute('role') === 'presentation'));
  return [...article.querySelectorAll('figure'), ...loose];
}
"""

_REVEAL_JS = r"""
(el) => {
  for (let a = el; a; a = a.parentElement) {
    if (a.tagName === 'DETAILS') a.open = true;
    if (a.classList && a.classList.contains('tabbed-block')) {
      const content = a.parentElement, set = content.parentElement;
      const inputs = [...set.children].filter(c => c.tagName === 'INPUT');
      const i = [...content.children].indexOf(a);
      if (inputs[i]) inputs[i].checked = true;
    }
  }
}
"""

_DESCRIBE_JS = r"""
(el) => {
  const text = s => (s || '').replace(/\s+/g, ' ').trim();
  function svgName(svg) {
    const role = svg.getAttribute('role');
    const label = text(svg.getAttribute('aria-label'));
    const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    const labelled = text(ids.map(i => (document.getElementById(i) || {}).textContent).join(' '));
    const title = [...svg.children].find(c => c.tagName.toLowerCase() === 'title');
    const name = label || labelled || text(title && title.textContent);
    if (role !== 'img') return {ok: false, why: `<svg> has role=${JSON.stringify(role)}, not role="img"`};
    if (!name) return {ok: false, why: '<svg role="img"> has no aria-label, aria-labelledby or <title>'};
    return {ok: true, name};
  }
  function graphicName(g) {
    if (g.tagName.toLowerCase() === 'img') {
      const alt = text(g.getAttribute('alt'));
      return alt ? {ok: true, name: alt} : {ok: false, why: '<img> has no alt text'};
    }
    return svgName(g);
  }
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  const tag = el.tagName.toLowerCase();
  const out = {tag, id: el.id, width: r.width, height: r.height,
               hidden: cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0,
               caption: text((el.querySelector('figcaption') || {}).textContent).slice(0, 60),
               graphics: []};
  let graphics;
  if (tag === 'figure') {
    graphics = [...el.querySelectorAll('svg, img')].filter(s => !(s.parentElement.closest('svg')));
  } else {
    graphics = [el];
  }
  const figureName = tag === 'figure' && el.getAttribute('role') === 'img' && text(el.getAttribute('aria-label'));
  for (const g of graphics) {
    const gr = g.getBoundingClientRect();
    const n = figureName ? {ok: true, name: figureName} : graphicName(g);
    out.graphics.push({tag: g.tagName.toLowerCase(), width: gr.width, height: gr.height, ...n});
  }
  out.html = el.outerHTML.slice(0, 120);
  return out;
}
"""


def check_figures(page, name: str) -> list[Problem]:
    """Every content figure/graphic is visible (non-zero box, after opening its tab) and has a text alternative."""
    problems = []
    graphics = page.evaluate_handle(_GRAPHICS_JS)
    count = page.evaluate("(gs) => gs.length", graphics)
    for i in range(count):
        el = page.evaluate_handle("([gs, i]) => gs[i]", [graphics, i])
        page.evaluate(_REVEAL_JS, el)
        d = page.evaluate(_DESCRIBE_JS, el)
        el.dispose()
        where = (
            f"{d['tag']} #{i + 1}"
            + (f" id={d['id']}" if d["id"] else "")
            + (f" ({d['caption']!r})" if d["caption"] else f" {d['html']!r}")
        )
        if d["hidden"] or d["width"] <= 0 or d["height"] <= 0:
            problems.append(Problem("figure", name, f"{where} is not visible ({d['width']:.0f}x{d['height']:.0f} px)"))
        for g in d["graphics"]:  # none when the figure holds a table or code: not a graphic
            if not g["ok"]:
                problems.append(Problem("figure", name, f"{where}: no text alternative: {g['why']}"))
            if g["width"] <= 0 or g["height"] <= 0:
                problems.append(Problem("figure", name, f"{where}: its <{g['tag']}> has zero size"))
    graphics.dispose()
    return problems


# ---------------------------------------------------------------- math

_VISIBLE_TEXT_JS = r"""
() => {
  const root = document.querySelector('article') || document.body;
  const skip = 'pre, code, kbd, samp, script, style, textarea, math, .highlight';
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: n => n.parentElement && n.parentElement.closest(skip)
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT
  });
  const parts = [];
  while (walker.nextNode()) parts.push(walker.currentNode.nodeValue);
  const unconverted = [...root.querySelectorAll('.arithmatex')].filter(a => !a.querySelector('math'))
      .map(a => a.textContent.trim().slice(0, 60));
  const math = [...root.querySelectorAll('math')];
  const zero = math.filter(m => { const r = m.getBoundingClientRect(); return r.width === 0 || r.height === 0; })
      .filter(m => m.checkVisibility()).length;
  return {text: parts.join(' '), unconverted, mathCount: math.length, zeroSize: zero};
}
"""

RAW_TEX = [
    ("$$", re.compile(r"\$\$")),
    ("\\( \\) \\[ \\]", re.compile(r"\\[(\[]|\\[)\]]")),
    ("TeX command", re.compile(r"\\(?:[A-Za-z]{2,}|[,;!{}])")),
    ("$...$ with TeX", re.compile(r"(?<![\w$])\$[^$\n]{0,200}?[\\^_{}][^$\n]{0,200}?\$")),
]
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
SOURCE_MATH = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|(?<![\\$\w])\$(?=\S)[^$\n]+?(?<=\S)\$")


def source_of(docs_dir: Path | None, page: str) -> Path | None:
    """The docs/ file a page was built from (x.md, x/index.md or x.ipynb), if any."""
    if docs_dir is None:
        return None
    stem = page.rstrip("/")
    if page.endswith(".html"):
        stem = page[: -len(".html")]
    candidates = (
        ["index.md"] if stem == "" else [f"{stem}.md", f"{stem}/index.md", f"{stem}/README.md", f"{stem}.ipynb"]
    )
    for c in candidates:
        if (docs_dir / c).is_file():
            return docs_dir / c
    return None


def source_uses_math(path: Path | None) -> bool:
    """Whether a Markdown page or a notebook's Markdown cells contain TeX math outside code."""
    if path is None:
        return False
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        text = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    text = _INLINE_CODE.sub("", _FENCE.sub("", text))
    return bool(SOURCE_MATH.search(text))


def raw_tex(text: str) -> list[str]:
    """Raw TeX fragments found in visible (non-code) text, the first of each kind, with some context."""
    hits = []
    for label, rx in RAW_TEX:
        if m := rx.search(text):
            hits.append(f"{label}: ...{text[max(0, m.start() - 25) : m.end() + 25]}...".replace("\n", " "))
    return hits


def check_math(page, name: str, site: Site) -> list[Problem]:
    """No raw TeX in visible text; every arithmatex span holds MathML; pages whose source has math show <math>."""
    info = page.evaluate(_VISIBLE_TEXT_JS)
    problems = [Problem("math", name, f"raw TeX in visible text: {h}") for h in raw_tex(info["text"])]
    problems += [
        Problem("math", name, f"math left as TeX (no <math> inside .arithmatex): {u!r}") for u in info["unconverted"]
    ]
    if info["zeroSize"]:
        problems.append(Problem("math", name, f"{info['zeroSize']} visible <math> elements render with zero size"))
    src = source_of(site.docs_dir, name)
    if info["mathCount"] == 0 and source_uses_math(src):
        problems.append(
            Problem("math", name, f"{src.relative_to(src.parents[1])} has TeX math but the page has no <math>")
        )
    return problems


# ---------------------------------------------------------------- palette and figure contrast

_SCHEME_JS = "() => document.body.getAttribute('data-md-color-scheme')"
_CHECKED_JS = "() => [...document.querySelectorAll('form[data-md-component=palette] input')].findIndex(i => i.checked)"

# Legibility of content SVGs, defined on computed styles:
#  - text: each visible <text> (or matplotlib glyph group) against the colour behind its centre, which is the
#    page background under the SVG composed with every filled SVG shape painted before the text that contains
#    that point (SVGGeometryElement.isPointInFill); opacities multiply up to the SVG root. Needs TEXT_CONTRAST.
#  - marks (lines, markers, bars): each non-text stroke with effective opacity >= 0.5 and rendered width >= 1 px,
#    and each fill with effective opacity >= 0.5 covering >= 4 px^2, against the page background under the SVG.
#    Needs GRAPHIC_CONTRAST (WCAG 1.4.11). Faint marks (grid at low alpha, shaded bands) are out of scope.
_CONTRAST_JS = r"""
([minText, minGraphic]) => {
  const parse = c => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, a, bottom) => top.map((v, i) => v * a + bottom[i] * (1 - a));
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = c => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const hex = c => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
  function pageBg(el) {
    const layers = [];
    for (let a = el.parentElement; a; a = a.parentElement) {
      const c = parse(getComputedStyle(a).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255];
    for (const c of layers.reverse()) bg = over(c.slice(0, 3), c[3], bg);
    return bg;
  }
  function alpha(el, root, prop) {
    let a = Number(getComputedStyle(el)[prop]);
    for (let e = el; e && e !== root.parentElement; e = e.parentElement) a *= Number(getComputedStyle(e).opacity);
    return a;
  }
  const reveal = %REVEAL%;
  const inDefs = 'defs, clipPath, mask, marker, pattern, symbol';
  const article = document.querySelector('article') || document.body;
  const roots = [...article.querySelectorAll('svg')].filter(s => !s.parentElement.closest('svg'))
      .filter(s => s.closest('figure') || (!s.closest('.twemoji, .md-icon, button, .headerlink')
                                           && s.getAttribute('aria-hidden') !== 'true'));
  const bad = [];
  let texts = 0, marks = 0;
  for (const svg of roots) {
    reveal(svg);
    const r0 = svg.getBoundingClientRect();
    if (r0.width === 0 || r0.height === 0) continue;
    const figure = (svg.getAttribute('aria-label') || svg.id || '').slice(0, 50);
    const base = pageBg(svg);
    const shapes = [...svg.querySelectorAll('rect, path, circle, ellipse, polygon')]
        .filter(s => !s.closest(inDefs) && s.isPointInFill)
        .map(s => ({s, fill: parse(getComputedStyle(s).fill)}))
        .filter(x => x.fill && x.fill[3] > 0);
    const items = [...svg.querySelectorAll('text')].filter(t => !t.closest(inDefs));
    for (const g of svg.querySelectorAll('g[id^="text_"]')) {
      if (!g.querySelector('text')) { const glyph = g.querySelector('use, path'); if (glyph) items.push(glyph); }
    }
    const isText = el => el.closest('text, g[id^="text_"]');
    for (const item of items) {
      const r = item.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const fill = parse(getComputedStyle(item).fill);
      if (!fill) continue;
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      let bg = base;
      for (const {s, fill: f} of shapes) {
        if (s === item || s.contains(item) || isText(s)) continue;
        if (!(s.compareDocumentPosition(item) & Node.DOCUMENT_POSITION_FOLLOWING)) break;
        const m = s.getScreenCTM();
        if (!m) continue;
        const p = new DOMPoint(cx, cy).matrixTransform(m.inverse());
        if (s.isPointInFill(p)) bg = over(f.slice(0, 3), f[3] * alpha(s, svg, 'fillOpacity'), bg);
      }
      const fg = over(fill.slice(0, 3), fill[3] * alpha(item, svg, 'fillOpacity'), bg);
      const cr = ratio(fg, bg);
      texts += 1;
      const label = (isText(item) || item).textContent.trim() || item.tagName;
      if (cr < minText) bad.push({what: `SVG text ${JSON.stringify(label.slice(0, 40))}`, fg: hex(fg), bg: hex(bg),
                                  ratio: cr, min: minText, figure});
    }
    const seen = new Set();
    const drawn = [...svg.querySelectorAll('path, line, polyline, polygon, rect, circle, ellipse, use')]
        .filter(el => !el.closest(inDefs) && !isText(el));
    for (const el of drawn) {
      const cs = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      const m = el.getScreenCTM();
      const scale = m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : 1;
      const paints = [];
      const stroke = parse(cs.stroke);
      if (stroke && parseFloat(cs.strokeWidth) * scale >= 1) paints.push(['stroke', stroke, 'strokeOpacity']);
      const fill = parse(cs.fill);
      if (fill && r.width * r.height >= 4) paints.push(['fill', fill, 'fillOpacity']);
      for (const [kind, c, prop] of paints) {
        const a = c[3] * alpha(el, svg, prop);
        if (a < 0.5) continue;
        const fg = over(c.slice(0, 3), a, base);
        const cr = ratio(fg, base);
        marks += 1;
        const key = kind + hex(fg);
        if (cr < minGraphic && !seen.has(key)) {
          seen.add(key);
          bad.push({what: `${kind} of <${el.tagName}>`, fg: hex(fg), bg: hex(base), ratio: cr,
                    min: minGraphic, figure});
        }
      }
    }
  }
  return {texts, marks, bad};
}
"""


_CONTRAST_JS = _CONTRAST_JS.replace("%REVEAL%", _REVEAL_JS.strip())


def figure_contrast(page, name: str, scheme: str) -> list[Problem]:
    """Text and marks of content SVGs meet TEXT_CONTRAST / GRAPHIC_CONTRAST in the palette now shown."""
    res = page.evaluate(_CONTRAST_JS, [TEXT_CONTRAST, GRAPHIC_CONTRAST])
    return [
        Problem(
            "dark-mode" if scheme == "slate" else "contrast",
            name,
            f"[{scheme}] figure {b['figure']!r}: {b['what']} {b['fg']} on {b['bg']} "
            f"has contrast {b['ratio']:.2f} < {b['min']}",
        )
        for b in res["bad"]
    ]


NO_TRANSITIONS_CSS = "*, *::before, *::after { transition: none !important; animation: none !important; }"


def switch_palette(page, name: str, target: str) -> list[Problem]:
    """Click the visible palette toggle until the scheme is target (at most once per palette)."""
    labels = page.locator('form[data-md-component="palette"] label:not([hidden])')
    n = page.locator('form[data-md-component="palette"] input').count()
    if n < 2 or labels.count() == 0:
        return [Problem("palette", name, "no palette toggle (form[data-md-component=palette] with 2+ palettes)")]
    seen = [page.evaluate(_SCHEME_JS)]
    for _ in range(n):
        if seen[-1] == target:
            return []
        before = page.evaluate(_CHECKED_JS)
        labels.first.click()
        try:
            page.wait_for_function(f"() => ({_CHECKED_JS})() !== {before}", timeout=3000)
        except Exception:
            return [Problem("palette", name, f"clicking the toggle in scheme {seen[-1]!r} changed nothing")]
        seen.append(page.evaluate(_SCHEME_JS))
    if seen[-1] == target:
        return []
    return [Problem("palette", name, f"toggle went through schemes {seen}, never reaching {target!r}")]


def check_palette(page, name: str) -> list[Problem]:
    """The toggle goes default -> slate -> default; figures stay legible and axe finds no contrast failure in slate."""
    start = page.evaluate(_SCHEME_JS)
    if start != "default":
        return [Problem("palette", name, f"page opened with scheme {start!r}, expected 'default' in a light browser")]
    page.add_style_tag(content=NO_TRANSITIONS_CSS)
    problems = figure_contrast(page, name, "default")
    switched = switch_palette(page, name, "slate")
    if switched:
        return problems + switched
    problems += figure_contrast(page, name, "slate")
    problems += check_axe(page, name, rules=["color-contrast"], label="[slate] ")  # the tag run covered default
    return problems + switch_palette(page, name, "default")


# ---------------------------------------------------------------- axe-core


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _axe_node(node: dict) -> str:
    target = node["target"]
    selector = " ".join(map(str, target)) if isinstance(target, list) else str(target)
    return f"{selector} {' '.join(node.get('html', '').split())[:70]}"


def check_axe(page, name: str, rules: list[str] | None = None, label: str = "") -> list[Problem]:
    """Serious/critical axe-core violations of WCAG 2.0/2.1 A and AA (or only `rules`) on the page as shown."""
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    res = _axe().run(page, options={"runOnly": run_only, "resultTypes": ["violations"]}).response
    out = []
    for v in res["violations"]:
        if v.get("impact") not in AXE_BLOCKING:
            continue
        targets = "; ".join(_axe_node(n) for n in v["nodes"][:12])
        summary = ""
        if v["nodes"]:
            summary = " ".join((v["nodes"][0].get("failureSummary") or "").split())[:240]
        out.append(
            Problem(
                "axe",
                name,
                f"{label}{v['id']} ({v['impact']}): {v['help']} - {len(v['nodes'])} node(s): {targets} | {summary}",
            )
        )
    return out


# ---------------------------------------------------------------- links, anchors, resources (static)

_LOADING_RELS = {
    "stylesheet",
    "icon",
    "preload",
    "modulepreload",
    "prefetch",
    "manifest",
    "apple-touch-icon",
    "preconnect",
    "dns-prefetch",
    "shortcut",
}


class _Parsed(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (how, url)
        self.resources: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "a" and a.get("href") is not None:
            self.links.append(("a", a["href"]))
        if tag == "link" and a.get("href"):
            rels = set((a.get("rel") or "").lower().split())
            (self.resources if rels & _LOADING_RELS else self.links).append((f"link rel={a.get('rel')}", a["href"]))
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.resources.append((tag, a["src"]))
        if tag == "object" and a.get("data"):
            self.resources.append((tag, a["data"]))


@functools.lru_cache(maxsize=512)
def _parse(path: Path, mtime: float) -> _Parsed:
    p = _Parsed()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def parsed(path: Path) -> _Parsed:
    """Ids, links and resource URLs of an HTML file (cached per modification time)."""
    return _parse(path, path.stat().st_mtime)


def _target_file(site_dir: Path, path: str) -> Path | None:
    rel = unquote(path).lstrip("/")
    f = site_dir / rel
    if rel == "" or rel.endswith("/") or f.is_dir():
        f = f / "index.html"
    return f if f.is_file() else None


def check_links(site_dir: Path, name: str) -> list[Problem]:
    """Internal links and #anchors resolve in the built site; no resource is loaded from another host."""
    here = f"http://site.invalid/{name}"
    problems = []
    doc = parsed(page_file(site_dir, name))
    for how, url in doc.resources:
        u = urlsplit(urljoin(here, url))
        if u.scheme in ("data", "blob"):
            continue
        if u.netloc != "site.invalid":
            problems.append(Problem("third-party", name, f"<{how}> loads {url} from another host"))
        elif _target_file(site_dir, u.path) is None:
            problems.append(Problem("link", name, f"<{how}> {url}: no such file in the site"))
    for how, url in doc.links:
        if url.startswith(("mailto:", "tel:", "javascript:")):
            continue
        u = urlsplit(urljoin(here, url))
        if u.scheme not in ("http", "https") or u.netloc != "site.invalid":
            continue  # links (not loads) to other hosts are fine
        target = _target_file(site_dir, u.path)
        if target is None:
            problems.append(Problem("link", name, f"<{how} href={url!r}>: no such page or file"))
            continue
        if u.fragment and target.suffix == ".html" and unquote(u.fragment) not in parsed(target).ids:
            problems.append(
                Problem(
                    "anchor",
                    name,
                    f"<{how} href={url!r}>: no id={unquote(u.fragment)!r} in "
                    f"/{target.relative_to(site_dir).as_posix()}",
                )
            )
    return list(dict.fromkeys(problems))  # the nav repeats links: report each once


def check_weight(site_dir: Path, name: str) -> list[Problem]:
    """The page's own HTML (inline SVG and CSS included) is within the byte budgets of benchmarks/page_sizes.py."""
    size = page_sizes.measure(site_dir, page_file(site_dir, name))
    return [Problem("weight", name, p) for p in size.problems()]


# ---------------------------------------------------------------- one page, every check


def check_page(page, recorder: Recorder, site: Site, name: str) -> list[Problem]:
    """Load one page and run every check on it; returns all problems (empty list = page passes)."""
    recorder.take(name)
    problems = check_links(site.root, name) + check_weight(site.root, name)
    response = page.goto(site.url(name), wait_until="load", timeout=TIMEOUT_MS)
    if response is None or response.status != 200:
        return [*problems, Problem("load", name, f"HTTP {response.status if response else 'no response'}")]
    problems += check_figures(page, name)
    problems += check_math(page, name, site)
    problems += check_axe(page, name)
    problems += check_conventions(page, name)
    problems += check_palette(page, name)
    recorder.settle(page)
    problems += recorder.take(name)
    return problems


# ---------------------------------------------------------------- conventions of Material sites


def _is_site_favicon(href: str) -> bool:
    """The icon link names docs/assets/favicon.svg, or carries that file's SVG inline (a data: URI)."""
    if href.endswith("favicon.svg"):
        return True
    prefix = "data:image/svg+xml,"
    svg = " ".join((REPO / "docs" / "assets" / "favicon.svg").read_text(encoding="utf-8").split())
    return href.startswith(prefix) and unquote(href[len(prefix) :]) in (svg, svg.replace('"', "'"))


def check_conventions(page, name: str) -> list[Problem]:
    """Edit link to the page's source, last-updated date, SVG favicon and logo, "Cite this page" BibTeX."""
    out = []
    edit = page.locator("a.md-content__button[href*='/edit/main/docs/']")
    if edit.count() != 1:
        out.append(Problem("convention", name, f"expected one 'edit this page' link, found {edit.count()}"))
    stamp = page.locator(".md-source-file time.vg-updated[datetime]")
    if stamp.count() != 1 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", stamp.first.get_attribute("datetime") or ""):
        out.append(Problem("convention", name, "no last-updated date (<time datetime=YYYY-MM-DD>) in the page footer"))
    icon = page.evaluate(
        """async () => { const l = document.querySelector("link[rel='icon']");
        if (!l) return null; const r = await fetch(l.href); return [l.getAttribute('href'), r.status,
        r.headers.get('content-type')]; }"""
    )
    if not icon or not _is_site_favicon(icon[0]) or icon[1] != 200 or "svg" not in (icon[2] or ""):
        out.append(Problem("convention", name, f"favicon is not the site's SVG: {icon}"))
    if page.locator("img[src$='logo.svg']").count() == 0:
        out.append(Problem("convention", name, "the header shows no SVG logo"))
    cite = page.locator("details.vg-cite")
    text = cite.first.text_content() if cite.count() else ""
    if "Cite this page" not in text or "@misc{vgdocs-" not in text or "url" not in text:
        out.append(Problem("convention", name, "no 'Cite this page' box with a BibTeX @misc entry"))
    return out


# ---------------------------------------------------------------- search


def search(page, site: Site, query: str) -> list[str]:
    """Site-relative page URLs that the search UI lists for query, best first (one per page)."""
    page.goto(site.url(""), wait_until="load", timeout=TIMEOUT_MS)
    box = page.locator('input[data-md-component="search-query"]')
    if not box.is_visible():
        page.locator('label[for="__search"]').first.click()
    box.click()
    page.wait_for_function(
        "() => !/initiali/i.test(document.querySelector('.md-search-result__meta')?.textContent || '')",
        timeout=TIMEOUT_MS,
    )
    box.press_sequentially(query, delay=20)
    page.wait_for_function(
        "(q) => document.querySelector('[data-md-component=search-query]').value === q && "
        "/\\d+ matching|no matching/i.test(document.querySelector('.md-search-result__meta')?.textContent || '')",
        arg=query,
        timeout=TIMEOUT_MS,
    )
    read = "els => els.map(e => e.href).join(' ')"
    results = ".md-search-result__list > li.md-search-result__item > a.md-search-result__link"
    hrefs, previous = page.eval_on_selector_all(results, read), None
    while hrefs != previous:  # results of a shorter prefix may still be replaced by the full query's
        page.wait_for_timeout(250)
        hrefs, previous = page.eval_on_selector_all(results, read), hrefs
    pages = []
    for h in hrefs.split():
        u = urlsplit(h)
        rel = u.path.lstrip("/")
        rel = rel[: -len("index.html")] if rel.endswith("index.html") else rel
        if rel not in pages:
            pages.append(rel)
    return pages
