"""Training-time diagnostics, Karpathy style (docs/training-diagnostics.md).

A tanh network on the 8x8 digits, trained with plain SGD for 1,000 steps in three versions:
healthy (Xavier with tanh's gain 5/3, last layer shrunk to a tenth), saturated (hidden weights
three times too large) and badly scaled (healthy hidden layers, last layer ten times too large).
Recorded: the loss per step, the update-to-data ratio per layer per step, and histograms of
activations and gradients per layer at step 0 and after training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.train import fit
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.digits_bench import CHANCE_LOSS
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["Diagnostics", "diagnostics"]

NETS = ("healthy", "saturated", "badly scaled")
SETUP = {  # (hidden gain, last-layer scale)
    "healthy": (5.0 / 3.0, 0.1),
    "saturated": (5.0, 0.1),
    "badly scaled": (5.0 / 3.0, 10.0),
}
NET_LABEL = {
    "healthy": "healthy (Xavier \u00d7 5/3, last layer \u00d7 0.1)",
    "saturated": "saturated (hidden weights \u00d7 3)",
    "badly scaled": "badly scaled last layer (\u00d7 10)",
}
SAT = 0.97  # |tanh| above this: a saturated unit (slope below 0.06)
BINS = 25


@dataclass(frozen=True, kw_only=True)
class Diagnostics(Result):
    """Loss curves, update-to-data ratios and histograms for the three networks."""

    depth: int
    width: int
    steps: int
    lr: float
    batch: int
    nets: tuple[str, ...]
    classes: int
    ln_classes: float
    loss: np.ndarray = field(metadata={"ledger": False})  # (nets, steps + 1): plotted; quoted below
    loss_start: np.ndarray
    loss_end: np.ndarray  # mean of the last 50 steps
    ratio: np.ndarray = field(metadata={"ledger": False})  # (nets, hidden layers, steps): log10 update/data
    ratio_late: np.ndarray  # (nets, hidden layers): median over the last half of training
    saturated_start: np.ndarray  # (nets,): share of |a| > SAT over hidden layers, step 0
    saturated_end: np.ndarray
    edges_act: np.ndarray = field(metadata={"ledger": False})
    hist_act: np.ndarray = field(metadata={"ledger": False})  # (nets, 2 times, layers, BINS): shares
    edges_grad: np.ndarray = field(metadata={"ledger": False})  # (nets, 2, BINS + 1)
    hist_grad: np.ndarray = field(metadata={"ledger": False})

    # -- tables ------------------------------------------------------------------------------------
    def table(self, which: str | None = None) -> Table:
        """ "loss": start/end loss against ln C; "saturation": share of saturated units; "ratio": late ratios."""
        which = choice("which", which or "loss", ("loss", "saturation", "ratio"))
        if which == "loss":
            rows = tuple(
                (
                    NET_LABEL[n],
                    float(self.loss_start[i]),
                    float(self.loss_start[i] / self.ln_classes),
                    float(self.loss_end[i]),
                )
                for i, n in enumerate(self.nets)
            )
            return Table(
                (
                    "network",
                    "loss at step 0 (nats)",
                    "loss at step 0 / ln C",
                    f"loss after {self.steps:,} steps (nats)",
                ),
                rows,
                caption=f"A {self.classes}-class softmax network should start at ln {self.classes} = "
                f"{self.ln_classes:.3f} nats: it knows nothing yet, so it should spread its bets evenly.",
                formats=(None, ".3f", ".2f", ".3f"),
            )
        if which == "saturation":
            rows = tuple(
                (NET_LABEL[n], float(self.saturated_start[i]), float(self.saturated_end[i]))
                for i, n in enumerate(self.nets)
            )
            return Table(
                ("network", "saturated units at step 0 (share)", f"saturated units after {self.steps:,} steps (share)"),
                rows,
                caption=f"Share of (image, unit) pairs over all hidden layers with |tanh| above {SAT}.",
                formats=(None, ".3f", ".3f"),
            )
        rows = tuple((NET_LABEL[n], *(float(v) for v in self.ratio_late[i])) for i, n in enumerate(self.nets))
        return Table(
            ("network", *(f"log10 update/data, layer {k + 1}" for k in range(self.depth))),
            rows,
            caption=f"Median over the last {self.steps // 2:,} steps of log10(std of the update / std of the "
            "weights), per hidden layer (1 = input side). Around \u22123 is the rule of thumb.",
            formats=(None,) + (".2f",) * self.depth,
        )

    # -- figures -----------------------------------------------------------------------------------
    def figure(self, which: str | None = None) -> Figure:
        """ "activations" / "gradients": histograms; "ratio": update-to-data over steps; "loss": hockey stick."""
        which = choice("which", which or "activations", ("activations", "gradients", "ratio", "loss"))
        if which == "loss":
            steps = np.arange(self.steps + 1)
            keep = [self.nets.index("healthy"), self.nets.index("badly scaled")]
            series = tuple(Series(NET_LABEL[self.nets[i]], steps[::10], self.loss[i][::10]) for i in keep)
            return Figure(
                panels=(
                    Panel(
                        series,
                        "SGD step",
                        "training loss (nats)",
                        logy=True,
                        hlines=((self.ln_classes, f"ln {self.classes}"),),
                    ),
                ),
                alt=f"Log-scale training loss over {self.steps:,} steps. The badly scaled network starts at "
                f"{self.loss_start[keep[1]]:.1f} nats, far above ln {self.classes} = {self.ln_classes:.2f}, and drops "
                f"steeply at first (the hockey stick); the healthy one starts at {self.loss_start[keep[0]]:.2f}.",
                title="The initial-loss check and the hockey stick",
            )
        if which == "ratio":
            panels = []
            steps = np.arange(1, self.steps + 1)
            for i, n in enumerate(self.nets[:2]):
                series = tuple(Series(f"layer {k + 1}", steps[::20], self.ratio[i, k][::20]) for k in range(self.depth))
                panels.append(
                    Panel(series, "SGD step", "log10(update / data)", NET_LABEL[n], hlines=((-3.0, "\u22123"),))
                )
            return Figure(
                panels=tuple(panels),
                alt="Update-to-data ratio per hidden layer on a log10 axis over "
                f"{self.steps:,} steps, with a guide line at \u22123. Healthy net: late medians "
                f"{', '.join(f'{v:.1f}' for v in self.ratio_late[0])} (layer 1 first). Saturated net: "
                f"{', '.join(f'{v:.1f}' for v in self.ratio_late[1])}.",
                title="Update-to-data ratio per layer",
            )
        hist = self.hist_act if which == "activations" else self.hist_grad
        panels = []
        for i, n in enumerate(self.nets[:2]):
            for t, when in enumerate(("step 0", f"after {self.steps:,} steps")):
                edges = self.edges_act if which == "activations" else self.edges_grad[i, t]
                mid = 0.5 * (edges[1:] + edges[:-1])
                shown = sorted({0, self.depth // 2, self.depth - 1})  # first, middle and last hidden layer
                series = tuple(Series(f"layer {k + 1}", mid, hist[i, t, k], "step") for k in shown)
                xlabel = "activation tanh(z)" if which == "activations" else "gradient dL/dz"
                panels.append(Panel(series, xlabel, "share of values", f"{NET_LABEL[n]}, {when}"))
        if which == "activations":
            alt = (
                "Histograms of activations of the first, middle and last hidden layer, at step 0 and after training. "
                f"The saturated net piles up at \u22121 and +1 ({self.saturated_start[1]:.0%} of values beyond "
                f"±{SAT} at step 0, {self.saturated_end[1]:.0%} after); the healthy one spreads over the range "
                f"({self.saturated_start[0]:.0%}, then {self.saturated_end[0]:.0%})."
            )
        else:
            alt = (
                "Histograms of the gradient dL/dz of the first, middle and last hidden layer, at step 0 and after "
                "training, for the healthy "
                "and the saturated network. In the saturated net the layers' histograms differ in width; "
                "in the healthy one they overlap."
            )
        return Figure(panels=tuple(panels), alt=alt, title=f"Histograms of {which}, per layer")

    # -- claims ------------------------------------------------------------------------------------
    def claims(self) -> list[Claim]:
        """The initial-loss check, its fix, and the saturation spikes."""
        h, s, b = (self.nets.index(n) for n in NETS)
        scope = f"at step 0 and after {self.steps:,} SGD steps"
        return [
            Claim(
                "initial-loss-near-ln-c",
                "The healthy network starts at {healthy} nats, within {gap_pct} % of ln C = {ln_c}; the badly scaled "
                "last layer starts at {bad} nats, {bad_ratio} times ln C.",
                holds=abs(self.loss_start[h] / self.ln_classes - 1) < 0.05 and self.loss_start[b] > 2 * self.ln_classes,
                evidence={
                    "healthy": float(self.loss_start[h]),
                    "gap_pct": 100 * abs(float(self.loss_start[h] / self.ln_classes) - 1),
                    "ln_c": self.ln_classes,
                    "bad": float(self.loss_start[b]),
                    "bad_ratio": float(self.loss_start[b] / self.ln_classes),
                },
                intervention="last layer's weights \u00d7 10 instead of \u00d7 0.1; "
                "same hidden layers, data, steps, seed",
                scope="at initialisation",
            ),
            Claim(
                "shrinking-last-layer-trains-better",
                "Shrinking the last layer is the fix: after {steps} steps the healthy network's loss is {healthy} "
                "nats against {bad} for the badly scaled one.",
                holds=self.loss_end[h] < 0.8 * self.loss_end[b],
                evidence={"steps": self.steps, "healthy": float(self.loss_end[h]), "bad": float(self.loss_end[b])},
                intervention="last layer's weights \u00d7 0.1 instead of \u00d7 10; "
                "same hidden layers, data, steps, seed",
                scope=f"after {self.steps:,} SGD steps",
            ),
            Claim(
                "update-ratio-flags-sick-nets",
                "The update-to-data ratio tells the nets apart while they train: over the last {half} steps the "
                "healthy network's first layer sits at a log10 ratio of {healthy}, the saturated one's {gap_sat} "
                "decades lower in every layer or more, and the badly scaled one's first layer at {bad}: "
                "it has all but stopped.",
                holds=bool(np.all(self.ratio_late[s] < self.ratio_late[h] - 0.3))
                and self.ratio_late[b][0] < self.ratio_late[h][0] - 2.0
                and -4.5 < self.ratio_late[h][0] < -2.5,
                evidence={
                    "half": self.steps // 2,
                    "healthy": float(self.ratio_late[h][0]),
                    "gap_sat": float(np.min(self.ratio_late[h] - self.ratio_late[s])),
                    "bad": float(self.ratio_late[b][0]),
                },
                intervention="hidden gain 5 (or last layer \u00d7 10) instead of the healthy setup; same data, "
                "learning rate, steps, seed",
                scope=f"over {self.steps:,} SGD steps",
            ),
            Claim(
                "saturated-tanh-spikes-persist",
                "Hidden weights three times too large leave {sat_start} % of the tanh values beyond ±0.97 at step 0 "
                "and still {sat_end} % after {steps} steps; the healthy network has {ok_start} % and {ok_end} %.",
                holds=self.saturated_start[s] > 5 * self.saturated_start[h]
                and self.saturated_end[s] > 3 * self.saturated_end[h],
                evidence={
                    "sat_start": 100 * float(self.saturated_start[s]),
                    "sat_end": 100 * float(self.saturated_end[s]),
                    "ok_start": 100 * float(self.saturated_start[h]),
                    "ok_end": 100 * float(self.saturated_end[h]),
                    "steps": self.steps,
                },
                intervention="hidden gain 5 instead of 5/3; same widths, data, learning rate, steps, seed",
                scope=scope,
            ),
        ]


def _net(name: str, depth: int, width: int, seed: int) -> MLP:
    g, last = SETUP[name]
    net = MLP([64] + [width] * depth + [10], "tanh", init="xavier_normal", init_gain=g, loss="softmax_ce", seed=seed)
    net.layers[-1].W *= last
    return net


def _histograms(net: MLP, x: np.ndarray, y: np.ndarray, edges_act: np.ndarray) -> tuple:
    p = net.gradients(x, y, update_stats=False)
    acts = np.array([np.histogram(t.a, edges_act)[0] / t.a.size for t in p.hidden])
    deltas = [t.delta for t in p.hidden]
    top = max(float(np.max(np.abs(d))) for d in deltas) or 1.0
    edges = np.linspace(-top, top, BINS + 1)
    grads = np.array([np.histogram(d, edges)[0] / d.size for d in deltas])
    sat = float(np.mean([np.mean(np.abs(t.a) > SAT) for t in p.hidden]))
    return acts, edges, grads, sat


@experiment("depth.diagnostics")
def diagnostics(
    steps: int = 1000, depth: int = 5, width: int = 100, *, lr: float = 0.1, batch: int = 64, seed: int = 0
) -> Diagnostics:
    """Train the three networks with SGD for `steps` steps, recording loss, update/data ratios and histograms."""
    steps, depth, width = positive_int("steps", steps), positive_int("depth", depth), positive_int("width", width)
    batch = positive_int("batch", batch)
    x, y = digits("train", seed=seed)
    probe_x, probe_y = x[:256], y[:256]
    edges_act = np.linspace(-1.0, 1.0, BINS + 1)
    losses, ratios, sat0, sat1, ha, hg, eg = [], [], [], [], [], [], []
    for name in NETS:
        net = _net(name, depth, width, seed)
        a0, e0, g0, s0 = _histograms(net, probe_x, probe_y, edges_act)
        loss = [net.loss(x, y)]
        ratio = np.empty((depth, steps))

        def update_to_data(t: int, p, net: MLP = net, ratio: np.ndarray = ratio) -> None:
            for k, layer in enumerate(net.layers[:-1]):
                ratio[k, t] = math.log10(lr * float(np.std(p.layers[k].dW)) / float(np.std(layer.W)))

        def track_loss(t: int, net: MLP = net, loss: list = loss) -> None:
            loss.append(net.loss(x, y) if t % 10 == 9 or t < 50 else math.nan)

        recipe = {"optimizer": "sgd", "lr": lr, "steps": steps, "batch_size": batch, "seed": seed}
        fit(net, x, y, **recipe, on_gradients=update_to_data, on_update=track_loss)
        a1, e1, g1, s1 = _histograms(net, probe_x, probe_y, edges_act)
        losses.append(loss)
        ratios.append(ratio)
        sat0.append(s0)
        sat1.append(s1)
        ha.append([a0, a1])
        hg.append([g0, g1])
        eg.append([e0, e1])
    loss_arr = np.array(losses)
    ratio_arr = np.array(ratios)
    return Diagnostics(
        seed=seed,
        nets=NETS,
        classes=10,
        ln_classes=CHANCE_LOSS,
        depth=depth,
        width=width,
        steps=steps,
        lr=lr,
        batch=batch,
        loss=loss_arr,
        loss_start=loss_arr[:, 0],
        loss_end=np.nanmean(loss_arr[:, -50:], axis=1),
        ratio=ratio_arr,
        ratio_late=np.median(ratio_arr[:, :, steps // 2 :], axis=2),
        saturated_start=np.array(sat0),
        saturated_end=np.array(sat1),
        edges_act=edges_act,
        hist_act=np.array(ha),
        edges_grad=np.array(eg),
        hist_grad=np.array(hg),
    )
