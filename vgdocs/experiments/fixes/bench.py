"""The chapter's test bench (two sick networks and a healthy one) and the simplest fix: fewer layers."""

from __future__ import annotations

from dataclasses import dataclass

from vgdocs.engine._checks import positive_int
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import EXPLODING, HEALTHY, VANISHING, Trial, run
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["Bench", "FewerLayers", "bench", "fewer_layers"]


@dataclass(frozen=True, kw_only=True)
class Bench(Trial):
    """The vanishing, exploding and healthy networks every fix page starts from, and their recipes."""

    recipes: tuple[str, ...]
    steps: int
    batch_size: int

    def claims(self) -> list[Claim]:
        """The vanishing net stays at chance; the exploding net overflows; the healthy one learns."""
        v, e, h = self.runs
        return [
            Claim(
                "bench-sick-and-healthy",
                "In {steps} steps the vanishing network goes from {v0} to {v1}, still at chance, the exploding "
                "network overflows at step {e_over}, and the healthy network reaches {h1}.",
                holds=abs(v.final_loss - v.initial_loss) < 0.3
                and v.final_loss > 2.2
                and e.overflow_step is not None
                and h.final_loss < 1.0,
                evidence={
                    "steps": self.steps,
                    "v0": v.initial_loss,
                    "v1": v.final_loss,
                    "e_over": -1 if e.overflow_step is None else e.overflow_step,
                    "h1": h.final_loss,
                },
                scope=f"after {self.steps} steps",
            )
        ]

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

    def claims(self) -> list[Claim]:
        """The shallow exploding network trains; the shallow sigmoid one gets a healthy ratio but barely learns."""
        _, v2, _, e2 = self.runs
        return [
            Claim(
                "shallow-exploding-trains-sigmoid-does-not",
                "With {shallow} hidden layers the exploding network trains to {e_loss} without overflow; the "
                "sigmoid network's ratio becomes {v_ratio}, diagnosed healthy, yet its loss only reaches {v_loss}.",
                holds=e2.overflow_step is None
                and e2.final_loss < 1.0
                and v2.verdict == "healthy"
                and v2.final_loss > 2.0,
                evidence={
                    "shallow": self.shallow,
                    "e_loss": e2.final_loss,
                    "v_ratio": v2.delta_ratio,
                    "v_loss": v2.final_loss,
                },
                intervention=f"depth {self.deep} to {self.shallow} hidden layers; everything else held",
                scope="ratio at initialisation, loss after training",
            )
        ]


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
