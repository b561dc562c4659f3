"""Pascanu, Mikolov & Bengio (2013): the singular-value condition and norm clipping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.optim import clip_by_global_norm
from vgdocs.engine.sequences import probe_sequence
from vgdocs.experiments._core import experiment
from vgdocs.experiments.reproductions._common import (
    GAMMA,
    LE,
    PRIME,
    SIGMA,
    Criterion,
    PaperResult,
    compare,
    numerical_max_slope,
)
from vgdocs.publish.present.spec import Figure, Panel, Series

# Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks",
# sec. 2.1: the gradient through time vanishes if the largest singular value of W_hh is below
# 1/gamma, gamma = max |f'|: 1 for tanh, 1/4 for the sigmoid; sec. 3.2, algorithm 1: gradient-norm
# clipping rescales g to threshold * g / ||g|| when ||g|| exceeds the threshold.
PASCANU_GAMMA = {"tanh": 1.0, "sigmoid": 0.25}


# -- Pascanu et al.: the singular-value condition and norm clipping ---------------------------------
@dataclass(frozen=True, kw_only=True)
class PascanuChecks(PaperResult):
    """The vanishing condition sigma_max(W_hh) < 1/gamma checked on vanilla RNNs, and norm clipping checked.

    ratio: (nonlinearities, lags) ||dL/dh_(T-1-lag)|| / ||dL/dh_(T-1)|| with sigma_max = margin / gamma;
    bound: margin ** lag, the condition's guarantee.
    """

    nonlinearities: tuple[str, ...]
    gammas: np.ndarray  # max |f'| found numerically
    margin: float
    hidden: int
    length: int
    batch: int
    lags: np.ndarray = field(metadata={"ledger": False})
    ratio: np.ndarray
    worst_ratio_over_bound: np.ndarray  # per nonlinearity, largest ratio / bound over lags >= 1
    clip_threshold: float  # clip_fraction times norm_before
    norm_before: float  # global gradient norm of an exploding ReLU RNN
    norm_after: float
    cosine: float  # between the clipped and the original gradient
    untouched_change: float  # largest entry change when the threshold is above the norm

    def setting(self) -> str:
        """What was run (the table's caption)."""
        return (
            f"Vanilla RNNs of {self.hidden} units on {self.length}-step sequences, "
            f"{SIGMA}_max(W_hh) = {self.margin:g}/{GAMMA}; clipping on one gradient of an "
            "exploding ReLU RNN."
        )

    def figure(self, which: str | None = None) -> Figure:
        """Gradient against time lag for each nonlinearity, below the bound margin ** lag."""
        series = [Series(f"{n}, measured", self.lags, self.ratio[i]) for i, n in enumerate(self.nonlinearities)]
        series.append(Series(f"bound {self.margin:g}^lag", self.lags, self.margin ** self.lags.astype(float), "dashed"))
        return Figure(
            panels=(Panel(tuple(series), "time lag", "‖∂L/∂h_k‖ / ‖∂L/∂h_T‖", logy=True),),
            alt=f"Log-scale plot of the gradient against time lag for {' and '.join(self.nonlinearities)} RNNs whose "
            f"recurrent matrix has largest singular value {self.margin:g} over gamma; every curve stays below the "
            f"dashed bound {self.margin:g} to the power of the lag.",
            title="Pascanu et al.'s sufficient condition for vanishing",
        )


@experiment("reproductions.pascanu")
def pascanu(
    nonlinearities: Sequence[str] = ("tanh", "sigmoid"),
    *,
    margin: float = 0.9,
    hidden: int = 16,
    length: int = 40,
    batch: int = 16,
    clip_fraction: float = 0.5,
    exploding_norm: float = 1.5,
    seed: int = 0,
) -> PascanuChecks:
    """Gradient through time of RNNs with sigma_max(W_hh) = margin / gamma; clip_by_global_norm on a real gradient.

    The clipped gradient is that of a ReLU RNN whose W_hh has largest singular value `exploding_norm`,
    clipped at `clip_fraction` of its norm and, as a control, at that norm divided by `clip_fraction`.
    """
    names = tuple(choice("nonlinearities[]", n, PASCANU_GAMMA) for n in nonlinearities)
    margin = finite_float("margin", margin, positive=True)
    if margin >= 1:
        raise ValueError(f"margin must be below 1 (the condition is sigma_max * gamma < 1); got {margin}")
    hidden, length, batch = positive_int("hidden", hidden), positive_int("length", length), positive_int("batch", batch)
    clip_fraction = finite_float("clip_fraction", clip_fraction, positive=True)
    if clip_fraction >= 1:
        raise ValueError(f"clip_fraction must be below 1 so the threshold binds; got {clip_fraction}")
    exploding_norm = finite_float("exploding_norm", exploding_norm, positive=True)
    rng = rng_from("seed", seed)
    x, y = rng.standard_normal((batch, length, 1)), rng.standard_normal((batch, 1))
    lags = np.arange(length)
    gammas = np.array([numerical_max_slope(n)[0] for n in names])
    ratio = np.empty((len(names), length))
    for i, name in enumerate(names):
        net = RecurrentNet(
            "rnn",
            1,
            hidden,
            1,
            nonlinearity=name,
            recurrent_init="orthogonal",
            spectral_norm=margin / float(gammas[i]),
            seed=seed,
        )
        lag_norms = probe_sequence(net, x, y).lag_norms
        ratio[i] = lag_norms / lag_norms[0]
    worst = np.max(ratio[:, 1:] / margin ** lags[1:].astype(float), axis=1)
    exploding = RecurrentNet(
        "rnn", 1, hidden, 1, nonlinearity="relu", recurrent_init="orthogonal", spectral_norm=exploding_norm, seed=seed
    )
    grads = exploding.gradients(x, y).gradients()
    before = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    clip_threshold = clip_fraction * before
    clipped, _ = clip_by_global_norm(grads, clip_threshold)
    flat, flat_clipped = np.concatenate([g.ravel() for g in grads]), np.concatenate([g.ravel() for g in clipped])
    after = float(np.linalg.norm(flat_clipped))
    cosine = float(flat @ flat_clipped / (np.linalg.norm(flat) * after))
    kept, _ = clip_by_global_norm(grads, before / clip_fraction)
    untouched = float(max(np.max(np.abs(k - g)) for k, g in zip(kept, grads, strict=True)))
    claims = [
        compare(
            "pascanu",
            f"{GAMMA} = max |f{PRIME}| for {n}",
            PASCANU_GAMMA[n],
            gammas[i],
            Criterion("absolute", 1e-9),
            "identity",
        )
        for i, n in enumerate(names)
    ]
    claims += [
        compare(
            "pascanu",
            f"{n}: gradient at lag t / {margin:g}^t, largest over t",
            f"{LE} 1",
            worst[i],
            Criterion("at_most", 1.0),
            "source",
        )
        for i, n in enumerate(names)
    ]
    claims += [
        compare(
            "pascanu",
            f"norm after clipping at {clip_fraction:g} of the norm (rule: the threshold)",
            clip_threshold,
            after,
            Criterion("relative", 1e-12),
            "identity",
        ),
        compare(
            "pascanu",
            "cosine between clipped and original gradient",
            1.0,
            cosine,
            Criterion("absolute", 1e-12),
            "identity",
        ),
        compare(
            "pascanu",
            "largest change to a gradient below the threshold",
            0.0,
            untouched,
            Criterion("absolute", 0.0),
            "identity",
        ),
    ]
    return PascanuChecks(
        seed=seed,
        nonlinearities=names,
        gammas=gammas,
        margin=margin,
        hidden=hidden,
        length=length,
        batch=batch,
        lags=lags,
        ratio=ratio,
        worst_ratio_over_bound=worst,
        clip_threshold=clip_threshold,
        norm_before=before,
        norm_after=after,
        cosine=cosine,
        untouched_change=untouched,
        rows=tuple(claims),
    )
