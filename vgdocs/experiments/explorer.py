"""The gradient-flow explorer: one probe per cell of a control grid, several seeds, median and spread.

Experiments for docs/explorer.md. Every cell (activation, initialiser, depth, normalisation,
residual) is one forward/backward pass of a fresh MLP per seed on standard-normal inputs with a
random regression target (the same probe as `python -m vgdocs profile`). The page's script reads
the compact asset `payload()` writes; the ledger holds each cell's first-to-last ratio under a key
that names the cell, so an engine change that moves a cell fails the strict build naming it.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import positive_int
from vgdocs.engine.diagnose import diagnose
from vgdocs.engine.probe import probe_mlp
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["ACTIVATIONS", "DEPTHS", "INITS", "ExplorerGrid", "cell_key", "explorer_grid", "probe"]

ACTIVATIONS = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "gelu": "GELU",
    "selu": "SELU",
}
# name -> (reader's label, engine initialiser, std for "normal" in units of 1/sqrt(width) or absolute)
NAMED_INITS = {
    "standard": ("Standard (uniform ±1/√n)", "standard", None),
    "small": ("Naive small (normal, std 0.01)", "normal", 0.01),
    "large": ("Naive large (normal, std 1)", "normal", 1.0),
    "xavier": ("Xavier (normal)", "xavier_normal", None),
    "he": ("He (normal)", "he_normal", None),
    "lecun": ("LeCun (normal)", "lecun_normal", None),
    "orthogonal": ("Orthogonal", "orthogonal", None),
}
SIGMA_W2 = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)  # the slider: weights N(0, sigma_w^2 / width)
INITS = (*NAMED_INITS, *(f"sw{s:g}" for s in SIGMA_W2))
DEPTHS = (5, 10, 20, 30, 50)
NORMS = {"none": None, "layer": "layer"}
RESIDUAL = ("plain", "residual")
HIST_BINS = 12
DIAGNOSE_DEFAULTS = diagnose([1.0, 1.0])  # carries the default thresholds the claims quote
SIGMA = "\u03c3"
M_STEP, SPREAD_STEP = 0.02, 0.1  # decades per step: the median profile's and the seed spread's quantum
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def init_label(init: str) -> str:
    """Reader-facing label of an init key."""
    return NAMED_INITS[init][0] if init in NAMED_INITS else f"Normal with {SIGMA}_w² = {init[2:]}"


def sigma_w2(init: str, width: int) -> float:
    """Weight variance times fan-in for square hidden layers under init key `init`."""
    if init.startswith("sw"):
        return float(init[2:])
    _, name, std = NAMED_INITS[init]
    if std is not None:
        return std * std * width
    return {"standard": 1 / 3, "xavier_normal": 1.0, "he_normal": 2.0, "lecun_normal": 1.0, "orthogonal": 1.0}[name]


def cell_key(act: str, init: str, depth: int, norm: str, residual: str) -> str:
    """Ledger and asset key naming one grid cell."""
    return f"activation={act},init={init},depth={depth},norm={norm},residual={residual}"


def probe(act: str, init: str, depth: int, norm: str, residual: str, *, width: int, batch: int, seed: int):
    """The engine's probe of one cell: (|dL/dz| per hidden layer, input side first; hidden activations)."""
    if init in NAMED_INITS:
        _, name, std = NAMED_INITS[init]
        std = 0.01 if std is None else std
    else:
        name, std = "normal", math.sqrt(float(init[2:]) / width)
    kind = {"init": name, "init_std": std, "norm": NORMS[norm], "residual": residual == "residual"}
    p = probe_mlp(act, depth=depth, width=width, batch=batch, seed=seed, **kind)
    return np.asarray(p.delta_norms, dtype=np.float64), list(p.activations)


def _theory_steps(act: str, s2: float, depth: int) -> list[float | None]:
    """log10 of the mean-field factor sqrt(chi_1(q_l)) for layers l = 1..depth-1 (None where undefined)."""
    out: list[float | None] = []
    try:
        qs = theory.q_trajectory(act, s2, depth - 1, s2)
    except (ValueError, OverflowError, FloatingPointError):
        return [None] * (depth - 1)
    for q in qs[:-1]:
        try:
            c = theory.chi_1(act, s2, q=float(q)) if math.isfinite(q) and q > 0 else math.nan
        except (ValueError, OverflowError, FloatingPointError):
            c = math.nan
        out.append(round(0.5 * math.log10(c), 4) if math.isfinite(c) and c > 0 else None)
    return out


