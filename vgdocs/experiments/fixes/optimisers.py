"""Optimisers and learning rate: Adam rescales each parameter's step, which is not the same as a gradient."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float, nonnegative_int, positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.probe import probe
from vgdocs.engine.train import train
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.digits_bench import CHANCE_LOSS, HEALTHY, VANISHING, Run, Trial, probe_batch, run
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = [
    "GLOROT_TANH",
    "RULE_OF_THUMB",
    "Optimisers",
    "RatioDuringTraining",
    "optimisers",
    "ratio_during_training",
    "update_ratio_panel",
]

RULE_OF_THUMB = 1e-3  # update-to-weight ratio per step that practitioners treat as healthy
# Glorot & Bengio's sick network: tanh with U[-1/sqrt(n), 1/sqrt(n)] weights (variance shrinks ~3x per layer).
GLOROT_TANH = VANISHING.but(activation="tanh", init="standard")


@dataclass(frozen=True, kw_only=True)
class Optimisers(Trial):
    """Two vanishing networks under SGD with momentum and Adam; the healthy one at a tiny lr.

    runs: sigmoid (momentum, Adam), tanh with the "standard" init (momentum, Adam), then
    ReLU + He at the chapter's learning rate and at `small_lr`.
    first_update / last_update: median update-to-weight ratio of the first and of the last hidden
    layer over training, per run; rule_of_thumb: the ratio usually called healthy.
    """

    adam_lr: float
    small_lr: float
    first_update: np.ndarray
    last_update: np.ndarray
    rule_of_thumb: float

    def table(self, which: str | None = None) -> Table:
        """'runs' (default): the trial table; 'updates': update ratios and the diagnosis, side by side."""
        if choice("which", which or "runs", ("runs", "updates")) == "runs":
            return super().table()
        rows = tuple(
            (
                r.label,
                float(self.first_update[i]),
                float(self.last_update[i]),
                float(self.first_update[i] / self.last_update[i]),
                r.verdict,
                r.final_loss,
            )
            for i, r in enumerate(self.runs)
        )
        return Table(
            (
                "run",
                "update ratio, first hidden layer",
                "last hidden layer",
                "first / last",
                "gradient diagnosis",
                "final loss",
            ),
            rows,
            caption="Median over training of ‖step on W‖ / ‖W‖ per step. Rule of thumb: about "
            f"{self.rule_of_thumb:g} per step is healthy.",
            bar_column=1,
        )

    def figure(self, which: str | None = None) -> Figure:
        """'updates' (default): update ratio per layer against the rule of thumb; else as Trial."""
        which = choice("which", which or "updates", ("updates", "profile", "training"))
        if which != "updates":
            return super().figure(which)
        panel = update_ratio_panel(
            [(r.label, r.update_ratio, "dashed" if i == 0 else "line") for i, r in enumerate(self.runs)],
            self.rule_of_thumb,
        )
        alt = (
            "Median update-to-weight ratio per layer. "
            + "; ".join(
                f"{r.label}: first hidden layer {self.first_update[i]:.2g}, last {self.last_update[i]:.2g}"
                for i, r in enumerate(self.runs)
            )
            + f". The rule of thumb is {self.rule_of_thumb:g}."
        )
        return Figure((panel,), alt=alt, title="How far each step moves each layer")

    def claims(self) -> list[Claim]:
        """A too-small learning rate: uniformly small steps, healthy gradient; vanishing: lopsided steps."""
        small, sick = self.runs[5], self.runs[0]
        spread_small = float(self.first_update[5] / self.last_update[5])
        spread_sick = float(self.first_update[0] / self.last_update[0])
        return [
            Claim(
                "opt-small-lr-uniformly-small",
                "At learning rate {lr} the healthy network's first-to-last update ratio is {spread_small} and its "
                "back-propagated ratio {delta} (healthy); the vanishing sigmoid network's update ratio is "
                "{spread_sick}, its back-propagated ratio {sick_delta}.",
                holds=0.1 < spread_small < 10
                and 0.1 < small.delta_ratio < 10
                and spread_sick < 1e-3
                and sick.delta_ratio < 1e-3
                and max(self.first_update[5], self.last_update[5]) < self.rule_of_thumb / 10,
                evidence={
                    "lr": self.small_lr,
                    "spread_small": spread_small,
                    "delta": small.delta_ratio,
                    "spread_sick": spread_sick,
                    "sick_delta": sick.delta_ratio,
                },
                scope=f"update ratios: median over {HEALTHY.steps} steps; back-propagated ratios: at initialisation",
            ),
            Claim(
                "opt-larger-lr-cures-small-lr",
                "At learning rate {lr} the same healthy network reaches a loss of {good} in {steps} steps, against "
                "{bad} at {small}.",
                holds=self.runs[4].final_loss < self.runs[5].final_loss - 1.0,
                evidence={
                    "lr": HEALTHY.lr,
                    "good": self.runs[4].final_loss,
                    "steps": HEALTHY.steps,
                    "bad": self.runs[5].final_loss,
                    "small": self.small_lr,
                },
                intervention="learning rate; same network, init, optimiser, steps, seed",
                scope=f"after {HEALTHY.steps} momentum SGD steps",
            ),
        ]


@experiment("fixes.optimisers")
def optimisers(*, adam_lr: float = 1e-3, small_lr: float = 1e-4, seed: int = 0) -> Optimisers:
    """Vanishing networks under momentum SGD and Adam; the healthy network at its lr and at `small_lr`."""
    adam_lr = finite_float("adam_lr", adam_lr, positive=True)
    small_lr = finite_float("small_lr", small_lr, positive=True)
    runs: tuple[Run, ...] = (
        run(VANISHING, "sigmoid, momentum", seed),
        run(VANISHING.but(optimizer="adam", lr=adam_lr), "sigmoid, Adam", seed),
        run(GLOROT_TANH, "tanh + standard init, momentum", seed),
        run(GLOROT_TANH.but(optimizer="adam", lr=adam_lr), "tanh + standard init, Adam", seed),
        run(HEALTHY, f"ReLU + He, lr {HEALTHY.lr:g}", seed),
        run(HEALTHY.but(lr=small_lr), f"ReLU + He, lr {small_lr:g}", seed),
    )
    return Optimisers(
        seed=seed,
        runs=runs,
        adam_lr=adam_lr,
        small_lr=small_lr,
        first_update=np.array([r.update_ratio[0] for r in runs]),
        last_update=np.array([r.update_ratio[-2] for r in runs]),
        rule_of_thumb=RULE_OF_THUMB,
    )


def update_ratio_panel(curves: Sequence[tuple[str, np.ndarray, str]], rule_of_thumb: float) -> Panel:
    """Median update-to-weight ratio per weight layer, one (label, ratios, style) curve each, log scale."""
    return Panel(
        tuple(Series(label, np.arange(1, ratios.size + 1), ratios, style) for label, ratios, style in curves),
        xlabel="weight layer (last = output)",
        ylabel="median ‖ΔW‖ / ‖W‖ per step",
        logy=True,
        hlines=((rule_of_thumb, "rule of thumb"),),
    )


# -- the back-propagated ratio during training -----------------------------------------------------
PROFILE_RUNS = (
    ("tanh + standard init, momentum", GLOROT_TANH),
    ("tanh + standard init, Adam", GLOROT_TANH.but(optimizer="adam", lr=1e-3)),
    ("sigmoid, momentum", VANISHING),
    ("sigmoid, Adam", VANISHING.but(optimizer="adam", lr=1e-3)),
)


@dataclass(frozen=True, kw_only=True)
class RatioDuringTraining(Result):
    """‖∂L/∂z‖ first hidden layer / last hidden layer, recorded on each training batch while training.

    labels: one per run (PROFILE_RUNS); steps: the recorded steps; trace: (runs, seeds, records)
    ratio on the step's batch before its update; start / end: (runs, seeds) ratio on the fixed
    probe batch before training and after the last step; final_loss: (runs, seeds) training-set
    loss after training; first_change / last_change: (runs, seeds) ‖W_T - W_0‖ / ‖W_0‖ of the first
    and of the last hidden layer; chance_loss: ln 10.
    """

    labels: tuple[str, ...]
    seeds: np.ndarray
    n_steps: int
    steps: np.ndarray
    trace: np.ndarray
    start: np.ndarray
    end: np.ndarray
    final_loss: np.ndarray
    first_change: np.ndarray
    last_change: np.ndarray
    chance_loss: float

    def table(self, which: str | None = None) -> Table:
        """One row per run: ratio before and after training (range over seeds), loss, weight movement."""
        rows = tuple(
            (
                label,
                float(np.median(self.start[i])),
                float(np.min(self.end[i])),
                float(np.max(self.end[i])),
                float(np.median(self.final_loss[i])),
                float(np.median(self.first_change[i])),
                float(np.median(self.last_change[i])),
            )
            for i, label in enumerate(self.labels)
        )
        return Table(
            (
                "run",
                "first / last ‖∂L/∂z‖ before training",
                f"after {self.n_steps} steps (lowest seed)",
                "(highest seed)",
                "final loss",
                "first layer moved",
                "last hidden layer moved",
            ),
            rows,
            caption=f"{self.seeds.size} seeds; medians except where a range is given. Moved: ‖W_end \u2212 W_start‖ / "
            f"‖W_start‖. Chance loss is ln 10 ≈ {self.chance_loss:.3g}.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """The ratio over training steps, one line per run (median over seeds), log scale."""
        series = tuple(
            Series(label, self.steps, np.median(self.trace[i], axis=0), "line" if "Adam" in label else "dashed")
            for i, label in enumerate(self.labels)
        )
        alt = "First-to-last back-propagated gradient ratio over training steps. " + "; ".join(
            f"{label}: {np.median(self.start[i]):.2g} before, {np.median(self.end[i]):.2g} after {self.n_steps} steps"
            for i, label in enumerate(self.labels)
        )
        panel = Panel(series, "training step", "‖∂L/∂z‖ first / last hidden layer", logy=True)
        return Figure((panel,), alt=alt + ".", title="The vanishing profile while training")

    def _i(self, label: str) -> int:
        return self.labels.index(label)

    def claims(self) -> list[Claim]:
        """Adam changes the tanh net's profile by training it; it leaves the sigmoid net's where it was."""
        ta, tm = self._i("tanh + standard init, Adam"), self._i("tanh + standard init, momentum")
        sa, sm = self._i("sigmoid, Adam"), self._i("sigmoid, momentum")
        growth = self.end[ta] / self.start[ta]
        drift_m = np.abs(np.log10(self.end[tm] / self.start[tm]))
        drift_s = np.abs(np.log10(self.end[sa] / self.start[sa]))
        balance = self.first_change[sa] / self.last_change[sa]
        frozen = self.first_change[sm] / self.last_change[sm]
        scope = f"after {self.n_steps} steps, every one of {self.seeds.size} seeds"
        return [
            Claim(
                "opt-adam-raises-tanh-ratio",
                "Under Adam the tanh network's first-to-last ratio rises from {start} before training to "
                "between {low} and {high} after {steps} steps: at least {growth} times its starting value.",
                holds=bool(np.min(growth) >= 100.0),
                evidence={
                    "start": float(np.median(self.start[ta])),
                    "low": float(np.min(self.end[ta])),
                    "high": float(np.max(self.end[ta])),
                    "steps": self.n_steps,
                    "growth": float(np.min(growth)),
                },
                intervention="optimiser Adam instead of momentum SGD; same network, init, data, steps, seeds",
                scope=scope,
            ),
            Claim(
                "opt-momentum-keeps-tanh-ratio",
                "Under momentum SGD the same network's ratio stays within a factor {drift} of where it "
                "started, and its loss stays at chance ({loss}).",
                holds=bool(np.max(drift_m) < np.log10(2.0) and np.min(self.final_loss[tm]) > self.chance_loss - 0.05),
                evidence={"drift": float(10 ** np.max(drift_m)), "loss": float(np.median(self.final_loss[tm]))},
                scope=scope,
            ),
            Claim(
                "opt-adam-tanh-trains",
                "Under Adam the tanh network's loss falls to {Adam} (momentum SGD: {momentum}).",
                holds=bool(np.max(self.final_loss[ta]) < np.min(self.final_loss[tm]) - 0.5),
                evidence={
                    "Adam": float(np.median(self.final_loss[ta])),
                    "momentum": float(np.median(self.final_loss[tm])),
                },
                intervention="optimiser; everything else held",
                scope=scope,
            ),
            Claim(
                "opt-adam-sigmoid-ratio-unchanged",
                "On the sigmoid network Adam moves the first hidden layer about as far as the last "
                "({first} and {last} of their size), yet the ratio stays within a factor {drift} of its "
                "starting {start} and the loss stays at chance ({loss}).",
                holds=bool(
                    np.all((balance > 1 / 3) & (balance < 3))
                    and np.max(drift_s) < np.log10(3.0)
                    and np.min(self.final_loss[sa]) > self.chance_loss - 0.05
                ),
                evidence={
                    "first": float(np.median(self.first_change[sa])),
                    "last": float(np.median(self.last_change[sa])),
                    "drift": float(10 ** np.max(drift_s)),
                    "start": float(np.median(self.start[sa])),
                    "loss": float(np.median(self.final_loss[sa])),
                },
                scope=scope,
            ),
            Claim(
                "opt-momentum-sigmoid-first-layer-still",
                "Under momentum SGD the sigmoid network's first hidden layer moves {frozen} times as far as its "
                "last: the weights-barely-change symptom is an SGD symptom.",
                holds=bool(np.max(frozen) < 1e-3 and np.min(balance) > 100 * np.max(frozen)),
                evidence={"frozen": float(np.max(frozen))},
                intervention="optimiser momentum SGD instead of Adam; same network and seeds",
                scope=scope,
            ),
        ]


@experiment("fixes.ratio_during_training")
def ratio_during_training(
    seeds: Sequence[int] = (0, 1, 2), *, steps: int = 150, record_every: int = 5, seed: int = 0
) -> RatioDuringTraining:
    """Train each PROFILE_RUNS network for `steps` steps per seed, recording the first/last ‖∂L/∂z‖ ratio."""
    seed_list = np.array([nonnegative_int("seeds[]", s) for s in seeds])
    if seed_list.size == 0:
        raise ValueError("seeds must list at least one seed")
    steps, record_every = positive_int("steps", steps), positive_int("record_every", record_every)
    x, y = digits("train")
    xp, yp = probe_batch()
    trace, start, end, loss, first, last = [], [], [], [], [], []
    for _, setup in PROFILE_RUNS:
        for s in seed_list:
            net = setup.net(int(s))
            d0 = probe(net, xp, yp).delta_norms
            recipe = setup.but(steps=steps, record_every=record_every).recipe()
            hist = train(net, x, y, **recipe, seed=int(s))
            d1 = probe(net, xp, yp).delta_norms
            trace.append(hist.delta_norms[:, 0] / hist.delta_norms[:, -1])
            start.append(d0[0] / d0[-1])
            end.append(d1[0] / d1[-1])
            loss.append(hist.final_loss)
            first.append(hist.weight_change[0])
            last.append(hist.weight_change[-2])
    shape = (len(PROFILE_RUNS), seed_list.size)
    return RatioDuringTraining(
        seed=seed,
        labels=tuple(label for label, _ in PROFILE_RUNS),
        seeds=seed_list,
        n_steps=steps,
        steps=np.arange(0, steps, record_every),
        trace=np.array(trace).reshape(*shape, -1),
        start=np.array(start).reshape(shape),
        end=np.array(end).reshape(shape),
        final_loss=np.array(loss).reshape(shape),
        first_change=np.array(first).reshape(shape),
        last_change=np.array(last).reshape(shape),
        chance_loss=CHANCE_LOSS,
    )
