"""Schoenholz et al. (2017): the mean-field critical point of a deep tanh network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import choice, finite_float, positive_int
from vgdocs.engine.at_init import mlp_at_init
from vgdocs.engine.probe import probe
from vgdocs.experiments._core import experiment
from vgdocs.experiments.reproductions._common import (
    CHI,
    MINUS,
    SIGMA,
    Criterion,
    PaperResult,
    compare,
)
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

# Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep information propagation" (building on
# Poole et al. 2016): for tanh with sigma_b^2 = 0.05 the order-to-chaos transition, where
# chi_1 = 1, sits at sigma_w^2 ~ 1.76.
SCHOENHOLZ_SIGMA_B2 = 0.05
SCHOENHOLZ_CRITICAL_SW2 = 1.76


# -- Schoenholz et al.: the mean-field critical point ----------------------------------------------
@dataclass(frozen=True, kw_only=True)
class MeanFieldProfile(PaperResult):
    """Measured per-layer gradient profiles of deep tanh nets against the mean-field factor chi_1.

    profile: (sigma_w2, depth) ||dL/dz^l||^2 / ||dL/dz^top||^2, geometric mean over seeds, input side first;
    predicted: chi_1 ** (depth - l); measured_chi: per-layer factor fitted to the profile (least squares in log).
    """

    sigma_b2: float
    sigma_w2: np.ndarray
    depth: int
    width: int
    batch: int
    n_seeds: int
    critical: float  # sigma_w2 where chi_1 = 1, from vgdocs.engine.theory
    chi: np.ndarray
    measured_chi: np.ndarray
    depth_scale: np.ndarray  # -1 / ln chi_1 in layers (negative: exploding), from the theory
    measured_depth_scale: np.ndarray  # the same from the measured factor
    profile: np.ndarray
    predicted: np.ndarray

    def table(self, which: str | None = None) -> Table:
        """Default: the critical point and one chi_1 claim per weight variance. "depth": the depth scales."""
        if choice("which", which or "claims", ("claims", "depth")) == "depth":
            rows = tuple(
                (float(s2), float(c), float(m), float(x), float(mx))
                for s2, c, m, x, mx in zip(
                    self.sigma_w2, self.chi, self.measured_chi, self.depth_scale, self.measured_depth_scale, strict=True
                )
            )
            return Table(
                (
                    f"{SIGMA}_w²",
                    f"{CHI}₁ (theory)",
                    "measured factor",
                    f"depth scale {MINUS}1/ln {CHI}₁",
                    "measured depth scale",
                ),
                rows,
                caption=f"Depth scale in layers: the gradient's squared norm changes by a factor e every "
                f"that many layers (negative: it grows). Our networks have {self.depth} layers.",
            )
        return super().table()

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            f"tanh networks, {self.depth} layers of width {self.width}, "
            f"{SIGMA}_b² = {self.sigma_b2:g}; {CHI}₁ multiplies ‖∂L/∂z‖² at every layer. "
            f"Measured: a straight-line fit to log ‖∂L/∂z^l‖² over {self.n_seeds} seeds."
        )

    def figure(self, which: str | None = None) -> Figure:
        """Measured profiles (solid) with the mean-field prediction chi_1^(depth - l) (dashed), log scale."""
        k = np.arange(1, self.depth + 1)
        series = []
        for i, s2 in enumerate(self.sigma_w2):
            series.append(Series(f"{SIGMA}_w² = {s2:g}, measured", k, self.profile[i]))
            series.append(Series(f"{SIGMA}_w² = {s2:g}, {CHI}₁^(L{MINUS}l)", k, self.predicted[i], "dashed"))
        return Figure(
            panels=(Panel(tuple(series), "hidden layer l (1 = input side)", "‖∂L/∂z^l‖² / top layer", logy=True),),
            alt=f"Log-scale plot of the squared gradient norm per layer of {self.depth}-layer tanh networks at weight "
            f"variances {', '.join(f'{v:g}' for v in self.sigma_w2)}. Below the critical value the profile "
            "falls towards the input, above it rises, near it stays level; each follows its dashed "
            "mean-field line.",
            title="Schoenholz et al.: the per-layer factor χ₁ predicts the profile",
        )


@experiment("reproductions.schoenholz")
def schoenholz(
    sigma_w2: Sequence[float] = (1.2, SCHOENHOLZ_CRITICAL_SW2, 3.0),
    *,
    sigma_b2: float = SCHOENHOLZ_SIGMA_B2,
    depth: int = 40,
    width: int = 128,
    batch: int = 64,
    n_seeds: int = 2,
    tolerance: float = 0.05,
    seed: int = 0,
) -> MeanFieldProfile:
    """Per-layer gradient profile of tanh nets with weights N(0, sigma_w2/n), biases N(0, sigma_b2), against chi_1."""
    grid = np.array([finite_float("sigma_w2[]", v, positive=True) for v in sigma_w2])
    sigma_b2 = finite_float("sigma_b2", sigma_b2, nonnegative=True)
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    n_seeds, tolerance = positive_int("n_seeds", n_seeds), finite_float("tolerance", tolerance, positive=True)
    if depth < 3:
        raise ValueError(f"depth must be at least 3 to fit a profile; got {depth}")
    profile = np.empty((grid.size, depth))
    for i, s2 in enumerate(grid):
        logs = np.zeros(depth)
        for s in range(n_seeds):
            gain, bias_std = math.sqrt(s2), math.sqrt(sigma_b2)
            setup = mlp_at_init(
                "tanh", depth=depth, width=width, batch=batch, seed=seed + s, gain=gain, bias_std=bias_std
            )
            d = probe(*setup).delta_norms
            logs += 2.0 * np.log(d) / n_seeds
        profile[i] = np.exp(logs - logs[-1])
    layers = np.arange(depth)
    measured = np.exp(-np.polyfit(layers, np.log(profile).T, 1)[0])
    chi = np.array([theory.chi_1("tanh", float(s2), sigma_b2) for s2 in grid])
    critical = theory.critical_sigma_w2("tanh", sigma_b2)
    with np.errstate(divide="ignore"):  # a factor of exactly 1 has an infinite depth scale
        scales = -1.0 / np.log(chi), -1.0 / np.log(measured)
    claims = [
        compare(
            "schoenholz",
            f"critical {SIGMA}_w² for tanh, {SIGMA}_b² = {sigma_b2:g}",
            SCHOENHOLZ_CRITICAL_SW2,
            critical,
            Criterion("absolute", 0.005),
        )
    ]
    claims += [
        compare(
            "schoenholz",
            f"{SIGMA}_w² = {s2:g}: per-layer factor (reference: {CHI}₁ from their formula, evaluated here)",
            float(chi[i]),
            measured[i],
            Criterion("relative", tolerance),
            "identity",
        )
        for i, s2 in enumerate(grid)
    ]
    return MeanFieldProfile(
        seed=seed,
        sigma_b2=sigma_b2,
        sigma_w2=grid,
        depth=depth,
        width=width,
        batch=batch,
        n_seeds=n_seeds,
        critical=critical,
        chi=chi,
        measured_chi=measured,
        depth_scale=scales[0],
        measured_depth_scale=scales[1],
        profile=profile,
        predicted=chi[:, None] ** (depth - 1.0 - layers)[None, :],
        rows=tuple(claims),
    )
