"""XOR, the smallest demonstration: the same 2-8-8-1 network with sigmoid or ReLU hidden layers.

Experiment for docs/xor.md. Both variants use a sigmoid output with binary cross-entropy, Glorot
uniform weights and zero biases (Keras's defaults), and Adam at its default learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float, nonnegative_int, positive_int
from vgdocs.engine.activations import ACTIVATIONS
from vgdocs.engine.data import xor
from vgdocs.engine.labels import label
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.train import train
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["LearningRates", "XorRuns", "learning_rates", "xor_runs"]

PROBE = (1.0, 0.0)


@dataclass(frozen=True, kw_only=True)
class XorRuns(Result):
    """Per variant and seed: loss curve, final outputs, the prediction for [1, 0], and whether XOR was solved.

    Solved means all four outputs are on the correct side of 0.5 after the last epoch.
    """

    activations: tuple[str, ...]
    seeds: np.ndarray
    epochs: int
    lr: float
    init: str
    hidden: tuple[int, ...]
    record_every: int
    loss_curves: np.ndarray  # (variants, seeds, records): loss before the update of epochs 0, k, 2k, ...
    final_loss: np.ndarray  # (variants, seeds)
    outputs: np.ndarray  # (variants, seeds, 4): predicted P(y = 1) for the four inputs after training
    probe_prediction: np.ndarray  # (variants, seeds): P(y = 1) for [1, 0]; the right answer is 1
    solved: np.ndarray  # (variants, seeds) bool
    solved_count: np.ndarray  # (variants,)
    first_over_last: np.ndarray  # (variants, seeds): ||dL/dW_1|| / ||dL/dW_out|| before training
    chance_loss: float  # ln 2: the loss of answering 0.5 everywhere
    n_seeds: int
    sigmoid_solved: int
    relu_solved: int

    def table(self, which: str | None = None) -> Table:
        """which=None: one row per variant (seeds solved, median loss, prediction for [1, 0]);
        which="seeds": one row per seed."""
        which = choice("which", which or "summary", ("summary", "seeds"))
        if which == "seeds":
            heads = ["seed"]
            for a in self.activations:
                heads += [f"{label(a)}: P(1 | [1, 0])", f"{label(a)}: solved"]
            rows = tuple(
                (
                    int(s),
                    *(
                        v
                        for i in range(len(self.activations))
                        for v in (float(self.probe_prediction[i, j]), bool(self.solved[i, j]))
                    ),
                )
                for j, s in enumerate(self.seeds)
            )
            return Table(
                tuple(heads),
                rows,
                caption="Prediction for the input [1, 0] (target 1) after training, "
                "and whether all four XOR points were classified correctly.",
            )
        rows = tuple(
            (
                a,
                f"{int(self.solved_count[i])} of {self.n_seeds}",
                float(np.median(self.final_loss[i])),
                float(np.median(self.probe_prediction[i])),
                float(np.median(self.first_over_last[i])),
            )
            for i, a in enumerate(self.activations)
        )
        rows = tuple((label(r[0]), *r[1:]) for r in rows)
        return Table(
            (
                "hidden activation",
                "seeds solved",
                "median final loss",
                "median P(1 | [1, 0])",
                "median ‖dL/dW_1‖ / ‖dL/dW_out‖ at start",
            ),
            rows,
            caption=f"{len(self.seeds)} seeds, {self.epochs} epochs of Adam (lr {self.lr:g}). "
            "Solved: all four outputs on the correct side of 0.5.",
            formats=(None, None, ".3g", ".3g", ".3g"),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Loss curves: one panel per variant, one line per seed (dashed if unsolved), chance loss ln 2 marked."""
        t = np.arange(0, self.epochs, self.record_every)
        panels = []
        for i, a in enumerate(self.activations):
            series, named = [], set()
            for j in range(len(self.seeds)):
                kind = "solved" if self.solved[i, j] else "not solved"
                legend = "" if kind in named else f"{kind} (one line per seed)"
                named.add(kind)
                series.append(Series(legend, t, self.loss_curves[i, j], "line" if self.solved[i, j] else "dashed"))
            panels.append(
                Panel(
                    tuple(series),
                    "epoch",
                    "binary cross-entropy",
                    f"{label(a)} hidden layers",
                    hlines=((self.chance_loss, "ln 2: answering 0.5"),),
                )
            )
        summary = "; ".join(
            f"{label(a)}: {int(c)} of {self.n_seeds} seeds solved, median final loss "
            f"{np.median(self.final_loss[i]):.3g}"
            for i, (a, c) in enumerate(zip(self.activations, self.solved_count, strict=True))
        )
        return Figure(
            panels=tuple(panels),
            title="XOR loss curves, one line per seed",
            alt=f"Training loss over {self.epochs} epochs for each seed, one panel per hidden activation. {summary}.",
        )

    def claims(self) -> list[Claim]:
        """Within the budget the sigmoid nets stay on the ln 2 plateau and ReLU solves more seeds."""
        sig, relu = self.activations.index("sigmoid"), self.activations.index("relu")
        gap = float(np.max(np.abs(self.final_loss[sig] - self.chance_loss)))
        scope = f"after {self.epochs} Adam epochs"
        return [
            Claim(
                "xor-adam-sigmoid-on-plateau",
                "After {epochs} epochs every sigmoid seed still sits on the $\\ln 2$ line: its final loss is "
                "at most {gap} away from it.",
                holds=gap < 0.01,
                evidence={"epochs": self.epochs, "gap": gap},
                scope=scope,
            ),
            Claim(
                "xor-adam-relu-solves-more",
                "With Adam at its default learning rate, ReLU hidden layers solve {ReLU} of {n} seeds and "
                "sigmoid hidden layers {sigmoid}.",
                holds=int(self.solved_count[relu]) >= int(self.solved_count[sig]) + self.n_seeds // 2,
                evidence={
                    "ReLU": int(self.solved_count[relu]),
                    "sigmoid": int(self.solved_count[sig]),
                    "n": self.n_seeds,
                },
                intervention="hidden activation; same widths, init, optimiser, epochs, seeds",
                scope=scope,
            ),
        ]


