"""`python -m vgdocs ledger {update,check,show,diff}` and `python -m vgdocs claims`: commands that build the site.

They run `mkdocs build` in a subprocess and read what the drift hook (vgdocs.publish.site.drift) wrote
to the files named by these environment variables: ledger.RECORD_ENV (this build's numbers),
claims.RECORD_ENV (its claims); ledger.COMPARE_ENV=0 tells the hook the caller does the comparing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from vgdocs.publish import claims, ledger

__all__ = ["build_and_record", "build_claims", "claims_command", "diff_markdown", "ledger_main"]


def ledger_main(argv: list[str]) -> int:
    """Run `python -m vgdocs ledger <update|check|show|diff> ...`; return the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m vgdocs ledger", description="The ledger of published numbers (ledger/published.tsv)."
    )
    parser.add_argument("-f", "--config-file", default=None, help="mkdocs.yml of the site (default: ./mkdocs.yml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update", help="build the site (strict) and accept every number it publishes")
    sub.add_parser("check", help="build the site (strict) and list every number that drifted")
    show = sub.add_parser("show", help="print ledger entries whose key contains PATTERN (* and ? are wildcards)")
    show.add_argument("pattern", nargs="?", default="")
    diff = sub.add_parser(
        "diff",
        help="Markdown, page by page: what moved between two ledgers (for a pull-request comment)",
        description="OLD and NEW are ledger files or git:REV (that commit's ledger). Defaults: OLD git:HEAD, "
        "NEW the working tree's ledger; --build compares OLD with a fresh strict build instead.",
    )
    diff.add_argument("old", nargs="?", default="git:HEAD")
    diff.add_argument("new", nargs="?", default=None)
    diff.add_argument("--build", action="store_true", help="NEW is what a strict build publishes now")
    try:
        args = parser.parse_args(argv)
        config = _config_file(args.config_file)
        ledger_file = config.parent / ledger.LEDGER_FILE
        if args.command == "show":
            return _show(ledger_file, args.pattern)
        if args.command == "diff":
            return _diff(config, ledger_file, args)
    except (ValueError, TypeError) as exc:
        print(f"vgdocs ledger: error: {exc}", file=sys.stderr)
        return 2
    recorded = build_and_record(config)
    if recorded is None:
        outcome = "nothing was compared" if args.command == "check" else "the ledger was not touched"
        print(f"ledger: the strict build failed (see its log above); {outcome}", file=sys.stderr)
        return 2
    accepted = ledger.load(ledger_file) if ledger_file.exists() else {}
    drift = ledger.compare(accepted, recorded, loose=ledger.tolerances(config.parent / ledger.TOLERANCE_FILE))
    if args.command == "check":
        print(
            drift.message(str(ledger_file), limit=None)
            if not drift.clean
            else f"ledger: {len(recorded)} published numbers match {ledger_file}"
        )
        return 0 if drift.clean else 1
    ledger.save(ledger_file, ledger.accept(accepted, recorded))
    print(
        f"ledger: accepted {len(drift.changed)} changed, {len(drift.missing)} new and {len(drift.gone)} "
        f"removed numbers; {ledger_file} now holds {len(recorded)}"
    )
    return 0


def _config_file(given: str | None) -> Path:
    if given is not None:
        path = Path(given)
    else:
        here, repo = Path.cwd() / "mkdocs.yml", Path(__file__).resolve().parents[2] / "mkdocs.yml"
        path = here if here.exists() else repo
    if not path.is_file():
        raise ValueError(f"config file {str(path)!r} not found; pass --config-file path/to/mkdocs.yml")
    return path.resolve()


def _run_build(config: Path, env_extra: dict[str, str], *flags: str) -> tuple[bool, Path, tempfile.TemporaryDirectory]:
    tmp = tempfile.TemporaryDirectory(prefix="vgdocs-build-")
    env = {**os.environ, ledger.COMPARE_ENV: "0", **{k: v.format(tmp=tmp.name) for k, v in env_extra.items()}}
    from vgdocs.publish.site import engines

    strict = "--strict" in flags
    rest = [f for f in flags if f != "--strict"]
    cmd = [*engines.command("build", config=config, strict=strict), *rest, "-d", str(Path(tmp.name) / "site")]
    done = subprocess.run(cmd, env=env, cwd=config.parent, check=False)
    return done.returncode == 0, Path(tmp.name), tmp


def build_and_record(config: Path) -> dict[str, float] | None:
    """Numbers a full strict `mkdocs build` of `config` publishes (cold unless VGDOCS_CACHE=1); None if it failed."""
    extra = {ledger.RECORD_ENV: "{tmp}/recorded.tsv", "VGDOCS_CACHE": os.environ.get("VGDOCS_CACHE", "0")}
    ok, tmp, holder = _run_build(config, extra, "--strict")
    with holder:
        record = tmp / "recorded.tsv"
        return ledger.load(record) if ok and record.exists() else None


def build_claims(config_file: str | None = None) -> list | None:
    """Every claim a non-strict build of the site files (experiment cache on), or None if the build failed."""
    ok, tmp, holder = _run_build(_config_file(config_file), {claims.RECORD_ENV: "{tmp}/claims.json"}, "-q")
    with holder:
        out = tmp / "claims.json"
        return claims.load(out) if ok and out.exists() else None


