"""Fixes measured side by side on a vanishing and an exploding network, at initialisation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, positive_int
from vgdocs.engine.at_init import mlp_at_init
from vgdocs.engine.optim import clip_by_global_norm
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["EXPLODING", "FIXES", "VANISHING", "Fixes", "fixes"]

TIMES = "\u00d7"


# -- fixes side by side ----------------------------------------------------------------------------
VANISHING = {"activation": "sigmoid", "init": "xavier_normal", "init_gain": 1.0}
EXPLODING = {"activation": "relu", "init": "he_normal", "init_gain": 1.5}
FIXES = ("none", "relu_he", "batchnorm", "clip")
_FIX_LABEL = {
    "none": "no fix",
    "relu_he": "ReLU + He init (gain 1)",
    "batchnorm": "BatchNorm before the activation",
    "clip": "clip the global norm to 1",
}


@dataclass(frozen=True, kw_only=True)
class Fixes(Result):
    """||dL/dz|| at the first hidden layer over the top one, for each fix on a vanishing and an exploding net."""

    depth: int
    width: int
    fixes: tuple[str, ...]
    labels: tuple[str, ...]
    vanishing: np.ndarray  # first/top ratio of the sigmoid + Xavier net with each fix
    exploding: np.ndarray  # first/top ratio of the ReLU + 1.5 x He net with each fix
    vanishing_base: float
    exploding_base: float
    exploding_gain: float

    def claims(self) -> list[Claim]:
        """What each fix does to the first/top ratio of the two networks, at initialisation."""
        k = {f: i for i, f in enumerate(self.fixes)}
        relu, bn, clip = (next(i for f, i in k.items() if f.startswith(p)) for p in ("relu", "batch", "clip"))
        v, e = self.vanishing, self.exploding
        return [
            Claim(
                "relu-he-replaces-both",
                "ReLU with He weights turns both networks into the same one: ratio {v} and {e}.",
                holds=v[relu] == e[relu] and 0.1 < v[relu] < 10,
                evidence={"v": v[relu], "e": e[relu]},
                intervention="activation and initialisation replaced",
                scope="at initialisation",
            ),
            Claim(
                "batchnorm-rescues-sigmoid-not-all-growth",
                "BatchNorm lifts the sigmoid network's ratio from {v0} to {v}; on the exploding ReLU network it "
                "cuts {e0} to {e}, still more than ten.",
                holds=v[bn] >= 1e-2 and e[bn] < self.exploding_base / 10 and e[bn] > 10,
                evidence={"v0": self.vanishing_base, "v": v[bn], "e0": self.exploding_base, "e": e[bn]},
                intervention="BatchNorm added before each activation",
                scope="at initialisation",
            ),
            Claim(
                "clipping-leaves-the-ratio",
                "Clipping leaves both ratios where they were ({v} and {e}), to within rounding: it scales every "
                "layer's gradient by the same factor, and a ratio of two gradients does not see a common factor.",
                holds=abs(v[clip] / self.vanishing_base - 1) < 1e-12 and abs(e[clip] / self.exploding_base - 1) < 1e-12,
                evidence={"v": v[clip], "e": e[clip]},
                intervention="global-norm clipping added",
                scope="at initialisation",
            ),
        ]

    def table(self, which: str | None = None) -> Table:
        """One row per fix: first/top gradient ratio on the vanishing and on the exploding network."""
        rows = tuple(
            (lab, float(v), float(e)) for lab, v, e in zip(self.labels, self.vanishing, self.exploding, strict=True)
        )
        return Table(
            (
                "fix",
                f"vanishing: sigmoid + Xavier, {self.depth} layers",
                f"exploding: ReLU + {self.exploding_gain:g} {TIMES} He, {self.depth} layers",
            ),
            rows,
            caption="Gradient norm at the first hidden layer divided by the norm at the top hidden layer, "
            "at initialisation (1 is perfect flow).",
            formats=(None, ".3g", ".3g"),
        )


def _first_over_top(setup: dict, fix: str, *, depth: int, width: int, batch: int, seed: int) -> float:
    """||delta_1|| / ||delta_top|| of one freshly initialised network with `fix` applied."""
    act, init, gain = setup["activation"], setup["init"], setup["init_gain"]
    norm = None
    if fix == "relu_he":
        act, init, gain = "relu", "he_normal", 1.0
    elif fix == "batchnorm":
        norm = "batch"
    net, x, y = mlp_at_init(act, depth=depth, width=width, batch=batch, seed=seed, init=init, gain=gain, norm=norm)
    p = net.gradients(x, y)
    hidden = [t.delta for t in p.hidden]
    if fix == "clip":  # clipping rescales every layer's gradient by the same factor
        hidden, _ = clip_by_global_norm(hidden, 1.0)
    return float(np.linalg.norm(hidden[0]) / np.linalg.norm(hidden[-1]))


@experiment("vs_exploding.fixes")
def fixes(
    depth: int = 20, width: int = 64, batch: int = 128, *, fix_names: Sequence[str] = FIXES, seed: int = 0
) -> Fixes:
    """First/top gradient ratio for each fix applied to a vanishing and to an exploding deep network."""
    depth, width, batch = positive_int("depth", depth), positive_int("width", width), positive_int("batch", batch)
    names = tuple(choice("fix_names[]", f, FIXES) for f in fix_names)
    kw = {"depth": depth, "width": width, "batch": batch, "seed": seed}
    van = np.array([_first_over_top(VANISHING, f, **kw) for f in names])
    exp = np.array([_first_over_top(EXPLODING, f, **kw) for f in names])
    base = names.index("none") if "none" in names else None
    return Fixes(
        seed=seed,
        depth=depth,
        width=width,
        fixes=names,
        labels=tuple(_FIX_LABEL[f] for f in names),
        vanishing=van,
        exploding=exp,
        vanishing_base=float(van[base]) if base is not None else math.nan,
        exploding_base=float(exp[base]) if base is not None else math.nan,
        exploding_gain=EXPLODING["init_gain"],
    )
