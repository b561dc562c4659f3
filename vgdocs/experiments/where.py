"""Where vanishing gradients bite: deep stacks, long recurrences, and the first layers.

Experiments for docs/where.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import positive_int, rng_from
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.sequences import probe_sequence
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.why import delta_profile
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["DepthSweep", "RecurrentLag", "depth_sweep", "recurrent_lag"]


@dataclass(frozen=True, kw_only=True)
class DepthSweep(Result):
    """||dL/dz|| at the first hidden layer over the top one, for growing depth, per network type."""

    depths: np.ndarray
    width: int
    labels: tuple[str, ...]
    first_over_top: np.ndarray  # (networks, depths)
    deepest: int
    sigmoid_deepest: float

    def table(self, which: str | None = None) -> Table:
        """One row per depth, one column per network."""
        rows = tuple((int(n), *(float(v) for v in self.first_over_top[:, j])) for j, n in enumerate(self.depths))
        return Table(
            ("hidden layers", *self.labels),
            rows,
            bar_column=1,
            caption="Gradient norm at the first hidden layer divided by the norm at the top one, "
            f"at initialisation (width {self.width}).",
            formats=(None,) + (".3g",) * len(self.labels),
        )

    def claims(self) -> list[Claim]:
        """Sigmoid + Xavier: the ratio falls at every added depth, exponentially; ReLU + He: order one."""
        sig, relu = self.first_over_top
        per_layer = np.log(sig[1:] / sig[:-1]) / np.diff(self.depths)  # log-ratio per added layer
        return [
            Claim(
                "where-sigmoid-falls-exponentially",
                "In the sigmoid network every added layer multiplies the first-to-top ratio by between {lo} "
                "and {hi}: the ratio falls exponentially with depth.",
                holds=bool(np.all(per_layer < np.log(0.5)) and np.ptp(per_layer) < np.log(3.0)),
                evidence={"lo": float(np.exp(per_layer.min())), "hi": float(np.exp(per_layer.max()))},
                intervention="depth; same width, init family, batch, seed",
                scope="at initialisation",
            ),
            Claim(
                "where-relu-order-one",
                "The ReLU network's ratio stays between {lo} and {hi} at every depth from {shallow} to {deep}.",
                holds=bool(np.all((relu > 0.1) & (relu < 10.0))),
                evidence={
                    "lo": float(relu.min()),
                    "hi": float(relu.max()),
                    "shallow": int(self.depths[0]),
                    "deep": int(self.depths[-1]),
                },
                scope="at initialisation",
            ),
        ]


@experiment("where.depth_sweep")
def depth_sweep(
    depths: Sequence[int] = (2, 4, 8, 16, 32), width: int = 64, batch: int = 128, *, seed: int = 0
) -> DepthSweep:
    """First/top gradient ratio at initialisation of sigmoid + Xavier and ReLU + He networks of each depth."""
    ds = np.array([positive_int("depths[]", d) for d in depths])
    width, batch = positive_int("width", width), positive_int("batch", batch)
    nets = (("sigmoid", "xavier_normal", "sigmoid + Xavier"), ("relu", "he_normal", "ReLU + He"))
    ratios = np.array([[_ratio(a, i, int(d), width, batch, seed) for d in ds] for a, i, _ in nets])
    return DepthSweep(
        seed=seed,
        depths=ds,
        width=width,
        labels=tuple(lab for _, _, lab in nets),
        first_over_top=ratios,
        deepest=int(ds[-1]),
        sigmoid_deepest=float(ratios[0, -1]),
    )


def _ratio(act: str, init: str, depth: int, width: int, batch: int, seed: int) -> float:
    d, _, _ = delta_profile(act, init, depth=depth, width=width, batch=batch, seed=seed)
    return float(d[0] / d[-1])


@dataclass(frozen=True, kw_only=True)
class RecurrentLag(Result):
    """||dL/dh_k|| of a vanilla RNN scored on its last step, against the time lag, relative to lag 0."""

    steps: int
    hidden: int
    lags: np.ndarray
    relative: np.ndarray  # ||dL/dh_{T-1-lag}|| / ||dL/dh_{T-1}||
    at_10: float
    at_last: float

    def figure(self, which: str | None = None) -> Figure:
        """Log-scale gradient norm against time lag."""
        return Figure(
            panels=(
                Panel(
                    (Series("vanilla tanh RNN", self.lags, self.relative),),
                    "time lag (steps back from the end)",
                    "‖dL/dh‖ relative to the last step",
                    logy=True,
                ),
            ),
            alt=f"Log-scale line falling steadily with the time lag: {self.steps} steps of a vanilla RNN with "
            f"{self.hidden} tanh units; ten steps back the gradient is {self.at_10:.1e} of its value at the "
            f"last step, and at the first step it is {self.at_last:.1e}.",
            title="A recurrent network is a deep network in time",
        )

    def claims(self) -> list[Claim]:
        """The RNN's gradient decays with the lag, by orders of magnitude over the sequence."""
        return [
            Claim(
                "where-rnn-gradient-decays-with-lag",
                "The gradient falls at every step back in time, to {at_10} ten steps back and {at_last} at the "
                "first step.",
                holds=bool(np.all(np.diff(self.relative[:11]) < 0) and self.at_10 < 0.01 and self.at_last < 1e-10),
                evidence={"at_10": self.at_10, "at_last": self.at_last},
                scope="at initialisation",
            )
        ]


@experiment("where.recurrent_lag")
def recurrent_lag(
    steps: int = 100, hidden: int = 32, inputs: int = 4, batch: int = 32, *, seed: int = 0
) -> RecurrentLag:
    """Gradient norm at each step of a `steps`-long sequence through a PyTorch-initialised vanilla tanh RNN."""
    steps, hidden = positive_int("steps", steps), positive_int("hidden", hidden)
    inputs, batch = positive_int("inputs", inputs), positive_int("batch", batch)
    rng = rng_from("seed", seed)
    net = RecurrentNet("rnn", inputs, hidden, 1, seed=rng)
    x, y = rng.standard_normal((batch, steps, inputs)), rng.standard_normal((batch, 1))
    lag = probe_sequence(net, x, y).lag_norms
    rel = lag / lag[0]
    return RecurrentLag(
        seed=seed,
        steps=steps,
        hidden=hidden,
        lags=np.arange(steps),
        relative=rel,
        at_10=float(rel[min(10, steps - 1)]),
        at_last=float(rel[-1]),
    )
