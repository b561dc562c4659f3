"""The Glorot & Bengio trap: weight-gradient norms look level while the back-propagated signal vanishes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, positive_int
from vgdocs.engine.activations import ACTIVATIONS
from vgdocs.engine.data import digits
from vgdocs.engine.init import INITIALIZERS
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["GlorotTrap", "glorot_trap"]


@dataclass(frozen=True, kw_only=True)
class GlorotTrap(Result):
    """Per hidden layer at initialisation: ||dL/dW|| and ||dL/dz||, and how much each spreads.

    `*_spread` is the largest over the smallest value across the hidden layers; `*_ratio` is the
    first hidden layer's value over the last one's.
    """

    activation: str
    init: str
    depth: int
    width: int
    batch: int
    weight_grad_spread: float
    delta_spread: float
    weight_grad_ratio: float
    delta_ratio: float
    weight_grad_norms: np.ndarray
    delta_norms: np.ndarray

    def table(self, which: str | None = None) -> Table:
        """One row per hidden layer: both norms, each relative to the last hidden layer's."""
        w, d = self.weight_grad_norms, self.delta_norms
        rows = tuple(
            (k + 1, float(w[k]), float(w[k] / w[-1]), float(d[k]), float(d[k] / d[-1])) for k in range(self.depth)
        )
        return Table(
            ("hidden layer", "‖dL/dW‖", "relative to last", "‖dL/dz‖", "relative to last"),
            rows,
            caption=f"{self.activation}, {self.init} initialisation, {self.depth} hidden layers of "
            f"{self.width}, one batch of {self.batch} digits.",
            bar_column=4,
        )

    def figure(self, which: str | None = None) -> Figure:
        """Both norms per hidden layer, each divided by its value at the last hidden layer (log scale)."""
        layers = np.arange(1, self.depth + 1)
        panel = Panel(
            (
                Series("weight gradient ‖dL/dW‖", layers, self.weight_grad_norms / self.weight_grad_norms[-1]),
                Series("back-propagated ‖dL/dz‖", layers, self.delta_norms / self.delta_norms[-1], "dashed"),
            ),
            xlabel="hidden layer (1 = next to the input)",
            ylabel="norm / norm at the last hidden layer",
            logy=True,
            hlines=((1.0, "last hidden layer"),),
        )
        alt = (
            f"Two lines over {self.depth} hidden layers of a {self.activation} network. The weight-gradient "
            f"norm stays within a factor {self.weight_grad_spread:.2g} across layers while the back-propagated "
            f"gradient at the first layer is {self.delta_ratio:.2g} times the one at the last."
        )
        return Figure((panel,), alt=alt, title="Weight gradients look level; the signal behind them vanishes")

    def claims(self) -> list[Claim]:
        """Level weight gradients over a vanishing back-propagated gradient."""
        return [
            Claim(
                "detection-weight-gradients-look-level",
                "Across the {depth} hidden layers the weight-gradient norms stay within a factor of {weight} of "
                "each other, while the back-propagated gradient spreads over a factor of {delta}.",
                holds=self.weight_grad_spread < 3.0 and self.delta_spread > 100.0,
                evidence={"depth": self.depth, "weight": self.weight_grad_spread, "delta": self.delta_spread},
                scope="at initialisation",
            )
        ]


@experiment("detection.glorot_trap")
def glorot_trap(
    activation: str = "tanh",
    init: str = "standard",
    *,
    depth: int = 10,
    width: int = 64,
    batch: int = 256,
    seed: int = 0,
) -> GlorotTrap:
    """One forward/backward pass at initialisation on digits: weight-gradient vs back-propagated norms."""
    choice("activation", activation, ACTIVATIONS)
    choice("init", init.replace("-", "_"), INITIALIZERS)
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    if depth < 2:
        raise ValueError(f"depth must be at least 2 to compare layers; got {depth}")
    x, y = digits("train", seed=seed)
    net = MLP([64, *[width] * depth, 10], activation, init=init, loss="softmax_ce", seed=seed)
    p = probe(net, x[:batch], y[:batch])
    w, d = p.grad_norms[:-1], p.delta_norms
    return GlorotTrap(
        seed=seed,
        activation=activation,
        init=init,
        depth=depth,
        width=width,
        batch=batch,
        weight_grad_norms=w,
        delta_norms=d,
        weight_grad_spread=float(w.max() / w.min()),
        delta_spread=float(d.max() / d.min()),
        weight_grad_ratio=float(w[0] / w[-1]),
        delta_ratio=float(d[0] / d[-1]),
    )
