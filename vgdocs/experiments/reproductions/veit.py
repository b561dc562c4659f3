"""Veit, Wilber & Belongie (2016): residual networks behave like ensembles of short paths."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import finite_float, positive_int, rng_from
from vgdocs.engine.nets.mlp import MLP
from vgdocs.experiments._core import experiment, within_rounding
from vgdocs.experiments.reproductions._common import (
    Criterion,
    PaperResult,
    compare,
)
from vgdocs.publish.present.spec import Figure, Panel, Series

# Veit, Wilber & Belongie (2016), "Residual networks behave like ensembles of relatively shallow
# networks", sec. 5 and fig. 6: the 110-layer ResNet has 54 residual modules; most of its gradient
# comes from paths through 5 to 17 modules, i.e. 10 to 34 layers deep.
VEIT_MODULES = 54
VEIT_EFFECTIVE_MODULES = (5, 17)
VEIT_LAYERS_PER_MODULE = 2


# -- Veit et al.: residual networks are ensembles of short paths ------------------------------------
@dataclass(frozen=True, kw_only=True)
class ResidualPaths(PaperResult):
    """How much gradient the paths of each length carry in a residual MLP with BatchNorm, at initialisation.

    A path of length k passes through the residual branch of k blocks and the skip of the others.
    per_path: mean gradient norm at the input of one sampled path of length k (k = 0..modules), relative
    to k = 0; total: path count C(modules, k) times per_path, normalised to sum 1.
    """

    modules: int
    width: int
    batch: int
    samples: int
    mass: float
    path_counts: np.ndarray
    per_path: np.ndarray
    total: np.ndarray
    decay: float  # per-module factor of a straight-line fit to log per_path over k = 1..modules
    fit_r2: float
    effective: tuple[int, int]  # central `mass` of total: shortest and longest effective path, in modules
    effective_layers: tuple[int, int]  # the same in layers: two per module, as Veit et al. count them
    peak: int
    mean_path_length: float
    # relative |sum of the path-length groups - the network's input gradient|: rounding, so it is
    # published only as decomposition_bound (its last digits differ between CPUs)
    decomposition_error: float = field(metadata={"ledger": False})
    decomposition_bound: float  # ROUNDING when the error is rounding, else the error

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            f"Residual MLP with {self.modules} blocks (ReLU after BatchNorm on each "
            f"branch), width {self.width}, batch {self.batch}; {self.samples} sampled paths per "
            f"length; effective range: the central {self.mass:.0%} of the gradient."
        )

    def figure(self, which: str | None = None) -> Figure:
        """Three panels: how many paths, how much gradient each carries, and the product."""
        k = np.arange(self.modules + 1)
        lo, hi = VEIT_EFFECTIVE_MODULES
        veit = np.where((k >= lo) & (k <= hi), self.total.max(), 0.0)
        fit = self.per_path[1] / self.decay * self.decay ** k.astype(float)
        return Figure(
            panels=(
                Panel(
                    (Series("paths", k, self.path_counts / self.path_counts.sum(), "bar"),),
                    "path length k (modules)",
                    "share of paths",
                    "how many paths",
                ),
                Panel(
                    (
                        Series("measured", k, self.per_path, "markers"),
                        Series(f"fit {self.decay:.2g}^k", k, fit, "dashed"),
                    ),
                    "path length k (modules)",
                    "gradient per path",
                    "gradient per path",
                    logy=True,
                ),
                Panel(
                    (Series("ours", k, self.total, "bar"), Series("Veit et al. range", k, veit, "step")),
                    "path length k (modules)",
                    "share of gradient",
                    "gradient by length",
                ),
            ),
            alt=f"Three panels over path lengths 0 to {self.modules}. Left: the number of paths is binomial, centred "
            f"on {self.mean_path_length:g}. Middle: the gradient along one path falls by a factor of about "
            f"{self.decay:.2g} per module on a log scale. Right: their product, the gradient by path length, "
            f"sits between {self.effective[0]} and {self.effective[1]} modules, against Veit et al.'s "
            f"{lo} to {hi}.",
            title="Veit et al.: the gradient flows through short paths",
            width=9.0,
        )


@experiment("reproductions.veit")
def veit(
    modules: int = VEIT_MODULES,
    width: int = 32,
    batch: int = 16,
    *,
    samples: int = 8,
    mass: float = 0.9,
    tolerance: int = 2,
    seed: int = 0,
) -> ResidualPaths:
    """Sample paths of every length through a residual MLP, backpropagate along each, weigh by the path count.

    Each block is h + relu(BN(h W)) (He init, BatchNorm's shift in place of a bias); the loss is MSE
    on random targets. `tolerance`: how
    many modules each end of our effective range may differ from Veit et al.'s and still agree.
    """
    modules, width = positive_int("modules", modules), positive_int("width", width)
    batch, samples = positive_int("batch", batch), positive_int("samples", samples)
    mass = finite_float("mass", mass)
    if not 0 < mass < 1:
        raise ValueError(f"mass must be in (0, 1); got {mass}")
    if batch < 2:
        raise ValueError(f"batch must be at least 2 (BatchNorm needs a batch); got {batch}")
    tolerance = positive_int("tolerance", tolerance)
    rng = rng_from("seed", seed)
    net = MLP(
        [width] * (modules + 1) + [1],
        "relu",
        init="he_normal",
        norm="batch",
        norm_position="before",
        residual=True,
        seed=rng,
    )
    tape = net.gradients(rng.standard_normal((batch, width)), rng.standard_normal((batch, 1)))
    top = tape.layers[-1].delta @ net.layers[-1].W.T
    branches = [
        _Branch(layer.W, tap.z, tap.u, net.eps) for layer, tap in zip(net.layers[:-1], tape.hidden, strict=True)
    ]
    # exact split of the input gradient by path length: group k collects every path through k branches
    groups = np.zeros((modules + 1, batch, width))
    groups[0] = top
    for branch in reversed(branches):
        groups[1:] += branch.back(groups[:-1])
    error = float(np.linalg.norm(groups.sum(axis=0) - tape.input_grad) / np.linalg.norm(tape.input_grad))
    # Veit et al.'s measurement: per length k, backpropagate along sampled single paths
    chosen = np.zeros((modules, samples, modules), dtype=bool)
    for k in range(1, modules + 1):
        for s in range(samples):
            chosen[k - 1, s, rng.choice(modules, size=k, replace=False)] = True
    chosen = chosen.reshape(modules * samples, modules)
    g = np.broadcast_to(top, (modules * samples, batch, width)).copy()
    for i in range(modules - 1, -1, -1):
        on = chosen[:, i]
        g[on] = branches[i].back(g[on])
    norms = np.linalg.norm(g, axis=(1, 2)).reshape(modules, samples).mean(axis=1)
    per_path = np.concatenate([[1.0], norms / np.linalg.norm(top)])
    k = np.arange(modules + 1)
    from scipy.special import comb  # on first use: scipy costs 0.2 s to import

    counts = comb(modules, k, exact=False)
    total = counts * per_path / np.sum(counts * per_path)
    slope, intercept = np.polyfit(k[1:], np.log(per_path[1:]), 1)
    residual = np.log(per_path[1:]) - (intercept + slope * k[1:])
    r2 = 1.0 - np.sum(residual**2) / np.sum((np.log(per_path[1:]) - np.log(per_path[1:]).mean()) ** 2)
    cumulative = np.cumsum(total)
    tail = (1.0 - mass) / 2.0
    effective = (int(np.searchsorted(cumulative, tail)), int(np.searchsorted(cumulative, 1.0 - tail)))
    mean_length = float(np.sum(k * counts) / np.sum(counts))
    lo, hi = VEIT_EFFECTIVE_MODULES
    close = Criterion("absolute", float(tolerance))
    claims = (
        compare(
            "veit",
            f"mean path length, {modules} modules (binomial)",
            VEIT_MODULES / 2,
            mean_length,
            Criterion("absolute", 1e-9),
            "identity",
        ),
        compare(
            "veit",
            "gradient per path falls geometrically: R² of the log-linear fit",
            "exponential decay",
            r2,
            Criterion("at_least", 0.9),
        ),
        compare("veit", "shortest effective path (modules)", lo, effective[0], close),
        compare("veit", "longest effective path (modules)", hi, effective[1], close),
    )
    return ResidualPaths(
        seed=seed,
        modules=modules,
        width=width,
        batch=batch,
        samples=samples,
        mass=mass,
        path_counts=counts,
        per_path=per_path,
        total=total,
        decay=float(np.exp(slope)),
        fit_r2=float(r2),
        effective=effective,
        effective_layers=tuple(VEIT_LAYERS_PER_MODULE * e for e in effective),
        peak=int(np.argmax(total)),
        mean_path_length=mean_length,
        decomposition_error=error,
        decomposition_bound=within_rounding(error),
        rows=claims,
    )


@dataclass(frozen=True)
class _Branch:
    """The backward map of one residual branch relu(BN(h W)) at a recorded forward pass (gamma 1, beta 0)."""

    W: np.ndarray
    z: np.ndarray  # the branch's pre-normalisation value h W, (batch, width)
    u: np.ndarray  # its normalised value (the ReLU's input)
    eps: float

    def back(self, g: np.ndarray) -> np.ndarray:
        """dL/dh through the branch alone, for gradients g of shape (..., batch, width) at the block output."""
        inv_std = 1.0 / np.sqrt(self.z.var(axis=0) + self.eps)
        du = g * (self.u > 0)
        dz = inv_std * (du - du.mean(axis=-2, keepdims=True) - self.u * (du * self.u).mean(axis=-2, keepdims=True))
        return dz @ self.W.T
