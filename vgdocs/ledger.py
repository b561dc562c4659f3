"""The ledger: every number the site publishes, keyed page / experiment / quantity.

present.* calls `publish(result)` while a page is being built (the mkdocs hook sets the page);
outside a build it does nothing. Comparison with the committed file is in the rest of this module.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["begin_page", "end_page", "publish", "published", "reset"]

_current_page: str | None = None
_published: dict[str, float] = {}


def begin_page(page: str) -> None:
    """Start collecting numbers for `page` (its path under docs/, e.g. 'why.md')."""
    global _current_page
    _current_page = page


def end_page() -> None:
    """Stop attributing published numbers to a page."""
    global _current_page
    _current_page = None


def reset() -> None:
    """Forget everything published so far (start of a build)."""
    _published.clear()


def publish(result: object, numbers: Mapping[str, float] | None = None) -> None:
    """Record `result.numbers()` (or `numbers`) under the current page, if a page is being built."""
    if _current_page is None:
        return
    values = numbers if numbers is not None else result.numbers()  # type: ignore[attr-defined]
    name = getattr(result, "experiment", "") or type(result).__name__
    for quantity, value in values.items():
        _published[f"{_current_page.removesuffix('.md')}/{name}/{quantity}"] = float(value)


def published() -> dict[str, float]:
    """A copy of everything published since the last reset."""
    return dict(_published)
