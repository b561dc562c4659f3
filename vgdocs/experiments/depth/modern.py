"""Modern residual architectures (docs/fixes/modern-architectures.md): where the norm goes, zero-initialised
branches, and GroupNorm beside BatchNorm and LayerNorm at a tiny batch. All on the 8x8 digits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vgdocs.engine._checks import positive_int
from vgdocs.engine.data import digits
from vgdocs.engine.nets.blocks import ResidualStack
from vgdocs.engine.train import fit
from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.digits_bench import CHANCE_LOSS
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Figure, Panel, Series, Table

__all__ = ["BranchInit", "LnPlacement", "SmallBatch", "branch_init", "ln_placement", "small_batch"]

SEEDS = (0, 1, 2)


def _train(net: ResidualStack, steps: int, lr: float, batch: int, seed: int, warmup: int = 0) -> ResidualStack:
    """Adam for `steps` steps on the digits' training split, with an optional linear warm-up."""
    x, y = digits("train")
    fit(net, x, y, optimizer="adam", lr=lr, steps=steps, batch_size=batch, seed=seed, warmup=warmup)
    return net


def _scores(net: ResidualStack) -> tuple[float, float]:
    """(training loss in training mode, test accuracy in evaluation mode)."""
    x, y = digits("train")
    xt, yt = digits("test")
    loss = net.gradients(x, y).loss
    return loss, float(np.mean(np.argmax(net.predict(xt), axis=1) == yt))


# -- post-LN versus pre-LN --------------------------------------------------------------------------
RUNS = (("post", 0), ("post", 1), ("pre", 0))  # (arrangement, warm-up on?)
RUN_LABEL = ("post-LN, no warm-up", "post-LN with warm-up", "pre-LN, no warm-up")
# Thresholds on the training loss as a share of chance (ln 10). Training at this learning rate is chaotic:
# another CPU's floating-point kernels move the losses by up to 40 % (ledger/tolerances.tsv), so the
# verdicts use bands with room on both sides: stuck runs end above 90 % of chance, learning runs below 60 %
# (measured: 95 % and 34 % here, 100 % and 51 % with an older x86 CPU's kernels).
STUCK, LEARNS = 0.9, 0.6


