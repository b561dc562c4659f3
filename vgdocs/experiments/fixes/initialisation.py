"""Initialisation: the weight scale sets the per-layer factor of both the forward and the backward pass."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int
from vgdocs.engine.init import init_std
from vgdocs.engine.labels import label
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import experiment
from vgdocs.experiments.digits_bench import (
    Run,
    RunsResult,
    Setup,
    probe_batch,
    profile,
    profile_figure,
    run,
    runs_table,
    training_figure,
)
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["INIT_CHOICES", "Initialisation", "initialisation"]

INIT_CHOICES: tuple[str, ...] = ("normal_small", "normal_large", "standard", "xavier_normal", "he_normal", "orthogonal")
# E[f'(z)^2] for z symmetric about 0 in the linear regime: the slope factor of the variance recursion.
_SLOPE_SQUARED = {"relu": 0.5, "tanh": 1.0, "linear": 1.0}


@dataclass(frozen=True, kw_only=True)
class Initialisation(RunsResult):
    """Variance of activations and of dL/dz per hidden layer at initialisation, one row per scheme.

    act_var / grad_var: (schemes, depth), input side first. act_factor: mean per-layer growth of
    the activation variance going forward; grad_factor: mean per-layer growth of the dL/dz variance
    going backward (both geometric means over the hidden layers). theory_factor: fan_in * Var[w] *
    E[f'^2] (1/2 for ReLU, 1 for tanh near 0), the linear-regime prediction of either factor.
    runs: the schemes in `trained` trained on digits with the chapter's SGD recipe.
    orthogonal_gain: 1 / sqrt(E[f'^2]) (sqrt 2 for ReLU); orthogonal_gain_factor: the measured
    gradient variance factor of orthogonal weights scaled by that gain.
    """

    activation: str
    depth: int
    width: int
    labels: tuple[str, ...]
    weight_std: np.ndarray
    act_var: np.ndarray
    grad_var: np.ndarray
    act_factor: np.ndarray
    grad_factor: np.ndarray
    theory_factor: np.ndarray
    runs: tuple[Run, ...]
    orthogonal_gain: float
    orthogonal_gain_factor: float

    def table(self, which: str | None = None) -> Table:
        """'variance' (default): per scheme, the factors; 'training': the trained runs."""
        if choice("which", which or "variance", ("variance", "training")) == "training":
            return runs_table(self.runs)
        return self._variance_table()

    def _variance_table(self) -> Table:
        """Per scheme: weight std, predicted and measured per-layer factors, first-layer gradient variance."""
        rows = tuple(
            (
                self.labels[i],
                float(self.weight_std[i]),
                float(self.theory_factor[i]),
                float(self.act_factor[i]),
                float(self.grad_factor[i]),
                float(self.grad_var[i, 0] / self.grad_var[i, -1]),
            )
            for i in range(len(self.labels))
        )
        return Table(
            (
                "scheme",
                "weight std",
                "predicted factor per layer",
                "activation variance factor per layer",
                "gradient variance factor per layer",
                "Var[dL/dz] first / last",
            ),
            rows,
            caption=f"{label(self.activation)} network, {self.depth} hidden layers of {self.width}, at "
            "initialisation on a batch of digits. A factor of 1 keeps the signal's size from layer "
            "to layer.",
            bar_column=5,
        )

    def figure(self, which: str | None = None) -> Figure:
        """'variance' (default): activation and gradient variance per layer; 'training': loss curves."""
        choice("which", which or "variance", ("variance", "training", "profile"))
        if which == "training":
            return training_figure(self.runs, f"Training a {label(self.activation)} network from each starting point")
        if which == "profile":
            return profile_figure(self.runs, f"{label(self.activation)}: gradient per layer at initialisation")
        layers = np.arange(1, self.depth + 1)
        styles = ("dotted", "dotted", "dashed", "line", "line", "markers")
        fwd = tuple(Series(lab, layers, self.act_var[i], styles[i % len(styles)]) for i, lab in enumerate(self.labels))
        bwd = tuple(
            Series(lab, layers, self.grad_var[i] / self.grad_var[i, -1], styles[i % len(styles)])
            for i, lab in enumerate(self.labels)
        )
        panels = (
            Panel(fwd, xlabel="hidden layer", ylabel="Var[activation]", title="forward", logy=True),
            Panel(bwd, xlabel="hidden layer", ylabel="Var[dL/dz] / last layer's", title="backward", logy=True),
        )
        best = int(np.argmin(np.abs(np.log(self.grad_factor))))
        alt = (
            f"Variance of activations and of back-propagated gradients over {self.depth} hidden layers of a "
            f"{label(self.activation)} network for {len(self.labels)} initialisations; {self.labels[best]} keeps the "
            f"gradient variance closest to constant (factor {self.grad_factor[best]:.2g} per layer)."
        )
        return Figure(panels, alt=alt, title=f"{label(self.activation)}: how each initialisation scales the signal")


@experiment("fixes.initialisation")
def initialisation(
    activation: str = "relu",
    schemes: Sequence[str] = INIT_CHOICES,
    *,
    depth: int = 10,
    width: int = 32,
    small_std: float = 0.01,
    large_std: float = 1.0,
    trained: Sequence[str] = (),
    seed: int = 0,
) -> Initialisation:
    """Per-layer variance of activations and gradients under each scheme; train the `trained` ones."""
    choice("activation", activation, tuple(_SLOPE_SQUARED))
    schemes = tuple(choice("schemes[]", s, INIT_CHOICES) for s in schemes)
    trained = tuple(choice("trained[]", s, schemes) for s in trained)
    depth, width = positive_int("depth", depth), positive_int("width", width)
    if depth < 2:
        raise ValueError(f"depth must be at least 2 to measure a per-layer factor; got {depth}")
    stds = {
        "normal_small": finite_float("small_std", small_std, positive=True),
        "normal_large": finite_float("large_std", large_std, positive=True),
    }
    setups = {s: _setup(s, activation, depth, width, stds) for s in schemes}
    labels = tuple(_label(s, stds) for s in schemes)
    x, y = probe_batch()
    act_var, grad_var = [], []
    for s in schemes:
        p = profile(setups[s], seed, (x, y), variances=True)
        act_var.append([float(np.var(a)) for a in p.activations])
        grad_var.append(p.delta_vars)
    act_var_a, grad_var_a = np.array(act_var), np.array(grad_var)
    with np.errstate(divide="ignore", invalid="ignore"):  # a profile that underflowed to 0 is data
        act_factor = (act_var_a[:, -1] / act_var_a[:, 0]) ** (1.0 / (depth - 1))
        grad_factor = (grad_var_a[:, 0] / grad_var_a[:, -1]) ** (1.0 / (depth - 1))
    w_std = np.array([stds[s] if s in stds else init_std(s, width, width) for s in schemes])
    theory = width * w_std**2 * _SLOPE_SQUARED[activation]
    runs = tuple(run(setups[s], _label(s, stds), seed) for s in trained)
    gain = 1.0 / math.sqrt(_SLOPE_SQUARED[activation])
    net = MLP([64, *[width] * depth, 10], activation, init="orthogonal", init_gain=gain, loss="softmax_ce", seed=seed)
    gvar = probe(net, x, y, variances=True).delta_vars
    return Initialisation(
        seed=seed,
        activation=activation,
        depth=depth,
        width=width,
        labels=labels,
        weight_std=w_std,
        act_var=act_var_a,
        grad_var=grad_var_a,
        act_factor=act_factor,
        grad_factor=grad_factor,
        theory_factor=theory,
        runs=runs,
        orthogonal_gain=gain,
        orthogonal_gain_factor=(gvar[0] / gvar[-1]) ** (1.0 / (depth - 1)),
    )


def _setup(scheme: str, activation: str, depth: int, width: int, stds: dict[str, float]) -> Setup:
    if scheme in stds:
        return Setup(activation=activation, init="normal", init_std=stds[scheme], depth=depth, width=width)
    return Setup(activation=activation, init=scheme, depth=depth, width=width)


def _label(scheme: str, stds: dict[str, float]) -> str:
    return f"normal (std {stds[scheme]:g})" if scheme in stds else label(scheme)
