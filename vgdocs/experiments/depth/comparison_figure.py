"""The comparison page's verdicts as a figure: each fix's measured margin on both sick networks.

Margin, in decades (powers of ten), of the condition that binds: for the vanishing network the
smaller of log10(gradient ratio / required ratio) and log10(loss threshold / trained loss); for
the exploding network log10(loss threshold / trained loss), with an overflow shown at the floor.
A positive margin is a cure; the bar's length says by how much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.fixes.comparison import comparison
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series

__all__ = ["ComparisonMargins", "comparison_margins"]

FLOOR = -2.0  # decades: where an overflow (no loss at all) is drawn


@dataclass(frozen=True, kw_only=True)
class ComparisonMargins(Result):
    """Per fix (the sick network itself excluded): margin on the vanishing and on the exploding network."""

    fixes: tuple[str, ...]
    vanishing_margin: np.ndarray  # decades; > 0 is a cure
    exploding_margin: np.ndarray  # decades; FLOOR for an overflow
    cures_vanishing: np.ndarray
    cures_exploding: np.ndarray

    def figure(self, which: str | None = None) -> Figure:
        """Grouped bars: one pair per fix, the zero line separating cures from failures."""
        names = np.array(self.fixes, dtype=object)
        cured_v = [f for f, c in zip(self.fixes, self.cures_vanishing, strict=True) if c]
        cured_e = [f for f, c in zip(self.fixes, self.cures_exploding, strict=True) if c]
        return Figure(
            panels=(
                Panel(
                    (
                        Series("vanishing network", names, self.vanishing_margin, "bar"),
                        Series("exploding network", names, self.exploding_margin, "bar"),
                    ),
                    "",
                    "margin (decades; above 0 = cured)",
                    hlines=((0.0, "threshold"),),
                ),
            ),
            alt="Bar chart of each fix's margin over its cure threshold, in powers of ten, on the vanishing and the "
            f"exploding network. Above zero on the vanishing network: {', '.join(cured_v) or 'none'}. Above zero on "
            f"the exploding network: {', '.join(cured_e) or 'none'}. Overflows are drawn at {FLOOR:g}.",
            title="How far each fix clears the bar",
            width=9.0,
        )

    def claims(self) -> list[Claim]:
        """The bars' sign agrees with the table's verdicts."""
        agree = bool(np.all((self.vanishing_margin >= 0) == self.cures_vanishing)) and bool(
            np.all((self.exploding_margin >= 0) == self.cures_exploding)
        )
        return [
            Claim(
                "margin-sign-matches-verdicts",
                "Every bar above zero is a fix the table marks as a cure, and every bar below zero one it does not "
                "({n} fixes, two networks each).",
                holds=agree,
                evidence={"n": len(self.fixes)},
                scope="at initialisation and after training",
            )
        ]


def _decades(num: float, den: float) -> float:
    if not (math.isfinite(num) and math.isfinite(den)) or den <= 0:
        return FLOOR
    return max(FLOOR, math.log10(num / den))


@experiment("depth.comparison_margins")
def comparison_margins(*, seed: int = 0) -> ComparisonMargins:
    """Margins from fixes.comparison()'s measurements (no new training)."""
    c = comparison(seed=seed)
    keep = range(1, len(c.fixes))  # row 0 is the sick network itself
    van = [
        min(
            _decades(float(c.vanishing_ratio[i]), c.vanishing_ratio_threshold),
            _decades(c.loss_threshold, float(c.vanishing_loss[i])),
        )
        for i in keep
    ]
    exp = [
        FLOOR if c.exploding_overflow[i] >= 0 else _decades(c.loss_threshold, float(c.exploding_loss[i])) for i in keep
    ]
    return ComparisonMargins(
        seed=seed,
        fixes=tuple(c.fixes[i] for i in keep),
        vanishing_margin=np.array(van),
        exploding_margin=np.array(exp),
        cures_vanishing=np.array([bool(c.cures_vanishing[i]) for i in keep]),
        cures_exploding=np.array([bool(c.cures_exploding[i]) for i in keep]),
    )
