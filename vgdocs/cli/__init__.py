"""Command line: `python -m vgdocs profile` measures gradient flow, `diagnose` judges norms; `claims` and
`ledger` build the site (vgdocs.cli.site).

To profile another model, write a function (argparse.Namespace) -> Profile and add it to
PROFILERS; extra options go in `_profile_options`.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Sequence

import numpy as np

from vgdocs.engine.activations import ACTIVATIONS
from vgdocs.engine.diagnose import Diagnosis, diagnose
from vgdocs.engine.init import INITIALIZERS
from vgdocs.engine.probe import Profile, probe_mlp, probe_recurrent

__all__ = ["PROFILERS", "Profile", "build_parser", "main"]  # Profile: vgdocs.engine.probe

_INIT_NAMES = (*INITIALIZERS, "glorot_uniform", "glorot_normal", "kaiming_uniform", "kaiming_normal", "lecun")
_BAR = 40


def _flags(probe: Callable[..., Profile]) -> Callable[..., Profile]:
    """`probe` with its size advice ("reduce steps, width or batch") in option names (--steps)."""

    def run(*args: object, **kwargs: object) -> Profile:
        try:
            return probe(*args, **kwargs)
        except ValueError as exc:
            head, sep, advice = str(exc).rpartition("; reduce ")
            if not sep:
                raise
            raise ValueError(head + sep + re.sub(r"\b(depth|width|batch|steps)\b", r"--\1", advice)) from None

    return run


def _profile_mlp(args: argparse.Namespace) -> Profile:
    return _flags(probe_mlp)(
        args.activation,
        depth=args.depth,
        width=args.width,
        batch=args.batch,
        seed=args.seed,
        init=args.init,
        init_std=args.init_std,
        norm=args.norm,
        norm_position=args.norm_position,
        residual=args.residual,
    )


def _profile_recurrent(args: argparse.Namespace) -> Profile:
    return _flags(probe_recurrent)(
        args.model, activation=args.activation, steps=args.steps, width=args.width, batch=args.batch, seed=args.seed
    )


PROFILERS: dict[str, Callable[[argparse.Namespace], Profile]] = {
    "mlp": _profile_mlp,
    "rnn": _profile_recurrent,
    "lstm": _profile_recurrent,
    "gru": _profile_recurrent,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on `argv` (default sys.argv[1:]); returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["ledger"]:
        from vgdocs.cli.site import ledger_main

        return ledger_main(args_list[1:])
    if args_list[:1] in (["build"], ["serve"], ["check"], ["engines"]):
        from vgdocs.publish.site import engines

        return engines.main(args_list)
    try:
        args = build_parser().parse_args(args_list)
    except SystemExit as exc:  # --help (0) or a usage error (2, already reported)
        return int(exc.code or 0)
    try:
        return args.handler(args)
    except (ValueError, TypeError) as exc:
        print(f"vgdocs {args.command}: error: {exc}", file=sys.stderr)
        return 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command (its --help is the command reference)."""
    parser = _Parser(
        prog="vgdocs",
        description="Vanishing Gradients, live: measure gradient flow in deep networks.",
        epilog="Run 'vgdocs COMMAND --help' for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    profile = sub.add_parser(
        "profile",
        help="one forward/backward pass of a deep network: per-layer gradient norms and a verdict",
        description="Build a network with zero biases, run one forward/backward pass on standard-normal inputs "
        "(input dimension = width) against a random standard-normal regression target (MSE), and "
        "print per-layer norms of dL/dz (delta) and dL/dW, input side first, with a diagnosis "
        "(vanishing / exploding / healthy).",
        epilog="JSON output (--json) holds delta_norms, grad_norms, saturated, dead, loss, the options and a "
        "diagnosis object; non-finite values are written as null.",
    )
    _profile_options(profile)
    profile.set_defaults(handler=_profile)
    judge = sub.add_parser(
        "diagnose",
        help="judge per-layer gradient norms measured anywhere (e.g. in PyTorch or JAX)",
        description="Give the gradient norm of each layer, input side first (inf and nan allowed); prints the "
        "verdict (vanishing / exploding / healthy) with the ratio, the per-layer factor and the "
        "thresholds used. Thresholds and their reasons: see vgdocs.engine.diagnose.",
        epilog="Example: vgdocs diagnose 1e-7 1e-5 1e-3 0.1 --json",
    )
    judge.add_argument("norms", nargs="+", type=_float, metavar="NORM", help="per-layer gradient norms")
    for flag, kind, default, meta, text in (
        ("--vanishing-ratio", _positive_float, 1e-2, "R", "first/last norm ratio below which gradients vanish"),
        ("--exploding-ratio", _positive_float, 1e2, "R", "first/last norm ratio above which gradients explode"),
        ("--max-norm", _optional_float, 1e3, "X", "any norm above X is exploding; 'none' to turn off"),
        ("--min-norm", _optional_float, 1e-6, "X", "any norm below X is vanishing; 'none' to turn off"),
    ):
        judge.add_argument(flag, type=kind, default=default, metavar=meta, help=f"{text} (default: {default:g})")
    judge.add_argument("--json", action="store_true", help="print JSON instead of one line")
    judge.set_defaults(handler=_diagnose)
    listing = sub.add_parser(
        "claims",
        help="build the site and list every claim (page, id, sentence, evidence, verdict); exit 1 if one fails",
        description="Builds the site (experiment cache on) and lists every claim its pages print.",
    )
    listing.add_argument("--config-file", default=None, help="path to mkdocs.yml (default: the repository's)")
    listing.add_argument("--json", action="store_true", help="print the claims as JSON")
    listing.add_argument("--failing", action="store_true", help="list only the claims that do not hold")
    listing.set_defaults(handler=_claims)
    for name, text in (
        ("build", "build the site (strict) with one engine: mkdocs (default), properdocs or zensical"),
        ("serve", "serve the site with live reload"),
        ("check", "compare the numbers and claims a build recorded with the ledger"),
        ("engines", "build with several engines, check each, compare their output page by page"),
    ):
        sub.add_parser(name, add_help=False, help=text)
    sub.add_parser(
        "ledger",
        add_help=False,
        help="check or update the ledger of published numbers (run 'vgdocs ledger --help')",
        description="Its own parser: see vgdocs.cli.site.",
    )
    return parser


