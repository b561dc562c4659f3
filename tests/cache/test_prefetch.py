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