@dataclass(frozen=True, kw_only=True)
class LnPlacement(Result):
    """Gradient norm per block at initialisation, and training with and without warm-up."""

    blocks: int
    width: int
    grad_post: np.ndarray  # (blocks,): mean over seeds of ||dL/d(W1, W2)|| per block at init
    grad_pre: np.ndarray
    lr: float
    warmup: int
    steps: int
    loss: np.ndarray  # (runs, seeds): training loss after the steps
    accuracy: np.ndarray  # (runs, seeds): test accuracy
    ln_classes: float
    top_over_bottom_post: float = field(default=math.nan)
    top_over_bottom_pre: float = field(default=math.nan)

    def figure(self, which: str | None = None) -> Figure:
        """Gradient norm per block at initialisation, post-LN and pre-LN, log scale."""
        k = np.arange(1, self.blocks + 1)
        return Figure(
            panels=(
                Panel(
                    (Series("post-LN", k, self.grad_post), Series("pre-LN", k, self.grad_pre, "dashed")),
                    "residual block (1 = input side)",
                    "gradient norm of the block's weights",
                    logy=True,
                ),
            ),
            alt=f"Log-scale gradient norm of each of {self.blocks} residual blocks at initialisation. Post-LN grows "
            f"towards the output, {self.top_over_bottom_post:.1f} times larger at the last block than at the first; "
            f"pre-LN shrinks towards it ({self.top_over_bottom_pre:.2f} times).",
            title="Where the LayerNorm sits changes the gradient profile",
        )

    def table(self, which: str | None = None) -> Table:
        """One row per run: training loss and test accuracy, worst and best seed."""
        rows = tuple(
            (lab, float(self.loss[i].max()), float(self.loss[i].min()), float(self.accuracy[i].min()))
            for i, lab in enumerate(RUN_LABEL)
        )
        return Table(
            (
                "network",
                "training loss, worst seed (nats)",
                "training loss, best seed (nats)",
                "test accuracy, worst seed (share)",
            ),
            rows,
            caption=f"{self.blocks} blocks of width {self.width}, Adam at learning rate {self.lr:g} for {self.steps} "
            f"steps; warm-up raises the rate linearly over the first {self.warmup} steps. Chance is ln 10 = "
            f"{self.ln_classes:.3f} nats.",
            formats=(None, ".3f", ".3f", ".2f"),
        )

    def claims(self) -> list[Claim]:
        """Post-LN's gradients grow towards the output; without warm-up it stalls, with warm-up it trains."""
        no, warm, pre = 0, 1, 2
        return [
            Claim(
                "post-ln-gradients-grow-towards-output",
                "At initialisation post-LN's last block gets {post} times the gradient of its first; pre-LN's "
                "gets {pre} times.",
                holds=self.top_over_bottom_post > 2.0 and self.top_over_bottom_pre < 1.0,
                evidence={"post": self.top_over_bottom_post, "pre": self.top_over_bottom_pre},
                intervention="LayerNorm after the addition instead of before the branch; same weights, data, seeds",
                scope="at initialisation",
            ),
            Claim(
                "post-ln-needs-warm-up",
                "At learning rate {lr} post-LN without warm-up stays near chance (loss at least {no} nats on every "
                "seed, above {stuck} times chance, which is {chance}); the same network with {warmup} steps of warm-up "
                "learns on every seed (at worst {warm}, below {learns} times chance), and pre-LN needs no warm-up "
                "({pre} at worst).",
                holds=bool(self.loss[no].min() > STUCK * self.ln_classes)
                and bool(self.loss[warm].max() < LEARNS * self.ln_classes)
                and bool(self.loss[pre].max() < self.loss[warm].min()),
                evidence={
                    "lr": self.lr,
                    "no": float(self.loss[no].min()),
                    "chance": self.ln_classes,
                    "warmup": self.warmup,
                    "warm": float(self.loss[warm].max()),
                    "pre": float(self.loss[pre].max()),
                    "stuck": STUCK,
                    "learns": LEARNS,
                },
                intervention="learning rate ramped up over the first steps instead of constant; same net, data, "
                "steps, seeds",
                scope=f"after {self.steps} Adam steps, {len(SEEDS)} seeds",
            ),
        ]


@experiment("depth.ln_placement")
def ln_placement(
    blocks: int = 24, width: int = 64, *, lr: float = 2e-3, warmup: int = 200, steps: int = 400, seed: int = 0
) -> LnPlacement:
    """Per-block gradient norms at init and Adam training for post-LN (with/without warm-up) and pre-LN."""
    blocks, width = positive_int("blocks", blocks), positive_int("width", width)
    steps, warmup = positive_int("steps", steps), positive_int("warmup", warmup)
    x, y = digits("train")
    grads = {}
    for arr in ("post", "pre"):
        norms = []
        for s in SEEDS:
            net = ResidualStack(64, width, blocks, 10, arrangement=arr, seed=seed + s)
            norms.append(net.block_grad_norms(net.gradients(x[:256], y[:256]).grads))
        grads[arr] = np.mean(norms, axis=0)
    loss, acc = np.empty((len(RUNS), len(SEEDS))), np.empty((len(RUNS), len(SEEDS)))
    for i, (arr, warm) in enumerate(RUNS):
        for j, s in enumerate(SEEDS):
            net = ResidualStack(64, width, blocks, 10, arrangement=arr, seed=seed + s)
            _train(net, steps, lr, 64, seed + s, warmup if warm else 0)
            loss[i, j], acc[i, j] = _scores(net)
    return LnPlacement(
        seed=seed,
        blocks=blocks,
        width=width,
        grad_post=grads["post"],
        grad_pre=grads["pre"],
        lr=lr,
        warmup=warmup,
        steps=steps,
        loss=loss,
        accuracy=acc,
        ln_classes=CHANCE_LOSS,
        top_over_bottom_post=float(grads["post"][-1] / grads["post"][0]),
        top_over_bottom_pre=float(grads["pre"][-1] / grads["pre"][0]),
    )


