"""The shared digits test bench (Fixes and Detection chapters): one task, two sick networks, one run per recipe.

Every fix is measured as a change to a `Setup` (network + training recipe) on the digits task,
so the pages, the comparison table and the tests all read the same runs. A run is memoised
for the duration of a site build, so a page that quotes a run another page made pays nothing.
A setup's gradients at initialisation are the engine's probe (`profile`) on the fixed probe batch.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, nonnegative_int, positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.diagnose import diagnose
from vgdocs.engine.labels import label
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import Profile, probe
from vgdocs.engine.train import train
from vgdocs.experiments._core import Result
from vgdocs.publish import cache
from vgdocs.publish.present.numbers import fmt
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = [
    "CHANCE_LOSS",
    "EXPLODING",
    "HEALTHY",
    "PROBE_SIZE",
    "VANISHING",
    "Run",
    "RunsResult",
    "Setup",
    "Trial",
    "probe_batch",
    "profile",
    "profile_figure",
    "run",
    "runs_table",
    "training_figure",
]

CHANCE_LOSS = math.log(10.0)  # cross-entropy of a uniform guess over ten digits
PROBE_SIZE = 256  # examples in the fixed batch every profile at initialisation is measured on
TRAIN_FIELDS = ("optimizer", "lr", "weight_decay", "clip_norm", "steps", "batch_size", "record_every")


@dataclass(frozen=True)
class Setup:
    """A network and its training recipe on the digits task (64 pixels in, 10 classes out)."""

    depth: int = 10
    width: int = 32
    activation: str = "sigmoid"
    init: str = "xavier_normal"
    init_std: float = 0.01  # used by init="normal" only
    norm: str | None = None
    residual: bool = False
    optimizer: str = "momentum"
    lr: float = 0.01
    weight_decay: float = 0.0
    clip_norm: float | None = None
    steps: int = 150
    batch_size: int = 64
    record_every: int = 15

    def __post_init__(self) -> None:
        if self.init != "normal":  # the std only matters to init="normal"; one recipe, one cache key
            object.__setattr__(self, "init_std", Setup.init_std)

    def but(self, **changes: object) -> Setup:
        """A copy with `changes` applied (field names as in the class)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"unknown Setup fields {unknown}; valid: {[f.name for f in dataclasses.fields(self)]}")
        return dataclasses.replace(self, **changes)

    def net(self, seed: int) -> MLP:
        """A freshly initialised network for this setup (softmax cross-entropy over 10 digits)."""
        if positive_int("depth", self.depth) < 2:
            raise ValueError(f"depth must be at least 2 hidden layers (a profile needs two ends); got {self.depth}")
        return MLP(
            [64, *[self.width] * self.depth, 10],
            self.activation,
            init=self.init,
            init_std=self.init_std,
            norm=self.norm,
            residual=self.residual,
            loss="softmax_ce",
            seed=seed,
        )

    def recipe(self) -> dict[str, object]:
        """The training recipe as keyword arguments of vgdocs.engine.train.train (all but the seed)."""
        return {k: getattr(self, k) for k in TRAIN_FIELDS}

    def describe(self) -> str:
        """The recipe in a reader's words, e.g. 'sigmoid, Xavier (normal) init, 10 hidden layers of 32,
        momentum SGD at learning rate 0.01' (labels from vgdocs.engine.labels)."""
        init = f"normal init (std {self.init_std:g})" if self.init == "normal" else f"{label(self.init)} init"
        extras = [
            f"{self.norm} norm" if self.norm else "",
            "residual" if self.residual else "",
            f"weight decay {self.weight_decay:g}" if self.weight_decay else "",
            f"clipped at norm {self.clip_norm:g}" if self.clip_norm else "",
        ]
        return ", ".join(
            [
                label(self.activation),
                init,
                f"{self.depth} hidden layers of {self.width}",
                f"{label(self.optimizer)} at learning rate {self.lr:g}",
                *[e for e in extras if e],
            ]
        )


# The two sick networks every fix is tried on, and the recipe the site recommends as healthy.
VANISHING = Setup(activation="sigmoid", init="xavier_normal")
EXPLODING = Setup(activation="relu", init="normal", init_std=0.5)
HEALTHY = Setup(activation="relu", init="he_normal")


@dataclass(frozen=True)
class Run:
    """One setup measured at initialisation (on the probe batch) and over a short training run.

    delta_norms: ||dL/dz|| per hidden layer at initialisation, input side first; delta_ratio: its
    first entry over its last; verdict: vgdocs.engine.diagnose's reading of it. grad_norms:
    ||dL/dW|| per weight layer (output last). steps/loss: training loss on the probe batch at each
    recorded step; initial_loss / final_loss: on the whole training set before and after training.
    overflow_step: first step whose loss or gradients were not finite (training
    stopped there), else None. The *_history arrays hold one row per recorded step, as in
    vgdocs.engine.train.History: grad norms and update ratios ||step on W|| / ||W|| per weight layer,
    saturated and dead unit fractions per hidden layer; update_ratio: the median update ratio per
    weight layer over the run; weight_change: ||W_end - W_start|| / ||W_start|| per weight layer.
    clip_fraction: share of steps on which clipping bound.
    """

    label: str
    recipe: str
    delta_norms: np.ndarray
    grad_norms: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    initial_loss: float
    final_loss: float
    overflow_step: int | None
    grad_norm_history: np.ndarray
    update_ratio_history: np.ndarray
    saturated_history: np.ndarray
    dead_history: np.ndarray
    clip_fraction: float
    weight_change: np.ndarray
    delta_ratio: float
    verdict: str
    update_ratio: np.ndarray


