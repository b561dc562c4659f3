"""Rendered pages kept between builds: a page none of whose inputs changed is not rendered again.

A warm build spent about 1 s of its 2.5 s re-running every page's blocks (each from the experiment
cache) and converting their output, to produce HTML it had already produced. This module keeps,
per Markdown page, what rendering it left behind, and the hook vgdocs/publish/site/reuse.py puts
it back instead of rendering:

- the HTML, the table of contents, the anchors the page holds and the links it makes to anchors
  elsewhere (MkDocs checks those after the build, so a link broken by another page's edit is
  still reported);
- what its blocks filed: the ledger's numbers, the claims, the files emitted beside the pages
  (so the drift and claims checks see a kept page exactly as a rendered one).

The key covers everything a page's output can depend on: the page's own bytes and path; the vgdocs
package's source (so every experiment); every file of the checkout outside docs/ and tests/ (mkdocs.yml,
the theme overrides, the committed ledger and engine report), by content, tracked or not; the list
of documentation files (links and their URLs) and the content of every one that is not a page
(assets, anything a page could include); the commit HEAD (the "What changed" page reads git
history); the environment variables a page can read (VGDOCS_*, SITE_URL, and PYTHONPATH, which can
bring other code); and the versions of
Python and of every package that renders or computes. Outside a git checkout, or with
VGDOCS_CACHE=0 (a cold build, as CI runs it), nothing is kept or reused.

A page that logged a warning while rendering, or filed a number twice with two values, is never
kept: it renders, and warns, on every build. Notebook pages are left to mkdocs-jupyter's cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Recording", "begin", "end", "kept", "lookup", "record", "restore", "store", "stub"]

_FORMAT = 1
# besides Python and the numerical libraries (vgdocs.publish.cache.environment), what renders a page
_RENDERING = (
    "mkdocs",
    "mkdocs-material",
    "markdown",
    "pymdown-extensions",
    "markdown-exec",
    "latex2mathml",
    "pygments",
)
_SKIP_DIRS = ("docs/", "tests/")
# Variables that say where a build writes its records or how it schedules work: not what a page shows.
_WHERE_TO_WRITE = frozenset(
    (
        "VGDOCS_BUILD_REPORT",
        "VGDOCS_LEDGER_RECORD",
        "VGDOCS_CLAIMS_RECORD",
        "VGDOCS_LEDGER_SPOOL",
        "VGDOCS_LEDGER_PAGE",
        "VGDOCS_PREFETCH",
        "VGDOCS_TEST_WARM",
    )
)
_state: dict[str, Any] = {"digest": None, "store": None, "docs": None, "entries": {}}


def _checkout(root: Path) -> tuple[str, list[str]] | None:
    """(HEAD, its tracked and untracked, not ignored, files) of the checkout at `root`; None outside git."""
    from vgdocs.publish.site.conventions import git_head

    head = git_head(root)
    if head is None:
        return None
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    names = sorted({n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n})
    return head, names


def begin(
    root: str | os.PathLike[str], docs_dir: str | os.PathLike[str], docs_files: list[str], *, code: str, enabled: bool
) -> None:
    """Start a build: compute the part of every page's key the pages share (or switch reuse off).

    `docs_files`: every file under docs_dir; `code`: a digest of what the build reads from outside the
    checkout at `root` (the vgdocs package's source, which a project that only uses it does not hold;
    the config file and the URLs it resolves).
    """
    from vgdocs.publish.cache import environment
    from vgdocs.publish.store import Store

    _state.update(digest=None, store=None, docs=Path(docs_dir), entries={})
    root = Path(root)
    checkout = _checkout(root) if enabled else None
    if checkout is None:
        return
    head, names = checkout
    h = hashlib.sha256(f"format {_FORMAT}\0{environment(_RENDERING)}\0{code}\0HEAD {head}\0".encode())
    for name in names:
        if name.startswith(_SKIP_DIRS):
            h.update(name.encode() + b"\0")
            continue
        path = root / name
        try:
            data = path.read_bytes() if path.is_file() else b""
        except OSError:
            data = b""
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("VGDOCS_") or k in ("SITE_URL", "PYTHONPATH"))
    env = [(k, v) for k, v in env if k not in _WHERE_TO_WRITE]
    h.update(repr(env).encode() + b"\0" + "\n".join(sorted(docs_files)).encode())
    for src in sorted(docs_files):  # the files beside the pages (assets, anything a page could include) by content
        if not src.endswith((".md", ".ipynb")):
            try:
                h.update(src.encode() + b"\0" + hashlib.sha256((Path(docs_dir) / src).read_bytes()).digest())
            except OSError:
                h.update(src.encode() + b"\0")
    _state["digest"] = h.hexdigest()
    _state["store"] = Store(root / ".cache" / "pages", size_limit=2**28)


def _key(src: str) -> str | None:
    if _state["digest"] is None or not src.endswith(".md"):
        return None
    try:
        data = (_state["docs"] / src).read_bytes()
    except OSError:
        return None
    return hashlib.sha256(f"{_state['digest']}\0{src}\0".encode() + data).hexdigest()


def lookup(src: str) -> dict[str, Any] | None:
    """The kept render of page `src` (its path under docs/), or None: render it."""
    if src in _state["entries"]:
        return _state["entries"][src]
    key = _key(src)
    entry = None if key is None else _state["store"].get(key)
    _state["entries"][src] = entry if isinstance(entry, dict) and entry.get("key") == key else None
    return _state["entries"][src]


def kept(pages: list[str]) -> set[str]:
    """Which of `pages` this build will not render (the prefetch scan skips their experiments)."""
    return {p for p in pages if lookup(p) is not None}


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@dataclass
class Recording:
    """What a page's render filed, measured from where the build stood when the page began."""

    src: str
    key: str
    numbers: int
    conflicts: int
    claims: int
    assets: dict[str, bytes]
    warnings: _Warnings