def _q(values: np.ndarray, step: float) -> list[int | None]:
    """log10 of positive values quantised to `step` decades (None for 0, inf or NaN)."""
    out: list[int | None] = []
    for v in values:
        out.append(round(math.log10(v) / step) if math.isfinite(v) and v > 0 else None)
    return out


def encode_profile(values: np.ndarray) -> dict:
    """{"d": first quantised log10 then differences} when every value is positive and finite, else {"a": absolute}."""
    q = _q(values, M_STEP)
    if any(v is None for v in q):
        return {"a": q}
    return {"d": [q[0]] + [b - a for a, b in itertools.pairwise(q)]}


def decode_profile(cell: dict) -> list[int | None]:
    """The quantised log10 profile of a cell (inverse of encode_profile)."""
    if "a" in cell:
        return list(cell["a"])
    return [int(v) for v in np.cumsum(cell["d"])]


def _spread(v: np.ndarray) -> str:
    return "".join(_B36[min(35, round(abs(x) / SPREAD_STEP))] for x in v)


def _histogram(a: np.ndarray) -> list | None:
    """[low, high, counts as a string of base-36 digits in 36ths] for a finite sample, else None."""
    a = a[np.isfinite(a)]
    if a.size == 0:
        return None
    lo, hi = float(a.min()), float(a.max())
    if hi - lo < 1e-12 * max(1.0, abs(lo)):
        hi = lo + 1e-12 * max(1.0, abs(lo))
    counts, _ = np.histogram(a, bins=HIST_BINS, range=(lo, hi))
    digits = np.round(35 * counts / counts.max()).astype(int)
    return [float(f"{lo:.3g}"), float(f"{hi:.3g}"), "".join(np.base_repr(d, 36).lower() for d in digits)]


