"""Rendered figures are memoised by content: shared or copied arrays give one key, any change another."""

from __future__ import annotations

import hashlib

import numpy as np

from vgdocs.publish import cache
from vgdocs.publish.present import figure
from vgdocs.publish.present.figures import _digest
from vgdocs.publish.present.spec import Figure, Panel, Series


def spec(x_second: np.ndarray, y: float = 2.0) -> Figure:
    x = np.arange(4.0)
    return Figure(
        panels=(Panel(series=(Series("a", x, x * 1.0), Series("b", x_second, np.full(4, y)))),),
        alt="Two lines.",
    )


def digest(f: Figure) -> str:
    h = hashlib.sha256()
    _digest(f, h)
    return h.hexdigest()


def test_digest_ignores_whether_arrays_are_shared_but_not_their_values() -> None:
    shared = spec(np.arange(4.0))
    x = shared.panels[0].series[0].x
    same_object = spec(x)
    assert digest(shared) == digest(same_object)
    assert digest(spec(np.arange(4.0), y=2.0 * (1 + 1e-12))) != digest(shared)


def test_a_build_renders_each_distinct_figure_once() -> None:
    cache.activate(None)
    try:
        first = figure(spec(np.arange(4.0)))
        again = figure(spec(np.arange(4.0)))
        assert first == again
        assert cache.stats() == {"hits": 1, "disk_hits": 0, "misses": 1, "prefetched": 0}
    finally:
        cache.deactivate()
