"""The adding problem at growing sequence lengths: which cell learns it, and how much gradient reaches the far end.

Seeds of one (cell, length) train together as one stacked network (vgdocs.engine.nets.recurrent),
each with its own data, clipping and optimiser state, through vgdocs.engine.train.train_stacked;
the (cell, length) jobs run in parallel on two worker processes (joblib).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.data import adding_problem as adding_data
from vgdocs.engine.labels import label
from vgdocs.engine.nets.recurrent import CELLS, RecurrentNet
from vgdocs.engine.optim import OPTIMIZERS
from vgdocs.engine.train import train_stacked
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["CELL_LABELS", "AddingProblem", "adding_problem"]

TIMES = "\u00d7"
CELL_LABELS = {c: label(c) for c in ("rnn", "lstm", "gru")}  # from the one label registry
WORKERS = 2  # the (cell, length) jobs run on two processes


@dataclass(frozen=True, kw_only=True)
class AddingProblem(Result):
    """Cells trained on the adding problem at several lengths, several seeds each.

    test_mse and trivial_mse are (cells, lengths, seeds); ratio = test_mse / trivial_mse, where the
    trivial predictor outputs the mean target; learned: ratio < threshold. longest_per_seed
    (cells, seeds): the longest length each seed learned (0: none). survival_init and
    survival_trained are (cells, lags) at the longest length: ||dL/dh_{T-1-lag}|| / ||dL/dh_{T-1}||
    on the test batch, geometric mean over seeds.
    """

    cells: tuple[str, ...]
    lengths: np.ndarray
    seeds: tuple[int, ...]
    hidden: int
    batch: int
    steps: int
    lr: float
    optimizer: str
    max_norm: float
    threshold: float
    forget_bias: float
    test_size: int
    test_mse: np.ndarray
    trivial_mse: np.ndarray
    ratio: np.ndarray
    learned: np.ndarray
    n_learned: np.ndarray  # (cells, lengths)
    median_ratio: np.ndarray  # (cells, lengths)
    longest_learned: np.ndarray  # (cells,): longest length that every seed learned, 0 if none
    longest_per_seed: np.ndarray  # (cells, seeds)
    lags: np.ndarray = field(metadata={"ledger": False})
    survival_init: np.ndarray
    survival_trained: np.ndarray
    survival_far_trained: np.ndarray  # (cells,): survival at the largest lag after training
    survival_far_init: np.ndarray

    def claims(self) -> list[Claim]:
        """LSTM and GRU learn strictly longer sequences than the RNN, every seed; the RNN is trivial at the longest."""
        i = {c: k for k, c in enumerate(self.cells)}
        if not {"rnn", "lstm", "gru"} <= i.keys():
            return []
        best = self.longest_per_seed
        rnn, lstm, gru = best[i["rnn"]], best[i["lstm"]], best[i["gru"]]
        n = len(self.seeds)
        margin_lstm = int(np.sum(lstm > rnn))
        margin_gru = int(np.sum(gru > rnn))
        far = self.ratio[:, -1]
        scope = f"after {self.steps} {label(self.optimizer)} steps"
        return [
            Claim(
                "adding-gated-learn-longer-every-seed",
                "On every seed the LSTM and the GRU learn strictly longer sequences than the tanh RNN: the "
                "longest length learned is longer than the RNN's for the LSTM on {lstm_wins} of {seeds} seeds "
                "and for the GRU on {gru_wins} of {seeds} (longest learned, worst seed: RNN at most {rnn_max}, "
                "LSTM at least {lstm_min}, GRU at least {gru_min} steps).",
                holds=margin_lstm == n and margin_gru == n,
                evidence={
                    "lstm_wins": margin_lstm,
                    "gru_wins": margin_gru,
                    "seeds": n,
                    "rnn_max": int(rnn.max()),
                    "lstm_min": int(lstm.min()),
                    "gru_min": int(gru.min()),
                },
                intervention="the cell changed; same data, width, optimiser, learning rate, clipping, steps and seeds",
                scope=scope,
            ),
            Claim(
                "adding-rnn-trivial-at-longest",
                "At {length} steps the tanh RNN stays at the trivial error on every seed (its MSE is at least "
                "{rnn_min} of the trivial predictor's) while every LSTM and GRU seed is below {lstm_max} and "
                "{gru_max} of it.",
                holds=bool(
                    far[i["rnn"]].min() > 0.5 and max(far[i["lstm"]].max(), far[i["gru"]].max()) < self.threshold
                ),
                evidence={
                    "length": int(self.lengths[-1]),
                    "rnn_min": float(far[i["rnn"]].min()),
                    "lstm_max": float(far[i["lstm"]].max()),
                    "gru_max": float(far[i["gru"]].max()),
                },
                intervention="the cell changed; everything else held",
                scope=scope,
            ),
            Claim(
                "adding-no-cell-carries-gradient-at-init",
                "At initialisation no cell passes much gradient over {length} steps: at most {most} of the last "
                "step's gradient reaches the first step, for every cell.",
                holds=bool(np.max(self.survival_far_init) < 1e-2),
                evidence={"length": int(self.lengths[-1]), "most": float(np.max(self.survival_far_init))},
                scope="at initialisation",
            ),
            Claim(
                "adding-gated-gradient-reaches-start",
                "After training, the share of the last step's gradient that reaches the first of {length} steps is "
                "{LSTM} (LSTM) and {GRU} (GRU) against {RNN} for the RNN: at least {factor} times the RNN's "
                "(the claim asks for a thousand).",
                holds=bool(
                    min(self.survival_far_trained[i["lstm"]], self.survival_far_trained[i["gru"]])
                    > 1000.0 * self.survival_far_trained[i["rnn"]]
                ),
                evidence={
                    "length": int(self.lengths[-1]),
                    "LSTM": float(self.survival_far_trained[i["lstm"]]),
                    "GRU": float(self.survival_far_trained[i["gru"]]),
                    "RNN": float(self.survival_far_trained[i["rnn"]]),
                    "factor": float(
                        min(self.survival_far_trained[i["lstm"]], self.survival_far_trained[i["gru"]])
                        / self.survival_far_trained[i["rnn"]]
                    ),
                },
                intervention="the cell changed; same data and budget",
                scope=scope,
            ),
        ]

    def table(self, which: str | None = None) -> Table:
        """One row per sequence length: seeds that learned and median MSE ratio, per cell."""
        heads = ["length T"]
        for c in self.cells:
            heads += [f"{CELL_LABELS[c]} learned", f"{CELL_LABELS[c]} MSE / trivial"]
        rows = []
        for k, length in enumerate(self.lengths):
            row: list[object] = [int(length)]
            for i in range(len(self.cells)):
                row += [f"{int(self.n_learned[i, k])} of {len(self.seeds)}", float(self.median_ratio[i, k])]
            rows.append(tuple(row))
        return Table(
            tuple(heads),
            tuple(rows),
            formats=(None,) + (None, ".3g") * len(self.cells),
            caption=f"Adding problem after {self.steps} {label(self.optimizer)} "
            f"steps (learning rate {self.lr:g}, "
            f"batch {self.batch}, {self.hidden} units, gradients clipped at norm {self.max_norm:g}, "
            f"LSTM forget bias {self.forget_bias:g}): a seed has learned when its test MSE is below "
            f"{self.threshold:g} {TIMES} the trivial predictor's. MSE / trivial is the median over "
            f"seeds.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Gradient survival against lag at the longest length, before and after training (same colours)."""
        T = int(self.lengths[-1])
        panels = tuple(
            Panel(
                tuple(Series(CELL_LABELS[c], self.lags, data[i]) for i, c in enumerate(self.cells)),
                "time lag from the last step",
                "‖∂L/∂h_k‖ / ‖∂L/∂h_T‖",
                title,
                logy=True,
            )
            for data, title in (
                (self.survival_init, "at initialisation"),
                (self.survival_trained, f"after {self.steps} steps"),
            )
        )
        return Figure(
            panels=panels,
            alt=(
                f"Two log-scale line plots of the gradient reaching each step of a {T}-step adding problem, "
                f"relative to the last step, for {', '.join(CELL_LABELS[c] for c in self.cells)}: at "
                f"initialisation (left) and after {self.steps} training steps (right)."
            ),
            title=f"How much gradient reaches the start of a {T}-step sequence",
            caption=f"Gradient norm reaching each step of the {self.test_size} test sequences, relative to the last "
            f"step; geometric mean over the {len(self.seeds)} seeds.",
        )


