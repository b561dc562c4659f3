"""The headline figure: per-layer gradient norms of a deep network, sigmoid versus ReLU and one fix.

Experiment for docs/index.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["Headline", "headline"]

NETWORKS = (
    ("sigmoid", "xavier_normal", None, "sigmoid"),
    ("relu", "he_normal", None, "ReLU (He init)"),
    ("sigmoid", "xavier_normal", "batch", "sigmoid + BatchNorm"),
)


@dataclass(frozen=True, kw_only=True)
class Headline(Result):
    """||dL/dW|| per weight layer (input side first, output last) of each network on one batch of digits."""

    depth: int
    width: int
    batch: int
    labels: tuple[str, ...]
    grad_norms: np.ndarray  # (networks, depth + 1)
    first_over_last_hidden: np.ndarray  # ||dL/dW_1|| / ||dL/dW_depth|| per network
    spans: np.ndarray  # log10(max / min) of ||dL/dW|| over the layers, per network: orders of magnitude
    sigmoid_span: float

    def table(self, which: str | None = None) -> Table:
        """One row per network: the first and last hidden layers' gradient norms and their ratio."""
        rows = tuple(
            (lab, float(g[0]), float(g[self.depth - 1]), float(r))
            for lab, g, r in zip(self.labels, self.grad_norms, self.first_over_last_hidden, strict=True)
        )
        return Table(
            ("network", "‖dL/dW‖ at layer 1", f"at layer {self.depth}", "ratio"),
            rows,
            bar_column=3,
            caption="Gradient reaching the first hidden layer versus the last one.",
            formats=(None, ".3g", ".3g", ".3g"),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Log-scale ||dL/dW|| against layer, one line per network."""
        k = np.arange(1, self.depth + 2)
        series = tuple(Series(lab, k, self.grad_norms[i]) for i, lab in enumerate(self.labels))
        others = "; ".join(f"{lab}: {s:.1f}" for lab, s in zip(self.labels[1:], self.spans[1:], strict=True))
        return Figure(
            panels=(Panel(series, "layer (1 = input side)", "‖dL/dW‖", logy=True),),
            alt=f"Log-scale plot of the weight-gradient norm at each of the {self.depth + 1} layers of a "
            f"{self.depth}-hidden-layer network on handwritten digits. Between its largest and smallest layer the "
            f"sigmoid network's gradient spans {self.sigmoid_span:.1f} orders of magnitude, falling towards "
            f"the input; {others}.",
            title=f"Gradient norm per layer, {self.depth} hidden layers, at initialisation",
        )

    def claims(self) -> list[Claim]:
        """The sigmoid net's gradient spans many decades; ReLU + He and sigmoid + BatchNorm stay level."""
        others = self.spans[1:]
        return [
            Claim(
                "home-sigmoid-spans-decades",
                "Before training, the sigmoid network's weight gradients span {sigmoid} orders of magnitude "
                "across its {depth} hidden layers and its output layer; ReLU with He initialisation and the "
                "sigmoid with BatchNorm span at most {others}.",
                holds=bool(self.sigmoid_span > 6 and np.all(others < 1)),
                evidence={"sigmoid": self.sigmoid_span, "depth": self.depth, "others": float(np.max(others))},
                intervention="hidden activation, init or normalisation; same data batch, depth, width, seed",
                scope="at initialisation",
            )
        ]


@experiment("home.headline")
def headline(depth: int = 20, width: int = 64, batch: int = 256, *, seed: int = 0) -> Headline:
    """Per-layer ||dL/dW|| at initialisation of sigmoid, ReLU + He and sigmoid + BatchNorm nets on a digits batch."""
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    x, y = digits("train", seed=seed)
    if batch > x.shape[0]:
        raise ValueError(f"batch must be at most {x.shape[0]} (the training digits); got {batch}")
    xb, yb = x[:batch], y[:batch]
    norms = []
    for act, init, norm, _ in NETWORKS:
        net = MLP([x.shape[1]] + [width] * depth + [10], act, init=init, norm=norm, loss="softmax_ce", seed=seed)
        norms.append(probe(net, xb, yb).grad_norms)
    g = np.array(norms)
    spans = np.log10(g.max(axis=1) / g.min(axis=1))
    return Headline(
        seed=seed,
        depth=depth,
        width=width,
        batch=batch,
        labels=tuple(n[-1] for n in NETWORKS),
        grad_norms=g,
        first_over_last_hidden=g[:, 0] / g[:, depth - 1],
        spans=spans,
        sigmoid_span=float(spans[0]),
    )
