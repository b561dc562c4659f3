"""Clipping an exploding ReLU RNN on the adding problem: the same net and batches with and without it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float, positive_int, rng_from
from vgdocs.engine.data import adding_problem as adding_data
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.train import train_stacked
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series

__all__ = ["Clipping", "clipping"]


# -- clipping an exploding RNN ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Clipping(Result):
    """A ReLU RNN trained by SGD on the adding problem, with and without gradient-norm clipping.

    loss and grad_norm are (2, steps): row 0 unclipped, row 1 clipped; NaN after a run overflows.
    """

    length: int
    hidden: int
    spectral_norm: float
    lr: float
    max_norm: float
    steps: int
    batch: int
    loss: np.ndarray
    grad_norm: np.ndarray
    overflow_step: int  # first SGD step (from 1) of the unclipped run whose loss or gradient is not finite; 0: none
    unclipped_peak_norm: float  # largest finite gradient norm the unclipped run saw
    clipped_final_loss: float  # mean loss over the clipped run's last 10 % of steps
    initial_loss: float
    clipped_steps_fraction: float  # share of the clipped run's steps whose norm exceeded max_norm
    trivial_mse: float  # MSE of always answering the mean target, on 1000 held-out sequences

    def claims(self) -> list[Claim]:
        """Unclipped overflows, clipped finishes; clipping alone does not learn the task."""
        finite = bool(np.all(np.isfinite(self.loss[1])))
        return [
            Claim(
                "rnn-clipping-rescues-exploding-run",
                "Clipping is the one change between two runs: without it the loss or gradient overflows at step "
                "{overflow}; with it all {steps} steps stay finite.",
                holds=bool(self.overflow_step > 0 and finite),
                evidence={"overflow": self.overflow_step, "steps": self.steps},
                intervention="clipping at the threshold added; same network, batches, learning rate",
                scope=f"within {self.steps} SGD steps",
            ),
            Claim(
                "rnn-clipping-does-not-learn",
                "Clipping did not teach the long dependency: the clipped run ends at {ratio} of the trivial "
                "predictor's error.",
                holds=bool(self.clipped_final_loss / self.trivial_mse > 0.5),
                evidence={"ratio": self.clipped_final_loss / self.trivial_mse},
                scope=f"after {self.steps} SGD steps",
            ),
        ]

    def figure(self, which: str | None = None) -> Figure:
        """Loss and gradient norm against step, with and without clipping (overflowed steps left blank)."""
        steps = np.arange(1, self.steps + 1)
        labels = ("no clipping", f"clipped at {self.max_norm:g}")
        return Figure(
            panels=(
                Panel(
                    tuple(Series(lab, steps, self.loss[i]) for i, lab in enumerate(labels)),
                    "SGD step",
                    "training loss (MSE)",
                    "loss",
                    logy=True,
                    ylim=_log_limits(self.loss, self.trivial_mse),
                    hlines=((self.trivial_mse, "answering the mean target"),),
                ),
                Panel(
                    tuple(Series(lab, steps, self.grad_norm[i]) for i, lab in enumerate(labels)),
                    "SGD step",
                    "gradient norm before clipping",
                    "gradient norm",
                    logy=True,
                    ylim=_log_limits(self.grad_norm, self.max_norm),
                    hlines=((self.max_norm, "clipping threshold"),),
                ),
            ),
            alt=(
                f"Two log-scale plots against SGD step for a ReLU RNN on {self.length}-step sequences. Without "
                f"clipping the loss and the gradient norm climb until they overflow"
                f"{f' at step {self.overflow_step}' if self.overflow_step else ''}, after which the line "
                f"stops; with clipping at {self.max_norm:g} the loss falls and the run finishes."
            ),
            title="Clipping an exploding recurrent network",
        )


def _log_limits(values: np.ndarray, reference: float) -> tuple[float, float]:
    """Log-axis limits a factor 3 beyond the finite data: values near the float limit would overflow
    matplotlib's automatic margins."""
    finite = values[np.isfinite(values) & (values > 0)]
    lo, hi = min(float(finite.min()), reference), max(float(finite.max()), reference)
    return lo / 3.0, min(hi * 3.0, np.finfo(np.float64).max / 10.0)


@experiment("rnn.clipping")
def clipping(
    *,
    length: int = 50,  # steps per adding-problem sequence
    hidden: int = 16,  # ReLU units
    spectral_norm: float = 1.5,  # largest singular value of W_hh: above 1, the run explodes
    lr: float = 0.01,
    max_norm: float = 1.0,
    steps: int = 150,
    batch: int = 32,
    seed: int = 0,
) -> Clipping:
    """The same ReLU RNN (orthogonal W_hh scaled to `spectral_norm`) and batches, trained with and without clipping."""
    length, hidden = positive_int("length", length), positive_int("hidden", hidden)
    spectral_norm = finite_float("spectral_norm", spectral_norm, positive=True)
    lr = finite_float("lr", lr, positive=True)
    max_norm = finite_float("max_norm", max_norm, positive=True)
    steps, batch = positive_int("steps", steps), positive_int("batch", batch)
    rng_from("seed", seed)
    runs = []
    for clip in (None, max_norm):
        net = RecurrentNet(
            "rnn",
            2,
            hidden,
            1,
            nonlinearity="relu",
            recurrent_init="orthogonal",
            spectral_norm=spectral_norm,
            seed=[seed],
        )
        data_rng = np.random.default_rng([seed, length])
        runs.append(
            train_stacked(net, lambda r=data_rng: adding_data(batch, length, r, stack=1), "sgd", lr, steps, clip)
        )
    loss = np.stack([r[0][:, 0] for r in runs])
    norm = np.stack([r[1][:, 0] for r in runs])
    bad = ~(np.isfinite(loss[0]) & np.isfinite(norm[0]))
    overflow = int(np.argmax(bad)) + 1 if bad.any() else 0
    loss[~np.isfinite(loss)] = np.nan
    norm[~np.isfinite(norm)] = np.nan
    tail = max(1, steps // 10)
    _, y_held = adding_data(1000, length, np.random.default_rng([seed, length, 3]))
    return Clipping(
        seed=seed,
        length=length,
        hidden=hidden,
        spectral_norm=spectral_norm,
        lr=lr,
        max_norm=max_norm,
        steps=steps,
        batch=batch,
        loss=loss,
        grad_norm=norm,
        overflow_step=overflow,
        unclipped_peak_norm=float(np.nanmax(norm[0])),
        clipped_final_loss=float(np.mean(loss[1, -tail:])),
        initial_loss=float(loss[1, 0]),
        clipped_steps_fraction=float(np.mean(norm[1] > max_norm)),
        trivial_mse=float(np.var(y_held)),
    )
