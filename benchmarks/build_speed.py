"""Build-speed benchmark: cold and warm strict builds, edits under `mkdocs serve`, and the test loops.

Works on a throw-away copy of the working tree (so nothing here touches your caches) and prints
each figure beside the one measured before issue 14 and the target it set, saying met or NOT met:
the cold strict build (cache off, as CI runs it, on both cores), the warm build (the checkout's
experiment cache copied in), the rebuild under a live `mkdocs serve` after a prose edit and after a
code edit of one experiment module, where the time goes (phases and pages), the CPU seconds of each
experiment in either process, and the peak memory of the build.

    python benchmarks/build_speed.py              # builds and serve edits
    python benchmarks/build_speed.py --tests      # also `make test` (all, cold, as CI) and `make test-fast`
    python benchmarks/build_speed.py --one-core   # also the cold build without the second process
    python benchmarks/build_speed.py --no-cold    # skip the cold builds (minutes): warm and serve only
    python benchmarks/build_speed.py --write-seconds   # rewrite experiment-seconds.tsv from the cold build

The machine is often shared: compare ratios, and run the heavy figures (cold, tests) once or twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vgdocs.publish.site.engines import command

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
WRAP = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "print(r.returncode, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.stderr.write(r.stderr[-4000:] if r.returncode else '')"
)


# The experiments this round added with the budget their results need (issue 14's "loops" note).
ROUND = (
    "rnn.adding_problem",
    "explorer.grid",
    "xor.gradient_scale",
    "depth.diagnostics",
    "depth.ln_placement",
    "depth.branch_init",
    "depth.small_batch",
)


def child_env(**extra: str) -> dict[str, str]:
    """The builds' environment: as an author's checkout (bytecode cached), quiet MkDocs 2 banner."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **extra}
    env.pop(
        "PYTHONDONTWRITEBYTECODE", None
    )  # a checkout keeps its .pyc files; a cold interpreter every time is not the loop
    return env


def copy_tree(dst: Path) -> None:
    """The working tree's files, as one commit of a fresh git checkout (an author's tree is a checkout:
    kept renders and the "What changed" page need one)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "benchmark copy"]):
        subprocess.run([*git, *args], cwd=dst, check=True, capture_output=True)


# Measured on 2 cores before issue 14 (its text; before this round's longer experiments), and its targets.
BEFORE = {
    "cold": ("19-22", 15.0),
    "warm": ("2.5-3", 1.5),
    "prose": ("1.5-1.9", 1.0),
    "vgdocs": ("~3", 5.0),
    "tests": ("185-206", 90.0),
    "fast": ("185-206", 90.0),
}


def build(root: Path, report: Path, cache: str, **extra: str) -> tuple[float, float]:
    """One strict build in a fresh process: (seconds, peak RSS in MB of the largest process)."""
    env = child_env(VGDOCS_CACHE=cache, VGDOCS_BUILD_REPORT=str(report), **extra)
    started = time.time()
    out = subprocess.run(
        [PY, "-c", WRAP, *command("build"), "-q", "-d", str(root / "site")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    code, seconds, rss_kb = out.stdout.split()
    if code != "0":
        sys.exit(f"build failed:\n{out.stderr}")
    data = json.loads(report.read_text())
    data["marks"]["launch"], data["marks"]["end"] = started, started + float(seconds)
    report.write_text(json.dumps(data))
    return float(seconds), int(rss_kb) / 1024


def phases(report: dict) -> list[tuple[str, float]]:
    """Where one build's wall time went, from the marks building.py writes."""
    m = report["marks"]
    blocks = sum(report["pages"].values())
    pages = m["post_build"] - m.get("pages", m["post_build"])
    return [
        ("start-up: interpreter, MkDocs, theme, plugins, config", m["config"] - m["launch"]),
        ("files, nav, prefetch scan", m.get("pages", m["post_build"]) - m["config"]),
        ("pages: executing blocks (markdown-exec, notebooks)", blocks),
        ("pages: Markdown, templates, search indexing", pages - blocks),
        ("after the pages: ledger and claims check, search index, sitemap", m.get("exit", m["end"]) - m["post_build"]),
        ("interpreter exit", m["end"] - m.get("exit", m["end"])),
    ]


