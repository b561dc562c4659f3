"""Why initialise randomly, and where Xavier's and He's variances come from (docs/fixes/init-derivation.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.gains import GAIN_ACTIVATIONS, gain
from vgdocs.engine.init import initialize
from vgdocs.engine.labels import label
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe_mlp
from vgdocs.engine.train import accuracy, fit
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["Gains", "Symmetry", "VarianceRules", "gains", "symmetry", "variance_rules"]

# Reader labels from the one registry; leaky ReLU's slope is named because its gain depends on it.
LABEL = {a: label(a) for a in ("linear", "sigmoid", "tanh", "relu", "selu")} | {"leaky_relu": "leaky ReLU (slope 0.01)"}
INITS = ("constant", "random")
INIT_LABEL = {"constant": "every hidden weight 0.1", "random": label("xavier_normal")}


# -- symmetry breaking -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Symmetry(Result):
    """Spread between the units of each hidden layer after training from a constant or a random init."""

    steps: int
    width: int
    depth: int
    inits: tuple[str, ...]
    spread: np.ndarray  # (inits, hidden layers): max over units j of max |W[:, j] - W[:, 0]| after training
    moved: np.ndarray  # (inits,): max |W_after - W_before| over the hidden layers (did training move them?)
    loss_before: np.ndarray
    loss_after: np.ndarray
    accuracy_after: np.ndarray  # training accuracy after the steps, share of images

    def table(self, which: str | None = None) -> Table:
        """One row per init: spread per hidden layer, how far the weights moved, loss and accuracy."""
        rows = tuple(
            (
                INIT_LABEL[name],
                *(float(v) for v in self.spread[i]),
                float(self.moved[i]),
                float(self.loss_before[i]),
                float(self.loss_after[i]),
                float(self.accuracy_after[i]),
            )
            for i, name in enumerate(self.inits)
        )
        heads = (
            "initialisation",
            *(f"largest gap between two units, hidden layer {k + 1}" for k in range(self.depth)),
            "largest weight change",
            "loss at step 0 (nats)",
            f"loss after {self.steps:,} steps (nats)",
            "training accuracy (share)",
        )
        return Table(
            heads,
            rows,
            caption=f"A tanh network with {self.depth} hidden layers of {self.width} units trained on the digits "
            f"for {self.steps:,} SGD steps. A gap of 0 means every unit of the layer still has the same weights.",
            formats=(None,) + (".3g",) * (self.depth + 1) + (".3f", ".3f", ".2f"),
        )

    def claims(self) -> list[Claim]:
        """Constant init: units stay identical although the weights moved; random init: they differ."""
        c, r = (self.inits.index(name) for name in ("constant", "random"))
        return [
            Claim(
                "constant-init-units-stay-identical",
                "From a constant initialisation the units of a layer whose incoming and outgoing weights are "
                "all equal keep the same weights: after {steps} steps the largest gap between two of them is "
                "{gap_constant}, although the weights moved by up to {moved}. Only the top hidden layer, which "
                "feeds the randomly drawn output layer, splits (gap {gap_top}). "
                "From a random initialisation the units differ by up to {gap_random}, "
                "and the network reaches {acc_random} % training accuracy against {acc_constant} %.",
                holds=float(self.spread[c][:-1].max()) <= 1e-9
                and float(self.moved[c]) > 1e-4
                and float(self.spread[r].min()) > 0.1
                and float(self.accuracy_after[r]) > float(self.accuracy_after[c]) + 0.2,
                evidence={
                    "steps": self.steps,
                    "gap_constant": float(self.spread[c][:-1].max()),
                    "gap_top": float(self.spread[c][-1]),
                    "moved": float(self.moved[c]),
                    "gap_random": float(self.spread[r].max()),
                    "acc_random": 100 * float(self.accuracy_after[r]),
                    "acc_constant": 100 * float(self.accuracy_after[c]),
                },
                intervention="every hidden weight 0.1 instead of Xavier (normal); "
                "same data, widths, learning rate, steps",
                scope=f"after {self.steps:,} SGD steps",
            )
        ]


def _spread(W: np.ndarray) -> float:
    return float(np.max(np.abs(W - W[:, :1])))


@experiment("depth.symmetry")
def symmetry(steps: int = 300, width: int = 32, depth: int = 3, *, lr: float = 0.5, seed: int = 0) -> Symmetry:
    """Train a tanh net on the digits from all-0.1 weights and from Xavier (normal); compare its units."""
    steps, width, depth = positive_int("steps", steps), positive_int("width", width), positive_int("depth", depth)
    x, y = digits("train", seed=seed)
    rec: dict[str, list] = {"spread": [], "moved": [], "loss_before": [], "loss_after": [], "accuracy_after": []}
    for name in INITS:
        net = MLP([64] + [width] * depth + [10], "tanh", init="xavier_normal", loss="softmax_ce", seed=seed)
        if name == "constant":
            for layer in net.layers[:-1]:  # hidden layers constant; the output layer keeps its random draw
                layer.W[...] = 0.1
        start = [layer.W.copy() for layer in net.layers[:-1]]
        rec["loss_before"].append(net.loss(x, y))
        fit(net, x, y, optimizer="sgd", lr=lr, steps=steps)
        rec["loss_after"].append(net.loss(x, y))
        rec["accuracy_after"].append(accuracy(net.predict(x), y, "softmax_ce"))
        rec["spread"].append([_spread(layer.W) for layer in net.layers[:-1]])
        rec["moved"].append(
            max(float(np.max(np.abs(layer.W - s))) for layer, s in zip(net.layers, start, strict=False))
        )
    arrays = {k: np.array(v) for k, v in rec.items()}
    return Symmetry(seed=seed, steps=steps, width=width, depth=depth, inits=INITS, **arrays)


# -- the variance rules ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class VarianceRules(Result):
    """Each rule's weight variance for one layer shape, and the variance measured on a drawn matrix."""

    fan_in: int
    fan_out: int
    rules: tuple[str, ...]
    formula: tuple[str, ...] = field(metadata={"ledger": False})
    variance: np.ndarray  # the rule's Var(W)
    measured: np.ndarray  # Var of one drawn matrix (NaN for rules the engine does not draw)
    uniform_bound: float  # sqrt(6 / (fan_in + fan_out))
    uniform_max: float  # largest |w| in a drawn Xavier (uniform) matrix

    def table(self, which: str | None = None) -> Table:
        """One row per rule: formula, Var(W) for this shape, measured Var on a drawn matrix."""
        rows = tuple(
            (r, f, float(v), None if math.isnan(m) else float(m))
            for r, f, v, m in zip(self.rules, self.formula, self.variance, self.measured, strict=True)
        )
        return Table(
            ("rule", "weight variance", f"value for fan-in {self.fan_in}, fan-out {self.fan_out}", "measured variance"),
            rows,
            caption="The variance each condition asks of the weights, and the variance of a matrix the engine "
            "draws (a blank cell: a condition, not an initialiser).",
            formats=(None, None, ".4g", ".4g"),
        )


