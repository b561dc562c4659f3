"""What the vanishing gradient problem is: layers that receive no gradient do not move.

Experiments for docs/what.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float, nonnegative_int, positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.train import train
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.digits_bench import CHANCE_LOSS
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["LayerMovement", "SignalCollapse", "layer_movement", "signal_collapse"]

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

    def claims(self) -> list[Claim]:
        """Under SGD the sigmoid net's first layer stays put and its loss stays near chance."""
        after = f"after {self.steps} SGD steps"
        return [
            Claim(
                "what-sgd-first-layer-still",
                "Under plain SGD the sigmoid network's output layer moved {ratio} times as far as its first "
                "hidden layer; the ReLU network's first layer moved {relu_first} of its size.",
                holds=self.sigmoid_last_over_first > 1e3 and self.relu_first > 100 * self.sigmoid_first,
                evidence={"ratio": self.sigmoid_last_over_first, "relu_first": self.relu_first},
                intervention="sigmoid + Xavier instead of ReLU + He; same data, depth, width, SGD recipe, seed",
                scope=after,
            ),
            Claim(
                "what-sigmoid-near-chance",
                "The sigmoid network ended at a loss of {sigmoid}, within {gap} of a uniform guess; the ReLU "
                "network reached {ReLU}.",
                holds=abs(self.loss_end[0] - self.chance_loss) < 0.05 and self.loss_end[1] < self.chance_loss - 1.0,
                evidence={
                    "sigmoid": float(self.loss_end[0]),
                    "gap": float(abs(self.loss_end[0] - self.chance_loss)),
                    "ReLU": float(self.loss_end[1]),
                },
                scope=after,
            ),
        ]


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
        chance_loss=CHANCE_LOSS,
        sigmoid_first=float(wc[0, 0]),
        sigmoid_last=float(wc[0, -1]),
        sigmoid_last_over_first=float(wc[0, -1] / wc[0, 0]),
        relu_first=float(wc[1, 0]),
        sigmoid_factor=factor,
        sigmoid_half_life=math.log(2.0) / -math.log(factor),
    )


# -- the erased input: forward collapse and frozen bottom layers -------------------------------------
FROZEN_FEATURES = ("frozen layers, raw", "frozen layers, standardised", "random projection, shallow net")


@dataclass(frozen=True, kw_only=True)
class SignalCollapse(Result):
    """Forward signal per layer at initialisation, and the top layers trained on frozen bottom layers.

    spread: (networks, seeds, depth) median over units of the standard deviation of a unit's
    activation across the training images, per hidden layer. frozen_loss: (variants, seeds)
    training loss after `steps` Adam steps of a net trained on fixed features, variants in
    FROZEN_FEATURES order: the first `frozen` random layers' output as it is, the same standardised
    (zero mean, unit variance per unit), and the input through the first layer's random weights
    with no activation, a genuinely shallow net on a random projection. The trained top is the deep
    net's own top two hidden layers and output layer, from their initial values.
    """

    labels: tuple[str, ...]
    depth: int
    width: int
    seeds: np.ndarray
    spread: np.ndarray
    frozen: int
    steps: int
    lr: float
    frozen_loss: np.ndarray
    chance_loss: float

    def table(self, which: str | None = None) -> Table:
        """'spread' (default): activation spread per layer; 'frozen': loss of the top trained on fixed features."""
        if (which or "spread") == "frozen":
            rows = tuple(
                (name, float(np.median(self.frozen_loss[i])), float(np.max(self.frozen_loss[i])))
                for i, name in enumerate(FROZEN_FEATURES)
            )
            return Table(
                ("features the top layers are trained on", "final loss (median)", "(worst seed)"),
                rows,
                caption=f"Two sigmoid hidden layers and the output layer trained for {self.steps} Adam steps "
                f"(lr {self.lr:g}), {self.seeds.size} seeds. A uniform guess scores ln 10 = {self.chance_loss:.3g}.",
                formats=(None, ".3g", ".3g"),
            )
        rows = tuple(
            (f"hidden {k + 1}", *(float(np.median(self.spread[i, :, k])) for i in range(len(self.labels))))
            for k in range(self.depth)
        )
        return Table(
            ("layer", *self.labels),
            rows,
            caption="Spread of a unit's output across the training images (standard deviation, median over "
            f"units and {self.seeds.size} seeds), before training.",
            formats=(None,) + (".3g",) * len(self.labels),
        )

    def claims(self) -> list[Claim]:
        """The sigmoid net's input is erased on the way up; the information is tiny, not gone."""
        sig = self.spread[0]
        drop = sig[:, 0] / sig[:, -1]
        relu_drop = self.spread[1][:, 0] / self.spread[1][:, -1]
        raw, std, proj = self.frozen_loss
        return [
            Claim(
                "what-forward-signal-collapses",
                "Before training, the spread of a sigmoid unit's output across images falls from {first} at "
                "layer 1 to {last} at layer {depth}, at least {drop} times on every seed; in the ReLU network "
                "it changes by at most a factor {ReLU}.",
                holds=bool(np.min(drop) > 1e3 and np.max(np.maximum(relu_drop, 1 / relu_drop)) < 3),
                evidence={
                    "first": float(np.median(sig[:, 0])),
                    "last": float(np.median(sig[:, -1])),
                    "depth": self.depth,
                    "drop": float(np.min(drop)),
                    "ReLU": float(np.max(np.maximum(relu_drop, 1 / relu_drop))),
                },
                scope="at initialisation",
            ),
            Claim(
                "what-frozen-raw-at-chance",
                "Trained on the raw output of the {frozen} frozen random layers, the top layers stay at the "
                "loss of a uniform guess: {raw} against {chance}.",
                holds=bool(np.min(raw) > self.chance_loss - 0.02),
                evidence={"frozen": self.frozen, "raw": float(np.median(raw)), "chance": self.chance_loss},
                scope=f"after {self.steps} Adam steps, every seed",
            ),
            Claim(
                "what-standardised-features-learn",
                "The same features, only standardised, reach {std}: the information about the image is "
                "still there, at a scale the layers above cannot use.",
                holds=bool(np.max(std) < self.chance_loss - 1.0),
                evidence={"std": float(np.median(std))},
                intervention="features rescaled to zero mean and unit variance per unit; same layers, "
                "optimiser, steps and seeds",
                scope=f"after {self.steps} Adam steps, every seed",
            ),
            Claim(
                "what-random-projection-learns",
                "A genuinely shallow net on a random projection of the pixels reaches {proj}, far from the "
                "frozen deep stack's {raw}.",
                holds=bool(np.max(proj) < self.chance_loss - 1.0 < np.min(raw) - 1.0),
                evidence={"proj": float(np.median(proj)), "raw": float(np.median(raw))},
                scope=f"after {self.steps} Adam steps, every seed",
            ),
        ]