def serve_edits(root: Path) -> dict[str, float]:
    """Seconds from saving a file to mkdocs serve's 'Reloading browsers', for two kinds of edit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = child_env(VGDOCS_CACHE="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*command("serve", strict=False), "--livereload", "-a", f"127.0.0.1:{port}"],
        cwd=root,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []

    def wait_for(pattern: str, after: int, limit: float = 300.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            line = proc.stderr.readline()
            if not line:
                raise RuntimeError("mkdocs serve stopped:\n" + "".join(lines[-30:]))
            lines.append(line)
            if len(lines) > after and re.search(pattern, line):
                return time.perf_counter()
        raise RuntimeError(f"no {pattern!r} within {limit} s")

    try:
        wait_for(r"Serving on", 0)
        results = {}
        page = root / "docs" / "what.md"
        for label, path, text in (
            ("prose edit (docs/what.md)", page, "\nOne more sentence of prose.\n"),
            (
                # a code edit (a comment would change no syntax tree: nothing recomputes); why.py's
                # experiments are re-run, nothing that does not import it
                "vgdocs edit (code in vgdocs/experiments/why.py)",
                root / "vgdocs" / "experiments" / "why.py",
                "\n\ndef _benchmark_edit() -> int:\n    return 1\n",
            ),
        ):
            time.sleep(1.5)
            mark = len(lines)
            t0 = time.perf_counter()
            with path.open("a") as fh:
                fh.write(text)
            results[label] = wait_for(r"Reloading browsers", mark) - t0
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_suite(warm: bool) -> float:
    """Wall seconds of the pytest suite in the working tree: all of it cold (`make test`) or the fast loop."""
    env = child_env(**({"VGDOCS_TEST_WARM": "1"} if warm else {}))
    marks = ["-m", "not browser"] if warm else []  # as `make test-fast`
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", *marks], cwd=REPO, env=env, check=False)
    return time.perf_counter() - t0


def keep_only_round(cache: Path) -> int:
    """Leave in `cache` only the results of this round's experiments (ROUND): a build then computes
    everything else as a cold build does, and the difference is what those experiments cost. Kept
    renders, compiled templates, notebook outputs, figures and measured costs go too."""
    import numpy as np

    kept = 0
    for entry in (cache / "vgdocs").glob("*/*.npz"):
        with np.load(entry, allow_pickle=False) as npz:
            label = json.loads(bytes(npz["__tree__"]).decode("utf-8")).get("label", "")
        if label.split(" ", 1)[0] in ROUND:
            kept += 1
        else:
            entry.unlink()
    for other in ("pages", "jinja", "mkdocs-jupyter"):
        shutil.rmtree(cache / other, ignore_errors=True)
    for name in ("costs.json", "sources.json"):
        (cache / "vgdocs" / name).unlink(missing_ok=True)
    return kept


def seconds_table(report: dict) -> str:
    """experiment-seconds.tsv: each computation of a cold build (either process), longest first."""
    rows = {f"{e['name']} {e['args']}": e["seconds"] for e in report["experiments"] if e["name"] != "present.figure"}
    lines = [f"{k}\t{v:.2f}" for k, v in sorted(rows.items(), key=lambda kv: -kv[1])]
    head = (
        "# Seconds of each experiment call in a cold build (benchmarks/build_speed.py --write-seconds).\n"
        "# vgdocs.publish.prefetch hands the second process the longest first when .cache has no measurements.\n"
    )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    args = set(sys.argv[1:])
    rows = []  # (label, seconds, kind of the issue-14 figures or None, peak MB)
    reports: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="vgdocs-bench-") as tmp:
        root, out = Path(tmp) / "tree", Path(tmp) / "reports"  # reports outside the checkout: a new file in
        out.mkdir()  # it is a changed input, and no page would be kept from one build to the next
        copy_tree(root)
        if "--no-cold" not in args:
            ci_cold, ci_rss = build(root, out / "r0.json", "0")
            rows.append(("cold strict build, cache off (CI), both cores", ci_cold, "cold", ci_rss))
            reports["cold"] = json.loads((out / "r0.json").read_text())
            if "--one-core" in args:
                one, one_rss = build(root, out / "r3.json", "0", VGDOCS_PREFETCH="0")
                rows.append(("  the same on one core (VGDOCS_PREFETCH=0)", one, None, one_rss))
        if (REPO / ".cache").is_dir():  # the author's warm cache (content-addressed: valid in the copy)
            shutil.copytree(REPO / ".cache", root / ".cache", dirs_exist_ok=True)
        first, _ = build(root, out / "r1.json", "1")
        rows.append(("strict build with the checkout's cache (fills what is missing)", first, None, None))
        warm, wrss = build(root, out / "r2.json", "1")
        rows.append(("warm strict build", warm, "warm", wrss))
        reports["warm"] = json.loads((out / "r2.json").read_text())
        for label, seconds in serve_edits(root).items():
            rows.append((f"mkdocs serve rebuild after {label}", seconds, label.split()[0], None))
        if "--no-cold" not in args:
            subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)  # undo the serve edits
            kept = keep_only_round(root / ".cache")
            without, wo_rss = build(root, out / "r4.json", "1")
            rows.append((f"  the same without this round's experiments ({kept} results cached)", without, None, wo_rss))
    if "--tests" in args:
        rows.append(("test suite, all of it, cold (make test, as CI; pytest -n 2)", test_suite(False), "tests", None))
        rows.append(
            ("test suite, author's loop (make test-fast: warm cache, no cold builds)", test_suite(True), "fast", None)
        )

    print(f"{'measurement':<72} {'now s':>7} {'before':>8} {'target':>8} {'met':>8} {'peak MB':>8}")
    for label, seconds, kind, mem in rows:
        before, target = BEFORE.get(kind or "", ("", None))
        tgt = f"<= {target:g}" if target else ""
        met = ("met" if seconds <= target else "NOT met") if target else ""
        mb = "" if mem is None else f"{mem:8.0f}"
        print(f"{label:<72} {seconds:7.2f} {before:>8} {tgt:>8} {met:>8} {mb:>8}")
    peaks = [r[3] for r in rows if r[3] is not None]
    print(f"peak memory of any build process: {max(peaks):.0f} MB (target <= 1536 MB)")
    print(f"warm build cache: {reports['warm']['stats']}")
    for name, report in reports.items():
        print(f"\nwhere the {name} build's wall time goes:")
        for phase, seconds in phases(report):
            print(f"  {seconds:7.2f} s  {phase}")
        print(f"  pages whose blocks took longest ({name}):")
        for page, seconds in sorted(report["pages"].items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {seconds:7.2f} s  {page}")
    if "cold" in reports:
        ex = reports["cold"]["experiments"]
        figs = [e["seconds"] for e in ex if e["name"] == "present.figure"]
        by = {
            p: sum(e["seconds"] for e in ex if e["process"] == p and e["name"] != "present.figure")
            for p in ("build", "prefetch")
        }
        print(
            f"\ncold build, experiment CPU seconds: {by['build']:.1f} in the build process, "
            f"{by['prefetch']:.1f} in the second process; {len(figs)} figures drawn in the build in {sum(figs):.1f} s"
        )
        top = [e for e in ex if e["name"] != "present.figure"]
        round_s = sum(e["seconds"] for e in top if e["name"] in ROUND)
        total = sum(e["seconds"] for e in top)
        print(
            f"experiments added this round ({', '.join(ROUND)}): {round_s:.1f} s of {total:.1f} s of experiment CPU; "
            f"without them about {total - round_s:.1f} s (nested calls also count in their callers)"
        )
        print("the ten longest computations, cold build:")
        for e in sorted(top, key=lambda e: -e["seconds"])[:10]:
            print(f"  {e['seconds']:6.2f} s  [{e['process']}]  {e['name']}  {e['args'][:70]}")
        if "--write-seconds" in args:
            (REPO / "benchmarks" / "experiment-seconds.tsv").write_text(seconds_table(reports["cold"]))
            print("wrote benchmarks/experiment-seconds.tsv")


if __name__ == "__main__":
    main()