@experiment("depth.variance_rules")
def variance_rules(fan_in: int = 256, fan_out: int = 64, *, seed: int = 0) -> VarianceRules:
    """Var(W) from the forward, backward, Glorot, He and LeCun rules, next to drawn matrices."""
    fi, fo = positive_int("fan_in", fan_in), positive_int("fan_out", fan_out)
    rng = np.random.default_rng(seed)
    drawn = {k: initialize(k, fi, fo, rng) for k in ("xavier_normal", "xavier_uniform", "he_normal", "lecun_normal")}
    rules = (
        ("forward: fan-in \u00d7 Var(W) = 1", "1 / fan-in", 1 / fi, math.nan),
        ("backward: fan-out \u00d7 Var(W) = 1", "1 / fan-out", 1 / fo, math.nan),
        ("Xavier (normal), Glorot's compromise", "2 / (fan-in + fan-out)", 2 / (fi + fo), drawn["xavier_normal"].var()),
        ("Xavier (uniform)", "bound² / 3 = 2 / (fan-in + fan-out)", 2 / (fi + fo), drawn["xavier_uniform"].var()),
        ("He (normal), for ReLU", "2 / fan-in", 2 / fi, drawn["he_normal"].var()),
        ("LeCun (normal), for SELU", "1 / fan-in", 1 / fi, drawn["lecun_normal"].var()),
    )
    return VarianceRules(
        seed=seed,
        fan_in=fi,
        fan_out=fo,
        rules=tuple(r[0] for r in rules),
        formula=tuple(r[1] for r in rules),
        variance=np.array([r[2] for r in rules]),
        measured=np.array([r[3] for r in rules]),
        uniform_bound=math.sqrt(6 / (fi + fo)),
        uniform_max=float(np.abs(drawn["xavier_uniform"]).max()),
    )


