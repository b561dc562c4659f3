"""The chapter's test bench (two sick networks and a healthy one) and the simplest fix: fewer layers."""

from __future__ import annotations

from dataclasses import dataclass

from vgdocs.engine._checks import positive_int
from vgdocs.experiments._core import experiment
from vgdocs.experiments.fixes._setup import EXPLODING, HEALTHY, VANISHING, Trial, run
from vgdocs.publish.present.spec import Table

__all__ = ["Bench", "FewerLayers", "bench", "fewer_layers"]


@dataclass(frozen=True, kw_only=True)
class Bench(Trial):
    """The vanishing, exploding and healthy networks every fix page starts from, and their recipes."""

    recipes: tuple[str, ...]
    steps: int
    batch_size: int

    def table(self, which: str | None = None) -> Table:
        """One row per network: its recipe, gradient ratio and verdict, loss before and after training."""
        base = super().table()
        rows = tuple((row[0], recipe, *row[1:]) for row, recipe in zip(base.rows, self.recipes, strict=True))
        return Table(
            (base.headers[0], "recipe", *base.headers[1:]),
            rows,
            bar_column=2,
            caption=f"Each network trains for {self.steps} steps on batches of {self.batch_size} digits.",
        )


@dataclass(frozen=True, kw_only=True)
class FewerLayers(Trial):
    """The vanishing and exploding networks at their full depth and at `shallow` hidden layers."""

    deep: int
    shallow: int


@experiment("fixes.bench")
def bench(*, seed: int = 0) -> Bench:
    """Measure the vanishing, exploding and healthy networks of the Fixes chapter."""
    runs = (run(VANISHING, "vanishing", seed), run(EXPLODING, "exploding", seed), run(HEALTHY, "healthy", seed))
    return Bench(
        seed=seed,
        runs=runs,
        recipes=tuple(s.describe() for s in (VANISHING, EXPLODING, HEALTHY)),
        steps=VANISHING.steps,
        batch_size=VANISHING.batch_size,
    )


@experiment("fixes.fewer_layers")
def fewer_layers(shallow: int = 2, *, seed: int = 0) -> FewerLayers:
    """The two sick networks with `shallow` hidden layers instead of the bench's depth."""
    shallow = positive_int("shallow", shallow)
    if shallow < 2:
        raise ValueError(f"shallow must be at least 2 hidden layers (a profile needs two ends); got {shallow}")
    deep = VANISHING.depth
    runs = (
        run(VANISHING, f"vanishing, {deep} layers", seed),
        run(VANISHING.but(depth=shallow), f"vanishing, {shallow} layers", seed),
        run(EXPLODING, f"exploding, {deep} layers", seed),
        run(EXPLODING.but(depth=shallow), f"exploding, {shallow} layers", seed),
    )
    return FewerLayers(seed=seed, runs=runs, deep=deep, shallow=shallow)
