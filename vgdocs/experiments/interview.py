"""Interview answer that needs a measurement no other page makes: gradient memory of gated cells.

Experiment for docs/interview.md (the other answers quote experiments from their own pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import finite_float, positive_int, rng_from
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.sequences import probe_sequence
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.present.spec import Table

__all__ = ["GatedMemory", "gated_memory"]


@dataclass(frozen=True, kw_only=True)
class GatedMemory(Result):
    """||dL/dh|| at chosen time lags relative to lag 0, for a vanilla RNN and LSTMs with several forget biases."""

    steps: int
    hidden: int
    labels: tuple[str, ...]
    lags: np.ndarray
    relative: np.ndarray  # (cells, lags)
    rnn_at_far: float
    lstm_open_at_far: float
    lstm_closed_at_far: float
    far_lag: int
    open_bias: float

    def table(self, which: str | None = None) -> Table:
        """One row per cell, one column per lag."""
        rows = tuple((lab, *(float(v) for v in self.relative[i])) for i, lab in enumerate(self.labels))
        return Table(
            ("cell", *(f"lag {int(k)}" for k in self.lags)),
            rows,
            caption=f"Gradient norm k steps before the last of {self.steps}, relative to the last step "
            f"({self.hidden} units, loss on the last step only, at initialisation).",
            formats=(None,) + (".3g",) * len(self.lags),
        )


@experiment("interview.gated_memory")
def gated_memory(
    steps: int = 100,
    hidden: int = 32,
    inputs: int = 4,
    batch: int = 16,
    *,
    forget_biases: Sequence[float] = (0.0, 1.0, 3.0),
    lags: Sequence[int] = (1, 10, 25, 50),
    seed: int = 0,
) -> GatedMemory:
    """Gradient against time lag for a vanilla tanh RNN and for LSTMs with each forget-gate bias."""
    steps, hidden = positive_int("steps", steps), positive_int("hidden", hidden)
    inputs, batch = positive_int("inputs", inputs), positive_int("batch", batch)
    biases = [finite_float("forget_biases[]", b) for b in forget_biases]
    lag_idx = np.array([positive_int("lags[]", k) for k in lags])
    if lag_idx.max() >= steps:
        raise ValueError(f"lags must be below steps ({steps}); got {list(lag_idx)}")
    rng = rng_from("seed", seed)
    x, y = rng.standard_normal((batch, steps, inputs)), rng.standard_normal((batch, 1))
    nets = [("vanilla RNN", RecurrentNet("rnn", inputs, hidden, 1, seed=seed))]
    nets += [
        (f"LSTM, forget bias {b:g}", RecurrentNet("lstm", inputs, hidden, 1, forget_bias=b, seed=seed)) for b in biases
    ]
    rel = []
    for _, net in nets:
        lag = probe_sequence(net, x, y).lag_norms
        rel.append(lag[lag_idx] / lag[0])
    relative = np.array(rel)
    return GatedMemory(
        seed=seed,
        steps=steps,
        hidden=hidden,
        labels=tuple(n for n, _ in nets),
        lags=lag_idx,
        relative=relative,
        rnn_at_far=float(relative[0, -1]),
        lstm_open_at_far=float(relative[-1, -1]),
        lstm_closed_at_far=float(relative[1, -1]),
        far_lag=int(lag_idx[-1]),
        open_bias=biases[-1],
    )