# -- gains ------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Gains(Result):
    """Each activation's gain and the pre-activation variance it keeps, per layer, with gain g and with 1."""

    names: tuple[str, ...]
    gain: np.ndarray
    depth: int
    width: int
    layers: tuple[int, ...]  # which hidden layers are reported (1 = input side)
    var_gain: np.ndarray  # (names, layers): Var(z) with weights N(0, g^2 / fan_in), mean over seeds
    var_one: np.ndarray  # (names, layers): the same with g = 1
    seeds: int

    def table(self, which: str | None = None) -> Table:
        """One row per activation: gain, then Var(z) per reported layer with the gain and with 1."""
        rows = tuple(
            (LABEL[n], float(self.gain[i]), *(float(v) for v in self.var_gain[i]), float(self.var_one[i][-1]))
            for i, n in enumerate(self.names)
        )
        heads = (
            "activation",
            "gain g",
            *(f"Var(z) per unit, layer {k}, weights g²/fan-in" for k in self.layers),
            f"Var(z) per unit, layer {self.layers[-1]}, weights 1/fan-in",
        )
        return Table(
            heads,
            rows,
            caption=f"Pre-activation variance at initialisation in a {self.depth}-layer network of width "
            f"{self.width}, standard-normal inputs, mean of {self.seeds} seeds.",
            formats=(None, ".4g") + (".3g",) * (len(self.layers) + 1),
        )

    def claims(self) -> list[Claim]:
        """ReLU's √2 keeps the variance; gain 1 halves it per layer."""
        i, last = self.names.index("relu"), len(self.layers) - 1
        kept = float(self.var_gain[i][last] / self.var_gain[i][0])
        lost = float(self.var_one[i][last] / self.var_one[i][0])
        steps = self.layers[-1] - self.layers[0]
        return [
            Claim(
                "relu-gain-keeps-variance",
                "With ReLU's gain √2 the pre-activation variance at layer {last} is {kept} times that at layer "
                "{first}; with gain 1 it is {lost} times, close to the {halving} that halving at each of "
                "{steps} layers predicts.",
                holds=0.5 < kept < 2.0 and lost < 1e-3 and 0.3 < lost / 0.5**steps < 3.0,
                evidence={
                    "first": self.layers[0],
                    "last": self.layers[-1],
                    "kept": kept,
                    "lost": lost,
                    "halving": 0.5**steps,
                    "steps": steps,
                },
                intervention="weight std √2/√fan-in instead of 1/√fan-in; same inputs, width, depth, seeds",
                scope="at initialisation",
            )
        ]


def _variances(act: str, g: float, depth: int, width: int, batch: int, seed: int) -> np.ndarray:
    size = {"depth": depth, "width": width, "batch": batch, "seed": seed}
    return probe_mlp(act, **size, init="lecun_normal", init_gain=g, variances=True).preactivation_vars


@experiment("depth.gains")
def gains(depth: int = 30, width: int = 256, batch: int = 256, *, seeds: int = 3, seed: int = 0) -> Gains:
    """Gains for each activation and Var(z) per layer at init with weights N(0, g²/fan-in) and N(0, 1/fan-in)."""
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    seeds = positive_int("seeds", seeds)
    layers = (1, depth // 3, 2 * depth // 3, depth)
    idx = [k - 1 for k in layers]
    names = GAIN_ACTIVATIONS
    g = np.array([gain(n) for n in names])

    def var_z(act: str, g: float) -> np.ndarray:
        """Var(z) at the reported layers, mean over the seeds."""
        return np.mean([_variances(act, g, depth, width, batch, seed + s)[idx] for s in range(seeds)], axis=0)

    var_gain = np.array([var_z(n, gn) for n, gn in zip(names, g, strict=True)])
    var_one = np.array([var_z(n, 1.0) for n in names])
    return Gains(
        seed=seed,
        names=names,
        gain=g,
        depth=depth,
        width=width,
        layers=layers,
        var_gain=var_gain,
        var_one=var_one,
        seeds=seeds,
    )