@experiment("xor.xor_runs")
def xor_runs(
    activations: Sequence[str] = ("sigmoid", "relu"),
    seeds: Sequence[int] = tuple(range(10)),
    *,
    epochs: int = 200,
    lr: float = 1e-3,
    hidden: Sequence[int] = (8, 8),
    init: str = "xavier_uniform",
    record_every: int = 2,
    seed: int = 0,
) -> XorRuns:
    """Train a 2-hidden-8-8-1 net on XOR for each hidden activation and seed (full batch, Adam)."""
    acts = tuple(choice("activations[]", a, ACTIVATIONS) for a in activations)
    seed_list = np.array([nonnegative_int("seeds[]", s) for s in seeds])
    epochs, lr = positive_int("epochs", epochs), finite_float("lr", lr, positive=True)
    record_every = positive_int("record_every", record_every)
    widths = [2, *(positive_int("hidden[]", h) for h in hidden), 1]
    x, y = xor()
    probe = int(np.flatnonzero(np.all(x == np.array(PROBE), axis=1))[0])
    curves, final, outs, ratios = [], [], [], []
    for a in acts:
        for s in seed_list:
            net = MLP(widths, a, init=init, loss="bce", seed=int(s))
            hist = train(net, x, y, optimizer="adam", lr=lr, steps=epochs, record_every=record_every, seed=int(s))
            curves.append(hist.loss)
            final.append(hist.final_loss)
            outs.append(net.predict(x).ravel())
            ratios.append(hist.grad_norms[0, 0] / hist.grad_norms[0, -1])
    shape = (len(acts), seed_list.size)
    outputs = np.array(outs).reshape(*shape, x.shape[0])
    solved = np.all((outputs > 0.5) == (y > 0.5), axis=2)
    count = solved.sum(axis=1)
    by_name = dict(zip(acts, count, strict=True))
    return XorRuns(
        seed=seed,
        activations=acts,
        seeds=seed_list,
        epochs=epochs,
        lr=lr,
        init=init,
        hidden=tuple(widths[1:-1]),
        record_every=record_every,
        loss_curves=np.array(curves).reshape(*shape, -1),
        final_loss=np.array(final).reshape(shape),
        outputs=outputs,
        probe_prediction=outputs[:, :, probe],
        solved=solved,
        solved_count=count,
        first_over_last=np.array(ratios).reshape(shape),
        chance_loss=math.log(2.0),
        n_seeds=int(seed_list.size),
        sigmoid_solved=int(by_name.get("sigmoid", -1)),
        relu_solved=int(by_name.get("relu", -1)),
    )


