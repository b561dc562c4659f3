"""Build-time memo for experiments: keyed by arguments and the source of the code they run.

Active only while a site build has switched it on (the mkdocs hook calls `activate`), so a
REPL or a test that calls an experiment always computes afresh. Two layers: an in-process
dict for the current build (a result quoted on several pages is computed once) and, unless
VGDOCS_CACHE=0, a content-addressed store on disk (vgdocs.publish.store: JSON plus npz arrays,
read with allow_pickle=False, so loading an entry never runs code) that survives between builds.
A key is the experiment's name, its bound arguments and a hash of every vgdocs module it imports (transitively), plus
the versions of the numerical libraries, so editing prose recomputes nothing and editing
vgdocs recomputes exactly the experiments whose code changed. A module is hashed by its syntax
tree (ast.dump: no comments, no layout), so a comment or a reformat recomputes nothing either; the
tree and the imports of each module are kept in sources.json beside the entries, by the bytes'
SHA-256, so a warm build parses no module it has seen before.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "activate",
    "deactivate",
    "digest",
    "disk_enabled",
    "environment",
    "expect",
    "has",
    "is_active",
    "memoize",
    "put",
    "source_hash",
    "stats",
]

T = TypeVar("T")
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_LIBRARIES = ("numpy", "scipy", "scikit-learn", "matplotlib")

_active = False
_memo: dict[str, Any] = {}
_hashes: dict[str, str] = {}
_imports_of: dict[str, list[str]] = {}
_paths: dict[str, Path] = {}
_exists: dict[str, bool] = {}
_file_digests: dict[str, bytes] = {}
# "module:sha256 of its bytes" -> {"code": sha256 of its syntax tree, "imports": [modules]}; kept beside
# the disk layer (sources.json), so a warm build reads the import graph instead of parsing each module
_source_memo: dict[str, dict[str, Any]] = {}
_source_memo_state = {"loaded": False, "dirty": False}
_disk: Any = None
_read_only = False
_stats = {"hits": 0, "disk_hits": 0, "misses": 0, "prefetched": 0}
# digest -> callable returning the value computed in another process (vgdocs.publish.prefetch),
# or _MISSING when that computation was cancelled or failed (then memoize computes it here)
_pending: dict[str, Callable[[], Any]] = {}
_timings: list[tuple[str, str, float]] = []


def disk_enabled() -> bool:
    """False when the environment says VGDOCS_CACHE=0 (or false/no/off)."""
    return os.environ.get("VGDOCS_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def activate(directory: str | os.PathLike[str] | None, *, read_only: bool = False) -> None:
    """Switch memoisation on for a build; `directory` holds the disk layer (None: memory only).

    `read_only`: take what the disk layer holds, write nothing to it (the author's test loop reads the
    builds' cache this way, so a test that patches the engine cannot leave its numbers there).
    """
    global _active, _disk, _read_only
    deactivate()
    _active = True
    _read_only = bool(read_only)
    if directory is not None and disk_enabled():
        from vgdocs.publish.store import Store

        _disk = Store(directory, size_limit=2**30)


def deactivate() -> None:
    """Switch memoisation off and forget the in-process layer and module hashes."""
    global _active, _disk, _read_only
    _active = False
    _save_source_memo()
    _read_only = False
    _memo.clear()
    _hashes.clear()
    _imports_of.clear()
    _paths.clear()
    _exists.clear()
    _file_digests.clear()
    _pending.clear()
    for key in _stats:
        _stats[key] = 0
    _timings.clear()
    if _disk is not None:
        _disk.close()
        _disk = None


def is_active() -> bool:
    """True between activate() and deactivate()."""
    return _active


def stats() -> dict[str, int]:
    """Hits in memory, hits on disk and misses since the last activate()."""
    return dict(_stats)


def timings() -> list[tuple[str, str, float]]:
    """(namespace, key, seconds) of every computation since the last activate(), in order."""
    return list(_timings)


def memoize(namespace: str, key: str, module: str, compute: Callable[[], T]) -> T:
    """compute(), or its stored value for (namespace, key, source of `module` and its imports)."""
    if not _active:
        return compute()
    digest = _digest(namespace, key, module)
    if digest in _memo:
        _stats["hits"] += 1
        return _memo[digest]
    if _disk is not None:
        value = _disk.get(digest, default=_MISSING)
        if value is not _MISSING:
            _stats["disk_hits"] += 1
            _memo[digest] = value
            return value
    waiting = _pending.pop(digest, None)
    if waiting is not None and (value := waiting()) is not _MISSING:
        _stats["prefetched"] += 1
        put(namespace, key, module, value)
        return value
    _stats["misses"] += 1
    start = time.perf_counter()
    value = compute()
    _timings.append((namespace, key, time.perf_counter() - start))
    _memo[digest] = value
    if _disk is not None and not _read_only:
        _disk.set(digest, value, label=f"{namespace} {key}")
    return value


def _digest(namespace: str, key: str, module: str) -> str:
    return hashlib.sha256("\0".join((namespace, key, source_hash(module))).encode()).hexdigest()


def digest(namespace: str, key: str, module: str) -> str:
    """The cache's key for (namespace, key, source of `module`): what `has`, `put` and `expect` take."""
    return _digest(namespace, key, module)


def has(namespace: str, key: str, module: str) -> bool:
    """True when memoize would not compute: the value is in this build's memory or on disk."""
    d = _digest(namespace, key, module)
    return d in _memo or (_disk is not None and d in _disk)


def put(namespace: str, key: str, module: str, value: Any) -> None:
    """File a value computed elsewhere (another process) as memoize would have."""
    d = _digest(namespace, key, module)
    _memo[d] = value
    if _disk is not None and not _read_only:
        _disk.set(d, value, label=f"{namespace} {key}")  # as memoize labels it (the benchmark reads labels)


def expect(namespace: str, key: str, module: str, fetch: Callable[[], Any]) -> None:
    """A value is being computed elsewhere: memoize calls `fetch()` for it instead of computing it.

    `fetch` returns the value, or MISSING when it will not come (then memoize computes it itself).
    """
    if _active:
        _pending[_digest(namespace, key, module)] = fetch


def source_hash(module: str) -> str:
    """SHA-256 over the syntax trees of `module` and every vgdocs module it imports, and library versions."""
    if module not in _hashes:
        h = hashlib.sha256()
        for name in sorted(_closure(module)):
            h.update(name.encode() + b"\0" + _file_digest(name))
        # the store's own format: an entry written by another version of the serialiser is never read
        h.update(b"store\0" + _file_digest("vgdocs.publish.store"))
        h.update(_environment().encode())
        _hashes[module] = h.hexdigest()
    return _hashes[module]


_MISSING = object()
MISSING = _MISSING


def _environment() -> str:
    """Python and numerical-library versions (computed once per activation)."""
    if "" not in _hashes:
        _hashes[""] = sys.version + "".join(f"|{lib}={_version(lib)}" for lib in _LIBRARIES)
    return _hashes[""]


def environment(extra: tuple[str, ...] = ()) -> str:
    """Python's and the numerical libraries' versions, which every stored result depends on, and those of
    the `extra` distributions (the kept renders add the packages that render a page)."""
    return _environment() + "".join(f"|{dist}={_version(dist)}" for dist in extra)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _module_path(name: str) -> Path:
    if name not in _paths:
        rel = Path(*name.split(".")[1:])
        pkg = _PACKAGE_DIR / rel / "__init__.py"
        _paths[name] = pkg if pkg.exists() else _PACKAGE_DIR / rel.with_suffix(".py")
    return _paths[name]


def _is_module(name: str) -> bool:
    if name not in _exists:
        _exists[name] = _module_path(name).exists()
    return _exists[name]


def _closure(root: str) -> set[str]:
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen or not name.startswith("vgdocs") or not _is_module(name):
            continue
        seen.add(name)
        todo.extend(_imports(name))
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages run first
    return seen


def _imports(name: str) -> list[str]:
    if name not in _imports_of:
        _imports_of[name] = _parse_imports(name)
    return _imports_of[name]


def _file_digest(name: str) -> bytes:
    """SHA-256 of the module's syntax tree (comments and layout do not count)."""
    if name not in _file_digests:
        _file_digests[name] = bytes.fromhex(_source_facts(name)["code"])
    return _file_digests[name]


def _parse_imports(name: str) -> list[str]:
    return list(_source_facts(name)["imports"])


def _memo_file() -> Path | None:
    return None if _disk is None else Path(_disk.directory) / "sources.json"


def _source_facts(name: str) -> dict[str, Any]:
    """{"code": tree digest, "imports": [...]} of module `name`: from sources.json when its bytes are known."""
    if not _source_memo_state["loaded"]:
        _source_memo_state["loaded"] = True
        try:
            _source_memo.update(json.loads(_memo_file().read_text(encoding="utf-8")))  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            pass  # no disk layer, no file yet, or a damaged one: parse
    path = _module_path(name)
    source = path.read_bytes()
    memo_key = f"{name}:{hashlib.sha256(source).hexdigest()}"
    found = _source_memo.get(memo_key)
    if (
        isinstance(found, dict)
        and isinstance(found.get("code"), str)
        and isinstance(found.get("imports"), list)
        and all(isinstance(n, str) for n in found["imports"])
    ):
        found["used"] = True
        return found
    tree = ast.parse(source, filename=str(path))
    facts = {"code": hashlib.sha256(ast.dump(tree).encode()).hexdigest(), "imports": _read_imports(name, tree)}
    _source_memo[memo_key] = {**facts, "used": True}
    _source_memo_state["dirty"] = True
    return _source_memo[memo_key]


def _save_source_memo() -> None:
    path = _memo_file()
    if path is not None and _source_memo_state["dirty"] and not _read_only:
        if len(_source_memo) > 4000:  # old versions piling up over many edits: keep this build's
            for key in [k for k, v in _source_memo.items() if not v.get("used")]:
                del _source_memo[key]
        rows = {k: {"code": v["code"], "imports": v["imports"]} for k, v in _source_memo.items()}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache folder: the next build parses again
    _source_memo.clear()
    _source_memo_state.update(loaded=False, dirty=False)


def _read_imports(name: str, tree: ast.AST) -> list[str]:
    path = _module_path(name)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.append(base)
            out.extend(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return out
