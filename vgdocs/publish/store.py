"""The experiment cache's disk layer: content-addressed entries that loading can never turn into code.

Each entry is one `.npz` file named by its key (the SHA-256 the cache computes from the experiment,
its arguments and the source of everything it imports): a JSON tree under `__tree__` and every
numpy array beside it, read back with `allow_pickle=False`. Values are trees of None, bool, int,
float (NaN and infinities included), str, list, tuple, dict, numpy arrays and scalars, and frozen
dataclasses of the vgdocs package; a value holding anything else is not stored (the build computes
it again next time). A dataclass is rebuilt by field from a class that is already importable under
`vgdocs.`; nothing in a file names code outside the package. The entry repeats its key, so a file
copied under another name is ignored. When the folder grows past `size_limit`, the entries used
least recently are removed.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Store", "Unstorable", "decode", "encode"]

_FORMAT = 1


class Unstorable(TypeError):
    """A value holds a type the store does not write (the message names it)."""


class Store:
    """A folder of `<key[:2]>/<key>.npz` entries with get / set / in / close, like a small mapping."""

    def __init__(self, directory: str | os.PathLike[str], *, size_limit: int = 2**30) -> None:
        self.directory = Path(directory)
        self.size_limit = int(size_limit)
        self._written = 0

    def _path(self, key: str) -> Path:
        if not key or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"store key must be a hex digest; got {key!r}")
        return self.directory / key[:2] / f"{key}.npz"

    def __contains__(self, key: str) -> bool:
        return self._path(key).exists()

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under `key`, or `default` when there is none (or the file is not a valid entry)."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            tree = json.loads(bytes(arrays.pop("__tree__")).decode("utf-8"))
            if tree.get("format") != _FORMAT or tree.get("key") != key:
                return default
            value = decode(tree["value"], arrays)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ImportError):
            return default
        os.utime(path)  # least recently used goes first when the folder is trimmed
        return value

    def set(self, key: str, value: Any, *, label: str = "") -> bool:
        """Store `value` under `key` (atomically); False when the value holds a type the store does not write."""
        arrays: dict[str, np.ndarray] = {}
        try:
            tree = {"format": _FORMAT, "key": key, "label": label, "value": encode(value, arrays)}
        except Unstorable:
            return False
        arrays["__tree__"] = np.frombuffer(json.dumps(tree, allow_nan=True).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, path)
        self._written += buffer.tell()
        return True

    def close(self) -> None:
        """Trim the folder to `size_limit` if this session wrote to it."""
        if self._written:
            self.trim()
        self._written = 0

    def trim(self) -> None:
        """Remove the least recently used entries until the folder holds at most `size_limit` bytes."""
        entries = sorted(self.directory.glob("*/*.npz"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in entries)
        for path in entries:
            if total <= self.size_limit:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)


def encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-able tree for `value`; numpy arrays go into `arrays` and the tree names them."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):  # before float: np.float64 is a float whose repr is not a number
        return {"scalar": encode(np.asarray(value), arrays)}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unstorable("numpy arrays of Python objects are not stored")
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"array": name, "readonly": not value.flags.writeable}
    if isinstance(value, list | tuple):
        return {"list" if isinstance(value, list) else "tuple": [encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k, arrays), encode(v, arrays)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith("vgdocs."):
            raise Unstorable(f"dataclass {cls.__qualname__} is not part of vgdocs")
        fields = {f.name: encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}
        return {"dataclass": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    raise Unstorable(f"values of type {type(value).__name__} are not stored")


def decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The value `encode` turned into `tree` (and `arrays`)."""
    if tree is None or isinstance(tree, bool | str):
        return tree
    (kind, body), *_ = tree.items()
    if kind == "int":
        return int(body)
    if kind == "float":
        return float(body)
    if kind == "scalar":
        return decode(body, arrays)[()]
    if kind == "array":
        out = arrays[body]
        if tree.get("readonly"):
            out.setflags(write=False)
        return out
    if kind in ("list", "tuple"):
        items = [decode(v, arrays) for v in body]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {decode(k, arrays): decode(v, arrays) for k, v in body}
    if kind == "dataclass":
        cls = _vgdocs_class(body)
        obj = object.__new__(cls)
        for name, field in tree["fields"].items():
            object.__setattr__(obj, name, decode(field, arrays))
        return obj
    raise ValueError(f"unknown entry kind {kind!r}")


def _vgdocs_class(path: str) -> type:
    module, _, qualname = path.partition(":")
    if not module.startswith("vgdocs."):
        raise ValueError(f"entry names a class outside vgdocs: {path!r}")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
        raise ValueError(f"entry names {path!r}, which is not a dataclass")
    return obj
