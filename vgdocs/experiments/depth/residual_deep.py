"""Residual connections in depth (docs/fixes/residual-deep-dive.md): the block's Jacobian, profiles at 50
and 100 layers with and without the skip, and Veit et al.'s paths by length, counted and measured."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import positive_int
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.probe import probe_mlp
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series
from vgdocs.publish.present.style import PALETTE

__all__ = ["PathLengths", "Profiles", "block_diagram", "path_lengths", "profiles"]


def _profile(depth: int, residual: bool, width: int, batch: int, seed: int) -> np.ndarray:
    d = probe_mlp("sigmoid", depth=depth, width=width, batch=batch, seed=seed, residual=residual).delta_norms
    return d / d[-1]


@dataclass(frozen=True, kw_only=True)
class Profiles(Result):
    """||dL/dz|| per hidden layer over the top layer's, sigmoid + Xavier, with and without skips."""

    depths: tuple[int, ...]
    width: int
    plain: tuple[np.ndarray, ...] = field(metadata={"ledger": False})  # plotted; first layers quoted below
    skip: tuple[np.ndarray, ...] = field(metadata={"ledger": False})
    first_plain: np.ndarray  # (depths,): layer 1 over the top layer
    first_skip: np.ndarray

    def figure(self, which: str | None = None) -> Figure:
        """One log-scale panel per depth: the plain and the residual profile."""
        panels = tuple(
            Panel(
                (
                    Series("no skip", np.arange(1, d + 1), self.plain[i]),
                    Series("with skip", np.arange(1, d + 1), self.skip[i], "dashed"),
                ),
                "hidden layer (1 = input side)",
                "gradient norm / top layer's",
                f"{d} layers",
                logy=True,
            )
            for i, d in enumerate(self.depths)
        )
        return Figure(
            panels=panels,
            alt="Log-scale gradient norm per hidden layer relative to the top one, sigmoid with Xavier, at "
            + " and ".join(
                f"{d} layers (layer 1: {self.first_plain[i]:.1e} without skips, {self.first_skip[i]:.2g} with)"
                for i, d in enumerate(self.depths)
            )
            + ".",
            title="Profiles with and without the skip",
        )

    def claims(self) -> list[Claim]:
        """At both depths the skip keeps the first layer's gradient; without it, it vanishes."""
        return [
            Claim(
                "skip-keeps-gradient-at-depth",
                "At {d1} and {d2} layers the first layer gets {p1} and {p2} of the top layer's gradient without "
                "skips, and {s1} and {s2} with them.",
                holds=bool(np.all(self.first_skip >= 1.0)) and bool(np.all(self.first_plain < 1e-6)),
                evidence={
                    "d1": self.depths[0],
                    "d2": self.depths[-1],
                    "p1": float(self.first_plain[0]),
                    "p2": float(self.first_plain[-1]),
                    "s1": float(self.first_skip[0]),
                    "s2": float(self.first_skip[-1]),
                },
                intervention="skip connection around every hidden layer; same weights, data, seed",
                scope="at initialisation",
            )
        ]


@experiment("depth.residual_profiles")
def profiles(depths: Sequence[int] = (50, 100), width: int = 64, batch: int = 128, *, seed: int = 0) -> Profiles:
    """Per-layer gradient profiles of sigmoid + Xavier networks with and without skips at each depth."""
    depths = tuple(positive_int("depths[]", d) for d in depths)
    plain = tuple(_profile(d, False, width, batch, seed) for d in depths)
    skip = tuple(_profile(d, True, width, batch, seed) for d in depths)
    return Profiles(
        seed=seed,
        depths=depths,
        width=width,
        plain=plain,
        skip=skip,
        first_plain=np.array([p[0] for p in plain]),
        first_skip=np.array([s[0] for s in skip]),
    )


@dataclass(frozen=True, kw_only=True)
class PathLengths(Result):
    """Paths through L residual blocks by length k: how many there are, and how much gradient they carry."""

    blocks: int
    lengths: np.ndarray = field(metadata={"ledger": False})
    share_of_paths: np.ndarray = field(metadata={"ledger": False})  # binomial C(L, k) / 2^L
    share_of_gradient: np.ndarray = field(metadata={"ledger": False})  # ||g_k|| / sum_k ||g_k||, measured
    mean_length_paths: float
    mean_length_gradient: float
    gradient_short: float  # share of the gradient carried by paths shorter than L / 4
    paths_short: float  # share of all paths that are shorter than L / 4
    decomposition_error: float  # ||sum_k g_k - full gradient|| / ||full gradient||

    def figure(self, which: str | None = None) -> Figure:
        """Share of paths (binomial) and share of gradient (measured) per path length."""
        return Figure(
            panels=(
                Panel(
                    (
                        Series("share of paths (binomial)", self.lengths, self.share_of_paths),
                        Series("share of the gradient (measured)", self.lengths, self.share_of_gradient, "dashed"),
                    ),
                    "path length k (blocks whose branch the path goes through)",
                    "share",
                ),
            ),
            alt=f"Two curves over path lengths 0 to {self.blocks}. The number of paths is binomial, centred on "
            f"{self.mean_length_paths:.0f}; the gradient they carry is centred on {self.mean_length_gradient:.1f}: "
            "short paths carry most of it.",
            title=f"Veit et al.'s paths in a {self.blocks}-block residual network",
        )

    def claims(self) -> list[Claim]:
        """Short paths carry the gradient although long ones are the majority."""
        return [
            Claim(
                "short-paths-carry-the-gradient",
                "Most paths go through about {mean_paths} of the {blocks} branches, but the gradient-weighted mean "
                "length is {mean_grad}: paths through fewer than a quarter of the branches carry {short} % of the "
                "gradient, although they are only {paths_short} % of all paths.",
                holds=self.mean_length_gradient < 0.5 * self.mean_length_paths
                and self.gradient_short > 0.5
                and self.paths_short < 0.01
                and self.decomposition_error < 1e-9,
                evidence={
                    "mean_paths": self.mean_length_paths,
                    "blocks": self.blocks,
                    "mean_grad": self.mean_length_gradient,
                    "short": 100 * self.gradient_short,
                    "paths_short": 100 * self.paths_short,
                },
                scope="at initialisation",
            )
        ]


