"""Recurrent networks: backprop through time multiplies one W_hh^T diag(f'(z)) per time step.

Experiments for docs/rnn.md: gradient norm against time lag at several spectral norms, the
nilpotent counterexample to the eigenvalue rule, the adding problem at growing sequence lengths
(which cell learns it, and how much gradient reaches the far end), and clipping an exploding
ReLU RNN. Seeds of one configuration train together as one stacked network (see
vgdocs.engine.nets.recurrent), each with its own data, clipping and optimiser state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import choice, finite_float, positive_int, rng_from
from vgdocs.engine.nets.recurrent import CELLS, RecurrentNet
from vgdocs.engine.optim import OPTIMIZERS, global_norm, make_optimizer
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = [
    "AddingProblem",
    "Clipping",
    "Nilpotent",
    "SpectralSweep",
    "adding_data",
    "adding_problem",
    "clipping",
    "nilpotent",
    "spectral_sweep",
]

SIGMA, GAMMA, TIMES = "\u03c3", "\u03b3", "\u00d7"
GAMMAS = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}  # max |f'|: the gamma of Pascanu et al. 2013
CELL_LABELS = {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}


# -- data ------------------------------------------------------------------------------------------
def adding_data(
    n: int, length: int, rng: np.random.Generator, *, stack: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem as used by Le, Jaitly & Hinton (2015): x (n, length, 2), y (n, 1).

    Channel 0 holds values drawn from U[0, 1); channel 1 marks two steps with 1, one in each half
    of the sequence; the target is the sum of the two marked values. With `stack`, one
    independent batch per network: x (stack, n, length, 2), y (stack, n, 1).
    """
    n, length = positive_int("n", n), positive_int("length", length)
    if length < 2:
        raise ValueError(f"length must be at least 2 (one marker per half); got {length}")
    lead = (n,) if stack is None else (positive_int("stack", stack), n)
    values = rng.uniform(0.0, 1.0, (*lead, length))
    first = rng.integers(0, length // 2, lead)
    second = rng.integers(length // 2, length, lead)
    steps = np.arange(length)
    marks = ((steps == first[..., None]) | (steps == second[..., None])).astype(np.float64)
    y = np.sum(values * marks, axis=-1, keepdims=True)
    return np.stack([values, marks], axis=-1), y


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
            lag_norms = net.gradients(x, y).lag_norms
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


# -- the adding problem ----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class AddingProblem(Result):
    """Cells trained on the adding problem at several lengths, several seeds each.

    test_mse and trivial_mse are (cells, lengths, seeds); ratio = test_mse / trivial_mse, where the
    trivial predictor outputs the mean target; learned: ratio < threshold. survival_init and
    survival_trained are (cells, lags) at the longest length: ||dL/dh_{T-1-lag}|| / ||dL/dh_{T-1}||
    on the test batch, geometric mean over seeds.
    """

    cells: tuple[str, ...]
    lengths: np.ndarray
    seeds: tuple[int, ...]
    hidden: int
    batch: int
    steps: int
    lr: float
    optimizer: str
    max_norm: float
    threshold: float
    forget_bias: float
    test_size: int
    test_mse: np.ndarray
    trivial_mse: np.ndarray
    ratio: np.ndarray
    learned: np.ndarray
    n_learned: np.ndarray  # (cells, lengths)
    median_ratio: np.ndarray  # (cells, lengths)
    longest_learned: np.ndarray  # (cells,): longest length that every seed learned, 0 if none
    lags: np.ndarray = field(metadata={"ledger": False})
    survival_init: np.ndarray
    survival_trained: np.ndarray
    survival_far_trained: np.ndarray  # (cells,): survival at the largest lag after training
    survival_far_init: np.ndarray

    def table(self, which: str | None = None) -> Table:
        """One row per sequence length: seeds that learned and median MSE ratio, per cell."""
        heads = ["length T"]
        for c in self.cells:
            heads += [f"{CELL_LABELS[c]} learned", f"{CELL_LABELS[c]} MSE / trivial"]
        rows = []
        for k, length in enumerate(self.lengths):
            row: list[object] = [int(length)]
            for i in range(len(self.cells)):
                row += [f"{int(self.n_learned[i, k])} of {len(self.seeds)}", float(self.median_ratio[i, k])]
            rows.append(tuple(row))
        return Table(
            tuple(heads),
            tuple(rows),
            formats=(None,) + (None, ".3g") * len(self.cells),
            caption=f"Adding problem after {self.steps} {self.optimizer} steps (learning rate {self.lr:g}, "
            f"batch {self.batch}, {self.hidden} units, gradients clipped at norm {self.max_norm:g}, "
            f"LSTM forget bias {self.forget_bias:g}): a seed has learned when its test MSE is below "
            f"{self.threshold:g} {TIMES} the trivial predictor's. MSE / trivial is the median over "
            f"seeds.",
        )

    def figure(self, which: str | None = None) -> Figure:
        """Gradient survival against lag at the longest length, before and after training (same colours)."""
        T = int(self.lengths[-1])
        panels = tuple(
            Panel(
                tuple(Series(CELL_LABELS[c], self.lags, data[i]) for i, c in enumerate(self.cells)),
                "time lag from the last step",
                "‖∂L/∂h_k‖ / ‖∂L/∂h_T‖",
                title,
                logy=True,
            )
            for data, title in (
                (self.survival_init, "at initialisation"),
                (self.survival_trained, f"after {self.steps} steps"),
            )
        )
        return Figure(
            panels=panels,
            alt=(
                f"Two log-scale line plots of the gradient reaching each step of a {T}-step adding problem, "
                f"relative to the last step, for {', '.join(CELL_LABELS[c] for c in self.cells)}: at "
                f"initialisation (left) and after {self.steps} training steps (right)."
            ),
            title=f"How much gradient reaches the start of a {T}-step sequence",
            caption=f"Gradient norm reaching each step of the {self.test_size} test sequences, relative to the last "
            f"step; geometric mean over the {len(self.seeds)} seeds.",
        )


@experiment("rnn.adding_problem")
def adding_problem(
    lengths: Sequence[int] = (5, 10, 20, 40),
    *,
    cells: Sequence[str] = CELLS,
    hidden: int = 8,
    batch: int = 16,
    steps: int = 200,
    lr: float = 0.03,
    optimizer: str = "adam",
    max_norm: float = 1.0,
    forget_bias: float = 1.0,
    threshold: float = 0.1,
    n_seeds: int = 3,
    test_size: int = 256,
    seed: int = 0,
) -> AddingProblem:
    """Train each cell on the adding problem at each length with seeds seed .. seed+n_seeds-1 (stacked).

    Each step draws a fresh batch per seed; gradients are clipped per network to `max_norm`; the LSTM's
    forget gate starts with bias `forget_bias`. The test set is shared by all seeds.
    """
    cells = tuple(choice("cells[]", c, CELLS) for c in cells)
    lens = np.array([positive_int("lengths[]", n) for n in lengths])
    hidden, batch, steps = positive_int("hidden", hidden), positive_int("batch", batch), positive_int("steps", steps)
    lr = finite_float("lr", lr, positive=True)
    choice("optimizer", optimizer, OPTIMIZERS)
    max_norm = finite_float("max_norm", max_norm, positive=True)
    forget_bias = finite_float("forget_bias", forget_bias)
    threshold = finite_float("threshold", threshold, positive=True)
    n_seeds, test_size = positive_int("n_seeds", n_seeds), positive_int("test_size", test_size)
    rng_from("seed", seed)
    seeds = tuple(range(seed, seed + n_seeds))
    shape = (len(cells), lens.size, n_seeds)
    test_mse, trivial = np.empty(shape), np.empty(shape)
    T = int(lens[-1])
    survival_init, survival_trained = np.empty((len(cells), T)), np.empty((len(cells), T))
    for k, length in enumerate(lens):
        x_test, y_test = adding_data(test_size, int(length), np.random.default_rng([seed, int(length), 1]))
        for i, cell in enumerate(cells):
            net = RecurrentNet(
                cell, 2, hidden, 1, forget_bias=forget_bias if cell == "lstm" else None, seed=list(seeds)
            )
            if k == lens.size - 1:
                survival_init[i] = _survival(net, x_test, y_test)
            data_rng = np.random.default_rng([seed, int(length), 2, i])
            _train(
                net,
                lambda r=data_rng, n=int(length): adding_data(batch, n, r, stack=n_seeds),
                optimizer,
                lr,
                steps,
                max_norm,
            )
            with np.errstate(over="ignore", invalid="ignore"):
                test_mse[i, k] = net.loss(x_test, y_test)
            trivial[i, k] = float(np.mean((y_test - y_test.mean()) ** 2))
            if k == lens.size - 1:
                survival_trained[i] = _survival(net, x_test, y_test)
    ratio = test_mse / trivial
    learned = ratio < threshold
    return AddingProblem(
        seed=seed,
        cells=cells,
        lengths=lens,
        seeds=seeds,
        hidden=hidden,
        batch=batch,
        steps=steps,
        lr=lr,
        optimizer=optimizer,
        max_norm=max_norm,
        threshold=threshold,
        forget_bias=forget_bias,
        test_size=test_size,
        test_mse=test_mse,
        trivial_mse=trivial,
        ratio=ratio,
        learned=learned,
        n_learned=learned.sum(axis=2),
        median_ratio=np.median(ratio, axis=2),
        lags=np.arange(T),
        longest_learned=np.array(
            [max([int(n) for n, ok in zip(lens, row, strict=True) if ok], default=0) for row in learned.all(axis=2)]
        ),
        survival_init=survival_init,
        survival_trained=survival_trained,
        survival_far_trained=survival_trained[:, -1],
        survival_far_init=survival_init[:, -1],
    )


def _survival(net: RecurrentNet, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """||dL/dh|| per lag relative to lag 0, geometric mean over the stacked networks."""
    lag_norms = net.gradients(x, y).lag_norms
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(lag_norms / lag_norms[:, :1]), axis=0))


def _train(
    net: RecurrentNet, batches, optimizer: str, lr: float, steps: int, max_norm: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Train a stacked net for `steps`; (loss, gradient norm before clipping), each (steps, stack).

    Each network's gradients are clipped by their own global norm (when `max_norm` is given). From the
    first step whose loss or gradient norm is not finite (recorded as data), a network's gradients are zeroed.
    """
    opt = make_optimizer(optimizer, lr)
    params = net.parameters()
    S = net.stack
    losses, norms = np.full((steps, S), np.nan), np.full((steps, S), np.nan)
    alive = np.ones(S, dtype=bool)
    for step in range(steps):
        x, y = batches()
        bptt = net.gradients(x, y)
        grads = bptt.gradients()
        losses[step] = bptt.loss
        norms[step] = _clip_per_network(grads, max_norm)
        alive &= np.isfinite(losses[step]) & np.isfinite(norms[step])
        if not alive.any():
            break
        for g in grads:
            g[~alive] = 0.0
        opt.step(params, grads)
    return losses, norms


def _clip_per_network(grads: list[np.ndarray], max_norm: float | None) -> np.ndarray:
    """Global gradient norm of each stacked network (stack,), rescaling its gradients in place to
    `max_norm` where the norm exceeds it: clip_by_global_norm applied to each network at once."""
    flat = [g.reshape(g.shape[0], -1) for g in grads]
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.sqrt(sum(np.einsum("ij,ij->i", f, f) for f in flat))
    for s in np.flatnonzero(np.isinf(norms)):  # squares of entries above ~1e154 overflow: rescale first
        norms[s] = global_norm([g[s] for g in grads])
    if max_norm is not None:
        over = np.isfinite(norms) & (norms > max_norm)
        scale = np.where(over, max_norm / np.where(over, norms, 1.0), 1.0)
        for f in flat:
            f *= scale[:, None]
    return norms


# -- clipping an exploding RNN ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Clipping(Result):
    """A ReLU RNN trained by SGD on the adding problem, with and without gradient-norm clipping.

    loss and grad_norm are (2, steps): row 0 unclipped, row 1 clipped; NaN after a run overflows.
    """

    length: int
    hidden: int
    spectral_norm: float
    lr: float
    max_norm: float
    steps: int
    batch: int
    loss: np.ndarray
    grad_norm: np.ndarray
    overflow_step: int  # first SGD step (from 1) of the unclipped run whose loss or gradient is not finite; 0: none
    unclipped_peak_norm: float  # largest finite gradient norm the unclipped run saw
    clipped_final_loss: float  # mean loss over the clipped run's last 10 % of steps
    initial_loss: float
    clipped_steps_fraction: float  # share of the clipped run's steps whose norm exceeded max_norm
    trivial_mse: float  # MSE of always answering the mean target, on 1000 held-out sequences

    def figure(self, which: str | None = None) -> Figure:
        """Loss and gradient norm against step, with and without clipping (overflowed steps left blank)."""
        steps = np.arange(1, self.steps + 1)
        labels = ("no clipping", f"clipped at {self.max_norm:g}")
        return Figure(
            panels=(
                Panel(
                    tuple(Series(lab, steps, self.loss[i]) for i, lab in enumerate(labels)),
                    "SGD step",
                    "training loss (MSE)",
                    "loss",
                    logy=True,
                    ylim=_log_limits(self.loss, self.trivial_mse),
                    hlines=((self.trivial_mse, "answering the mean target"),),
                ),
                Panel(
                    tuple(Series(lab, steps, self.grad_norm[i]) for i, lab in enumerate(labels)),
                    "SGD step",
                    "gradient norm before clipping",
                    "gradient norm",
                    logy=True,
                    ylim=_log_limits(self.grad_norm, self.max_norm),
                    hlines=((self.max_norm, "clipping threshold"),),
                ),
            ),
            alt=(
                f"Two log-scale plots against SGD step for a ReLU RNN on {self.length}-step sequences. Without "
                f"clipping the loss and the gradient norm climb until they overflow"
                f"{f' at step {self.overflow_step}' if self.overflow_step else ''}, after which the line "
                f"stops; with clipping at {self.max_norm:g} the loss falls and the run finishes."
            ),
            title="Clipping an exploding recurrent network",
        )


def _log_limits(values: np.ndarray, reference: float) -> tuple[float, float]:
    """Log-axis limits a factor 3 beyond the finite data: values near the float limit would overflow
    matplotlib's automatic margins."""
    finite = values[np.isfinite(values) & (values > 0)]
    lo, hi = min(float(finite.min()), reference), max(float(finite.max()), reference)
    return lo / 3.0, min(hi * 3.0, np.finfo(np.float64).max / 10.0)


@experiment("rnn.clipping")
def clipping(
    *,
    length: int = 50,
    hidden: int = 16,
    spectral_norm: float = 1.5,
    lr: float = 0.01,
    max_norm: float = 1.0,
    steps: int = 150,
    batch: int = 32,
    seed: int = 0,
) -> Clipping:
    """The same ReLU RNN (orthogonal W_hh scaled to `spectral_norm`) and batches, trained with and without clipping."""
    length, hidden = positive_int("length", length), positive_int("hidden", hidden)
    spectral_norm = finite_float("spectral_norm", spectral_norm, positive=True)
    lr = finite_float("lr", lr, positive=True)
    max_norm = finite_float("max_norm", max_norm, positive=True)
    steps, batch = positive_int("steps", steps), positive_int("batch", batch)
    rng_from("seed", seed)
    runs = []
    for clip in (None, max_norm):
        net = RecurrentNet(
            "rnn",
            2,
            hidden,
            1,
            nonlinearity="relu",
            recurrent_init="orthogonal",
            spectral_norm=spectral_norm,
            seed=[seed],
        )
        data_rng = np.random.default_rng([seed, length])
        runs.append(_train(net, lambda r=data_rng: adding_data(batch, length, r, stack=1), "sgd", lr, steps, clip))
    loss = np.stack([r[0][:, 0] for r in runs])
    norm = np.stack([r[1][:, 0] for r in runs])
    bad = ~(np.isfinite(loss[0]) & np.isfinite(norm[0]))
    overflow = int(np.argmax(bad)) + 1 if bad.any() else 0
    loss[~np.isfinite(loss)] = np.nan
    norm[~np.isfinite(norm)] = np.nan
    tail = max(1, steps // 10)
    _, y_held = adding_data(1000, length, np.random.default_rng([seed, length, 3]))
    return Clipping(
        seed=seed,
        length=length,
        hidden=hidden,
        spectral_norm=spectral_norm,
        lr=lr,
        max_norm=max_norm,
        steps=steps,
        batch=batch,
        loss=loss,
        grad_norm=norm,
        overflow_step=overflow,
        unclipped_peak_norm=float(np.nanmax(norm[0])),
        clipped_final_loss=float(np.mean(loss[1, -tail:])),
        initial_loss=float(loss[1, 0]),
        clipped_steps_fraction=float(np.mean(norm[1] > max_norm)),
        trivial_mse=float(np.var(y_held)),
    )
