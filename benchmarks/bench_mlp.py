"""Time forward+backward of a 20-layer, width-256 MLP on a batch of 256: vgdocs vs PyTorch vs bare matmuls.

    .venv/bin/python benchmarks/bench_mlp.py [--repeats 21] [--activations relu tanh] [--threads N]

Every configuration (implementation x dtype x activation) runs once per round, rounds interleave
them so that background load hits all alike, and the table reports medians. FLOPs count the three
matmuls per layer every implementation performs (forward h @ W; backward h.T @ delta and
delta @ W.T, the latter down to the input as vgdocs always returns dL/dx): 3 * 2 * B * n * n per
layer. "chain" is a bare numpy matmul chain of those shapes writing into preallocated arrays (no
allocation, no elementwise work): the BLAS ceiling for any numpy implementation.
Targets: vgdocs <= 1.25x torch time and >= 60% of the chain's rate.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vgdocs.engine.nets.mlp import MLP

LAYERS, WIDTH, BATCH = 20, 256, 256
FLOPS = LAYERS * 3 * 2 * BATCH * WIDTH * WIDTH
TARGET_RATIO, TARGET_FRACTION = 1.25, 0.60


def vgdocs_step(activation: str, dtype: str) -> Callable[[], None]:
    """One MLP.gradients call (loss, taps, every gradient and dL/dx)."""
    net = MLP([WIDTH] * (LAYERS + 1), activation, init="he_normal", seed=0, dtype=dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, WIDTH)).astype(dtype)
    y = rng.standard_normal((BATCH, WIDTH)).astype(dtype)
    return lambda: net.gradients(x, y)


def chain_step(dtype: str) -> Callable[[], None]:
    """The matmuls alone into preallocated outputs: forward h @ W, backward h.T @ g and g @ W.T per layer."""
    rng = np.random.default_rng(0)
    ws = [(rng.standard_normal((WIDTH, WIDTH)) / math.sqrt(WIDTH)).astype(dtype) for _ in range(LAYERS)]
    hs = [rng.standard_normal((BATCH, WIDTH)).astype(dtype)] + [np.empty((BATCH, WIDTH), dtype) for _ in ws]
    gs = [np.empty((BATCH, WIDTH), dtype) for _ in range(LAYERS + 1)]
    dws = [np.empty((WIDTH, WIDTH), dtype) for _ in ws]

    def step() -> None:
        for i, w in enumerate(ws):
            np.matmul(hs[i], w, out=hs[i + 1])
        gs[-1][...] = hs[-1]
        for i in range(LAYERS - 1, -1, -1):
            np.matmul(hs[i].T, gs[i + 1], out=dws[i])
            np.matmul(gs[i + 1], ws[i].T, out=gs[i])

    return step


def torch_step(activation: str, dtype: str) -> Callable[[], None] | None:
    """The same network in torch.nn (Linear + activation, MSE), zero_grad + forward + backward."""
    try:
        import torch
    except ImportError:
        return None
    tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[activation]
    torch.manual_seed(0)
    mods: list[torch.nn.Module] = []
    for i in range(LAYERS):
        mods.append(torch.nn.Linear(WIDTH, WIDTH, dtype=tdtype))
        if i < LAYERS - 1:
            mods.append(act())
    model = torch.nn.Sequential(*mods)
    x = torch.randn(BATCH, WIDTH, dtype=tdtype, requires_grad=True)
    y = torch.randn(BATCH, WIDTH, dtype=tdtype)

    def step() -> None:
        model.zero_grad(set_to_none=True)
        x.grad = None
        torch.nn.functional.mse_loss(model(x), y).backward()

    return step


def blas_threads() -> str:
    """Threads of each BLAS/OpenMP pool loaded in this process (threadpoolctl, if present)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())


def limit_threads(n: int) -> None:
    """Cap numpy's BLAS (via threadpoolctl) and torch's intra-op pool at n threads."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="interleaved rounds (default: 21)")
    parser.add_argument("--activations", nargs="+", default=["relu", "tanh"], choices=["relu", "tanh"])
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit numpy's BLAS and torch to N threads (default: each library's own choice)",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        limit_threads(args.threads)

    steps: dict[tuple[str, str, str], Callable[[], None]] = {}
    for dtype in ("float32", "float64"):
        steps[("chain", dtype, "-")] = chain_step(dtype)
        for act in args.activations:
            steps[("vgdocs", dtype, act)] = vgdocs_step(act, dtype)
            t = torch_step(act, dtype)
            if t is not None:
                steps[("torch", dtype, act)] = t
    times: dict[tuple[str, str, str], list[float]] = {k: [] for k in steps}
    for step in steps.values():  # warm-up: allocations, BLAS thread start, torch kernels
        step()
        step()
    for _ in range(args.repeats):
        for key, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[key].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    spread = {k: (np.percentile(v, 75) - np.percentile(v, 25)) / med[k] for k, v in times.items()}

    torch_threads = "not installed"
    try:
        import torch

        torch_threads = str(torch.get_num_threads())
    except ImportError:
        pass
    print(
        f"MLP forward+backward: {LAYERS} layers x width {WIDTH}, batch {BATCH}, "
        f"{FLOPS / 1e9:.2f} GFLOP per step; median (and best) of {args.repeats} interleaved rounds"
    )
    print(f"numpy {np.__version__}, BLAS threads: {blas_threads()}; torch threads: {torch_threads}")
    print()
    head = (
        f"{'dtype':<8} {'act':<5} {'vgdocs ms':>9} {'torch ms':>9} {'chain ms':>9} {'ratio':>6} "
        f"{'vgdocs GF/s':>11} {'chain GF/s':>10} {'of chain':>8}  {'best: ratio':>11} {'of chain':>8}  targets"
    )
    print(head)
    print("-" * len(head))
    ok = True
    for dtype in ("float32", "float64"):
        chain = ("chain", dtype, "-")
        for act in args.activations:
            ours, theirs = ("vgdocs", dtype, act), ("torch", dtype, act)
            have_torch = theirs in med
            ratio = med[ours] / med[theirs] if have_torch else math.nan
            best_ratio = best[ours] / best[theirs] if have_torch else math.nan
            frac = med[chain] / med[ours]
            good = frac >= TARGET_FRACTION and (not have_torch or ratio <= TARGET_RATIO)
            ok &= good
            print(
                f"{dtype:<8} {act:<5} {med[ours] * 1e3:9.2f} {med.get(theirs, math.nan) * 1e3:9.2f} "
                f"{med[chain] * 1e3:9.2f} {ratio:6.2f} {FLOPS / med[ours] / 1e9:11.1f} "
                f"{FLOPS / med[chain] / 1e9:10.1f} {frac:8.0%}  {best_ratio:11.2f} {best[chain] / best[ours]:8.0%}  "
                f"{'met' if good else 'MISSED'}"
            )
    print()
    noise = {
        impl: max(v for k, v in spread.items() if k[0] == impl)
        for impl in ("vgdocs", "torch", "chain")
        if any(k[0] == impl for k in spread)
    }
    print("noise (largest interquartile range / median): " + ", ".join(f"{k} {v:.0%}" for k, v in noise.items()))
    print(
        f"targets (on medians): vgdocs/torch <= {TARGET_RATIO} and vgdocs rate >= {TARGET_FRACTION:.0%} of the chain's"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
