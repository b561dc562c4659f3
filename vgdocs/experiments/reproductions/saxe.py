"""Saxe, McClelland & Ganguli (2013): orthogonal products of a deep linear map stay isometric."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, positive_int, rng_from
from vgdocs.engine.init import initialize
from vgdocs.experiments._core import ROUNDING, experiment
from vgdocs.experiments.reproductions._common import (
    INIT_LABEL,
    TIMES,
    Criterion,
    PaperResult,
    compare,
)
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

# Saxe, McClelland & Ganguli (2013), "Exact solutions to the nonlinear dynamics of learning in deep
# linear neural networks", on orthogonal initialisation: the product of a deep linear network's
# orthogonal weight matrices is orthogonal, so every singular value of the input-output map is 1,
# while scaled Gaussian matrices give a product whose singular values spread with depth.
SAXE_SINGULAR_VALUE = 1.0

# -- Saxe et al.: orthogonal initialisation of a deep linear map -----------------------------------
SAXE_INITS = ("orthogonal", "lecun_normal")


@dataclass(frozen=True, kw_only=True)
class SaxeIsometry(PaperResult):
    """Singular values of the product of `depth` square weight matrices, orthogonal versus Gaussian N(0, 1/n).

    spread: (inits, depths) log10(largest / smallest singular value); farthest: (inits, depths) the
    singular value farthest from 1; mean_square: (inits, depths) mean of the squared singular values.
    """

    width: int
    depths: np.ndarray
    inits: tuple[str, ...]
    spread: np.ndarray
    farthest: np.ndarray
    mean_square: np.ndarray
    singular_values: np.ndarray  # (inits, width) at the deepest depth, largest first

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            f"Products of square {self.width}{TIMES}{self.width} weight matrices "
            "(a deep linear network's input-output map)."
        )

    def table(self, which: str | None = None) -> Table:
        """Default: the claims. "depths": spread and mean square per depth for both inits."""
        if choice("which", which or "claims", ("claims", "depths")) == "claims":
            return super().table()
        rows = tuple(
            (int(d), *(float(v) for j in range(len(self.inits)) for v in (self.spread[j, i], self.mean_square[j, i])))
            for i, d in enumerate(self.depths)
        )
        heads = ["depth"]
        for init in self.inits:
            heads += [
                f"{INIT_LABEL[init]}: log10(largest / smallest singular value)",
                f"{INIT_LABEL[init]}: mean squared singular value",
            ]
        return Table(
            tuple(heads),
            rows,
            caption="Spread of the singular values with depth; the mean square is the "
            "average gain on a random direction.",
            formats=(None,) + (".3g",) * (len(heads) - 1),
        )

    def figure(self, which: str | None = None) -> Figure:
        """Sorted singular values at the deepest depth, both initialisations, log scale."""
        rank = np.arange(1, self.width + 1)
        series = tuple(Series(INIT_LABEL[init], rank, self.singular_values[j]) for j, init in enumerate(self.inits))
        deepest = int(self.depths[-1])
        return Figure(
            panels=(Panel(series, "rank", "singular value", f"product of {deepest} matrices", logy=True),),
            alt=f"Log-scale plot of the {self.width} singular values of a product of {deepest} weight matrices. "
            f"Orthogonal: all equal to 1, a flat line. Gaussian: spread over {self.spread[1, -1]:.3g} orders "
            "of magnitude.",
            title="Saxe et al.: orthogonal products stay isometric",
        )


@experiment("reproductions.saxe")
def saxe(depths: Sequence[int] = (1, 2, 4, 8), width: int = 64, *, seed: int = 0) -> SaxeIsometry:
    """Singular values of W_d ... W_1 for each depth d, with orthogonal and with N(0, 1/n) matrices."""
    ds = np.array(sorted({positive_int("depths[]", d) for d in depths}))
    if ds.size < 2:
        raise ValueError(f"depths must list at least two different depths; got {list(depths)}")
    width = positive_int("width", width)
    spread, farthest, mean_sq = (np.empty((len(SAXE_INITS), ds.size)) for _ in range(3))
    values = np.empty((len(SAXE_INITS), width))
    for j, init in enumerate(SAXE_INITS):
        rng = rng_from("seed", seed)
        product, done = np.eye(width), 0
        for i, d in enumerate(ds):
            for _ in range(d - done):
                product = product @ initialize(init, width, width, rng)
            done = d
            s = np.linalg.svd(product, compute_uv=False)
            spread[j, i] = math.log10(s[0] / s[-1])
            farthest[j, i] = s[np.argmax(np.abs(s - 1.0))]
            mean_sq[j, i] = np.mean(s * s)
        values[j] = s
    # an orthogonal product's spread is 0 up to rounding (~1e-16, different on every CPU): publish the 0
    spread[np.abs(spread) < ROUNDING] = 0.0
    rises = float(np.mean(np.diff(spread[1]) > 0))
    claims = (
        compare(
            "saxe",
            "orthogonal: singular value farthest from 1, any depth",
            SAXE_SINGULAR_VALUE,
            farthest[0, np.argmax(np.abs(farthest[0] - 1.0))],
            Criterion("absolute", 1e-10),
            "identity",
        ),
        compare(
            "saxe",
            "Gaussian: share of depth steps at which the spread grows",
            "spreads with depth",
            rises,
            Criterion("all", 1.0),
        ),
    )
    return SaxeIsometry(
        seed=seed,
        width=width,
        depths=ds,
        inits=SAXE_INITS,
        spread=spread,
        farthest=farthest,
        mean_square=mean_sq,
        singular_values=values,
        rows=claims,
    )
