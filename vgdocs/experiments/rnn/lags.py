"""Gradient against time lag in vanilla RNNs: the singular-value condition and the nilpotent counterexample."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.nets.recurrent import RecurrentNet
from vgdocs.engine.sequences import probe_sequence
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["GAMMAS", "Nilpotent", "SpectralSweep", "nilpotent", "spectral_sweep"]

SIGMA, GAMMA, TIMES = "\u03c3", "\u03b3", "\u00d7"
SMAX, WHH = "\u03c3\u2098\u2090\u2093", "W\u2095\u2095"  # plain-text subscripts: claims are listed as text too
GAMMAS = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}  # max |f'|: the gamma of Pascanu et al. 2013


# -- gradient norm against time lag ----------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SpectralSweep(Result):
    """||dL/dh_{T-1-lag}|| / ||dL/dh_{T-1}|| for vanilla RNNs whose W_hh has a chosen largest singular value.

    ratio and bound are (nonlinearities, spectral_norms, lags); bound = (sigma * gamma)^lag.
    factor: the measured per-step factor, ratio at the largest lag to the power 1/lag.
    """

    nonlinearities: tuple[str, ...]
    gammas: np.ndarray
    spectral_norms: np.ndarray
    hidden: int
    length: int
    batch: int
    lags: np.ndarray = field(metadata={"ledger": False})  # an input: 0 .. length-1
    ratio: np.ndarray
    bound: np.ndarray = field(metadata={"ledger": False})  # closed form of the inputs
    factor: np.ndarray
    bound_factor: np.ndarray = field(metadata={"ledger": False})
    worst_ratio_over_bound: float  # largest ratio / bound over every curve and lag >= 1: <= 1 by theory
    tanh_factor_at_1: float  # measured per-step factor of the tanh RNN at sigma_max = 1 (if swept)

    def figure(self, which: str | None = None) -> Figure:
        """Left: ratio against lag for the first nonlinearity; right: per-step factor against sigma_max."""
        first = self.nonlinearities[0]
        left = tuple(
            Series(f"{SIGMA}max = {s:g}", self.lags, self.ratio[0, j]) for j, s in enumerate(self.spectral_norms)
        )
        right = []
        for i, name in enumerate(self.nonlinearities):
            right.append(Series(f"{name}: measured", self.spectral_norms, self.factor[i], "markers"))
            right.append(
                Series(
                    f"{name}: bound {SIGMA}max{TIMES}{self.gammas[i]:g}",
                    self.spectral_norms,
                    self.bound_factor[i],
                    "dashed",
                )
            )
        return Figure(
            panels=(
                Panel(left, "time lag t - k", "‖∂L/∂h_k‖ / ‖∂L/∂h_t‖", f"{first} RNN", logy=True),
                Panel(
                    tuple(right),
                    f"largest singular value of W_hh ({SIGMA}max)",
                    "per-step factor",
                    "factor per step",
                    hlines=((1.0, "1: no change per step"),),
                ),
            ),
            alt=(
                f"Left: on a log scale, the gradient reaching h_k relative to the last step, against the time lag, "
                f"for a {first} RNN whose recurrent matrix has largest singular value "
                f"{', '.join(f'{s:g}' for s in self.spectral_norms)}; small values fall in straight lines, "
                f"larger ones decay more slowly. Right: the measured per-step factor against the largest singular "
                f"value for {' and '.join(self.nonlinearities)}, each below its bound line."
            ),
            title=f"Gradient against time lag, {self.length}-step sequences",
        )

    def claims(self) -> list[Claim]:
        """The singular-value bound holds on every curve; below sigma*gamma = 1 the gradient vanishes."""
        below = self.bound_factor < 1.0
        last = self.ratio[:, :, -1]
        lag = int(self.lags[-1])
        out = [
            Claim(
                "rnn-singular-value-bound-holds",
                "On every curve and at every lag the measured ratio stays at or below its bound "
                "(" + SMAX + GAMMA + ") to the power lag: the largest ratio-to-bound is {worst}.",
                holds=self.worst_ratio_over_bound <= 1.0 + 1e-9,
                evidence={"worst": self.worst_ratio_over_bound},
                scope="at initialisation",
            ),
            Claim(
                "rnn-vanishes-below-one",
                "Every network with " + SMAX + GAMMA + " < 1 keeps at most {largest} of its last-step "
                "gradient at lag {lag}: the gradient vanishes geometrically, as the bound says it must.",
                holds=bool(below.any() and last[below].max() < 1e-2),
                evidence={"largest": float(last[below].max()) if below.any() else float("nan"), "lag": lag},
                intervention="largest singular value of W_hh changed; same inputs, width, seed",
                scope="at initialisation",
            ),
        ]
        if "tanh" in self.nonlinearities and "sigmoid" in self.nonlinearities:
            t, s = self.nonlinearities.index("tanh"), self.nonlinearities.index("sigmoid")
            gap = float(np.min(self.factor[t] / self.factor[s]))
            out.append(
                Claim(
                    "rnn-sigmoid-below-tanh",
                    "At every " + SMAX + " swept the sigmoid RNN's measured factor per step is below its "
                    "bound " + SMAX + "/4 and below tanh's, by at least {gap}" + TIMES + ".",
                    holds=bool(np.all(self.factor[s] <= self.bound_factor[s]) and gap > 1.0),
                    evidence={"gap": gap},
                    intervention="nonlinearity changed from tanh to sigmoid; same W_hh, inputs, seed",
                    scope="at initialisation",
                )
            )
        if np.isfinite(self.tanh_factor_at_1):
            out.append(
                Claim(
                    "rnn-tanh-bound-not-reached",
                    "The bound is not reached: at " + SMAX + " = 1 the tanh RNN keeps only {factor} per step, "
                    "below the bound's 1.",
                    holds=self.tanh_factor_at_1 < 0.99,
                    evidence={"factor": self.tanh_factor_at_1},
                    scope="at initialisation",
                )
            )
        return out

    def table(self, which: str | None = None) -> Table:
        """One row per nonlinearity and sigma_max: gamma, the bound sigma*gamma and the measured factor."""
        rows = []
        for i, name in enumerate(self.nonlinearities):
            for j, s in enumerate(self.spectral_norms):
                rows.append(
                    (
                        name,
                        float(s),
                        float(self.gammas[i]),
                        float(self.bound_factor[i, j]),
                        float(self.factor[i, j]),
                        float(self.ratio[i, j, -1]),
                    )
                )
        heads = (
            "f",
            f"{SIGMA}max(W_hh)",
            f"{GAMMA} = max f'",
            f"bound {SIGMA}max{GAMMA}",
            "measured factor",
            f"ratio at lag {int(self.lags[-1])}",
        )
        return Table(
            heads,
            tuple(rows),
            bar_column=5,
            formats=(None, ".3g", ".3g", ".3g", ".3g", ".3g"),
            caption="Per-step factor of the gradient through time: the singular-value bound and the "
            "geometric mean measured over the whole sequence.",
        )


@experiment("rnn.spectral_sweep")
def spectral_sweep(
    spectral_norms: Sequence[float] = (0.5, 0.9, 1.0, 1.1, 1.5, 2.0),
    *,
    nonlinearities: Sequence[str] = ("tanh", "sigmoid"),
    hidden: int = 32,
    length: int = 60,
    batch: int = 32,
    seed: int = 0,
) -> SpectralSweep:
    """Gradient norm per time lag for vanilla RNNs with orthogonal W_hh scaled to each largest singular value.

    Inputs and targets are standard normal; one input feature; loss MSE on the last step's readout.
    """
    norms = np.array([finite_float("spectral_norms[]", s, positive=True) for s in spectral_norms])
    names = tuple(choice("nonlinearities[]", n, GAMMAS) for n in nonlinearities)
    hidden, length, batch = positive_int("hidden", hidden), positive_int("length", length), positive_int("batch", batch)
    rng = rng_from("seed", seed)
    x, y = rng.standard_normal((batch, length, 1)), rng.standard_normal((batch, 1))
    lags = np.arange(length)
    gammas = np.array([GAMMAS[n] for n in names])
    ratio = np.empty((len(names), norms.size, length))
    for i, name in enumerate(names):
        for j, s in enumerate(norms):
            net = RecurrentNet(
                "rnn", 1, hidden, 1, nonlinearity=name, recurrent_init="orthogonal", spectral_norm=float(s), seed=seed
            )
            lag_norms = probe_sequence(net, x, y).lag_norms
            ratio[i, j] = lag_norms / lag_norms[0]
    bound_factor = norms[None, :] * gammas[:, None]
    bound = bound_factor[:, :, None] ** lags
    factor = ratio[:, :, -1] ** (1.0 / lags[-1])
    worst = float(np.max(ratio[:, :, 1:] / bound[:, :, 1:]))
    at_1 = [j for j, s in enumerate(norms) if s == 1.0]
    tanh_at_1 = float(factor[names.index("tanh"), at_1[0]]) if at_1 and "tanh" in names else float("nan")
    return SpectralSweep(
        seed=seed,
        nonlinearities=names,
        gammas=gammas,
        spectral_norms=norms,
        hidden=hidden,
        length=length,
        batch=batch,
        lags=lags,
        ratio=ratio,
        bound=bound,
        factor=factor,
        bound_factor=bound_factor,
        worst_ratio_over_bound=worst,
        tanh_factor_at_1=tanh_at_1,
    )


# -- eigenvalues are not enough --------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Nilpotent(Result):
    """A tanh RNN near 0 with W_hh = scale * (shift matrix): every eigenvalue 0, largest singular value `scale`.

    gain[lag] is the largest singular value of dh_t/dh_{t-lag}, batch-averaged over the exact Jacobians.
    """

    hidden: int
    scale: float
    input_scale: float
    spectral_radius: float  # max |eigenvalue| of W_hh as numpy computes it
    sigma_max: float
    lags: np.ndarray = field(metadata={"ledger": False})
    gain: np.ndarray
    singular_bound: np.ndarray = field(metadata={"ledger": False})  # sigma_max^lag
    eigen_rule: np.ndarray = field(metadata={"ledger": False})  # spectral_radius^lag
    peak_gain: float
    peak_lag: int
    zero_from_lag: int  # first lag whose Jacobian is exactly 0 (W_hh^H = 0)

    def claims(self) -> list[Claim]:
        """Zero eigenvalues, yet the gradient grows for hidden-1 steps before vanishing exactly."""
        H = self.hidden
        shortfall = float(np.max(1.0 - self.gain[1:H] / self.singular_bound[1:H]))
        return [
            Claim(
                "rnn-nilpotent-grows-with-zero-eigenvalues",
                "Every eigenvalue of this " + WHH + " is {radius}, yet the gradient grows at every lag up to "
                "{peak_lag}, reaching {peak}: the eigenvalue rule predicts vanishing and is wrong.",
                holds=bool(
                    self.spectral_radius < 1e-12 and np.all(np.diff(self.gain[:H]) > 0) and self.peak_gain > 1.0
                ),
                evidence={"radius": self.spectral_radius, "peak_lag": self.peak_lag, "peak": self.peak_gain},
                scope="exact Jacobians near the zero state",
            ),
            Claim(
                "rnn-nilpotent-reaches-singular-bound",
                "The singular-value bound is all but reached: at every lag from 1 to {last} the gain falls short of "
                + SMAX
                + " to the power lag by at most {shortfall} (relative), and from lag {zero}, the number of units, "
                "it is exactly 0.",
                holds=bool(shortfall < 1e-2 and self.zero_from_lag == H),
                evidence={"last": H - 1, "shortfall": shortfall, "zero": self.zero_from_lag},
                scope="exact Jacobians near the zero state",
            ),
        ]

    def table(self, which: str | None = None) -> Table:
        """One row per lag: the measured gain, the singular-value bound and the eigenvalue rule."""
        rows = tuple(
            (int(k), float(g), float(b), float(e))
            for k, g, b, e in zip(self.lags, self.gain, self.singular_bound, self.eigen_rule, strict=True)
        )
        heads = ("lag t - k", "‖∂h_t/∂h_k‖ measured", f"{SIGMA}max(W_hh)^lag", "max|eigenvalue|^lag")
        return Table(
            heads,
            rows,
            formats=(None, ".4g", ".4g", ".4g"),
            caption=f"A {self.hidden}-unit tanh RNN whose recurrent matrix is {self.scale:g} times a shift "
            f"matrix: the eigenvalue rule predicts 0 for every lag >= 1.",
        )


@experiment("rnn.nilpotent")
def nilpotent(
    *, hidden: int = 6, scale: float = 4.0, input_scale: float = 1e-6, batch: int = 4, seed: int = 0
) -> Nilpotent:
    """Exact ||dh_t/dh_k|| for a tanh RNN with W_hh = scale * superdiagonal ones, zero biases, tiny inputs."""
    hidden = positive_int("hidden", hidden)
    scale = finite_float("scale", scale, positive=True)
    input_scale = finite_float("input_scale", input_scale, positive=True)
    rng = rng_from("seed", seed)
    net = RecurrentNet("rnn", 1, hidden, 1, seed=seed)
    params = dict(net.parameters())
    for name in ("b_ih", "b_hh"):
        params[name][...] = 0.0
    W = params["W_hh"]
    W[...] = scale * np.eye(hidden, k=1)
    length = hidden + 2
    x = input_scale * rng.standard_normal((positive_int("batch", batch), length, 1))
    t = length - 1
    gain = net.jacobian_singular_values(x, t, list(range(t, -1, -1)))[:, 0]
    lags = np.arange(length)
    radius = float(np.max(np.abs(np.linalg.eigvals(W))))
    sigma = float(np.linalg.norm(W, 2))
    zero = np.flatnonzero(gain == 0.0)
    return Nilpotent(
        seed=seed,
        hidden=hidden,
        scale=scale,
        input_scale=input_scale,
        spectral_radius=radius,
        sigma_max=sigma,
        lags=lags,
        gain=gain,
        singular_bound=sigma ** lags.astype(float),
        eigen_rule=radius ** lags.astype(float),
        peak_gain=float(gain.max()),
        peak_lag=int(np.argmax(gain)),
        zero_from_lag=int(zero[0]) if zero.size else -1,
    )