def _features(net: MLP, x: np.ndarray, layers: int) -> np.ndarray:
    h = x
    for layer in net.layers[:layers]:
        h = layer.act(h @ layer.W + layer.b)
    return h


@experiment("what.signal_collapse")
def signal_collapse(
    depth: int = 8,
    width: int = 32,
    frozen: int = 6,
    steps: int = 1000,
    lr: float = 1e-3,
    seeds: tuple[int, ...] = (0, 1, 2),
    *,
    seed: int = 0,
) -> SignalCollapse:
    """Per-layer activation spread of the what page's nets, and their top trained on frozen bottom layers."""
    depth, width, steps = positive_int("depth", depth), positive_int("width", width), positive_int("steps", steps)
    frozen = positive_int("frozen", frozen)
    if frozen >= depth:
        raise ValueError(f"frozen must be below depth ({depth}) so some hidden layers train; got {frozen}")
    lr = finite_float("lr", lr, positive=True)
    seed_list = np.array([nonnegative_int("seeds[]", s) for s in seeds])
    if seed_list.size == 0:
        raise ValueError("seeds must list at least one seed")
    x, y = digits("train", seed=seed)
    spread = np.zeros((len(NETWORKS), seed_list.size, depth))
    losses = np.zeros((len(FROZEN_FEATURES), seed_list.size))
    for j, s in enumerate(seed_list):
        for i, (act, init, _) in enumerate(NETWORKS):
            net = MLP([x.shape[1]] + [width] * depth + [10], act, init=init, loss="softmax_ce", seed=int(s))
            for k in range(depth):
                spread[i, j, k] = np.median(_features(net, x, k + 1).std(axis=0))
            if act != "sigmoid":
                continue
            raw = _features(net, x, frozen)
            standard = (raw - raw.mean(axis=0)) / raw.std(axis=0)
            projection = x @ net.layers[0].W
            for v, features in enumerate((raw, standard, projection)):
                top = MLP([features.shape[1]] + [width] * (depth - frozen) + [10], act, loss="softmax_ce", seed=0)
                for mine, theirs in zip(top.layers, net.layers[frozen:], strict=True):
                    mine.W[...], mine.b[...] = theirs.W, theirs.b
                hist = train(
                    top,
                    features,
                    y,
                    optimizer="adam",
                    lr=lr,
                    steps=steps,
                    batch_size=64,
                    record_every=steps,
                    seed=int(s),
                )
                losses[v, j] = hist.final_loss
    return SignalCollapse(
        seed=seed,
        labels=tuple(lab for _, _, lab in NETWORKS),
        depth=depth,
        width=width,
        seeds=seed_list,
        spread=spread,
        frozen=frozen,
        steps=steps,
        lr=lr,
        frozen_loss=losses,
        chance_loss=CHANCE_LOSS,
    )
