"""Use the second core in a cold build: compute the pages' experiments (and their figures) ahead.

mkdocs renders pages one after another, and a cold build is mostly experiment code and figure
drawing on one core. `start` reads the Python blocks of every page, finds each call of an
`@experiment` function whose arguments are literals (`xor_runs()`, `run(depth=20)`) and the
figures drawn from them (`figure(xor_runs(), "seeds")`), and hands them to one worker process,
LONGEST FIRST (seconds measured by earlier builds: .cache/vgdocs/costs.json, else the committed
benchmarks/experiment-seconds.tsv; calls never measured go last page first), while the build
itself goes through the pages first page first. When a block asks for a Result the worker has,
the cache (`vgdocs.publish.cache.expect`) takes the worker's copy; one it has not started yet is
cancelled and computed in the build; while the worker is still computing one, the build does not
sit idle: it takes the next call the worker has not started (longest first, as the worker would)
and computes it itself, until the awaited one is done. So the worker starts on the longest runs at
once, and the build takes over whatever the worker has not reached.

Safe by construction: the worker runs the same code on the same inputs with the same one BLAS
thread (the environment is inherited), so its Results are the same bits; the ledger and the claims
are filled by the pages' own present.* calls in the build process, as without prefetching. A call
the scan cannot read (non-literal arguments) is simply computed by the build as before; a worker
that fails only costs its share of the speed-up. Off with VGDOCS_PREFETCH=0, and when the machine
has one core.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import logging
import multiprocessing
import os
import re
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from vgdocs.publish import cache

__all__ = ["COSTS_FILE", "SECONDS_FILE", "calls_in", "cost_key", "costs", "save_costs", "start", "stop", "timings"]

log = logging.getLogger("mkdocs.plugins.vgdocs.prefetch")
_BLOCK = re.compile(r'^(`{3,}|~{3,})\s*python\b[^\n]*exec="on"[^\n]*\n(.*?)^\1', re.S | re.M)
_FIGURES = "vgdocs.publish.present.figures"
_pool: ProcessPoolExecutor | None = None
_queue: list[tuple[Future, Call]] = []  # handed to the worker, in the order it takes them
_timings: list[tuple[str, str, float]] = []  # (experiment, call, seconds) computed by the worker this build
COSTS_FILE = ".cache/vgdocs/costs.json"  # measured by this checkout's builds (under the mkdocs.yml folder)
SECONDS_FILE = "benchmarks/experiment-seconds.tsv"  # committed: what a fresh clone (CI) schedules by


@dataclasses.dataclass(frozen=True)
class Call:
    """One experiment call a page makes: module.function(*args, **kwargs), and the figures it draws."""

    module: str
    function: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    figures: tuple[Any, ...] = ()  # the `which` of each figure(call, which); None for figure(call)


def calls_in(markdown: str) -> list[Call]:
    """The literal-argument calls of functions imported from vgdocs.experiments in a page's exec blocks."""
    imported: dict[str, tuple[str, str]] = {}
    found: dict[str, Call] = {}  # by repr: literal arguments may be lists
    assigned: dict[str, tuple] = {}
    for _, code in _BLOCK.findall(markdown):
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vgdocs.experiments"):
                imported.update({a.asname or a.name: (node.module, a.name) for a in node.names})
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if (key := _call_key(node.value, imported)) is not None:
                    assigned[node.targets[0].id] = key
            if not isinstance(node, ast.Call):
                continue
            if (key := _call_key(node, imported)) is not None:
                found.setdefault(repr(key), Call(*key))
            elif isinstance(node.func, ast.Name) and node.func.id == "figure" and node.args:
                target = node.args[0]
                key = assigned.get(target.id) if isinstance(target, ast.Name) else _call_key(target, imported)
                which = _literal(node.args[1]) if len(node.args) > 1 else (None,)
                if key is not None and isinstance(which, tuple) and len(which) == 1:
                    old = found.get(repr(key), Call(*key))
                    found[repr(key)] = dataclasses.replace(old, figures=(*old.figures, which[0]))
    return list(found.values())


def cost_key(namespace: str, key: str) -> str:
    """How costs.json names a computation: the cache's namespace (experiment name) and argument key."""
    return f"{namespace} {key}"


def costs(root: str | os.PathLike[str]) -> dict[str, float]:
    """Seconds per cost_key: the committed table, overridden by what this checkout's builds measured."""
    out: dict[str, float] = {}
    table = Path(root) / SECONDS_FILE
    if table.is_file():
        for line in table.read_text(encoding="utf-8").splitlines():
            name, sep, seconds = line.rpartition("\t")
            if sep and not line.startswith("#"):
                try:
                    out[name] = float(seconds)
                except ValueError:
                    continue
    try:
        measured = json.loads((Path(root) / COSTS_FILE).read_text(encoding="utf-8"))
        out.update({k: float(v) for k, v in measured.items() if isinstance(v, int | float)})
    except (OSError, ValueError, AttributeError):
        pass
    return out


def save_costs(root: str | os.PathLike[str], seconds: dict[str, float]) -> None:
    """Merge `seconds` (cost_key -> seconds of a cold computation) into the checkout's costs.json."""
    if not seconds:
        return
    path = Path(root) / COSTS_FILE
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    known.update({k: round(v, 3) for k, v in seconds.items()})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only checkout schedules by the committed table