def _show(ledger_file: Path, pattern: str) -> int:
    entries = ledger.load(ledger_file)
    # Only * and ? are wildcards: keys hold brackets ("grad_norms[3]") that a glob would misread.
    regex = re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))
    hits = [k for k in sorted(entries, key=ledger.natural) if regex.search(k)]
    sys.stdout.writelines(f"{k}\t{entries[k]!r}\n" for k in hits)
    print(f"{len(hits)} of {len(entries)} entries in {ledger_file}", file=sys.stderr)
    return 0 if hits else 1


def _load_ledger(spec: str, config: Path) -> dict[str, float]:
    """A ledger file's entries, or with 'git:REV' the ledger committed at REV."""
    if not spec.startswith("git:"):
        return ledger.load(spec)
    rev = spec.removeprefix("git:")
    root = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=config.parent, capture_output=True, text=True, check=False
    ).stdout.strip()
    rel = (config.parent / ledger.LEDGER_FILE).resolve().relative_to(Path(root).resolve()).as_posix() if root else ""
    done = subprocess.run(
        ["git", "show", f"{rev}:{rel}"], cwd=config.parent, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ValueError(f"git:{rev}: no ledger at {rel!r} in that commit ({done.stderr.strip()})")
    return ledger.loads(done.stdout, source=spec)


def _diff(config: Path, ledger_file: Path, args: argparse.Namespace) -> int:
    old = _load_ledger(args.old, config)
    if args.build:
        new = build_and_record(config)
        if new is None:
            print("ledger: the strict build failed (see its log above)", file=sys.stderr)
            return 2
    else:
        new = _load_ledger(args.new, config) if args.new else ledger.load(ledger_file)
    drift = ledger.compare(old, new)
    print(diff_markdown(drift, args.old, args.new or ("a fresh build" if args.build else str(ledger.LEDGER_FILE))))
    return 0 if drift.clean else 1


def diff_markdown(drift: ledger.Drift, old: str = "old", new: str = "new", limit: int = 50) -> str:
    """The drift as Markdown for a pull-request comment: a summary, then one section per page."""
    lines = [f"### Ledger: {old} → {new}", ""]
    if drift.clean:
        return "\n".join([*lines, "No published number moved (tolerance: relative 3e-4)."])
    lines += [f"{drift.summary()} (tolerance: relative {drift.rtol:g}).", ""]
    pages: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for c in drift.changed:
        pages[c.page].append((_quantity(c.key), _num(c.old), _num(c.new), _signed(c.rel)))
    for key, value in drift.missing:
        pages[ledger.page_of(key)].append((_quantity(key), "", _num(value), "new"))
    for key, value in drift.gone:
        pages[ledger.page_of(key)].append((_quantity(key), _num(value), "", "gone"))
    for key, values in drift.conflicts:
        pages[ledger.page_of(key)].append((_quantity(key), "", " / ".join(map(_num, values)), "two values"))
    for page in sorted(pages):
        rows = pages[page]
        moved = [r for r in rows if r[3] not in ("new", "gone", "two values")]
        biggest = max((abs(float(r[3].rstrip("%"))) for r in moved if r[3].rstrip("%")[1:2].isdigit()), default=0.0)
        head = f"#### `{page}`: {len(rows)} entries" + (f", largest change {biggest:.3g}%" if moved else "")
        lines += [head, "", "| quantity | old | new | change |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| `{q}` | {o} | {n} | {ch} |" for q, o, n, ch in rows[:limit]]
        if len(rows) > limit:
            lines.append(f"| … and {len(rows) - limit} more | | | |")
        lines.append("")
    lines.append(f"Accept intended changes with `{ledger.UPDATE_COMMAND}`.")
    return "\n".join(lines)


def _quantity(key: str) -> str:
    _, experiment, quantity = ledger.split_key(key)
    return f"{experiment}/{quantity}".replace("|", "\\|").replace("`", "'")


def _num(value: float) -> str:
    return f"{value:.6g}"


def _signed(rel: float) -> str:
    return "n/a" if math.isnan(rel) else f"{rel * 100:+.3g}%"


def claims_command(args: argparse.Namespace) -> int:
    """`python -m vgdocs claims [--json] [--failing]`: every claim the site prints; exit 1 if one fails."""
    records = build_claims(args.config_file)
    if records is None:
        print("vgdocs claims: error: the site build failed (see its log above)", file=sys.stderr)
        return 1
    shown = claims.failing(records) if args.failing else records
    if args.json:
        rows = [
            {
                "page": r.page,
                "id": r.claim.id,
                "holds": r.claim.holds,
                "sentence": r.sentence,
                "evidence": dict(r.claim.evidence),
                "intervention": r.claim.intervention,
                "scope": r.claim.scope,
            }
            for r in shown
        ]
        print(json.dumps(rows, indent=1))
    else:
        for r in shown:
            evidence = ", ".join(f"{k}={v:.4g}" for k, v in r.claim.evidence.items())
            print(f"{'holds' if r.claim.holds else 'FAILS'}\t{r.page}\t{r.claim.id}\t{r.sentence}\t[{evidence}]")
    broken = claims.failing(records)
    print(f"claims: {len(records)} on {len({r.page for r in records})} pages, {len(broken)} failing", file=sys.stderr)
    return 1 if broken or not records else 0