# -- zero-initialised and scaled branches -----------------------------------------------------------
BRANCHES = ("standard", "scaled", "zero")


@dataclass(frozen=True, kw_only=True)
class BranchInit(Result):
    """A residual stack without normalisation: the stream's scale at init and training, per branch init."""

    blocks: int
    width: int
    labels: tuple[str, ...]
    stream_std: np.ndarray  # (branches,): std of the last block's output at init, mean over seeds
    loss: np.ndarray  # (branches, seeds): training loss after the steps (inf/NaN are data)
    steps: int
    lr: float

    def table(self, which: str | None = None) -> Table:
        """One row per branch initialisation: stream scale at init, training loss per seed (worst)."""
        rows = tuple((lab, float(self.stream_std[i]), float(np.max(self.loss[i]))) for i, lab in enumerate(self.labels))
        return Table(
            (
                "residual branch",
                "std of the last block's output at initialisation",
                f"training loss after {self.steps} steps, worst seed (nats)",
            ),
            rows,
            caption=f"{self.blocks} residual blocks of width {self.width} without any normalisation, "
            f"Adam at learning rate {self.lr:g}.",
            formats=(None, ".3g", ".3f"),
        )

    def claims(self) -> list[Claim]:
        """Standard branches blow the stream up; 1/√L or zero-initialised branches keep it and train."""
        s, c, z = (self.labels.index(lab) for lab in self.labels)
        return [
            Claim(
                "zero-or-scaled-branches-keep-the-stream",
                "Without normalisation, {blocks} standard residual branches multiply the stream's scale to {std}; "
                "scaling each branch by 1/√L keeps it at {scaled}, zero-initialising the branch at {zero}. After "
                "{steps} steps the two reach a loss of {loss_scaled} and {loss_zero} at worst, the standard stack "
                "{loss_standard}.",
                holds=self.stream_std[s] > 100 * self.stream_std[c]
                and bool(np.max(self.loss[c]) < 0.5 and np.max(self.loss[z]) < 0.5)
                and not bool(np.max(self.loss[s]) < 1.0),
                evidence={
                    "blocks": self.blocks,
                    "std": float(self.stream_std[s]),
                    "scaled": float(self.stream_std[c]),
                    "zero": float(self.stream_std[z]),
                    "steps": self.steps,
                    "loss_scaled": float(np.max(self.loss[c])),
                    "loss_zero": float(np.max(self.loss[z])),
                    "loss_standard": float(np.nanmax(self.loss[s])) if np.isfinite(self.loss[s]).any() else math.inf,
                },
                intervention="branch output scaled by 1/√L, or its last weights set to zero; same widths, data, "
                "optimiser, seeds",
                scope=f"at initialisation and after {self.steps} Adam steps",
            )
        ]


@experiment("depth.branch_init")
def branch_init(blocks: int = 64, width: int = 64, *, steps: int = 300, lr: float = 1e-3, seed: int = 0) -> BranchInit:
    """Stream scale at init and training loss for standard, 1/√L-scaled and zero-initialised branches."""
    blocks, width, steps = positive_int("blocks", blocks), positive_int("width", width), positive_int("steps", steps)
    x, _ = digits("train")
    setups = {"standard": (1.0, False), "scaled": (1 / math.sqrt(blocks), False), "zero": (1.0, True)}
    std, loss = [], []
    for name in BRANCHES:
        scale, zero = setups[name]
        per_seed, losses = [], []
        for s in SEEDS:
            net = ResidualStack(
                64, width, blocks, 10, arrangement="plain", branch_scale=scale, zero_branch=zero, seed=seed + s
            )
            with np.errstate(over="ignore", invalid="ignore"):  # np.std of an overflowed stream is data
                per_seed.append(float(np.std(net.features(x[:256]))))
            losses.append(_scores(_train(net, steps, lr, 64, seed + s))[0])
        std.append(np.mean(per_seed))
        loss.append(losses)
    return BranchInit(
        seed=seed,
        blocks=blocks,
        width=width,
        labels=("standard (He) branch", "branch scaled by 1/√L", "zero-initialised branch"),
        stream_std=np.array(std),
        loss=np.array(loss),
        steps=steps,
        lr=lr,
    )