@experiment("depth.path_lengths")
def path_lengths(blocks: int = 54, width: int = 64, batch: int = 64, *, seed: int = 0) -> PathLengths:
    """Split the input gradient of a residual sigmoid MLP exactly by path length, next to the binomial count."""
    blocks, width, batch = positive_int("blocks", blocks), positive_int("width", width), positive_int("batch", batch)
    rng = np.random.default_rng(seed)
    net = MLP([width] * (blocks + 2) + [1], "sigmoid", init="xavier_normal", residual=True, seed=rng)
    p = net.gradients(rng.standard_normal((batch, width)), rng.standard_normal((batch, 1)))
    hidden = net.layers[1:-1]  # the residual blocks (layer 0 maps the input and has no skip)
    taps = p.hidden[1:]
    g = np.zeros((blocks + 1, batch, width))
    g[0] = p.layers[-1].delta @ net.layers[-1].W.T  # dL/d(top block's output): paths of length 0 so far
    for layer, tap in zip(reversed(hidden), reversed(taps), strict=True):
        phi = layer.act(tap.u)
        through = (g[:-1] * (phi * (1.0 - phi))) @ layer.W.T  # each path so far, through one more branch
        g[1:] += through  # ...lengthens by one; the identity keeps the others as they are
    # the engine's own backward pass, independently: dL/d(first layer's output) = delta_0 / sigmoid'(z_0)
    phi0 = net.layers[0].act(p.layers[0].u)
    full = p.layers[0].delta / (phi0 * (1.0 - phi0))
    total = g.sum(axis=0)
    err = float(np.linalg.norm(total - full) / np.linalg.norm(full))
    mag = np.array([np.linalg.norm(gk) for gk in g])
    k = np.arange(blocks + 1)
    share_grad = mag / mag.sum()
    from scipy.special import gammaln  # on first use: scipy costs 0.2 s to import

    log_counts = gammaln(blocks + 1) - gammaln(k + 1) - gammaln(blocks - k + 1) - blocks * math.log(2.0)
    share_paths = np.exp(log_counts)
    return PathLengths(
        seed=seed,
        blocks=blocks,
        mean_length_paths=float(np.sum(k * share_paths)),
        mean_length_gradient=float(np.sum(k * share_grad)),
        gradient_short=float(share_grad[k < blocks / 4].sum()),
        paths_short=float(share_paths[k < blocks / 4].sum()),
        lengths=k,
        share_of_paths=share_paths,
        share_of_gradient=share_grad,
        decomposition_error=err,
    )


def block_diagram() -> str:
    """Inline SVG of one residual block, y = x + F(x), in the house style (text in the page's colour)."""
    branch, skip = PALETTE[0], PALETTE[1]
    alt = (
        "Diagram of a residual block. The input x splits in two: the branch goes through a weight layer, "
        "an activation and a second weight layer, computing F(x); the skip carries x unchanged around it. "
        "The two meet at a sum, giving y = x + F(x). Backwards, the gradient reaching y flows to x both "
        "through the branch, multiplied by dF/dx, and unchanged through the skip: dy/dx = I + dF/dx."
    )
    box = 'rx="6" fill="none" stroke="currentColor" stroke-width="1.5"'
    arrow = f'stroke="{branch}" stroke-width="2" marker-end="url(#vg-res-arrow)"'
    parts = [
        '<figure class="vg-figure"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 560 200" role="img" '
        f'aria-label="{alt}" style="max-width:560px;width:100%;height:auto"><title>{alt}</title>',
        '<defs><marker id="vg-res-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="currentColor"/></marker></defs>',
        '<g font-size="14" fill="currentColor" text-anchor="middle">',
        '<text x="30" y="125">x</text>',
        f'<line x1="42" y1="120" x2="110" y2="120" {arrow}/>',
        f'<rect x="110" y="100" width="90" height="40" {box}/><text x="155" y="125">weights W₁</text>',
        f'<line x1="200" y1="120" x2="240" y2="120" {arrow}/>',
        f'<rect x="240" y="100" width="80" height="40" {box}/><text x="280" y="125">activation</text>',
        f'<line x1="320" y1="120" x2="360" y2="120" {arrow}/>',
        f'<rect x="360" y="100" width="90" height="40" {box}/><text x="405" y="125">weights W₂</text>',
        f'<line x1="450" y1="120" x2="478" y2="120" {arrow}/>',
        '<circle cx="492" cy="120" r="14" fill="none" stroke="currentColor" stroke-width="1.5"/>',
        '<text x="492" y="125">+</text>',
        f'<line x1="506" y1="120" x2="535" y2="120" {arrow}/><text x="548" y="125">y</text>',
        f'<path d="M70,120 V40 H492 V104" fill="none" stroke="{skip}" stroke-width="2" stroke-dasharray="6 4" '
        'marker-end="url(#vg-res-arrow)"/>',
        '<text x="280" y="30">skip: x passes unchanged (Jacobian I)</text>',
        '<text x="280" y="170">branch F(x) (Jacobian ∂F/∂x)</text>',
        "</g></svg>",
        "<figcaption>A residual block: y = x + F(x), so ∂y/∂x = I + ∂F/∂x.</figcaption></figure>",
    ]
    return "".join(parts)
