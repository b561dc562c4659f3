"""He et al. (2015): the factor 2 for ReLU."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import finite_float, positive_int
from vgdocs.engine.at_init import mlp_at_init
from vgdocs.engine.data import digits
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.optim import make_optimizer
from vgdocs.engine.probe import probe
from vgdocs.engine.train import train
from vgdocs.experiments._core import experiment
from vgdocs.experiments.reproductions._common import (
    INIT_LABEL,
    Criterion,
    PaperResult,
    compare,
)
from vgdocs.publish.present.spec import Figure, Panel, Series

# He, Zhang, Ren & Sun (2015), "Delving deep into rectifiers", sec. 2.2: with ReLU the variance of
# a layer's responses is multiplied by n Var[w] / 2 per layer: 1 with their initialisation
# Var[w] = 2/n, 1/2 with Xavier's 1/n, so under Xavier the signal shrinks as 2^-L.
HE_FACTOR = {"xavier_normal": 0.5, "he_normal": 1.0}
# Same paper, sec. 2.2 ("Comparisons with Xavier initialization") and fig. 3: a 30-layer ReLU net
# trained from Xavier initialisation completely stalls; from theirs it converges.
HE_DEPTH = 30

# -- He et al.: the factor 2 for ReLU --------------------------------------------------------------
HE_INITS = ("xavier_normal", "he_normal")


@dataclass(frozen=True, kw_only=True)
class HeReLU(PaperResult):
    """Signal variance per layer of a deep ReLU net under Xavier and He, and a short training run of each.

    signal_var: (inits, depth) Var[z^l] relative to the first hidden layer, geometric mean over seeds;
    factor: per-layer factor of that variance; loss: (inits, records) batch loss at `steps_recorded`.
    """

    depth: int
    width: int
    batch: int
    n_seeds: int
    inits: tuple[str, ...]
    signal_var: np.ndarray
    factor: np.ndarray
    predicted_last: np.ndarray  # published factor ** (depth - 1): Var[z^depth] / Var[z^1] by the paper's formula
    steps: int
    lr: float
    momentum: float
    batch_size: int
    steps_recorded: np.ndarray = field(metadata={"ledger": False})
    loss: np.ndarray
    initial_loss: np.ndarray  # training-set loss before the first step
    final_loss: np.ndarray  # training-set loss after the last step
    loss_drop: np.ndarray  # 1 - final / initial, per init

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            f"{self.depth}-layer ReLU networks of width {self.width}. Variance over "
            f"{self.n_seeds} seeds of {self.batch} random inputs; training: SGD with momentum "
            f"{self.momentum:g}, lr {self.lr:g}, {self.steps} steps of {self.batch_size} digits."
        )

    def figure(self, which: str | None = None) -> Figure:
        """Left: Var[z^l] per layer with the paper's prediction dashed; right: training loss."""
        k = np.arange(1, self.depth + 1)
        left, right = [], []
        for j, init in enumerate(self.inits):
            name = INIT_LABEL[init]
            left.append(Series(f"{name}, measured", k, self.signal_var[j]))
            left.append(Series(f"{name}, (n Var[w] / 2)^(l-1)", k, HE_FACTOR[init] ** (k - 1.0), "dashed"))
            right.append(Series(name, self.steps_recorded, self.loss[j]))
        return Figure(
            panels=(
                Panel(tuple(left), "hidden layer l", "Var[z^l] / Var[z^1]", "signal variance", logy=True),
                Panel(tuple(right), "training step", "training loss", "training"),
            ),
            alt=f"Left: log-scale signal variance over the {self.depth} layers of a ReLU network; under Xavier it "
            f"halves at every layer, to {self.signal_var[0, -1]:.2g} of the first layer's, under He it stays "
            f"level, each on its dashed prediction. Right: training loss; the Xavier network stays at "
            f"{self.final_loss[0]:.3g} while the He network falls to {self.final_loss[1]:.3g}.",
            title=f"He et al.'s {self.depth}-layer ReLU network: Xavier stalls, He trains",
        )


@experiment("reproductions.he")
def he(
    depth: int = HE_DEPTH,
    width: int = 64,
    batch: int = 256,
    *,
    n_seeds: int = 2,
    steps: int = 100,
    lr: float = 0.005,
    momentum: float = 0.9,
    batch_size: int = 64,
    seed: int = 0,
) -> HeReLU:
    """Var[z^l] per layer of a `depth`-layer ReLU net (Xavier vs He) and `steps` of momentum SGD on the digits."""
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    n_seeds, steps = positive_int("n_seeds", n_seeds), positive_int("steps", steps)
    batch_size, lr = positive_int("batch_size", batch_size), finite_float("lr", lr, positive=True)
    momentum = finite_float("momentum", momentum, nonnegative=True)
    if depth < 2:
        raise ValueError(f"depth must be at least 2 to compare layers; got {depth}")
    x_train, y_train = digits("train", seed=seed)
    signal, losses, record = [], [], max(steps // 20, 1)
    for init in HE_INITS:
        logs = np.zeros(depth)
        for s in range(n_seeds):
            net, x, y = mlp_at_init("relu", depth=depth, width=width, batch=batch, seed=seed + s, init=init)
            logs += np.log(probe(net, x, y, variances=True).preactivation_vars) / n_seeds
        signal.append(np.exp(logs - logs[0]))
        net = MLP([x_train.shape[1], *[width] * depth, 10], "relu", init=init, loss="softmax_ce", seed=seed)
        start = net.loss(x_train, y_train)
        history = train(
            net,
            x_train,
            y_train,
            optimizer=make_optimizer("momentum", lr, momentum=momentum),
            steps=steps,
            batch_size=batch_size,
            record_every=record,
            seed=seed,
        )
        losses.append((history.steps, history.loss, start, history.final_loss))
    signal_arr = np.array(signal)
    factor = signal_arr[:, -1] ** (1.0 / (depth - 1))
    initial = np.array([h[2] for h in losses])
    final = np.array([h[3] for h in losses])
    drop = 1.0 - final / initial
    claims = [
        compare("he", f"{INIT_LABEL[i]}: Var[z] per layer (ReLU)", HE_FACTOR[i], factor[j], Criterion("relative", 0.1))
        for j, i in enumerate(HE_INITS)
    ]
    claims += [
        compare("he", f"{depth} layers, Xavier: training loss drop", "stalls", drop[0], Criterion("at_most", 0.01)),
        compare("he", f"{depth} layers, He: training loss drop", "converges", drop[1], Criterion("at_least", 0.2)),
    ]
    return HeReLU(
        seed=seed,
        depth=depth,
        width=width,
        batch=batch,
        n_seeds=n_seeds,
        inits=HE_INITS,
        signal_var=signal_arr,
        factor=factor,
        predicted_last=np.array([HE_FACTOR[i] ** (depth - 1) for i in HE_INITS]),
        steps=steps,
        lr=lr,
        momentum=momentum,
        batch_size=batch_size,
        steps_recorded=losses[0][0],
        loss=np.array([h[1] for h in losses]),
        initial_loss=initial,
        final_loss=final,
        loss_drop=drop,
        rows=tuple(claims),
    )