@experiment("rnn.adding_problem")
def adding_problem(
    lengths: Sequence[int] = (5, 10, 20, 40),
    *,
    cells: Sequence[str] = CELLS,
    hidden: int = 32,
    batch: int = 32,
    steps: int = 1000,
    lr: float = 0.01,
    optimizer: str = "adam",
    max_norm: float = 1.0,
    forget_bias: float = 1.0,
    threshold: float = 0.1,  # learned: test MSE below this share of the trivial predictor's
    n_seeds: int = 3,
    test_size: int = 512,  # held-out sequences per length, shared by every cell and seed
    seed: int = 0,
) -> AddingProblem:
    """Train each cell on the adding problem at each length with seeds seed .. seed+n_seeds-1 (stacked).

    Each step draws a fresh batch per seed; gradients are clipped per network by global norm to
    `max_norm`; the LSTM's forget gate starts with bias `forget_bias` (Jozefowicz et al. 2015). The
    test set of each length is shared by all seeds and cells.
    """
    cells = tuple(choice("cells[]", c, CELLS) for c in cells)
    lens = np.array([positive_int("lengths[]", n) for n in lengths])
    hidden, batch, steps = positive_int("hidden", hidden), positive_int("batch", batch), positive_int("steps", steps)
    lr = finite_float("lr", lr, positive=True)
    choice("optimizer", optimizer, OPTIMIZERS)
    max_norm = finite_float("max_norm", max_norm, positive=True)
    forget_bias = finite_float("forget_bias", forget_bias)
    threshold = finite_float("threshold", threshold, positive=True)
    n_seeds, test_size = positive_int("n_seeds", n_seeds), positive_int("test_size", test_size)
    rng_from("seed", seed)
    seeds = tuple(range(seed, seed + n_seeds))
    jobs = sorted(((i, k) for i in range(len(cells)) for k in range(lens.size)), key=lambda ik: -int(lens[ik[1]]))
    settings = dict(hidden=hidden, batch=batch, steps=steps, lr=lr, optimizer=optimizer, max_norm=max_norm)
    from joblib import Parallel, delayed  # on first use: joblib costs 35 ms to import
    from joblib.externals.loky import get_reusable_executor

    try:
        runs = Parallel(n_jobs=min(WORKERS, len(jobs)))(
            delayed(_run)(
                cells[i],
                int(lens[k]),
                seeds,
                forget_bias if cells[i] == "lstm" else None,
                test_size,
                survival=k == lens.size - 1,
                **settings,
            )
            for i, k in jobs
        )
    finally:
        # joblib keeps its loky workers for reuse until they idle 300 s, and a process exits only after
        # joining its children: the build's second process (vgdocs.publish.prefetch) then sat five
        # minutes at the end of every cold build. Measured there; the shutdown is joblib's own advice.
        get_reusable_executor().shutdown(wait=True)
    shape = (len(cells), lens.size, n_seeds)
    test_mse, trivial = np.empty(shape), np.empty(shape)
    T = int(lens[-1])
    survival_init, survival_trained = np.empty((len(cells), T)), np.empty((len(cells), T))
    for (i, k), (mse, triv, s_init, s_trained) in zip(jobs, runs, strict=True):
        test_mse[i, k], trivial[i, k] = mse, triv
        if s_init is not None:
            survival_init[i], survival_trained[i] = s_init, s_trained
    ratio = test_mse / trivial
    learned = ratio < threshold
    per_seed = np.where(learned, lens[None, :, None], 0).max(axis=1)
    return AddingProblem(
        seed=seed,
        cells=cells,
        lengths=lens,
        seeds=seeds,
        hidden=hidden,
        batch=batch,
        steps=steps,
        lr=lr,
        optimizer=optimizer,
        max_norm=max_norm,
        threshold=threshold,
        forget_bias=forget_bias,
        test_size=test_size,
        test_mse=test_mse,
        trivial_mse=trivial,
        ratio=ratio,
        learned=learned,
        n_learned=learned.sum(axis=2),
        median_ratio=np.median(ratio, axis=2),
        lags=np.arange(T),
        longest_learned=np.where(learned.all(axis=2), lens[None, :], 0).max(axis=1),
        longest_per_seed=per_seed,
        survival_init=survival_init,
        survival_trained=survival_trained,
        survival_far_trained=survival_trained[:, -1],
        survival_far_init=survival_init[:, -1],
    )


