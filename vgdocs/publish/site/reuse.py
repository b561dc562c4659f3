"""mkdocs hook: a Markdown page whose inputs have not changed since it was last rendered is not rendered again.

The kept render (HTML, table of contents, anchors, and the numbers, claims and files its blocks
filed) and its key are vgdocs/publish/site/rendered.py's job; this hook only puts it in the build:

- on_page_markdown, last (after drift.py has opened the page in the ledger): a kept page hands
  MkDocs a stub in place of its Markdown (its opening level-1 heading, which MkDocs takes the
  page's title from), so no block runs; any other page starts being watched.
- on_page_content, first: a kept page gets its HTML and the rest back; a watched page is kept
  (unless it warned).

building.py starts each build's keys (on_files) and skips the experiments of kept pages when it
hands experiments to the second core.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from mkdocs.plugins import event_priority

_state: dict[str, object] = {"recording": None, "entry": None}


def _rendered() -> ModuleType:
    return importlib.import_module("vgdocs.publish.site.rendered")


@event_priority(-100)
def on_page_markdown(markdown: str, *, page, config, files) -> str:
    rendered = _rendered()
    _state["recording"] = _state["entry"] = None
    entry = rendered.lookup(page.file.src_uri)
    if entry is not None:
        _state["entry"] = entry
        return rendered.stub(markdown)
    _state["recording"] = rendered.record(page.file.src_uri)
    return markdown


@event_priority(100)
def on_page_content(html: str, *, page, config, files) -> str:
    entry, recording = _state["entry"], _state["recording"]
    _state["recording"] = _state["entry"] = None
    if entry is not None:
        return _rendered().restore(entry, page, files)
    if recording is not None:
        _rendered().store(recording, page, html)
    return html


def on_build_error(*, error: Exception) -> None:
    recording = _state["recording"]
    if recording is not None:
        _rendered().end(recording)
    _state["recording"] = _state["entry"] = None