def record(src: str) -> Recording | None:
    """Start watching page `src`'s render (None when it will not be kept)."""
    key = _key(src)
    if key is None:
        return None
    from vgdocs.publish import assets, claims, ledger

    watcher = _Warnings()
    for name in ("mkdocs", ""):
        logging.getLogger(name).addHandler(watcher)
    return Recording(
        src, key, len(ledger.published()), len(ledger.conflicts()), len(claims.filed()), assets.emitted(), watcher
    )


def end(rec: Recording) -> None:
    """Stop watching for warnings."""
    for name in ("mkdocs", ""):
        logging.getLogger(name).removeHandler(rec.warnings)


def _toc(items: Any) -> list[list[Any]]:
    return [[a.title, a.id, a.level, _toc(a.children)] for a in items]


def store(rec: Recording, page: Any, html: str) -> bool:
    """Keep page's render (call when rendering ended, before anything else changes `html`); True if kept."""
    from vgdocs.publish import assets, claims, ledger

    end(rec)
    if rec.warnings.count or len(ledger.conflicts()) != rec.conflicts:
        return False
    numbers = list(ledger.published().items())[rec.numbers :]
    emitted = {p: np.frombuffer(b, dtype=np.uint8) for p, b in assets.emitted().items() if rec.assets.get(p) != b}
    links = {f.src_uri: dict(anchors) for f, anchors in (page.links_to_anchors or {}).items()}
    entry = {
        "key": rec.key,
        "html": html,
        "toc": _toc(page.toc),
        "anchors": sorted(page.present_anchor_ids or ()),
        "links": links,
        "numbers": [[k, float(v)] for k, v in numbers],
        "claims": claims.filed()[rec.claims :],
        "assets": emitted,
    }
    return _state["store"].set(rec.key, entry, label=f"page {rec.src}")


def stub(markdown: str) -> str:
    """The Markdown MkDocs renders in place of a kept page: its first line when that is a level-1 heading.

    MkDocs takes a page's title from a level-1 heading that opens it; the stub keeps that, and
    nothing else, so the page's title is the one a full render gives.
    """
    first = markdown.lstrip("\n").split("\n", 1)[0]
    return first + "\n" if first.startswith("# ") else ""


def restore(entry: dict[str, Any], page: Any, files: Any) -> str:
    """Put a kept render back on `page` and file what its blocks filed; returns its HTML."""
    from mkdocs.structure.toc import get_toc

    from vgdocs.publish import assets, claims, ledger

    def tokens(items: list[list[Any]]) -> list[dict[str, Any]]:
        return [{"name": t, "id": i, "level": lv, "children": tokens(ch)} for t, i, lv, ch in items]

    page.toc = get_toc(tokens(entry["toc"]))
    page.present_anchor_ids = set(entry["anchors"])
    links = {}
    for src, anchors in entry["links"].items():
        target = files.get_file_from_path(src)
        if target is not None:
            links[target] = dict(anchors)
    page.links_to_anchors = links
    ledger.record(dict(entry["numbers"]))
    for c in entry["claims"]:
        claims.file(c.page, c.experiment, c.claim, c.sentence)
    for path, data in entry["assets"].items():
        assets.emit(path, np.asarray(data, dtype=np.uint8).tobytes())
    return entry["html"]