def _run(cell, length, seeds, forget_bias, test_size, *, survival, hidden, batch, steps, lr, optimizer, max_norm):
    """One (cell, length): train the stacked seeds; (test MSE, trivial MSE) per seed and, if asked, survival."""
    x_test, y_test = adding_data(test_size, length, np.random.default_rng([seeds[0], length, 1]))
    net = RecurrentNet(cell, 2, hidden, 1, forget_bias=forget_bias, seed=list(seeds))
    s_init = _survival(net, x_test, y_test) if survival else None
    data_rng = np.random.default_rng([seeds[0], length, 2, CELLS.index(cell)])
    n = len(seeds)
    train_stacked(net, lambda: adding_data(batch, length, data_rng, stack=n), optimizer, lr, steps, max_norm)
    with np.errstate(over="ignore", invalid="ignore"):
        mse = net.loss(x_test, y_test)
    trivial = np.full(n, float(np.mean((y_test - y_test.mean()) ** 2)))
    return mse, trivial, s_init, _survival(net, x_test, y_test) if survival else None


def _survival(net: RecurrentNet, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """||dL/dh|| per lag relative to lag 0, geometric mean over the stacked networks."""
    lag_norms = net.gradients(x, y).lag_norms
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(lag_norms / lag_norms[:, :1]), axis=0))
