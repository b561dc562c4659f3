"""Normalisation: rescale each layer's pre-activations so the slope and the gain per layer stay near 1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int
from vgdocs.engine.diagnose import saturated_fraction
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import VANISHING, Run, Setup, Trial, probe_batch, run
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["NORM_VARIANTS", "Normalisation", "normalisation"]

# (label, activation, norm) on the chapter's vanishing network; all are looked inside, TRAINED are trained
NORM_VARIANTS: tuple[tuple[str, str, str | None], ...] = (
    ("sigmoid", "sigmoid", None),
    ("sigmoid + batch norm", "sigmoid", "batch"),
    ("sigmoid + layer norm", "sigmoid", "layer"),
    ("tanh + layer norm", "tanh", "layer"),
)
TRAINED = 3


@dataclass(frozen=True, kw_only=True)
class Normalisation(Trial):
    """Runs of the vanishing network with and without normalisation, a look inside one layer,
    and histograms of a saturating network's sigmoid inputs with and without normalisation.

    runs: the first TRAINED variants, trained. For every variant (inside_labels), at hidden layer
    `layer` at initialisation: slope = mean f'(u) over the batch; gain = mean 1/std that the
    normalisation divides by (1 without one); factor = the measured per-layer change of ||dL/dz||
    ((first / last hidden layer) ** (1/(depth-1))).
    hist_*: the saturating network (weights N(0, hist_std^2)) at layer `layer`: bin edges, the
    share of activation inputs per bin for each of hist_labels, and the share of saturated units.
    """

    layer: int
    inside_labels: tuple[str, ...]
    slope: np.ndarray
    gain: np.ndarray
    factor: np.ndarray
    hist_std: float
    hist_labels: tuple[str, ...]
    hist_edges: np.ndarray
    hist_share: np.ndarray
    hist_saturated: np.ndarray

    def table(self, which: str | None = None) -> Table:
        """'runs' (default): the trial table; 'inside': slope x gain per layer against the measured factor."""
        if choice("which", which or "runs", ("runs", "inside")) == "runs":
            return super().table()
        rows = tuple(
            (lab, float(self.slope[i]), float(self.gain[i]), float(self.slope[i] * self.gain[i]), float(self.factor[i]))
            for i, lab in enumerate(self.inside_labels)
        )
        return Table(
            ("network", "mean slope f'(u)", "normalisation gain 1/std", "slope x gain", "measured factor per layer"),
            rows,
            caption=f"Inside hidden layer {self.layer} at initialisation. The weights contribute a "
            "factor near 1 in every row (Xavier initialisation), so slope x gain predicts the "
            "measured change of the gradient per layer.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """'histogram' (default): sigmoid inputs with and without normalisation; else as Trial."""
        which = choice("which", which or "histogram", ("histogram", "profile", "training"))
        if which != "histogram":
            return super().figure(which)
        centres = (self.hist_edges[:-1] + self.hist_edges[1:]) / 2
        series = tuple(
            Series(f"{lab} ({self.hist_saturated[i]:.0%} saturated)", centres, self.hist_share[i], "step")
            for i, lab in enumerate(self.hist_labels)
        )
        panel = Panel(
            series,
            xlabel=f"sigmoid input u at hidden layer {self.layer}",
            ylabel="share of inputs",
            title=f"weights N(0, {self.hist_std:g}²)",
        )
        alt = (
            f"Histogram of the sigmoid's input at hidden layer {self.layer} of a network with large weights. "
            + "; ".join(
                f"{lab}: {self.hist_saturated[i]:.0%} of units saturated" for i, lab in enumerate(self.hist_labels)
            )
            + "."
        )
        return Figure((panel,), alt=alt, title="Normalisation pulls the sigmoid's inputs back to its slope")

    def claims(self) -> list[Claim]:
        """Normalisation pulls units out of the tails; slope x gain predicts the factor; batch norm trains."""
        i_bn, i_ln = self.inside_labels.index("sigmoid + batch norm"), self.inside_labels.index("sigmoid + layer norm")
        predicted = self.slope * self.gain
        error = float(np.max(np.abs(np.log(predicted / self.factor))))
        plain, bn = self.runs[0], self.runs[1]
        return [
            Claim(
                "norm-pulls-units-out-of-the-tails",
                "At hidden layer {layer}, normalisation brings the share of saturated sigmoid outputs from {none} "
                "down to {bn} (batch norm) and {ln} (layer norm).",
                holds=bool(
                    self.hist_saturated[0] > 0.1 and np.all(self.hist_saturated[1:] < self.hist_saturated[0] / 5)
                ),
                evidence={
                    "layer": self.layer,
                    "none": float(self.hist_saturated[0]),
                    "bn": float(self.hist_saturated[1]),
                    "ln": float(self.hist_saturated[2]),
                },
                intervention="normalisation before each sigmoid; same large weights and batch",
                scope="at initialisation",
            ),
            Claim(
                "norm-slope-times-gain-predicts-factor",
                "Slope times gain predicts the measured factor per layer within a factor {error} for every "
                "network in the table; batch norm's product is {bn}, layer norm's with a sigmoid {ln}.",
                holds=error < np.log(1.25) and 0.8 < predicted[i_bn] < 1.25 and predicted[i_ln] < 0.5,
                evidence={"error": float(np.exp(error)), "bn": float(predicted[i_bn]), "ln": float(predicted[i_ln])},
                scope="at initialisation",
            ),
            Claim(
                "norm-batch-norm-rescues-sigmoid",
                "Batch norm lifts the sigmoid network's first-to-last ratio from {before} to {after} and its "
                "loss after training from {loss_before} to {loss_after}.",
                holds=bn.delta_ratio > 0.1 and plain.delta_ratio < 1e-3 and bn.final_loss < plain.final_loss - 1.0,
                evidence=dict(
                    before=plain.delta_ratio,
                    after=bn.delta_ratio,
                    loss_before=plain.final_loss,
                    loss_after=bn.final_loss,
                ),
                intervention="batch norm before each sigmoid; same weights, data, optimiser, steps, seed",
                scope=f"ratio at initialisation; loss after {VANISHING.steps} momentum SGD steps",
            ),
        ]


@experiment("fixes.normalisation")
def normalisation(
    *, layer: int = 5, hist_std: float = 1.0, bins: int = 40, hist_range: float = 10.0, seed: int = 0
) -> Normalisation:
    """Vanishing network with batch or layer normalisation; histograms on a network with N(0, hist_std^2) weights."""
    layer = positive_int("layer", layer)
    if layer > VANISHING.depth:
        raise ValueError(f"layer must be a hidden layer, 1..{VANISHING.depth}; got {layer}")
    hist_std = finite_float("hist_std", hist_std, positive=True)
    hist_range = finite_float("hist_range", hist_range, positive=True)
    bins = positive_int("bins", bins)
    setups = [VANISHING.but(activation=act, norm=norm) for _, act, norm in NORM_VARIANTS]
    labels = tuple(lab for lab, _, _ in NORM_VARIANTS)
    runs: tuple[Run, ...] = tuple(run(s, lab, seed) for s, lab in zip(setups[:TRAINED], labels, strict=False))
    x, y = probe_batch()
    slope, gain, factor = zip(*(_inside(s, layer, seed, x, y) for s in setups), strict=True)

    edges = np.linspace(-hist_range, hist_range, bins + 1)
    hist_setups = [VANISHING.but(init="normal", init_std=hist_std, norm=norm) for norm in (None, "batch", "layer")]
    hist_labels = ("no normalisation", "batch norm", "layer norm")
    share, saturated = [], []
    for s in hist_setups:
        p = probe(s.net(seed), x, y, activation_inputs=True)
        u = p.activation_inputs[layer - 1]
        counts, _ = np.histogram(np.clip(u, edges[0], edges[-1]), bins=edges)
        share.append(counts / u.size)
        saturated.append(saturated_fraction(p.activations[layer - 1], "sigmoid"))
    return Normalisation(
        seed=seed,
        runs=runs,
        layer=layer,
        inside_labels=labels,
        slope=np.array(slope),
        gain=np.array(gain),
        factor=np.array(factor),
        hist_std=hist_std,
        hist_labels=hist_labels,
        hist_edges=edges,
        hist_share=np.array(share),
        hist_saturated=np.array(saturated),
    )


def _inside(setup: Setup, layer: int, seed: int, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(mean slope, mean 1/std the normalisation divides by, per-layer factor of ||dL/dz||) at initialisation."""
    net = setup.net(seed)
    p = net.gradients(x, y, update_stats=False)
    tap = p.hidden[layer - 1]
    slope = float(np.mean(net.layers[layer - 1].act.derivative(tap.u)))
    d = p.delta_norms
    factor = float((d[0] / d[-1]) ** (1.0 / (d.size - 1)))
    if setup.norm is None:
        return slope, 1.0, factor
    axis = 0 if setup.norm == "batch" else 1
    return slope, float(np.mean(1.0 / np.sqrt(np.var(tap.z, axis=axis) + net.eps))), factor