# -- normalisation at batch size 2 ------------------------------------------------------------------
NORMS = ("batch", "layer", "group")
NORM_LABEL = {"batch": "BatchNorm", "layer": "LayerNorm", "group": "GroupNorm (8 groups)"}


@dataclass(frozen=True, kw_only=True)
class SmallBatch(Result):
    """Test accuracy of a pre-norm residual stack per norm, trained at batch size 2 and at 64."""

    norms: tuple[str, ...]
    batches: tuple[int, ...]
    accuracy: np.ndarray  # (norms, batches, seeds): test accuracy in evaluation mode
    blocks: int
    steps: int

    def table(self, which: str | None = None) -> Table:
        """One row per norm: worst-seed test accuracy at each batch size."""
        rows = tuple(
            (NORM_LABEL[n], *(float(self.accuracy[i, j].min()) for j in range(len(self.batches))))
            for i, n in enumerate(self.norms)
        )
        return Table(
            ("normalisation", *(f"test accuracy, batch size {b}, worst seed (share)" for b in self.batches)),
            rows,
            caption=f"A pre-norm residual stack of {self.blocks} blocks, Adam for {self.steps} steps; accuracy "
            "measured in evaluation mode (BatchNorm uses its running statistics).",
            formats=(None,) + (".2f",) * len(self.batches),
        )

    def claims(self) -> list[Claim]:
        """BatchNorm fails at batch size 2; LayerNorm and GroupNorm do not care."""
        b, ln, gn = (self.norms.index(n) for n in NORMS)
        small, big = self.batches.index(2), len(self.batches) - 1
        return [
            Claim(
                "batchnorm-fails-at-batch-two",
                "Trained at batch size 2, BatchNorm reaches at best {bn_small} test accuracy (at batch size {big}: "
                "{bn_big} at worst); LayerNorm reaches {ln_small} and GroupNorm {gn_small} at worst.",
                holds=float(self.accuracy[b, small].max()) < float(self.accuracy[b, big].min()) - 0.2
                and float(self.accuracy[ln, small].min()) > float(self.accuracy[b, small].max()) + 0.2
                and float(self.accuracy[gn, small].min()) > float(self.accuracy[b, small].max()) + 0.2,
                evidence={
                    "bn_small": float(self.accuracy[b, small].max()),
                    "big": self.batches[big],
                    "bn_big": float(self.accuracy[b, big].min()),
                    "ln_small": float(self.accuracy[ln, small].min()),
                    "gn_small": float(self.accuracy[gn, small].min()),
                },
                intervention="batch size 2 instead of 64, and the norm swapped; same stack, data, steps, seeds",
                scope=f"after {self.steps} Adam steps, {len(SEEDS)} seeds",
            )
        ]


@experiment("depth.small_batch")
def small_batch(blocks: int = 8, width: int = 64, *, steps: int = 600, lr: float = 1e-3, seed: int = 0) -> SmallBatch:
    """Train pre-norm stacks with BatchNorm, LayerNorm and GroupNorm at batch sizes 2 and 64."""
    blocks, width, steps = positive_int("blocks", blocks), positive_int("width", width), positive_int("steps", steps)
    batches = (2, 64)
    acc = np.empty((len(NORMS), len(batches), len(SEEDS)))
    for i, norm in enumerate(NORMS):
        for j, b in enumerate(batches):
            for k, s in enumerate(SEEDS):
                net = ResidualStack(64, width, blocks, 10, arrangement="pre", norm=norm, seed=seed + s)
                acc[i, j, k] = _scores(_train(net, steps, lr, b, seed + s))[1]
    return SmallBatch(seed=seed, norms=NORMS, batches=batches, accuracy=acc, blocks=blocks, steps=steps)