def timings() -> list[tuple[str, str, float]]:
    """(namespace, key, seconds) of every call the worker computed in this build (as cache.timings())."""
    return list(_timings)


def _call_key(node: ast.AST, imported: dict[str, tuple[str, str]]) -> tuple | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in imported):
        return None
    args = [_literal(a) for a in node.args]
    kwargs = [(k.arg, _literal(k.value)) for k in node.keywords]
    if any(a is None for a in args) or any(k is None or v is None for k, v in kwargs):
        return None
    return (*imported[node.func.id], tuple(a[0] for a in args), tuple((k, v[0]) for k, v in kwargs))


def _literal(node: ast.AST) -> tuple[Any] | None:
    """(value,) when `node` is a literal, else None (so a literal None is told apart)."""
    try:
        return (ast.literal_eval(node),)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def start(docs_dir: str | os.PathLike[str], pages: list[str]) -> int:
    """Hand the experiments of `pages` (paths under docs_dir, in build order) to a worker; how many."""
    global _pool
    stop()
    _timings.clear()
    if os.environ.get("VGDOCS_PREFETCH", "1") == "0" or (os.cpu_count() or 1) < 2 or not cache.is_active():
        return 0
    import importlib

    todo: list[tuple[Call, tuple[str, str, str, str]]] = []
    seen: set[tuple[str, str, str]] = set()
    for page in reversed(pages):  # the build starts at the first page: the worker at the last
        path = Path(docs_dir) / page
        if path.suffix != ".md":
            continue
        for call in calls_in(path.read_text(encoding="utf-8")):
            try:
                fn = getattr(importlib.import_module(call.module), call.function)
                namespace, key, module, _ = fn.cache_key(*call.args, **dict(call.kwargs))
            except Exception:  # not an experiment, or arguments it refuses: the block will say so itself
                continue
            if (namespace, key, module) in seen or cache.has(namespace, key, module):
                continue
            seen.add((namespace, key, module))
            todo.append((call, (namespace, key, module, "")))
    if not todo:
        return 0
    # longest first; calls never measured after them, in the order found (last page first)
    known = costs(Path(docs_dir).parent)
    todo.sort(key=lambda item: -known.get(cost_key(*item[1][:2]), -1.0))
    _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    for call, (namespace, key, module, _) in todo:
        future = _pool.submit(_compute, call)
        _queue.append((future, call))
        cache.expect(namespace, key, module, lambda f=future: _collect(f))
    return len(todo)


def stop() -> None:
    """Cancel what the worker has not started and let it go (end of a build, or a failed one)."""
    global _pool
    _queue.clear()
    if _pool is not None:
        pool, _pool = _pool, None
        # Queued calls are cancelled; a call the worker is still computing is waited for. Terminating
        # the worker instead would orphan the joblib/loky processes an experiment started inside it,
        # and they keep the build's stdout open: a caller reading it (subprocess.run in the tests)
        # then hangs. Measured: a CI run stalled five minutes on such orphans.
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(future: Future) -> Any:
    """The worker's Result (its figures filed in the cache first), or cache.MISSING to compute it here."""
    if future.cancel():
        return cache.MISSING
    while not future.done() and _steal():
        pass
    try:
        value, figures, namespace, key, seconds = future.result()
    except Exception as exc:  # the build computes it and reports any error in the page's own words
        log.debug(f"prefetch failed, computing in the build: {exc!r}")
        return cache.MISSING
    _timings.append((namespace, key, seconds))
    for key, svg in figures:
        cache.put("present.figure", key, _FIGURES, svg)
    return value


def _steal() -> bool:
    """Compute here the next call the worker has not started (the build would otherwise wait); False if none.

    The call goes through its experiment's own cache entry: memoize finds the worker's future
    cancelled, computes, times and stores it, and the page that needs it later reads it from there.
    """
    import importlib

    while _queue:
        future, call = _queue.pop(0)
        if future.done() or not future.cancel():
            continue  # finished, or the worker has it
        try:
            fn = getattr(importlib.import_module(call.module), call.function)
            fn(*call.args, **dict(call.kwargs))
        except Exception as exc:  # the page that makes this call computes it again and reports the error
            log.debug(f"computing {call.module}.{call.function} ahead in the build failed: {exc!r}")
        return True
    return False


def _compute(call: Call) -> tuple[Any, list[tuple[str, str]], str, str, float]:
    """In the worker: the call's raw Result (as the cache stores it), its figures' markup, cache key, seconds."""
    import importlib

    from vgdocs.publish.present import figures
    from vgdocs.publish.present.spec import Figure

    if not cache.is_active():
        cache.activate(None)  # memory only: nested experiments are computed once in this worker
    fn = getattr(importlib.import_module(call.module), call.function)
    namespace, key, _, _ = fn.cache_key(*call.args, **dict(call.kwargs))
    started = time.perf_counter()
    result = fn(*call.args, **dict(call.kwargs))
    seconds = time.perf_counter() - started  # the figures below are drawing, not the experiment
    svgs = []
    for which in call.figures:
        spec = result.figure() if which is None else result.figure(which)
        if isinstance(spec, Figure):
            svgs.append((figures.figure_key(spec), figures.render_markup(spec)))
    return dataclasses.replace(result, experiment=""), svgs, namespace, key, seconds
