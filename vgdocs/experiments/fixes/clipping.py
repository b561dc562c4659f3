"""Gradient clipping: rescale the whole gradient when its global norm exceeds a threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float
from vgdocs.engine.optim import clip_by_global_norm, global_norm
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import (
    EXPLODING,
    HEALTHY,
    VANISHING,
    Run,
    Setup,
    Trial,
    probe_batch,
    run,
    runs_table,
)
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["Clipping", "clipping"]


@dataclass(frozen=True, kw_only=True)
class Clipping(Trial):
    """Runs with and without clipping by global norm, and one clipped gradient looked at closely.

    runs: exploding, exploding + clip, vanishing, vanishing + clip, healthy, healthy + clip. For the first
    gradient of the exploding (and the vanishing) network: ||dL/dW|| per weight layer before and
    after clipping, the global norm before and after, and the first-to-last-layer ratio before and
    after (clipping multiplies every layer by the same number, so the ratio cannot change).
    """

    clip_norm: float
    exploding_before: np.ndarray
    exploding_after: np.ndarray
    exploding_global_before: float
    exploding_global_after: float
    exploding_ratio_before: float
    exploding_ratio_after: float
    vanishing_ratio_before: float
    vanishing_ratio_after: float
    clip_fractions: np.ndarray

    def claims(self) -> list[Claim]:
        """Clipping stops the overflow, leaves the vanishing run unchanged, and binds on most healthy steps."""
        ex, ex_c, va, va_c, he, he_c = self.runs
        return [
            Claim(
                "clipping-stops-overflow-not-vanishing",
                "Without clipping the exploding network overflows at step {over}; with clipping it runs every "
                "step and its loss falls from {c0} to {c1}. The vanishing network ends at {v} either way.",
                holds=ex.overflow_step is not None
                and ex_c.overflow_step is None
                and ex_c.final_loss < ex_c.initial_loss
                and va.final_loss == va_c.final_loss,
                evidence={
                    "over": -1 if ex.overflow_step is None else ex.overflow_step,
                    "c0": ex_c.initial_loss,
                    "c1": ex_c.final_loss,
                    "v": va_c.final_loss,
                },
                intervention=f"clipping at global norm {self.clip_norm:g} added; everything else held",
                scope="over the training run",
            ),
            Claim(
                "clipping-binds-on-healthy-and-slows-it",
                "On the healthy network clipping binds on {share:.0%} of the steps, and it ends at {clipped} "
                "against {free} without clipping.",
                holds=he_c.clip_fraction > 0.5 and he_c.final_loss > he.final_loss,
                evidence={"share": he_c.clip_fraction, "clipped": he_c.final_loss, "free": he.final_loss},
                intervention="clipping added to the healthy network",
                scope="over the training run",
            ),
        ]

    def table(self, which: str | None = None) -> Table:
        """'runs' (default): the trial table plus how often clipping bound; 'layers': one gradient, per layer."""
        if choice("which", which or "runs", ("runs", "layers")) == "layers":
            rows = tuple(
                (
                    k + 1 if k < self.exploding_before.size - 1 else "output",
                    float(self.exploding_before[k]),
                    float(self.exploding_after[k]),
                )
                for k in range(self.exploding_before.size)
            )
            return Table(
                ("weight layer", "‖dL/dW‖ before clipping", "after clipping"),
                rows,
                caption=f"The exploding network's first gradient, clipped to global norm {self.clip_norm:g}.",
            )
        base = runs_table(self.runs)
        rows = tuple((*row, float(f)) for row, f in zip(base.rows, self.clip_fractions, strict=True))
        return Table((*base.headers, "share of steps clipped"), rows, caption=base.caption, bar_column=base.bar_column)

    def figure(self, which: str | None = None) -> Figure:
        """'training' (default): loss with and without clipping; 'profile': as Trial."""
        which = choice("which", which or "training", ("training", "profile"))
        if which == "profile":
            return super().figure("profile")
        panels = []
        for title, pair in (("exploding network", self.runs[:2]), ("vanishing network", self.runs[2:4])):
            series = tuple(Series(r.label, r.steps, r.loss, "dashed" if i == 0 else "line") for i, r in enumerate(pair))
            panels.append(Panel(series, xlabel="training step", ylabel="cross-entropy loss", logy=True, title=title))
        ex, ex_clip, va, va_clip = self.runs[:4]
        alt = (
            f"Training loss with and without clipping at global norm {self.clip_norm:g}. Exploding network: "
            + (f"overflow at step {ex.overflow_step}" if ex.overflow_step is not None else f"{ex.final_loss:.3g}")
            + f" without clipping, {ex_clip.final_loss:.3g} with it. Vanishing network: {va.final_loss:.3g} "
            f"without, {va_clip.final_loss:.3g} with."
        )
        return Figure(tuple(panels), alt=alt, title="Clipping stops the blow-up; it does nothing for vanishing")


@experiment("fixes.clipping")
def clipping(clip_norm: float = 1.0, *, seed: int = 0) -> Clipping:
    """Train the exploding, vanishing and healthy networks with gradients clipped to global norm `clip_norm`."""
    clip_norm = finite_float("clip_norm", clip_norm, positive=True)
    runs: tuple[Run, ...] = (
        run(EXPLODING, "exploding", seed),
        run(EXPLODING.but(clip_norm=clip_norm), "exploding + clipping", seed),
        run(VANISHING, "vanishing", seed),
        run(VANISHING.but(clip_norm=clip_norm), "vanishing + clipping", seed),
        run(HEALTHY, "healthy", seed),
        run(HEALTHY.but(clip_norm=clip_norm), "healthy + clipping", seed),
    )
    ex = _clip_first(EXPLODING, clip_norm, seed)
    va = _clip_first(VANISHING, clip_norm, seed)
    return Clipping(
        seed=seed,
        runs=runs,
        clip_norm=clip_norm,
        exploding_before=ex[0],
        exploding_after=ex[1],
        exploding_global_before=ex[2],
        exploding_global_after=ex[3],
        exploding_ratio_before=_ends(ex[0]),
        exploding_ratio_after=_ends(ex[1]),
        vanishing_ratio_before=_ends(va[0]),
        vanishing_ratio_after=_ends(va[1]),
        clip_fractions=np.array([r.clip_fraction for r in runs]),
    )


def _ends(norms: np.ndarray) -> float:
    """First hidden layer's weight-gradient norm over the last hidden layer's."""
    return float(norms[0] / norms[-2])


def _clip_first(setup: Setup, clip_norm: float, seed: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Per-layer ||dL/dW|| of the first gradient before and after clipping, and the global norms."""
    x, y = probe_batch()
    net = setup.net(seed)
    p = net.gradients(x, y, update_stats=False)
    grads = p.gradients()
    clipped, before = clip_by_global_norm(grads, clip_norm)
    names = [name for name, _ in net.parameters()]
    per_layer = [np.linalg.norm(g) for g, n in zip(clipped, names, strict=True) if n.endswith(".W")]
    return p.grad_norms, np.array(per_layer), float(before), global_norm(clipped)
