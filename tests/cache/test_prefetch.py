"""The cold-build prefetch reads the experiment calls a page makes, and only those it can repeat exactly."""

from __future__ import annotations

from vgdocs.publish.prefetch import calls_in

PAGE = """# A page

```python exec="on" session="s" id="a"
from vgdocs.experiments.xor import xor_runs, learning_rates as rates
from vgdocs.publish.present import figure, table

print(table(xor_runs()))
r = rates(lrs=[0.01, 0.1], seed=3)
print(figure(r, "curves"))
```

```python exec="on" session="s" html="true" id="b"
print(figure(xor_runs()))
print(table(rates(lrs=make_lrs())))
```

```python
not_executed()
```
"""


def test_literal_calls_and_the_figures_drawn_from_them_are_found_across_blocks_of_a_session():
    calls = sorted((c.module, c.function, c.args, c.kwargs, c.figures) for c in calls_in(PAGE))
    assert calls == [
        ("vgdocs.experiments.xor", "learning_rates", (), (("lrs", [0.01, 0.1]), ("seed", 3)), ("curves",)),
        ("vgdocs.experiments.xor", "xor_runs", (), (), (None,)),
    ]  # rates(lrs=make_lrs()) is not a literal call: the build computes it as always


def test_waiting_for_the_worker_the_build_computes_the_next_call_the_worker_has_not_started(monkeypatch):
    """While the worker computes one call, the build takes the next queued one (not one the worker has)."""
    from concurrent.futures import Future

    from vgdocs.experiments.exercises import why
    from vgdocs.publish import cache, prefetch

    running, queued = Future(), Future()
    running.set_running_or_notify_cancel()  # the worker has it: it cannot be cancelled
    call = prefetch.Call("vgdocs.experiments.exercises", "why", (), (("x", 3.0),))
    namespace, key, module, _ = why.cache_key(x=3.0)
    cache.activate(None)
    try:
        cache.expect(namespace, key, module, lambda: prefetch._collect(queued))
        monkeypatch.setattr(prefetch, "_queue", [(running, call), (queued, call)])
        assert prefetch._steal() is True
        assert queued.cancelled() and not running.cancelled() and not running.done()
        assert cache.has(namespace, key, module) and cache.stats()["misses"] == 1  # computed here, stored
        assert prefetch._steal() is False  # nothing left that the worker has not started
    finally:
        cache.deactivate()