def _nanmedian(rows: np.ndarray) -> np.ndarray:
    finite = ~np.isnan(rows)
    out = np.full(rows.shape[1], np.nan)
    for j in range(rows.shape[1]):
        if finite[:, j].any():
            out[j] = float(np.median(rows[finite[:, j], j]))
    return out


def probe_batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The fixed batch of training digits every profile at initialisation is measured on."""
    x, y = digits("train", seed=seed)
    return x[:PROBE_SIZE], y[:PROBE_SIZE]


def profile(
    setup: Setup, seed: int, batch: tuple[np.ndarray, np.ndarray] | None = None, *, variances: bool = False
) -> Profile:
    """The engine's probe of a fresh `setup` network (seed `seed`) on `batch` (default: the probe batch)."""
    x, y = probe_batch() if batch is None else batch
    return probe(setup.net(seed), x, y, variances=variances)


def run(setup: Setup, label: str, seed: int) -> Run:
    """Measure `setup` and name the run `label` (memoised by setup and seed during a site build)."""
    seed = nonnegative_int("seed", seed)
    measured = cache.memoize("fixes.run", repr((setup, seed)), __name__, lambda: _run(setup, seed))
    return dataclasses.replace(measured, label=label)


def _run(setup: Setup, seed: int) -> Run:
    net = setup.net(seed)
    xp, yp = probe_batch()
    first = probe(net, xp, yp)
    diagnosis = diagnose(first.delta_norms)
    x, y = digits("train")
    with np.errstate(all="ignore"):
        initial = net.loss(x, y)
    hist = train(net, x, y, **setup.recipe(), seed=seed, x_eval=xp, y_eval=yp)
    return Run(
        label="",
        recipe=setup.describe(),
        delta_norms=first.delta_norms,
        grad_norms=first.grad_norms,
        steps=hist.steps,
        loss=hist.eval_loss,
        initial_loss=float(initial),
        final_loss=float(hist.final_loss),
        overflow_step=hist.overflow_step,
        grad_norm_history=hist.grad_norms,
        update_ratio_history=hist.update_ratios,
        saturated_history=hist.saturated,
        dead_history=hist.dead,
        clip_fraction=float(hist.clip_fraction),
        weight_change=hist.weight_change,
        delta_ratio=diagnosis.ratio,
        verdict=diagnosis.verdict,
        update_ratio=_nanmedian(hist.update_ratios),
    )


@dataclass(frozen=True, kw_only=True)
class RunsResult(Result):
    """A Result holding Runs: it publishes their summaries, not their step-by-step histories."""

    def numbers(self) -> dict[str, float]:
        """Every number except the per-step *_history records (the figures show them; the
        summaries derived from them, and the loss curves, are published)."""
        return {k: v for k, v in super().numbers().items() if "_history" not in k}


@dataclass(frozen=True, kw_only=True)
class Trial(RunsResult):
    """Several runs of the same task that differ in one change: the fix pages' before and after."""

    runs: tuple[Run, ...]

    def table(self, which: str | None = None) -> Table:
        """One row per run: gradient ratio and verdict at initialisation, loss before and after training."""
        return runs_table(self.runs)

    def figure(self, which: str | None = None) -> Figure:
        """'profile' (default): ||dL/dz|| per layer at initialisation; 'training': loss over steps."""
        if choice("which", which or "profile", ("profile", "training")) == "training":
            return training_figure(self.runs)
        return profile_figure(self.runs)


def runs_table(runs: Sequence[Run], caption: str = "") -> Table:
    """Per run: recipe, ||dL/dz|| first/last hidden layer and verdict at step 0, loss at start and end."""
    rows = tuple(
        (
            label(r.label),
            r.delta_ratio,
            r.verdict,
            r.initial_loss,
            r.final_loss if r.overflow_step is None else f"overflow at step {r.overflow_step}",
        )
        for r in runs
    )
    steps = runs[0].steps.size * (int(runs[0].steps[1]) if runs[0].steps.size > 1 else 1)
    return Table(
        ("network", "‖dL/dz‖ first / last hidden layer", "diagnosis", "loss at step 0", f"loss after {steps} steps"),
        rows,
        caption=caption
        or "Gradient ratio at initialisation (verdict by the engine's diagnosis), then training "
        "on digits with the same recipe.",
        bar_column=1,
    )


def profile_figure(runs: Sequence[Run], title: str = "Gradient per layer at initialisation") -> Figure:
    """Per-layer ||dL/dz|| at initialisation, one line per run (log scale)."""
    series = tuple(
        Series(label(r.label), np.arange(1, r.delta_norms.size + 1), r.delta_norms, _style(i))
        for i, r in enumerate(runs)
    )
    panel = Panel(series, xlabel="hidden layer (1 = next to the input)", ylabel="‖dL/dz‖ at initialisation", logy=True)
    parts = [
        f"{label(r.label)}: the first hidden layer gets {fmt(r.delta_ratio)} times the gradient of the last"
        for r in runs
    ]
    return Figure(
        (panel,), alt="Back-propagated gradient norm per hidden layer. " + "; ".join(parts) + ".", title=title
    )


def training_figure(runs: Sequence[Run], title: str = "Training loss on digits") -> Figure:
    """Loss on the probe batch against step, one line per run (a run that overflowed stops there)."""
    series = tuple(Series(label(r.label), r.steps, r.loss, _style(i)) for i, r in enumerate(runs))
    panel = Panel(series, xlabel="training step", ylabel="cross-entropy loss", logy=True)
    parts = [
        f"{label(r.label)} goes from {fmt(r.initial_loss)} to "
        + (fmt(r.final_loss) if r.overflow_step is None else f"an overflow at step {r.overflow_step}")
        for r in runs
    ]
    return Figure((panel,), alt="Training loss over steps. " + "; ".join(parts) + ".", title=title)


def _style(i: int) -> str:
    return "dashed" if i == 0 else "line"
