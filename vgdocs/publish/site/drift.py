"""mkdocs hook: file every number each page publishes in the ledger and compare with the committed file.

Drift fails `mkdocs build --strict`, is a warning in a non-strict build and a visible warning under
`mkdocs serve` (which keeps serving). Also pins BLAS to one thread so no published number depends on
the machine's core count.
"""

from __future__ import annotations

import os

# Before numpy loads: a BLAS that splits a reduction over N threads sums in an N-dependent order,
# so published numbers would depend on the machine's core count.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import hashlib  # noqa: E402
import html as htmllib  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

from mkdocs.exceptions import PluginError  # noqa: E402

log = logging.getLogger("mkdocs.plugins.vgdocs.drift")

# mkdocs-jupyter (nbconvert's lab template) wraps a code cell's outputs in one outputWrapper <div>
# and renders each plain-text output inside it as a <div><pre>; _SPLIT_STREAM is the seam between
# two such outputs that follow each other without a prompt (one stdout stream cut in two).
_CELL_OUTPUTS = re.compile(r'<div class="jp-Cell-outputWrapper[\s"]')
_PLAIN_OUTPUT = re.compile(
    r'<div class="[^"]*\bjp-OutputArea-output\b[^"]*" data-mime-type="text/plain"[^>]*>\s*<pre>(.*?)</pre>', re.S
)
_SPLIT_STREAM = re.compile(
    r"</pre>\s*</div>\s*</div>\s*<div class=\"jp-OutputArea-child\">\s*"
    r"<div class=\"jp-OutputPrompt jp-OutputArea-prompt\"></div>\s*"
    r"<div class=\"jp-RenderedText jp-OutputArea-output\" data-mime-type=\"text/plain\"[^>]*>\s*<pre>"
)
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])|(?<![\w.])-?(?:nan|inf)(?!\w)")

_CLAIMS_MARKER = "<!-- vgdocs:claims -->"

_state: dict[str, object] = {"command": "build", "dirty": False, "spool": None}


def pin_blas_threads() -> None:
    """Limit already-loaded BLAS libraries to one thread (env vars cover those loaded later)."""
    if "numpy" in sys.modules:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # without threadpoolctl only the environment variables apply
            return
        threadpool_limits(limits=1)


def _claims() -> ModuleType:
    return importlib.import_module("vgdocs.publish.claims")


def _ledger() -> ModuleType:
    # Looked up on every event: a live-reload that re-imports vgdocs must not leave us a stale copy.
    return importlib.import_module("vgdocs.publish.ledger")


def on_startup(*, command: str, dirty: bool) -> None:
    """Remember whether this is `build`, `gh-deploy` or `serve` (serve only warns)."""
    _state["command"], _state["dirty"] = command, dirty


def on_config(config):
    """Pin BLAS threads once the other plugins and hooks (which may import numpy) have loaded."""
    pin_blas_threads()
    return config


def on_pre_build(*, config) -> None:
    """Start a fresh ledger, and a spool file for pages whose code runs in a notebook kernel."""
    _ledger().reset()
    _claims().reset()
    fd, spool = tempfile.mkstemp(prefix="vgdocs-ledger-spool-", suffix=".tsv")
    os.close(fd)
    _state["spool"] = spool


def on_page_markdown(markdown: str, *, page, config, files) -> None:
    """Attribute every number published while this page renders to it (kernels via the environment)."""
    ledger = _ledger()
    ledger.begin_page(page.file.src_uri)
    os.environ[ledger.PAGE_ENV] = page.file.src_uri
    os.environ[ledger.SPOOL_ENV] = str(_state["spool"])


def on_page_content(html: str, *, page, config, files) -> str:
    """Close the page: collect what a notebook kernel spooled or printed, then stop attributing numbers."""
    src = page.file.src_uri
    if src.endswith(".ipynb"):
        html = merge_stream_chunks(html)
        _ledger().record({f"{src}/{k}": v for k, v in printed_numbers(html).items()})
    spooled = _end_page()
    if src.endswith(".ipynb"):
        _notebook_cache(page, config, spooled)
    return html


def merge_stream_chunks(html: str) -> str:
    """`html` with each run of adjacent plain-text output blocks of a notebook cell joined into one.

    The kernel flushes stdout on a timer, so a cell that prints, computes, then prints again
    reaches nbconvert as one chunk or several depending on timing (nbclient's coalescing is not
    configurable through mkdocs-jupyter): joined, two builds of one commit give the same bytes.
    """
    return _SPLIT_STREAM.sub("", html)


