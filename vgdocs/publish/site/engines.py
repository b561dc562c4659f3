"""The site's engines, in one place: the command that builds or serves the site with each, the check
of a build's published numbers against the ledger, and the page-by-page comparison of two builds.

    python -m vgdocs build [--engine mkdocs|properdocs|zensical] [-d SITE] [--no-strict]
    python -m vgdocs serve [--engine ...] [-a 127.0.0.1:8000]
    python -m vgdocs check SITE_OR_RECORD      # the numbers and claims a build recorded vs the ledger
    python -m vgdocs engines mkdocs properdocs [--report FILE] [--no-fail]

Where the numbers are recorded: the drift hook (vgdocs/publish/site/drift.py) writes what a build
published into `<SITE>.record/` (published.tsv, claims.json) beside the site, so `check` works on a
site folder after the fact, whichever command built it. An engine that runs no MkDocs hooks (Zensical)
leaves no record; `check` then says the drift check did not run instead of passing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = [
    "ENGINES",
    "RECORD_SUFFIX",
    "REPORT",
    "check",
    "command",
    "compare_sites",
    "main",
    "record_dir",
    "report_markdown",
]

# The one place that knows how each engine is invoked (everything else calls `command`).
ENGINES: dict[str, list[str]] = {
    "mkdocs": ["-m", "mkdocs"],
    "properdocs": ["-m", "properdocs"],
    "zensical": ["-m", "zensical"],
}
RECORD_SUFFIX = ".record"
REPORT = ".ci/engines.json"  # the last `make engines` run, committed; docs/building.md prints it
# The engine names itself in <meta name="generator">; that line is the one expected difference.
_GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')
_REPO = Path(__file__).resolve().parents[3]


def command(
    action: str, *, engine: str = "mkdocs", config: str | os.PathLike[str] | None = None, strict: bool = True
) -> list[str]:
    """argv that runs `action` ('build' or 'serve') with `engine` (the site dir is the caller's `-d`)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if action not in ("build", "serve"):
        raise ValueError(f"action must be 'build' or 'serve'; got {action!r}")
    argv = [sys.executable, *ENGINES[engine], action]
    if config is not None:
        argv += ["-f", str(config)]
    if strict:
        argv.append("--strict")
    return argv


def record_dir(site: str | os.PathLike[str]) -> Path:
    """Where a build into `site` files the numbers and claims it published (beside it, not in it)."""
    return Path(str(Path(site).resolve()) + RECORD_SUFFIX)


def check(target: str | os.PathLike[str], ledger_file: str | os.PathLike[str] | None = None) -> tuple[bool, str]:
    """(clean, report): the numbers and claims recorded for a site folder or record folder vs the ledger."""
    from vgdocs.publish import claims, ledger

    target = Path(target)
    folder = target if (target / "published.tsv").exists() else record_dir(target)
    if not (folder / "published.tsv").exists():
        return False, (
            f"check: no record of published numbers for {target} (looked in {folder}): the engine that built it "
            "ran no vgdocs drift hook, so the drift and claims checks did not run"
        )
    recorded = ledger.load(folder / "published.tsv")
    accepted = ledger.load(ledger_file or _REPO / ledger.LEDGER_FILE)
    drift = ledger.compare(accepted, recorded)
    lines = [drift.message(str(ledger_file or ledger.LEDGER_FILE), limit=None) if not drift.clean else ""]
    broken = []
    if (folder / "claims.json").exists():
        broken = claims.failing(claims.load(folder / "claims.json"))
        if broken:
            lines.append(claims.format_failures(broken))
    ok = drift.clean and not broken
    if ok:
        lines = [f"check: {len(recorded)} published numbers match the ledger; every claim holds"]
    return ok, "\n".join(line for line in lines if line)


def compare_sites(a: Path, b: Path) -> dict[str, list[str]]:
    """Files of two site folders by verdict: identical, generator-only (the engine's name), differ, only_a, only_b."""
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    out: dict[str, list[str]] = {"identical": [], "generator-only": [], "differ": []}
    for name in sorted(files_a & files_b):
        x, y = (a / name).read_bytes(), (b / name).read_bytes()
        if x == y:
            out["identical"].append(name)
        elif _GENERATOR.sub(b"", x) == _GENERATOR.sub(b"", y):
            out["generator-only"].append(name)
        else:
            out["differ"].append(name)
    out["only_a"] = sorted(files_a - files_b)
    out["only_b"] = sorted(files_b - files_a)
    return out


def _describe(path: Path) -> dict[str, int]:
    """What a built page holds that the engines might render differently (counts of telling markers)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return {
        "bytes": len(text.encode()),
        "mathml": text.count("<math"),
        "raw_tex": text.count('class="arithmatex"'),
        "tables": text.count("<table"),
        "figures": text.count("<svg"),
        "unexecuted_blocks": text.count('exec="on"') + text.count("exec=&quot;on&quot;"),
    }


def _build(engine: str, site: Path, *, strict: bool) -> int:
    config = _REPO / "mkdocs.yml"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if engine == "zensical":  # no --site-dir option: it builds into the configured site_dir, moved after
        done = subprocess.run(command("build", engine=engine, config=config, strict=strict), cwd=_REPO, env=env)
        built = _REPO / "site"
        if done.returncode == 0 and built.resolve() != site.resolve():
            shutil.rmtree(site, ignore_errors=True)
            shutil.move(str(built), site)
        return done.returncode
    argv = [*command("build", engine=engine, config=config, strict=strict), "-d", str(site)]
    return subprocess.run(argv, cwd=_REPO, env=env).returncode


def _engines(args: argparse.Namespace) -> int:
    from importlib import metadata

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_REPO, capture_output=True, text=True).stdout.strip()
    versions = {e: metadata.version(e) for e in args.engine}
    report: dict[str, object] = {"engines": {}, "commit": head, "versions": versions}
    with tempfile.TemporaryDirectory(prefix="vgdocs-engines-") as tmp:
        sites = {}
        for engine in args.engine:
            site = Path(tmp) / engine / "site"
            site.parent.mkdir(parents=True)
            status = _build(engine, site, strict=engine != "zensical")
            ok, text = check(site) if status == 0 else (False, f"{engine}: the build failed (exit {status})")
            report["engines"][engine] = {"build_exit": status, "check_passed": ok, "check": text}  # type: ignore[index]
            print(f"== {engine}: build exit {status}; {text}")
            sites[engine] = site
        first, *others = args.engine
        failed = any(not e["check_passed"] for e in report["engines"].values())  # type: ignore[union-attr]
        for other in others:
            if not sites[first].exists() or not sites[other].exists():
                continue
            verdict = compare_sites(sites[first], sites[other])
            pages = {
                name: {first: _describe(sites[first] / name), other: _describe(sites[other] / name)}
                for name in verdict["differ"]
                if name.endswith(".html")
            }
            report[f"{first} vs {other}"] = {
                **{k: len(v) for k, v in verdict.items()},
                "lists": verdict,
                "pages": pages,
            }
            print(f"== {first} vs {other}: " + ", ".join(f"{len(v)} {k}" for k, v in verdict.items()))
            for name in verdict["differ"] + verdict["only_a"] + verdict["only_b"]:
                where = (
                    "differs"
                    if name in verdict["differ"]
                    else f"only in {first if name in verdict['only_a'] else other}"
                )
                detail = pages.get(name, "")
                print(f"   {name}: {where} {json.dumps(detail) if detail else ''}")
            failed = failed or bool(verdict["differ"] or verdict["only_a"] or verdict["only_b"])
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if args.no_fail or not failed else 1


def main(argv: list[str]) -> int:
    """`python -m vgdocs build|serve|check|engines ...`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m vgdocs", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for action in ("build", "serve"):
        p = sub.add_parser(action, help=f"{action} the site with one engine (default mkdocs)")
        p.add_argument("--engine", choices=list(ENGINES), default="mkdocs")
        p.add_argument("--no-strict", action="store_true", help="warnings do not fail the build")
        if action == "build":
            p.add_argument("-d", "--site-dir", default=None)
        else:
            p.add_argument("-a", "--dev-addr", default=None)
    c = sub.add_parser("check", help="compare what a build published with the ledger")
    c.add_argument("target", help="a built site folder, or a record folder holding published.tsv")
    e = sub.add_parser("engines", help="build with several engines, check each, compare them page by page")
    e.add_argument("engine", nargs="+", choices=list(ENGINES))
    e.add_argument("--report", default=None, help="write the comparison as JSON to this file")
    e.add_argument("--no-fail", action="store_true", help="exit 0 whatever the comparison finds")
    args = parser.parse_args(argv)
    if args.command == "check":
        ok, text = check(args.target)
        print(text)
        return 0 if ok else 1
    if args.command == "engines":
        return _engines(args)
    argv_ = command(args.command, engine=args.engine, strict=not args.no_strict)
    if args.command == "build" and args.site_dir:
        argv_ += ["-d", args.site_dir]
    if args.command == "serve" and args.dev_addr:
        argv_ += ["--dev-addr", args.dev_addr]
    return subprocess.run(argv_).returncode


def report_markdown(path: str | os.PathLike[str] | None = None) -> str:
    """The committed engine report as Markdown: each engine's build and check, then each comparison."""
    data = json.loads(Path(path or _REPO / REPORT).read_text(encoding="utf-8"))
    versions = data.get("versions", {})
    lines = [
        f"Measured by `make engines` at commit `{data.get('commit', '?')[:10]}` "
        f"({', '.join(f'{k} {v}' for k, v in versions.items())}).",
        "",
        "| engine | build | drift and claims check |",
        "| --- | --- | --- |",
    ]
    for engine, e in data["engines"].items():
        build = "passed" if e["build_exit"] == 0 else f"failed (exit {e['build_exit']})"
        verdict = e["check"].splitlines()[0] if e["check"] else ""
        lines.append(f"| {engine} | {build} | {'passed' if e['check_passed'] else 'did not pass'}: {verdict} |")
    for name, cmp in data.items():
        if " vs " not in name:
            continue
        first, other = name.split(" vs ")
        lines += [
            "",
            f"**{name}:** {cmp['identical']} files byte-identical, {cmp['generator-only']} differing only in the "
            f'`<meta name="generator">` tag that names the engine, {cmp["differ"]} differing otherwise, '
            f"{cmp['only_a']} only in {first}, {cmp['only_b']} only in {other}.",
        ]
        pages = cmp.get("pages", {})
        if pages:
            lines += ["", f"| page | {first} | {other} |", "| --- | --- | --- |"]
            for page, sides in sorted(pages.items()):
                cells = [", ".join(f"{k} {v}" for k, v in sides[side].items() if v) for side in (first, other)]
                lines.append(f"| {page} | {cells[0]} | {cells[1]} |")
        for side, writer in (("only_a", first), ("only_b", other)):
            wrote = cmp["lists"][side]
            if wrote:
                shown = ", ".join(f"`{m}`" for m in wrote[:12])
                more = f" and {len(wrote) - 12} more." if len(wrote) > 12 else "."
                lines += ["", f"Only {writer} wrote: {shown}{more}"]
    return "\n".join(lines)
