"""A live training dashboard: the sick (sigmoid) and healthy (ReLU + He) networks side by side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice
from vgdocs.engine.diagnose import diagnose
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import CHANCE_LOSS, HEALTHY, VANISHING, Run, RunsResult, run
from vgdocs.experiments.fixes.optimisers import RULE_OF_THUMB, update_ratio_panel
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["Dashboard", "dashboard"]


@dataclass(frozen=True, kw_only=True)
class Dashboard(RunsResult):
    """What a monitoring dashboard shows for a sick and a healthy network trained the same way.

    sick_*/healthy_*: the first hidden layer's median update ratio and relative weight change,
    the mean saturated (sigmoid) or dead (ReLU) unit fraction at the end; the diagnose verdict
    and its thresholds. chance_loss: ln(10), the loss of a uniform guess over ten digits.
    """

    sick: Run
    healthy: Run
    rule_of_thumb: float
    chance_loss: float
    vanishing_threshold: float
    saturated_threshold: float
    dead_threshold: float
    sick_first_update: float
    sick_last_update: float
    healthy_first_update: float
    healthy_last_update: float
    sick_first_change: float
    sick_last_change: float
    healthy_first_change: float
    healthy_last_change: float
    sick_saturated: float
    healthy_dead: float
    sick_verdict: str
    healthy_verdict: str

    def table(self, which: str | None = None) -> Table:
        """Symptom by symptom: the sick network, the healthy one, and the threshold or rule of thumb."""
        s, h = self.sick, self.healthy
        rows = (
            ("training loss after training", s.final_loss, h.final_loss, f"chance level {self.chance_loss:.3g}"),
            (
                "‖dL/dz‖ first / last hidden layer",
                s.delta_ratio,
                h.delta_ratio,
                f"vanishing below {self.vanishing_threshold:g}",
            ),
            (
                "first layer's weights moved (relative)",
                self.sick_first_change,
                self.healthy_first_change,
                "compare with the last layer",
            ),
            ("last hidden layer's weights moved (relative)", self.sick_last_change, self.healthy_last_change, ""),
            (
                "update ratio, first hidden layer",
                self.sick_first_update,
                self.healthy_first_update,
                f"about {self.rule_of_thumb:g} per step",
            ),
            (
                "update ratio, last hidden layer",
                self.sick_last_update,
                self.healthy_last_update,
                f"about {self.rule_of_thumb:g} per step",
            ),
            (
                "saturated sigmoid units at the end",
                self.sick_saturated,
                None,
                f"flag a layer above {self.saturated_threshold:.0%}",
            ),
            ("dead ReLU units at the end", None, self.healthy_dead, f"flag a layer above {self.dead_threshold:.0%}"),
            ("diagnosis of ‖dL/dz‖ (the helper below)", self.sick_verdict, self.healthy_verdict, ""),
        )
        return Table(
            ("symptom", f"sick: {s.recipe}", f"healthy: {h.recipe}", "healthy range"),
            rows,
            caption="Update ratio: median over training of ‖step on W‖ / ‖W‖. Weights moved: "
            "‖W_end - W_start‖ / ‖W_start‖.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """'loss', 'gradients' (per-layer norm over training), 'updates' (per layer) or 'units'."""
        which = choice("which", which or "loss", ("loss", "gradients", "updates", "units"))
        s, h = self.sick, self.healthy
        if which == "loss":
            panel = Panel(
                (Series("sick", s.steps, s.loss, "dashed"), Series("healthy", h.steps, h.loss)),
                xlabel="training step",
                ylabel="cross-entropy loss",
                logy=True,
                hlines=((self.chance_loss, "chance level"),),
            )
            alt = (
                f"Loss over training. Sick network: {s.initial_loss:.3g} to {s.final_loss:.3g}, flat at chance "
                f"level; healthy network: {h.initial_loss:.3g} to {h.final_loss:.3g}."
            )
            return Figure((panel,), alt=alt, title="Loss: a plateau at chance level is the first symptom")
        if which == "gradients":
            panels = tuple(_gradient_panel(r, title) for r, title in ((s, "sick"), (h, "healthy")))
            alt = (
                f"Gradient norm of selected layers over training. In the sick network the first hidden layer's "
                f"weight gradient sits about {_decades(s)} orders of magnitude below the last hidden layer's "
                f"throughout; in the healthy network about {_decades(h)}."
            )
            return Figure(panels, alt=alt, title="Per-layer gradient norm over training")
        if which == "updates":
            panel = update_ratio_panel(
                [("sick", s.update_ratio, "dashed"), ("healthy", h.update_ratio, "line")], self.rule_of_thumb
            )
            alt = (
                f"Median update-to-weight ratio per layer. Sick: first hidden layer {self.sick_first_update:.2g}, "
                f"last {self.sick_last_update:.2g}; healthy: {self.healthy_first_update:.2g} and "
                f"{self.healthy_last_update:.2g}; the rule of thumb is {self.rule_of_thumb:g}."
            )
            return Figure((panel,), alt=alt, title="Update-to-weight ratio per layer")
        sat = _start_end_panel(s.saturated_history, "saturated", "sick (sigmoid)", self.saturated_threshold)
        dead = _start_end_panel(h.dead_history, "dead", "healthy (ReLU)", self.dead_threshold)
        alt = (
            f"Saturated sigmoid units per layer in the sick network (mean {self.sick_saturated:.2g} at the end) "
            f"and dead ReLU units in the healthy one (mean {self.healthy_dead:.2g})."
        )
        return Figure((sat, dead), alt=alt, title="Saturated and dead units")

    def claims(self) -> list[Claim]:
        """Loss at chance, a gradient gap at every logged step, and (under momentum SGD) a still first layer."""
        s, h = self.sick, self.healthy
        sick_gap = s.grad_norm_history[:, 0] / s.grad_norm_history[:, -2]
        healthy_gap = h.grad_norm_history[:, 0] / h.grad_norm_history[:, -2]
        scope = f"over {VANISHING.steps} momentum SGD steps"
        return [
            Claim(
                "detection-sick-loss-at-chance",
                "After training, the sick network's loss is {sick}, within {gap} of a uniform guess; the healthy "
                "network's is {healthy}.",
                holds=abs(s.final_loss - self.chance_loss) < 0.05 and h.final_loss < self.chance_loss - 1.0,
                evidence={
                    "sick": s.final_loss,
                    "gap": abs(s.final_loss - self.chance_loss),
                    "healthy": h.final_loss,
                },
                scope=scope,
            ),
            Claim(
                "detection-gradient-gap-every-step",
                "At every logged step the sick network's first-layer weight gradient is at most {sick} of its "
                "last hidden layer's; the healthy network's stays between {lo} and {hi} of it.",
                holds=bool(np.all(sick_gap < 1e-3) and np.all((healthy_gap > 0.1) & (healthy_gap < 10))),
                evidence={
                    "sick": float(np.max(sick_gap)),
                    "lo": float(np.min(healthy_gap)),
                    "hi": float(np.max(healthy_gap)),
                },
                scope=scope,
            ),
            Claim(
                "detection-sgd-first-layer-still",
                "Under momentum SGD the sick network's first hidden layer moved {sick} times as far as its last; "
                "the healthy network's {healthy} times as far.",
                holds=self.sick_first_change < 1e-3 * self.sick_last_change
                and self.healthy_first_change > 0.1 * self.healthy_last_change,
                evidence={
                    "sick": self.sick_first_change / self.sick_last_change,
                    "healthy": self.healthy_first_change / self.healthy_last_change,
                },
                scope=scope,
            ),
        ]


def _gradient_panel(r: Run, title: str) -> Panel:
    depth = r.grad_norm_history.shape[1] - 1
    picks = ((0, "layer 1"), (depth // 2, f"layer {depth // 2 + 1}"), (depth - 1, f"layer {depth}"), (depth, "output"))
    series = tuple(
        Series(label, r.steps, r.grad_norm_history[:, k], "dashed" if k == 0 else "line") for k, label in picks
    )
    return Panel(series, xlabel="training step", ylabel="‖dL/dW‖", logy=True, title=title)


def _decades(r: Run) -> str:
    med = np.nanmedian(r.grad_norm_history[:, -2] / r.grad_norm_history[:, 0])
    return f"{np.log10(med):.1f}"


def _last_finite(rows: np.ndarray) -> np.ndarray:
    keep = rows[~np.all(np.isnan(rows), axis=1)]
    return keep[-1] if keep.size else np.full(rows.shape[1], np.nan)


def _start_end_panel(history: np.ndarray, kind: str, title: str, threshold: float) -> Panel:
    """Share of `kind` units per hidden layer at the first and the last finite recorded step."""
    layers = np.arange(1, history.shape[1] + 1)
    return Panel(
        (Series("at the start", layers, history[0], "dashed"), Series("at the end", layers, _last_finite(history))),
        xlabel="hidden layer",
        ylabel=f"share of {kind} units",
        title=title,
        ylim=(0.0, 1.0),
        hlines=((threshold, "flag"),),
    )


@experiment("detection.dashboard")
def dashboard(*, seed: int = 0) -> Dashboard:
    """Train the chapter's sick (sigmoid, Xavier) and healthy (ReLU, He) networks and collect the symptoms."""
    sick, healthy = run(VANISHING, "sick", seed), run(HEALTHY, "healthy", seed)
    ref = diagnose([1.0, 1.0])
    return Dashboard(
        seed=seed,
        sick=sick,
        healthy=healthy,
        rule_of_thumb=RULE_OF_THUMB,
        chance_loss=CHANCE_LOSS,
        vanishing_threshold=ref.vanishing_ratio,
        saturated_threshold=ref.saturated_threshold,
        dead_threshold=ref.dead_threshold,
        sick_first_update=float(sick.update_ratio[0]),
        sick_last_update=float(sick.update_ratio[-2]),
        healthy_first_update=float(healthy.update_ratio[0]),
        healthy_last_update=float(healthy.update_ratio[-2]),
        sick_first_change=float(sick.weight_change[0]),
        sick_last_change=float(sick.weight_change[-2]),
        healthy_first_change=float(healthy.weight_change[0]),
        healthy_last_change=float(healthy.weight_change[-2]),
        sick_saturated=float(np.mean(_last_finite(sick.saturated_history))),
        healthy_dead=float(np.mean(_last_finite(healthy.dead_history))),
        sick_verdict=sick.verdict,
        healthy_verdict=healthy.verdict,
    )
