"""Files a page's block asks the site build to write beside the pages (e.g. the explorer's data).

A block calls `emit("assets/name.json", text)`; the hook vgdocs/publish/site/hooks.py writes every
emitted file into the site directory after the build (mkdocs build and mkdocs serve alike), so
the data reaches the site without a file under docs/ and without any network.
"""

from __future__ import annotations

import re

__all__ = ["emit", "emitted", "reset"]

_PATH = re.compile(r"^assets/[a-z0-9][a-z0-9._-]*$")
_files: dict[str, bytes] = {}


def emit(path: str, data: str | bytes) -> str:
    """Register `data` to be written at site-relative `path` (assets/<name>); returns `path`."""
    if not isinstance(path, str) or not _PATH.match(path):
        raise ValueError(f"path must look like 'assets/<lower-case name>'; got {path!r}")
    if not isinstance(data, (str, bytes)):
        raise TypeError(f"data must be str or bytes; got {type(data).__name__}")
    _files[path] = data.encode("utf-8") if isinstance(data, str) else data
    return path


def emitted() -> dict[str, bytes]:
    """Every file emitted since the last reset (site-relative path -> bytes)."""
    return dict(_files)


def reset() -> None:
    """Forget the emitted files (at the start of each build)."""
    _files.clear()
