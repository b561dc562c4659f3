"""XOR, is it the vanishing gradient? One factor at a time on the 2-8-8-1 net (docs/xor.md).

Under plain SGD (one learning rate for every layer) a step is proportional to the gradient, so
the sigmoid layers' small gradients mean small steps. Multiplying only the hidden layers'
gradients by a constant (the intervention that undoes the attenuation) removes the failure;
multiplying only the output layer's does not. Under Adam a step's size does not depend on the
gradient's scale: the same multiplication changes nothing, and training longer is what helps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float, nonnegative_int, positive_int
from vgdocs.engine.data import xor
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.optim import ScaledOptimizer, make_optimizer
from vgdocs.engine.train import train
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["GradientScale", "gradient_scale"]


@dataclass(frozen=True, kw_only=True)
class GradientScale(Result):
    """Seeds solved per variant: (label, activation, optimiser, lr, epochs, hidden factor, output factor).

    solved: (variants, seeds) bool; final_loss: (variants, seeds); first_over_last: the median
    ‖dL/dW_1‖ / ‖dL/dW_out‖ before training (the same for every variant of one activation).
    """

    labels: tuple[str, ...]
    optimisers: tuple[str, ...]
    lrs: np.ndarray
    epochs: np.ndarray
    hidden_factor: np.ndarray
    output_factor: np.ndarray
    solved: np.ndarray
    solved_count: np.ndarray
    final_loss: np.ndarray
    n_seeds: int
    sigmoid_ratio: float
    relu_ratio: float
    factor: float
    adam_factor: float

    def table(self, which: str | None = None) -> Table:
        """One row per variant: optimiser, epochs, what was multiplied, seeds solved, median final loss."""
        rows = tuple(
            (
                label,
                f"{opt} (lr {self.lrs[i]:g})",
                int(self.epochs[i]),
                _factors(self.hidden_factor[i], self.output_factor[i]),
                f"{int(self.solved_count[i])} of {self.n_seeds}",
                float(np.median(self.final_loss[i])),
            )
            for i, (label, opt) in enumerate(zip(self.labels, self.optimisers, strict=True))
        )
        return Table(
            ("network", "optimiser", "epochs", "gradient multiplied", "seeds solved", "median final loss"),
            rows,
            caption="The same 2-8-8-1 network, data, initialisation and seeds in every row; each row "
            "changes one thing from the row it is compared with. Solved: all four outputs on the correct side of 0.5.",
            formats=(None, None, None, None, None, ".3g"),
        )

    def _count(self, label: str) -> int:
        return int(self.solved_count[self.labels.index(label)])

    def claims(self) -> list[Claim]:
        """SGD: vanishing is the cause (intervention); Adam: scale-invariant, time is what helps."""
        n = self.n_seeds
        sig, relu = self._count("sigmoid, SGD"), self._count("ReLU, SGD")
        hid, out = (
            self._count("sigmoid, SGD, hidden gradients scaled"),
            self._count("sigmoid, SGD, output gradient scaled"),
        )
        adam, adam_x = self._count("sigmoid, Adam"), self._count("sigmoid, Adam, hidden gradients scaled")
        adam_long = self._count("sigmoid, Adam, longer")
        ev = {"n": n}
        return [
            Claim(
                "xor-sgd-relu-solves-sigmoid-does-not",
                "Under plain SGD, with one learning rate for every layer, the ReLU network solves XOR on "
                "{ReLU} of {n} seeds and the sigmoid network on {sigmoid}.",
                holds=relu == n and sig <= n // 5,
                evidence={**ev, "ReLU": relu, "sigmoid": sig},
                intervention="hidden activation sigmoid instead of ReLU; same widths, init, optimiser, epochs, seeds",
                scope=f"after {int(self.epochs[0])} SGD epochs",
            ),
            Claim(
                "xor-sigmoid-gradient-smaller-at-first-layer",
                "Before training, the gradient reaching the sigmoid network's first layer is {sigmoid_ratio} of "
                "the gradient at its output layer (median over seeds); in the ReLU network it is {relu_ratio}.",
                holds=self.sigmoid_ratio < 0.1 and self.relu_ratio > 0.5,
                evidence={"sigmoid_ratio": self.sigmoid_ratio, "relu_ratio": self.relu_ratio},
                scope="at initialisation",
            ),
            Claim(
                "xor-sgd-scaling-hidden-gradients-cures",
                "Multiplying only the sigmoid hidden layers' gradients by {factor} (undoing the attenuation) "
                "lifts SGD from {sigmoid} to {scaled} of {n} seeds solved; multiplying only the output "
                "layer's gradient by the same factor solves {output}.",
                holds=hid == n and out <= n // 5 and sig <= n // 5,
                evidence={**ev, "factor": self.factor, "sigmoid": sig, "scaled": hid, "output": out},
                intervention="hidden-layer gradients multiplied by a constant before each SGD step; "
                "everything else (output layer, lr, epochs, init, seeds) held",
                scope=f"after {int(self.epochs[0])} SGD epochs",
            ),
            Claim(
                "xor-adam-scale-invariant",
                "Under Adam, multiplying the hidden layers' gradients by {factor} changes nothing: "
                "{unscaled} of {n} seeds solved without it, {scaled} with it.",
                holds=adam == adam_x and adam < n,
                evidence={**ev, "factor": self.adam_factor, "unscaled": adam, "scaled": adam_x},
                intervention="hidden-layer gradients multiplied by a constant before each Adam step; "
                "everything else held",
                scope=f"after {int(self.epochs[self.labels.index('sigmoid, Adam')])} Adam epochs",
            ),
            Claim(
                "xor-adam-longer-solves-every-seed",
                "Training the sigmoid network with Adam for {long} epochs instead of {short} solves "
                "{adam_long} of {n} seeds.",
                holds=adam_long == n and adam < n,
                evidence={
                    **ev,
                    "long": int(self.epochs[self.labels.index("sigmoid, Adam, longer")]),
                    "short": int(self.epochs[self.labels.index("sigmoid, Adam")]),
                    "adam_long": adam_long,
                },
                intervention="number of epochs; same lr, init and seeds",
            ),
        ]


def _factors(hidden: float, output: float) -> str:
    if hidden == 1.0 and output == 1.0:
        return "none"
    if output == 1.0:
        return f"hidden layers \u00d7 {hidden:g}"
    return f"output layer \u00d7 {output:g}"


@experiment("xor.gradient_scale")
def gradient_scale(
    seeds: Sequence[int] = tuple(range(10)),
    *,
    sgd_lr: float = 0.1,
    sgd_epochs: int = 1000,
    factor: float = 16.0,
    adam_lr: float = 1e-3,
    adam_epochs: int = 200,
    adam_factor: float = 100.0,
    long_epochs: int = 2000,
    seed: int = 0,
) -> GradientScale:
    """Seeds of the 2-8-8-1 XOR net solved under SGD and Adam, with and without gradient multipliers."""
    seed_list = [nonnegative_int("seeds[]", s) for s in seeds]
    if not seed_list:
        raise ValueError("seeds must list at least one seed")
    sgd_lr, adam_lr = finite_float("sgd_lr", sgd_lr, positive=True), finite_float("adam_lr", adam_lr, positive=True)
    factor = finite_float("factor", factor, positive=True)
    adam_factor = finite_float("adam_factor", adam_factor, positive=True)
    sgd_epochs, adam_epochs = positive_int("sgd_epochs", sgd_epochs), positive_int("adam_epochs", adam_epochs)
    long_epochs = positive_int("long_epochs", long_epochs)
    variants = (
        ("sigmoid, SGD", "sigmoid", "sgd", sgd_lr, sgd_epochs, 1.0, 1.0),
        ("ReLU, SGD", "relu", "sgd", sgd_lr, sgd_epochs, 1.0, 1.0),
        ("sigmoid, SGD, hidden gradients scaled", "sigmoid", "sgd", sgd_lr, sgd_epochs, factor, 1.0),
        ("sigmoid, SGD, output gradient scaled", "sigmoid", "sgd", sgd_lr, sgd_epochs, 1.0, factor),
        ("sigmoid, Adam", "sigmoid", "adam", adam_lr, adam_epochs, 1.0, 1.0),
        ("sigmoid, Adam, hidden gradients scaled", "sigmoid", "adam", adam_lr, adam_epochs, adam_factor, 1.0),
        ("sigmoid, Adam, longer", "sigmoid", "adam", adam_lr, long_epochs, 1.0, 1.0),
    )
    x, y = xor()
    solved, losses, ratios = [], [], {"sigmoid": [], "relu": []}
    for _, act, opt, lr, epochs, hid, out in variants:
        for s in seed_list:
            net = MLP([2, 8, 8, 1], act, init="xavier_uniform", loss="bce", seed=s)
            n = len(net.parameters())
            optimizer = ScaledOptimizer(make_optimizer(opt, lr), [hid] * (n - 2) + [out, out])
            hist = train(net, x, y, optimizer=optimizer, steps=epochs, record_every=epochs, seed=s)
            if hid == out == 1.0 and opt == "sgd":
                ratios[act].append(hist.grad_norms[0, 0] / hist.grad_norms[0, -1])
            solved.append(bool(np.all((net.predict(x).ravel() > 0.5) == (y.ravel() > 0.5))))
            losses.append(hist.final_loss)
    shape = (len(variants), len(seed_list))
    solved_arr = np.array(solved).reshape(shape)
    return GradientScale(
        seed=seed,
        labels=tuple(v[0] for v in variants),
        optimisers=tuple("SGD" if v[2] == "sgd" else "Adam" for v in variants),
        lrs=np.array([v[3] for v in variants]),
        epochs=np.array([v[4] for v in variants]),
        hidden_factor=np.array([v[5] for v in variants]),
        output_factor=np.array([v[6] for v in variants]),
        solved=solved_arr,
        solved_count=solved_arr.sum(axis=1),
        final_loss=np.array(losses).reshape(shape),
        n_seeds=len(seed_list),
        sigmoid_ratio=float(np.median(ratios["sigmoid"])),
        relu_ratio=float(np.median(ratios["relu"])),
        factor=factor,
        adam_factor=adam_factor,
    )