@dataclass(frozen=True, kw_only=True)
class LearningRates(Result):
    """XOR seeds solved and median final loss per learning rate and hidden activation (200 epochs of Adam)."""

    lrs: np.ndarray
    activations: tuple[str, ...]
    epochs: int
    n_seeds: int
    solved_count: np.ndarray  # (lrs, activations)
    median_loss: np.ndarray  # (lrs, activations)
    median_probe: np.ndarray  # (lrs, activations): median P(1 | [1, 0])

    def table(self, which: str | None = None) -> Table:
        """One row per (learning rate, activation)."""
        rows = tuple(
            (
                float(lr),
                label(a),
                f"{int(self.solved_count[i, j])} of {self.n_seeds}",
                float(self.median_loss[i, j]),
                float(self.median_probe[i, j]),
            )
            for i, lr in enumerate(self.lrs)
            for j, a in enumerate(self.activations)
        )
        return Table(
            ("Adam learning rate", "hidden activation", "seeds solved", "median final loss", "median P(1 | [1, 0])"),
            rows,
            caption=f"The same {self.n_seeds} seeds and {self.epochs} epochs at each learning rate.",
            formats=(".3g", None, None, ".3g", ".3g"),
        )

    def claims(self) -> list[Claim]:
        """A ten times larger Adam learning rate solves most sigmoid seeds in the same epochs."""
        j = self.activations.index("sigmoid")
        lo, hi = int(self.solved_count[0, j]), int(self.solved_count[-1, j])
        return [
            Claim(
                "xor-larger-lr-solves-sigmoid",
                "At Adam learning rate {hi_lr} the sigmoid network solves {hi} of {n} seeds in the same "
                "{epochs} epochs, against {lo} at {lo_lr}.",
                holds=hi > self.n_seeds // 2 and hi >= lo + self.n_seeds // 2,
                evidence={
                    "hi_lr": float(self.lrs[-1]),
                    "lo_lr": float(self.lrs[0]),
                    "hi": hi,
                    "lo": lo,
                    "n": self.n_seeds,
                    "epochs": self.epochs,
                },
                intervention="Adam learning rate; same network, init, epochs, seeds",
                scope=f"after {self.epochs} Adam epochs",
            )
        ]


@experiment("xor.learning_rates")
def learning_rates(lrs: Sequence[float] = (1e-3, 1e-2), *, seed: int = 0) -> LearningRates:
    """`xor_runs` (its default seeds and epochs) at each learning rate in `lrs`."""
    runs = [xor_runs(lr=finite_float("lrs[]", lr, positive=True)) for lr in lrs]
    first = runs[0]
    return LearningRates(
        seed=seed,
        lrs=np.array([r.lr for r in runs]),
        activations=first.activations,
        epochs=first.epochs,
        n_seeds=first.n_seeds,
        solved_count=np.array([r.solved_count for r in runs]),
        median_loss=np.array([np.median(r.final_loss, axis=1) for r in runs]),
        median_probe=np.array([np.median(r.probe_prediction, axis=1) for r in runs]),
    )
