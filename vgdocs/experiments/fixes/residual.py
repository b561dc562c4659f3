"""Residual connections: y = x + F(x) adds an identity path whose derivative is exactly 1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, positive_int
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import VANISHING, Trial, probe_batch, profile, run
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series

__all__ = ["Residual", "residual"]


@dataclass(frozen=True, kw_only=True)
class Residual(Trial):
    """The vanishing network with and without skip connections, trained; and a deeper pair, profiled.

    deep_delta_plain / deep_delta_residual: ||dL/dz|| per hidden layer at initialisation of the
    same network at `deep_depth` hidden layers, without and with skips; deep_ratio_*: first / last.
    """

    deep_depth: int
    deep_delta_plain: np.ndarray
    deep_delta_residual: np.ndarray
    deep_ratio_plain: float
    deep_ratio_residual: float

    def claims(self) -> list[Claim]:
        """With skips the first layer gets at least as much gradient as the last."""
        plain, skip = self.runs[0], self.runs[1]
        return [
            Claim(
                "skips-first-at-least-last",
                "With skips the first hidden layer gets {skip} times the last layer's gradient, against {plain} "
                "without; at {deep} layers, {deep_skip} against {deep_plain}.",
                holds=skip.delta_ratio >= 1.0 and self.deep_ratio_residual >= 1.0 and plain.delta_ratio < 1e-2,
                evidence=dict(
                    skip=skip.delta_ratio,
                    plain=plain.delta_ratio,
                    deep=self.deep_depth,
                    deep_skip=self.deep_ratio_residual,
                    deep_plain=self.deep_ratio_plain,
                ),
                intervention="skip connections added; everything else held",
                scope="at initialisation",
            )
        ]

    def figure(self, which: str | None = None) -> Figure:
        """'profile' (default): both depths at initialisation; 'training': loss over steps."""
        if choice("which", which or "profile", ("profile", "training")) == "training":
            return super().figure("training")
        shallow = super().figure("profile").panels[0]
        layers = np.arange(1, self.deep_depth + 1)
        deep = Panel(
            (
                Series("plain", layers, self.deep_delta_plain, "dashed"),
                Series("residual", layers, self.deep_delta_residual),
            ),
            xlabel="hidden layer (1 = next to the input)",
            ylabel="‖dL/dz‖ at initialisation",
            logy=True,
            title=f"{self.deep_depth} hidden layers",
        )
        shallow = Panel(
            shallow.series,
            xlabel=shallow.xlabel,
            ylabel=shallow.ylabel,
            logy=True,
            title=f"{self.runs[0].delta_norms.size} hidden layers",
        )
        alt = (
            f"Gradient norm per hidden layer of a sigmoid network with and without skip connections. At "
            f"{self.runs[0].delta_norms.size} layers the first layer gets {self.runs[0].delta_ratio:.2g} times "
            f"the last layer's gradient without skips and {self.runs[1].delta_ratio:.2g} times with them; at "
            f"{self.deep_depth} layers {self.deep_ratio_plain:.2g} against {self.deep_ratio_residual:.2g}."
        )
        return Figure((shallow, deep), alt=alt, title="An identity path keeps the gradient alive")


@experiment("fixes.residual")
def residual(*, deep_depth: int = 30, seed: int = 0) -> Residual:
    """Train the vanishing network with and without skips; profile both at `deep_depth` layers too."""
    deep_depth = positive_int("deep_depth", deep_depth)
    if deep_depth < 2:
        raise ValueError(f"deep_depth must be at least 2; got {deep_depth}")
    runs = (run(VANISHING, "plain", seed), run(VANISHING.but(residual=True), "residual", seed))
    x, y = probe_batch()
    plain, skip = (
        profile(VANISHING.but(depth=deep_depth, residual=r), seed, (x, y)).delta_norms for r in (False, True)
    )
    return Residual(
        seed=seed,
        runs=runs,
        deep_depth=deep_depth,
        deep_delta_plain=plain,
        deep_delta_residual=skip,
        deep_ratio_plain=float(plain[0] / plain[-1]),
        deep_ratio_residual=float(skip[0] / skip[-1]),
    )