def _profile_options(p: argparse.ArgumentParser) -> None:
    dashed = lambda name: name.replace("_", "-")  # noqa: E731
    p.add_argument(
        "--model",
        choices=sorted(PROFILERS),
        default="mlp",
        help="network family (default: mlp); rnn, lstm and gru are one recurrent layer of --width "
        "units over --steps time steps (rnn uses --activation; --init, --depth, --norm ignored)",
    )
    p.add_argument(
        "--steps", type=_positive_int, default=50, help="sequence length for rnn, lstm and gru (default: 50)"
    )
    for flag, names, default, what in (
        ("--activation", ACTIVATIONS, "sigmoid", "hidden activation"),
        ("--init", _INIT_NAMES, "xavier_normal", "weight initialiser"),
    ):
        p.add_argument(
            flag,
            type=_underscored,
            choices=names,
            default=default,
            metavar="NAME",
            help=f"{what}, one of: {', '.join(map(dashed, names))} (default: {dashed(default)})",
        )
    p.add_argument(
        "--init-std",
        type=_positive_float,
        default=0.01,
        metavar="STD",
        help="standard deviation for --init normal (default: 0.01)",
    )
    p.add_argument("--depth", type=_positive_int, default=10, help="number of hidden layers (default: 10)")
    p.add_argument("--width", type=_positive_int, default=64, help="units per hidden layer and inputs (default: 64)")
    p.add_argument("--batch", type=_positive_int, default=128, help="examples in the batch (default: 128)")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="seed for weights and data (default: 0)")
    p.add_argument("--norm", choices=["batch", "layer"], default=None, help="normalise each hidden layer")
    p.add_argument(
        "--norm-position",
        choices=["before", "after"],
        default="before",
        help="normalise before or after the activation (default: before)",
    )
    p.add_argument("--residual", action="store_true", help="add each hidden layer's input to its output")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _claims(args: argparse.Namespace) -> int:
    from vgdocs.cli.site import claims_command

    return claims_command(args)


def _profile(args: argparse.Namespace) -> int:
    with np.errstate(all="ignore"):  # overflow in a deep exploding net is a measurement
        prof = PROFILERS[args.model](args)
        finite = [a if np.all(np.isfinite(a)) else np.nan_to_num(a) for a in prof.activations]
        diag = diagnose(prof.grad_norms, activations=finite, activation=list(prof.activation_names))
    if args.json:
        print(json.dumps(_as_json(args, prof, diag), indent=2, allow_nan=False))
    else:
        print(_as_table(args, prof, diag))
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    diag = diagnose(
        args.norms,
        vanishing_ratio=args.vanishing_ratio,
        exploding_ratio=args.exploding_ratio,
        max_norm=args.max_norm,
        min_norm=args.min_norm,
    )
    print(json.dumps(_diagnosis_json(diag), indent=2, allow_nan=False) if args.json else diag.explanation)
    return 0


