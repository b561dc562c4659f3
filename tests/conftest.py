"""Test-session settings shared by every suite: one BLAS thread, the one built site, the torch fallback."""

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# One BLAS thread: on a loaded 2-core machine multi-threaded OpenBLAS is many times slower, and a
# fixed thread count fixes the summation order, so numbers compare equal across machines. The
# variables reach the subprocesses the tests start (site builds); threadpoolctl covers this
# process in case a plugin loaded numpy before this file.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy  # noqa: E402  (load BLAS so the limit below applies to it)
from threadpoolctl import threadpool_limits  # noqa: E402

_BLAS_LIMIT = threadpool_limits(limits=1)

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "mkdocs.yml"
RECORD_ENV = "VGDOCS_LEDGER_RECORD"  # vgdocs.publish.ledger.RECORD_ENV (not imported: keep this file light)

# Two loops. `make test` (CI): every test, the run's one site build cold (no experiment cache), as a
# fresh clone builds. `make test-fast` (VGDOCS_TEST_WARM=1, the author's loop): that build and the
# experiment tests READ the experiment cache that builds and `mkdocs serve` fill in .cache/vgdocs
# (never writing it: a test that patches the engine must not leave its numbers there), and the tests
# that must build cold on purpose (marked `cold`: the old-CPU drift build, the mutation builds) are
# deselected. The cache key covers the source of everything an experiment imports, so a cached
# Result is the one the code computes.
WARM = os.environ.get("VGDOCS_TEST_WARM", "0") == "1"
WARM_CACHE = REPO / ".cache" / "vgdocs"


def experiment_memo() -> None:
    """Switch the experiment memo on for a test module: memory only, or the build's cache read-only (WARM)."""
    from vgdocs.publish import cache

    if WARM:
        cache.activate(WARM_CACHE, read_only=True)
    else:
        cache.activate(None)


@dataclass(frozen=True)
class Build:
    """A finished `mkdocs build`: exit code, combined output, the site directory and wall time (s)."""

    returncode: int
    output: str
    site: Path
    seconds: float


def module_memo():
    """An experiment memo for one test module: pages share runs, and so do their tests.

    Memory only; in the author's loop (VGDOCS_TEST_WARM=1) every module of a folder that registers it
    (tests/experiments, tests/rnn) also reads the build's experiment cache, so a test of a default run
    takes the Result the last build computed.
    """
    from vgdocs.publish import cache

    owned = not cache.is_active()
    if owned:
        experiment_memo()
    yield
    if owned:
        cache.deactivate()


def central_differences(loss, array: numpy.ndarray, h: float) -> numpy.ndarray:
    """d loss()/d array, entry by entry, by central differences on the live `array` (restored after)."""
    out = numpy.empty_like(array)
    for i in numpy.ndindex(array.shape):
        keep = array[i]
        array[i] = keep + h
        up = loss()
        array[i] = keep - h
        down = loss()
        array[i] = keep
        out[i] = (up - down) / (2.0 * h)
    return out


def mkdocs_build(config: Path, site: Path, *, strict: bool = True, env: dict[str, str] | None = None) -> Build:
    """Run `python -m mkdocs build` cold (no experiment cache) in a subprocess."""
    from vgdocs.publish.site.engines import command

    cmd = [*command("build", config=config, strict=strict), "--clean", "-d", str(site)]
    full_env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "VGDOCS_CACHE": "0", **(env or {})}
    for var in ("VGDOCS_LEDGER_COMPARE", "VGDOCS_TEST_PERTURB", RECORD_ENV):
        if var not in (env or {}):
            full_env.pop(var, None)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=config.parent, env=full_env, capture_output=True, text=True, check=False)
    return Build(proc.returncode, proc.stdout + proc.stderr, site, time.perf_counter() - started)


def source_date_epoch() -> str:
    """The last commit's time: builds stamped with it are byte-identical."""
    done = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "0"


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Build:
    """The repository's site, built ONCE per test run (strict, dated by the last commit; cold unless WARM).

    Every test that needs the built site takes this fixture: the build checks, the ledger's drift
    check (its numbers are in `site.parent / "recorded.tsv"`) and the browser suite. Under
    pytest-xdist the workers share one build: the first to arrive builds, the others wait on a lock.
    """
    root = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # a pytest-xdist worker
        root = root.parent  # shared by the workers of this run
    root = root / "real-site"
    root.mkdir(exist_ok=True)
    from filelock import FileLock

    with FileLock(str(root) + ".lock"):
        done = root / "build.json"
        if not done.exists():
            env = {"SOURCE_DATE_EPOCH": source_date_epoch(), RECORD_ENV: str(root / "recorded.tsv")}
            if WARM:  # the author's loop: experiments from .cache/vgdocs (the build fills what is missing)
                env["VGDOCS_CACHE"] = "1"
            build = mkdocs_build(CONFIG, root / "site", env=env)
            done.write_text(json.dumps({"returncode": build.returncode, "output": build.output, "s": build.seconds}))
        data = json.loads(done.read_text())
    return Build(data["returncode"], data["output"], root / "site", data["s"])


@pytest.fixture(scope="session")
def torch():
    """PyTorch for a comparison test, or the test is skipped where torch is not installed.

    The one fallback for the optional `torch` extra: a test that compares against PyTorch takes this
    fixture (and so carries the `torch` marker, added below, which `make torch-test` selects).
    """
    return pytest.importorskip("torch", reason="torch not installed: pip install -e .[torch] to compare")


@pytest.hookimpl(trylast=True)  # after the folders' conftests have added their markers
def pytest_collection_modifyitems(config, items):
    """`torch` marker for every test taking the torch fixture; WARM deselects `cold` tests; xdist groups work.

    pytest-xdist 3.8 groups a test (`--dist loadgroup`, marker `xdist_group`) by writing the group
    into `item._nodeid`, which pytest 9 no longer reads (it keeps the id in `item._id`): without the
    lines below every group is split across the workers, so each worker visits every page with its
    own Chromium and builds the drift tests' second clean site again. Same suffix, where pytest reads it.
    """
    _xdist_groups(config, items)
    for item in items:
        if "torch" in getattr(item, "fixturenames", ()) and item.get_closest_marker("torch") is None:
            item.add_marker(pytest.mark.torch)
    if WARM:
        kept = [item for item in items if item.get_closest_marker("cold") is None]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("cold")])
            items[:] = kept


# Pages about the site rather than about gradients: they print a record, not an experiment, so the
# rules "every page shows a live table or figure" and "every page publishes a number" exempt them.
META_PAGES = {
    "building.md": "the engines report CI writes (.ci/engines.json), not a numpy computation",
    "changes.md": "the ledger's own git history",
}


def _xdist_groups(config, items) -> None:
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    try:
        from _pytest.nodeid import NodeId  # pytest >= 9; before it, xdist's own suffix works
    except ImportError:
        return
    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")
        }
        if names and "@" not in item.nodeid and hasattr(item, "_id"):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(names))}")
