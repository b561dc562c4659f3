"""What the vanishing gradient problem is: layers that receive no gradient do not move.

Experiments for docs/what.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float, positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.train import train
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["LayerMovement", "layer_movement"]

MOVED = "\u2016W_T \u2212 W_0\u2016 / \u2016W_0\u2016"  # relative weight change, typeset
NETWORKS = (("sigmoid", "xavier_normal", "sigmoid + Xavier"), ("relu", "he_normal", "ReLU + He"))


@dataclass(frozen=True, kw_only=True)
class LayerMovement(Result):
    """Relative weight change ||W_T - W_0|| / ||W_0|| per layer after plain SGD on the digits."""

    depth: int
    width: int
    steps: int
    lr: float
    batch_size: int
    labels: tuple[str, ...]
    weight_change: np.ndarray  # (networks, depth + 1), input side first, output layer last
    loss_start: np.ndarray  # per network, first batch before any update
    loss_end: np.ndarray  # per network, whole training set after the last update
    chance_loss: float  # ln(10): the loss of predicting the class frequencies, nothing more
    sigmoid_first: float
    sigmoid_last: float
    sigmoid_last_over_first: float
    relu_first: float
    sigmoid_factor: float  # per-layer shrink of ||dL/dz|| in the sigmoid net before training
    sigmoid_half_life: float  # layers over which ||dL/dz|| halves: ln 2 / -ln(factor)

    def table(self, which: str | None = None) -> Table:
        """One row per weight layer: relative change of each network's weights."""
        names = [f"hidden {k + 1}" for k in range(self.depth)] + ["output"]
        rows = tuple((names[k], *(float(v) for v in self.weight_change[:, k])) for k in range(self.depth + 1))
        return Table(
            ("layer (input side first)", *self.labels),
            rows,
            bar_column=1,
            caption=f"How far each layer's weights moved, {MOVED}, after {self.steps} SGD steps "
            f"(learning rate {self.lr:g}, batches of {self.batch_size}).",
            formats=(None,) + (".3g",) * len(self.labels),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Log-scale relative weight change against layer, one line per network."""
        k = np.arange(1, self.depth + 2)
        series = tuple(Series(lab, k, self.weight_change[i], "line") for i, lab in enumerate(self.labels))
        return Figure(
            panels=(Panel(series, "weight layer (1 = input side, last = output)", MOVED, logy=True),),
            alt=f"Log-scale plot of how far each layer's weights moved in training. In the sigmoid network the "
            f"first layer moved {self.sigmoid_first:.1e} of its size and the output layer {self.sigmoid_last:.2g}; "
            f"in the ReLU network the first layer moved {self.relu_first:.2g}.",
            title="Layers that get no gradient do not learn",
        )


@experiment("what.layer_movement")
def layer_movement(
    depth: int = 8, width: int = 32, steps: int = 200, lr: float = 0.1, batch_size: int = 64, *, seed: int = 0
) -> LayerMovement:
    """Train deep sigmoid and ReLU nets with SGD on 8x8 digits; measure each layer's relative weight change."""
    depth, width, steps = positive_int("depth", depth), positive_int("width", width), positive_int("steps", steps)
    lr, batch_size = finite_float("lr", lr, positive=True), positive_int("batch_size", batch_size)
    x, y = digits("train", seed=seed)
    change, start, end, factor = [], [], [], math.nan
    for act, init, _ in NETWORKS:
        net = MLP([x.shape[1]] + [width] * depth + [10], act, init=init, loss="softmax_ce", seed=seed)
        hist = train(
            net, x, y, optimizer="sgd", lr=lr, steps=steps, batch_size=batch_size, record_every=steps, seed=seed
        )
        change.append(hist.weight_change)
        start.append(hist.loss[0])
        end.append(hist.final_loss)
        if act == "sigmoid":
            d = hist.delta_norms[0]
            factor = float((d[0] / d[-1]) ** (1.0 / max(depth - 1, 1)))
    wc = np.array(change)
    return LayerMovement(
        seed=seed,
        depth=depth,
        width=width,
        steps=steps,
        lr=lr,
        batch_size=batch_size,
        labels=tuple(lab for _, _, lab in NETWORKS),
        weight_change=wc,
        loss_start=np.array(start),
        loss_end=np.array(end),
        chance_loss=math.log(10.0),
        sigmoid_first=float(wc[0, 0]),
        sigmoid_last=float(wc[0, -1]),
        sigmoid_last_over_first=float(wc[0, -1] / wc[0, 0]),
        relu_first=float(wc[1, 0]),
        sigmoid_factor=factor,
        sigmoid_half_life=math.log(2.0) / -math.log(factor),
    )