def _as_json(args: argparse.Namespace, prof: Profile, diag: Diagnosis) -> dict:
    options = {k: v for k, v in vars(args).items() if k not in ("handler", "json", "command")}
    return {
        "command": "profile",
        **options,
        "loss": _clean(prof.loss),
        "delta_norms": _clean(prof.delta_norms),
        "grad_norms": _clean(prof.grad_norms),
        **({"lag_norms": _clean(prof.lag_norms)} if prof.lag_norms is not None else {}),
        "saturated": _clean(diag.saturated),
        "dead": _clean(diag.dead),
        "diagnosis": _diagnosis_json(diag),
    }


def _diagnosis_json(diag: Diagnosis) -> dict:
    return {
        "verdict": diag.verdict,
        "ratio": _clean(diag.ratio),
        "factor": _clean(diag.factor),
        "n_layers": diag.n_layers,
        "vanishing_ratio": diag.vanishing_ratio,
        "exploding_ratio": diag.exploding_ratio,
        "max_norm": diag.max_norm,
        "min_norm": diag.min_norm,
        "saturated_threshold": diag.saturated_threshold,
        "dead_threshold": diag.dead_threshold,
        "saturated_layers": list(diag.saturated_layers),
        "dead_layers": list(diag.dead_layers),
        "explanation": diag.explanation,
    }


def _as_table(args: argparse.Namespace, prof: Profile, diag: Diagnosis) -> str:
    if prof.lag_norms is not None:
        return _lag_table(args, prof, diag)
    extras = (f", {args.norm}norm {args.norm_position}" if args.norm else "") + (", residual" if args.residual else "")
    title = (
        f"{args.model}: {args.activation}, {args.init} init, depth {args.depth}, width {args.width}, "
        f"batch {args.batch}, seed {args.seed}{extras}"
    )
    header = f"{'layer':>5}  {'|dL/dz|':>9}  {'|dL/dW|':>9}  {'saturated':>9}  {'dead':>5}  |dL/dW| on a log scale"
    rows, bars = [], _log_bars(prof.grad_norms)
    for i, g in enumerate(prof.grad_norms):
        hidden = i < prof.delta_norms.size
        delta = f"{prof.delta_norms[i]:9.3g}" if hidden else f"{'output':>9}"
        sat = _percent(diag.saturated[i]) if hidden else ""
        dead = _percent(diag.dead[i]) if hidden else ""
        rows.append(f"{i + 1:>5}  {delta}  {g:9.3g}  {sat:>9}  {dead:>5}  {bars[i]}")
    return _framed(title, prof, header, rows, diag)


def _lag_table(args: argparse.Namespace, prof: Profile, diag: Diagnosis) -> str:
    """One row per time lag, nearest first (the diagnosis counts steps as layers, first step first)."""
    title = f"{args.model}: {prof.activation_names[0]}, {args.steps} steps, {args.width} units, batch {args.batch}"
    header = f"{'lag':>5}  {'|dL/dh|':>9}  {'saturated':>9}  {'dead':>5}  |dL/dh| on a log scale"
    rows, bars = [], _log_bars(prof.lag_norms)
    for lag, g in enumerate(prof.lag_norms):
        k = args.steps - 1 - lag
        rows.append(f"{lag:>5}  {g:9.3g}  {_percent(diag.saturated[k]):>9}  {_percent(diag.dead[k]):>5}  {bars[lag]}")
    return _framed(f"{title}, seed {args.seed}", prof, header, rows, diag)


def _framed(title: str, prof: Profile, header: str, rows: list[str], diag: Diagnosis) -> str:
    """The profile table: what was run, the loss, the header, one row per layer or lag, the verdict."""
    return "\n".join([title, f"loss {prof.loss:.4g}", "", header, *rows, "", diag.explanation])


def _log_bars(values: np.ndarray) -> list[str]:
    """Text bars, longest for the largest value, lengths linear in log10 across the finite positive range."""
    good = values[np.isfinite(values) & (values > 0)]
    if good.size == 0:
        return ["" if np.isfinite(v) else "!" for v in values]
    lo, hi = math.log10(good.min()), math.log10(good.max())
    out = []
    for v in values:
        if not np.isfinite(v):
            out.append("!" * _BAR)
        elif v <= 0:
            out.append("")
        else:
            frac = 1.0 if hi == lo else (math.log10(v) - lo) / (hi - lo)
            out.append("#" * (1 + round(frac * (_BAR - 1))))
    return out


def _percent(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.0%}"


def _clean(value: object) -> object:
    """JSON-ready copy: arrays and tuples to lists, non-finite floats to None."""
    if value is None:
        return None
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_clean(v) for v in value]
    v = float(value)
    return v if math.isfinite(v) else None


def _underscored(text: str) -> str:
    return text.replace("-", "_")


def _positive_int(text: str) -> int:
    value = _int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _nonnegative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer; got {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None


def _optional_float(text: str) -> float | None:
    return None if text.lower() == "none" else _positive_float(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value