@dataclass(frozen=True, kw_only=True)
class ExplorerGrid(Result):
    """Per cell: the first-to-last ratio of the per-layer median |dL/dz| and its diagnose verdict.

    ratio / factor are keyed by `cell_key`; `asset` is the page script's data (JSON text).
    """

    width: int
    batch: int
    seeds: tuple[int, ...]
    ratio: dict[str, float]
    verdict: dict[str, str] = field(metadata={"ledger": False})
    asset: str = field(metadata={"ledger": False}, repr=False)
    default: tuple[str, str, int, str, str] = ("relu", "he", 20, "none", "plain")

    def median_profile(self, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(median, low, high) |dL/dz| per layer of cell `key`, decoded from the asset (for the static figure)."""
        cell = json.loads(self.asset)["cells"][key]
        logs = np.array([math.nan if v is None else v * M_STEP for v in decode_profile(cell)])
        lo = logs - np.array([_B36.index(c) for c in cell["lo"]]) * SPREAD_STEP
        hi = logs + np.array([_B36.index(c) for c in cell["hi"]]) * SPREAD_STEP
        return 10.0**logs, 10.0**lo, 10.0**hi

    def figure(self, which: object = None) -> Figure:
        act, init, depth, _, _ = self.default
        med, lo, hi = self.median_profile(cell_key(*self.default))
        layers = np.arange(1, depth + 1)
        name = f"{ACTIVATIONS[act]}, {init_label(init)}, {depth} layers"
        panel = Panel(
            (
                Series("median over seeds", layers, med),
                Series("lowest seed", layers, lo, "dotted"),
                Series("highest seed", layers, hi, "dotted"),
            ),
            xlabel="layer (input side first)",
            ylabel="gradient norm |dL/dz|",
            logy=True,
        )
        alt = (
            f"Gradient norm per layer of a {name} network at initialisation, median of {len(self.seeds)} seeds, "
            f"on a log scale; first-to-last ratio {self.ratio[cell_key(*self.default)]:.3g}."
        )
        return Figure((panel,), alt=alt, title=name)

    def table(self, which: object = None) -> Table:
        """First-to-last ratio and verdict for every activation and initialiser at the default depth."""
        _, _, depth, norm, res = self.default
        rows = []
        for act, act_label in ACTIVATIONS.items():
            for init in NAMED_INITS:
                key = cell_key(act, init, depth, norm, res)
                rows.append((act_label, init_label(init), self.ratio[key], self.verdict[key]))
        return Table(
            ("activation", "initialisation", "first-to-last ratio", "verdict"),
            tuple(rows),
            caption=f"{depth} hidden layers of width {self.width}, no normalisation, no residual connections; "
            f"median over {len(self.seeds)} seeds.",
            bar_column=2,
        )

    def claims(self) -> list[Claim]:
        he = self.ratio[cell_key("relu", "he", 50, "none", "plain")]
        std = self.ratio[cell_key("sigmoid", "standard", 50, "none", "plain")]
        res = self.ratio[cell_key("sigmoid", "standard", 50, "none", "residual")]
        low, high = DIAGNOSE_DEFAULTS.vanishing_ratio, DIAGNOSE_DEFAULTS.exploding_ratio
        return [
            Claim(
                "explorer-he-relu-50",
                "With He initialisation a 50-layer ReLU network keeps its first-to-last ratio at {he} "
                "(healthy: within {low} to {high}), while the same depth of sigmoid layers with the standard "
                "initialisation drops to {std}.",
                holds=low <= he <= high and std < 1e-6,
                evidence={"he": he, "std": std, "low": low, "high": high},
                intervention="activation and initialiser changed together; width, depth, batch and seeds fixed",
                scope="at initialisation",
            ),
            Claim(
                "explorer-residual-sigmoid-50",
                "Adding residual connections to that 50-layer sigmoid network lifts the ratio from {std} to {res}.",
                holds=res > 1e4 * std,
                evidence={"std": std, "res": res},
                intervention="residual connections added; activation, initialiser, width, depth, seeds fixed",
                scope="at initialisation",
            ),
        ]


@experiment("explorer.grid")
def explorer_grid(*, width: int = 64, batch: int = 64, seeds: tuple[int, ...] = (0, 1, 2)) -> ExplorerGrid:
    """Probe every cell of the explorer's grid with each seed; median and spread of |dL/dz| per layer."""
    width, batch = positive_int("width", width), positive_int("batch", batch)
    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 1:
        raise ValueError("seeds must list at least one seed")
    cells, ratio, verdict, theory_steps = {}, {}, {}, {}
    for act in ACTIVATIONS:
        for init in INITS:
            theory_steps[f"{act},{init}"] = _theory_steps(act, sigma_w2(init, width), max(DEPTHS))
            for depth in DEPTHS:
                for norm in NORMS:
                    for res in RESIDUAL:
                        key = cell_key(act, init, depth, norm, res)
                        runs = [probe(act, init, depth, norm, res, width=width, batch=batch, seed=s) for s in seeds]
                        norms = np.array([r[0] for r in runs])
                        with np.errstate(all="ignore"):
                            med = np.median(norms, axis=0)
                            logs = np.log10(np.where(norms > 0, norms, np.nan))
                            lm = np.log10(np.where(med > 0, med, np.nan))
                            lo = np.nan_to_num(np.nanmin(logs, axis=0) - lm, nan=0.0)
                            hi = np.nan_to_num(np.nanmax(logs, axis=0) - lm, nan=0.0)
                        diag = diagnose(med)
                        ratio[key], verdict[key] = float(diag.ratio), diag.verdict
                        mid = runs[0][1]
                        cells[key] = {
                            "r": diag.ratio if math.isfinite(diag.ratio) else None,
                            "v": diag.verdict,
                            **encode_profile(med),
                            "lo": _spread(lo),
                            "hi": _spread(hi),
                            "h": [_histogram(mid[i]) for i in (0, depth // 2 - 1, depth - 1)],
                        }
    asset = {
        "width": width,
        "batch": batch,
        "seeds": list(seeds),
        "steps": {"median": M_STEP, "spread": SPREAD_STEP},
        "activations": ACTIVATIONS,
        "inits": {k: init_label(k) for k in NAMED_INITS},
        "sigma_w2": {f"sw{s:g}": s for s in SIGMA_W2},
        "depths": list(DEPTHS),
        "theory": theory_steps,
        "cells": cells,
    }
    text = json.dumps(asset, separators=(",", ":"), allow_nan=False)
    return ExplorerGrid(width=width, batch=batch, seeds=seeds, ratio=ratio, verdict=verdict, asset=text)