def printed_numbers(html: str) -> dict[str, float]:
    """Every number in a rendered notebook's plain-text outputs, keyed 'output[k]/number[j]' (from 0).

    A notebook's cells print numbers without going through vgdocs.publish.present, so the hook reads them
    off the page mkdocs-jupyter rendered: what the reader sees is what the ledger holds. k counts
    the code cells that show output, so a cell's output split into several stream chunks (as the
    kernel flushes them) keeps its keys.
    """
    out: dict[str, float] = {}
    for k, cell in enumerate(_CELL_OUTPUTS.split(html)[1:]):
        tokens = [t for text in _PLAIN_OUTPUT.findall(cell) for t in _NUMBER.findall(htmllib.unescape(text))]
        out.update({f"output[{k}]/number[{j}]": float(t) for j, t in enumerate(tokens)})
    return out


def on_post_build(*, config) -> None:
    """Record (when asked) and compare this build's numbers with the committed ledger."""
    ledger = _ledger()
    _end_page()
    _remove_spool()
    recorded = ledger.published()
    if record := os.environ.get(ledger.RECORD_ENV):
        ledger.save(record, recorded)
    claims = _claims()
    # beside the site (never in it): `python -m vgdocs check SITE` compares it with the ledger afterwards
    beside = importlib.import_module("vgdocs.publish.site.engines").record_dir(config.site_dir)
    ledger.save(beside / "published.tsv", recorded)
    claims.save(beside / "claims.json", claims.filed())
    if record := os.environ.get(claims.RECORD_ENV):
        claims.save(record, claims.filed())
    # A failing claim and drifted numbers are reported together: one cause often shows as both.
    failures = claims.format_failures(broken) if (broken := claims.failing()) else ""
    if failures and (_state["command"] == "serve" or not config.strict):
        log.warning(failures)
        failures = ""
    ledger_file = Path(config.config_file_path).parent / ledger.LEDGER_FILE
    if os.environ.get(ledger.COMPARE_ENV) == "0":
        accepted = recorded  # the caller compares or accepts; only conflicts are reported here
    elif ledger_file.exists():
        accepted = ledger.load(ledger_file)
    else:
        accepted = {}
        log.warning(f"no ledger file at {ledger_file}; create it with: {ledger.UPDATE_COMMAND}")
    loose = ledger.tolerances(ledger_file.parent.parent / ledger.TOLERANCE_FILE)
    drift = ledger.compare(accepted, recorded, partial=bool(_state["dirty"]), conflicts=ledger.conflicts(), loose=loose)
    if drift.clean:
        if failures:
            raise PluginError(failures)
        log.info(
            f"ledger: {len(recorded)} published numbers"
            + (" recorded" if accepted is recorded else f" match {ledger.LEDGER_FILE}")
        )
        return
    if _state["command"] == "serve" or not config.strict:
        log.warning(drift.message(ledger.LEDGER_FILE, limit=40))
        return
    report = drift.message(ledger.LEDGER_FILE, limit=None)  # CI logs get every entry
    raise PluginError(f"{failures}\n\n{report}" if failures else report)


def on_page_context(context, *, page, config, nav):
    """On the page that asks for it (a `<!-- vgdocs:claims -->` marker), the table of every claim filed.

    Runs after every page's Markdown has been executed, so the table holds the whole site's claims.
    """
    if page.content and _CLAIMS_MARKER in page.content:
        page.content = page.content.replace(_CLAIMS_MARKER, _claims().html_table(_claims().filed(), page))
    return context


def on_build_error(*, error: Exception) -> None:
    """Leave no page open and no spool file behind when the build fails."""
    _end_page()
    _remove_spool()


def _end_page() -> dict[str, float]:
    ledger = _ledger()
    spool = _state["spool"]
    spooled = ledger.collect_spool(spool) if isinstance(spool, str) and os.path.exists(spool) else {}
    ledger.end_page()
    os.environ.pop(ledger.PAGE_ENV, None)
    os.environ.pop(ledger.SPOOL_ENV, None)
    return spooled


def _notebook_cache(page, config, spooled: dict[str, float]) -> None:
    """Keep a notebook's numbers beside mkdocs-jupyter's cache; replay them when its kernel did not run.

    On a cache hit mkdocs-jupyter serves stored HTML without starting a kernel, so nothing is spooled.
    The side file is keyed by the notebook's bytes inside a cache folder that already tracks the code.
    """
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is None or not jupyter.config.get("cache"):
        return
    digest = hashlib.sha256(Path(page.file.abs_src_path).read_bytes()).hexdigest()[:32]
    side = Path(jupyter.config["cache_dir"]) / f"ledger-{digest}.tsv"
    ledger = _ledger()
    if spooled:
        ledger.save(side, spooled)
    elif side.exists():
        ledger.record(ledger.load(side))


def _remove_spool() -> None:
    spool = _state["spool"]
    if isinstance(spool, str) and os.path.exists(spool):
        os.remove(spool)
    _state["spool"] = None
