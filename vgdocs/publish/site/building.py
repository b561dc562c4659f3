"""mkdocs hook for building: every build runs current vgdocs code, through the cache.

- vgdocs sources changed since the last build (under `mkdocs serve`)? Drop every imported
  vgdocs module so the blocks import the edited code; hook modules re-import inside functions.
- markdown-exec keeps each `session`'s globals for the life of the process, and (as of 1.12) offers
  no public way to reset them: its only store is the private
  `markdown_exec._internal.formatters.python._sessions_globals`, which this hook does not touch.
  So under `mkdocs serve`, a name defined by a block you have since deleted stays defined in its
  session until serve restarts. Every strict build (`make build`, `make test`, CI, `python -m vgdocs
  build`) runs in a fresh process, so a block that depends on such a name fails there.
- Switch the experiment cache on (disk layer in .cache/vgdocs unless VGDOCS_CACHE=0), keep the
  theme's compiled templates in .cache/jinja (same switch), and give
  mkdocs-jupyter a cache folder named after the hash of the vgdocs code the notebooks import
  (the experiment cache's source hash of each vgdocs module a code cell imports, transitively),
  because its own cache key covers the notebook but not that code. Editing a module no notebook
  imports re-executes no notebook.
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.plugins.vgdocs.serve")
_PACKAGE = Path(__file__).resolve().parents[2]
_last_digest: str | None = None
_build_started = 0.0
_page_started: dict[str, float] = {}
_page_seconds: dict[str, float] = {}
# wall-clock marks (time.time()) of this build's phases, for VGDOCS_BUILD_REPORT
_marks: dict[str, float] = {}


def tree_digest() -> str:
    """SHA-256 over every .py file of the vgdocs package (paths and bytes)."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def notebook_code_digest(docs_dir: str | os.PathLike[str]) -> str | None:
    """SHA-256 over the source hashes of the vgdocs modules the docs' notebooks import (None: unknown)."""
    import vgdocs.publish.cache as cache

    modules: set[str] = set()
    for path in sorted(Path(docs_dir).rglob("*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            return None
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
            try:
                tree = ast.parse(code)
            except SyntaxError:
                return None  # a cell we cannot read could import anything: key on the whole package
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)
                    modules.update(f"{node.module}.{a.name}" for a in node.names)
    ours = sorted(m for m in modules if m == "vgdocs" or m.startswith("vgdocs."))
    if not ours:
        return None
    h = hashlib.sha256()
    for name in ours:
        try:
            h.update(name.encode() + b"\0" + cache.source_hash(name).encode())
        except OSError:  # `from vgdocs.x import name`: the name is not a module; its package is hashed
            continue
    return h.hexdigest()


@event_priority(100)
def on_config(config):
    global _last_digest, _build_started
    _build_started = time.perf_counter()
    _page_started.clear()
    _page_seconds.clear()
    _marks.clear()
    _marks["config"] = time.time()
    digest = tree_digest()
    if _last_digest is not None and digest != _last_digest:
        stale = [name for name in sys.modules if name == "vgdocs" or name.startswith("vgdocs.")]
        for name in stale:
            del sys.modules[name]
        log.info("vgdocs changed: reloading %d modules", len(stale))
    _last_digest = digest

    import vgdocs.publish.cache

    root = Path(config.config_file_path).resolve().parent
    disk = vgdocs.publish.cache.disk_enabled()
    vgdocs.publish.cache.activate(root / ".cache" / "vgdocs" if disk else None)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        jupyter.config["cache"] = disk
        code = notebook_code_digest(config.docs_dir) or digest
        jupyter.config["cache_dir"] = str(root / ".cache" / "mkdocs-jupyter" / code[:16])
    return config


def on_env(env, config, files):
    """Keep the theme's compiled templates in .cache/jinja (Jinja's own bytecode cache).

    MkDocs makes a new Jinja environment for every build, so Material's ~50 templates were compiled
    again each time (0.4 s of a 3 s warm build, profiled). Jinja checks each entry against the
    template's source and its own version, so an edited template or an upgraded Jinja recompiles.
    Off with the experiment cache's disk layer (VGDOCS_CACHE=0: a cold build as CI runs it).
    """
    import jinja2

    import vgdocs.publish.cache

    if vgdocs.publish.cache.disk_enabled():
        folder = Path(config.config_file_path).resolve().parent / ".cache" / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    return env


@event_priority(-100)
def on_files(files, config):
    """Which pages are kept from an earlier render (vgdocs.publish.site.rendered; reuse.py puts them back);
    the second core computes the other pages' experiments ahead (vgdocs.publish.prefetch)."""
    import vgdocs.publish.cache
    from vgdocs.publish import prefetch
    from vgdocs.publish.site import rendered

    _marks["files"] = time.time()
    root = Path(config.config_file_path).resolve().parent
    pages = [f.src_uri for f in files.documentation_pages()]
    enabled = vgdocs.publish.cache.disk_enabled()
    rendered.begin(root, config.docs_dir, sorted(f.src_uri for f in files), code=_build_inputs(config), enabled=enabled)
    kept = rendered.kept(pages)
    if kept:
        log.info("%d of %d pages unchanged since their last render: kept", len(kept), len(pages))
    n = prefetch.start(config.docs_dir, [p for p in pages if p not in kept])
    if n:
        log.info("prefetch: %d experiment calls handed to a second process", n)
    return files


def _build_inputs(config) -> str:
    """What every page of this build reads besides the checkout: vgdocs source, the config file and its URLs,
    and which engine renders (MkDocs or ProperDocs: its config class's module names it)."""
    config_file = Path(config.config_file_path).read_bytes()
    return hashlib.sha256(
        "\0".join(
            (
                _last_digest or tree_digest(),
                hashlib.sha256(config_file).hexdigest(),
                str(config.site_url),
                str(config.repo_url),
                str(config.use_directory_urls),
                type(config).__module__,
            )
        ).encode()
    ).hexdigest()


@event_priority(100)
def on_page_markdown(markdown, page, config, files):
    _page_started[page.file.src_uri] = time.perf_counter()
    _marks.setdefault("pages", time.time())
    return markdown


@event_priority(-100)
def on_page_content(html, page, config, files):
    # markdown-exec runs a page's blocks while its Markdown is converted, between these two events
    start = _page_started.pop(page.file.src_uri, None)
    if start is not None:
        _page_seconds[page.file.src_uri] = time.perf_counter() - start
    return html


@event_priority(100)
def on_post_build(config):
    # first of the post-build hooks, so the timings are written even when the drift check aborts
    _finish(Path(config.config_file_path).resolve().parent)


def _mark_exit(report: Path) -> None:
    """Add the moment the build's work ended (after the ledger check, search index, sitemap) to the report."""
    try:
        data = json.loads(report.read_text())
        data["marks"]["exit"] = time.time()
        report.write_text(json.dumps(data, indent=1))
    except (OSError, ValueError, KeyError):
        pass


def on_build_error(error):
    import vgdocs.publish.cache
    from vgdocs.publish import prefetch

    prefetch.stop()
    vgdocs.publish.cache.deactivate()


def _finish(root: Path | None = None):
    import vgdocs.publish.cache
    from vgdocs.publish import prefetch

    _marks["post_build"] = time.time()
    prefetch.stop()
    s = vgdocs.publish.cache.stats()
    here = [("build", n, k, t) for n, k, t in vgdocs.publish.cache.timings()]
    worker = [("prefetch", n, k, t) for n, k, t in prefetch.timings()]
    if root is not None:  # what the next cold build's worker schedules by (longest first)
        prefetch.save_costs(root, {prefetch.cost_key(n, k): t for _, n, k, t in here + worker if n != "present.figure"})
    report = os.environ.get("VGDOCS_BUILD_REPORT")
    if report:
        Path(report).write_text(
            json.dumps(
                {
                    "pages": _page_seconds,
                    # every computation of this build, in either process (a nested experiment is also
                    # inside its caller's seconds); "present.figure" is drawing a figure
                    "experiments": [{"name": n, "args": k, "seconds": t, "process": p} for p, n, k, t in here + worker],
                    "stats": s,
                    "seconds": time.perf_counter() - _build_started,
                    "marks": _marks,
                },
                indent=1,
            )
        )
        atexit.register(_mark_exit, Path(report))
    log.info(
        "experiments: %d computed, %d by the second process, %d from disk, %d reused in this build; build took %.1f s",
        s["misses"],
        s["prefetched"],
        s["disk_hits"],
        s["hits"],
        time.perf_counter() - _build_started,
    )
    vgdocs.publish.cache.deactivate()
