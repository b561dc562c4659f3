"""The ledger: every number the site publishes, keyed page / experiment / quantity.

Three jobs, one section each: collecting (the drift hook opens a page, `publish` files numbers under
it; outside a build `publish` does nothing), the file (ledger/published.tsv: the accepted numbers),
and comparison (`compare` says which numbers moved, `accept` makes the new file).

What gets published is decided in ONE place, vgdocs.publish.present._publish (the ledger rule: what a
reader reads: table cells, quoted numbers, plotted series or their summary statistics, claims; no
axis grids, no inputs). The command line is vgdocs.cli.site.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vgdocs.publish.tolerance import (
    ATOL,
    RTOL,
    TOLERANCE_FILE,
    relative_change,
    same,
    tolerance_for,
    tolerances,
)

__all__ = [
    "ATOL",
    "COMPARE_ENV",
    "LEDGER_FILE",
    "RECORD_ENV",
    "RTOL",
    "TOLERANCE_FILE",
    "UPDATE_COMMAND",
    "Change",
    "Drift",
    "accept",
    "begin_page",
    "collect_spool",
    "compare",
    "conflicts",
    "current_page",
    "dumps",
    "end_page",
    "load",
    "loads",
    "natural",
    "page_of",
    "publish",
    "published",
    "record",
    "reset",
    "same",
    "save",
    "split_key",
    "tolerance_for",
    "tolerances",
]

UPDATE_COMMAND = "python -m vgdocs ledger update"
LEDGER_FILE = "ledger/published.tsv"  # relative to the directory holding mkdocs.yml


# Set by the drift hook around a page whose code runs in another process (a notebook kernel):
# publish() there appends `key<TAB>value` lines to the spool file for the hook to collect.
SPOOL_ENV = "VGDOCS_LEDGER_SPOOL"
PAGE_ENV = "VGDOCS_LEDGER_PAGE"

_HEADER = (
    "# Every number the site publishes: page/experiment/quantity<TAB>value (float64, shortest repr).\n"
    f"# Accept changed numbers with `{UPDATE_COMMAND}`; every mkdocs build compares against this file.\n"
)

_DIGITS = re.compile(r"(\d+)")
_PAGE_SEGMENT = re.compile(r"[A-Za-z0-9_-]+(\.ipynb)?")

_current_page: str | None = None
_published: dict[str, float] = {}
_conflicts: dict[str, list[float]] = {}


def begin_page(page: str) -> None:
    """Start collecting numbers for `page` (its path under docs/, e.g. 'why.md')."""
    global _current_page
    _current_page = page


def current_page() -> str | None:
    """The page being built (its path under docs/), or None outside a page."""
    return _current_page


def end_page() -> None:
    """Stop attributing published numbers to a page."""
    global _current_page
    _current_page = None


def reset() -> None:
    """Forget everything published so far (start of a build)."""
    _published.clear()
    _conflicts.clear()
    _already.clear()


_already: dict[tuple[str, str | None], dict[int, object]] = {}


def publish(result: object, numbers: Mapping[str, float] | None = None) -> None:
    """File `numbers` (default: every number `result` holds) under the current page, if one is being built.

    present.* passes exactly what the reader sees (the rule is in vgdocs.publish.present._publish).
    """
    page = _current_page
    spool = None
    if page is None:
        spool, page = os.environ.get(SPOOL_ENV), os.environ.get(PAGE_ENV)
        if not spool or not page:
            return
    if numbers is None:
        # a page often shows one Result as a table, a figure and a sentence: flatten it once
        seen = _already.setdefault((page, spool), {})
        if seen.get(id(result)) is result:
            return
        seen[id(result)] = result  # holding the object keeps its id from being reused
    values = numbers if numbers is not None else result.numbers()  # type: ignore[attr-defined]
    name = getattr(result, "experiment", "") or type(result).__name__
    entries = {_clean_key(f"{page.removesuffix('.md')}/{name}/{q}"): float(v) for q, v in values.items()}
    if spool is not None:
        with open(spool, "a", encoding="utf-8") as f:
            f.writelines(f"{k}\t{_format(v)}\n" for k, v in entries.items())
    else:
        record(entries)


def record(entries: Mapping[str, float]) -> None:
    """Add already-keyed numbers; a key seen before with another value is kept as a conflict."""
    for raw, value in entries.items():
        key = _clean_key(raw)
        old = _published.get(key)
        if old is not None and not same(old, value, rtol=0.0, atol=0.0):
            _conflicts.setdefault(key, [old]).append(value)
        _published[key] = value


def _clean_key(key: str) -> str:
    # A caption's tab or line break inside a key must not split a ledger line.
    return key.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def collect_spool(path: str | os.PathLike[str]) -> dict[str, float]:
    """Record the numbers a notebook kernel appended to the spool file at `path`, empty it, return them."""
    p = Path(path)
    entries: dict[str, float] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        key, _, value = line.rpartition("\t")
        entries[key] = float(value)
        record({key: entries[key]})
    p.write_text("", encoding="utf-8")
    return entries


def published() -> dict[str, float]:
    """A copy of everything published since the last reset."""
    return dict(_published)


def conflicts() -> dict[str, list[float]]:
    """Keys published more than once in this build with different values (each value seen, in order)."""
    return {k: list(v) for k, v in _conflicts.items()}


# ---------------------------------------------------------------------------------------------
# The file: one `key<TAB>value` line per number, sorted by key, comments start with '#'.


def dumps(entries: Mapping[str, float]) -> str:
    """The ledger file's text for `entries`: header, then sorted `key<TAB>repr(value)` lines."""
    for key in entries:
        if not key or "\t" in key or "\n" in key or key.startswith("#"):
            raise ValueError(f"ledger key {key!r} is not valid: it must be non-empty, without tabs or newlines")
    return _HEADER + "".join(f"{k}\t{_format(entries[k])}\n" for k in sorted(entries, key=natural))


def loads(text: str, source: str = "<ledger>") -> dict[str, float]:
    """Parse ledger text into {key: value}; raise ValueError naming the line that is malformed."""
    out: dict[str, float] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.rpartition("\t")
        if not sep or not key:
            raise ValueError(f"{source}:{n}: expected 'key<TAB>value', got {line!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{source}:{n}: value {value!r} is not a number (use nan, inf, -inf)") from None
        if key in out:
            raise ValueError(f"{source}:{n}: key {key!r} appears twice")
        out[key] = number
    return out


def save(path: str | os.PathLike[str], entries: Mapping[str, float]) -> None:
    """Write `entries` to `path` as a ledger file (parent directories created)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dumps(entries), encoding="utf-8")


def load(path: str | os.PathLike[str]) -> dict[str, float]:
    """Read the ledger file at `path` into {key: value}."""
    return loads(Path(path).read_text(encoding="utf-8"), source=str(path))


def natural(key: str) -> tuple[tuple[object, ...], str]:
    """Sort key that orders 'x[2]' before 'x[10]'; the key itself breaks ties ('0.01' vs '0.010')."""
    parts: list[object] = _DIGITS.split(key)  # text, digits, text, ...: every odd item is a run of digits
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts), key


def _format(value: float) -> str:
    # repr is the shortest string that reads back to the same float64; it spells nan, inf, -inf.
    return repr(float(value))


# ---------------------------------------------------------------------------------------------
# Keys and comparison.


def split_key(key: str) -> tuple[str, str, str]:
    """(page, experiment, quantity) of a key such as 'fixes/residual/fixes.residual(depth=20)/loss[3]'.

    The page is the leading run of plain path segments (docs paths have no dots except '.ipynb');
    the experiment ends at the first '/' outside parentheses; the quantity is the rest.
    """
    parts = key.split("/")
    n = 1
    while n < len(parts) - 2 and _PAGE_SEGMENT.fullmatch(parts[n]) and not parts[n - 1].endswith(".ipynb"):
        n += 1
    rest = "/".join(parts[n:])
    depth = 0
    for i, ch in enumerate(rest):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "/" and depth == 0:
            return "/".join(parts[:n]), rest[:i], rest[i + 1 :]
    return "/".join(parts[:n]), rest, ""


def page_of(key: str) -> str:
    """The docs/ file that published `key` ('why.md', 'lab/gradient-flow.ipynb')."""
    page = split_key(key)[0]
    return page if page.endswith(".ipynb") else page + ".md"


@dataclass(frozen=True)
class Change:
    """One published number that moved: its key, page, accepted value, new value, relative change."""

    key: str
    page: str
    old: float
    new: float
    rel: float


@dataclass(frozen=True)
class Drift:
    """What differs between the accepted ledger and this build's numbers."""

    changed: tuple[Change, ...] = ()
    gone: tuple[tuple[str, float], ...] = ()  # in the ledger, produced by no page any more
    missing: tuple[tuple[str, float], ...] = ()  # published by a page, not in the ledger
    conflicts: tuple[tuple[str, tuple[float, ...]], ...] = ()  # published twice with different values
    rtol: float = RTOL
    atol: float = ATOL

    @property
    def clean(self) -> bool:
        """True when nothing drifted."""
        return not (self.changed or self.gone or self.missing or self.conflicts)

    def summary(self) -> str:
        """One line: how many entries of each kind."""
        parts = [
            f"{_count(self.changed, 'published number')} changed",
            f"{_count(self.gone, 'ledger entry', 'ledger entries')} no page produces any more",
            f"{_count(self.missing, 'published number')} missing from the ledger",
        ]
        if self.conflicts:
            parts.append(f"{_count(self.conflicts, 'key')} published twice with different values")
        return "; ".join(parts)

    def message(self, ledger_file: str = LEDGER_FILE, limit: int | None = 40) -> str:
        """The report: every drifted entry (up to `limit` per kind) and the command that accepts them."""
        lines = [
            f"Ledger drift against {ledger_file}: {self.summary()} (tolerance: rtol {self.rtol:g}, atol {self.atol:g})."
        ]
        pages = Counter(c.page for c in self.changed) + Counter(page_of(k) for k, _ in self.gone + self.missing)
        if len(pages) > 1:
            lines.append("By page: " + ", ".join(f"{p} {n}" for p, n in sorted(pages.items())))
        more = "  ... and {} more (`python -m vgdocs ledger check` lists them all)"
        if self.changed:
            lines.append("Changed (key [page]: old -> new, relative change):")
            lines += [
                f"  {c.key} [{c.page}]: {_format(c.old)} -> {_format(c.new)}, {_percent(c.rel)}"
                for c in self.changed[:limit]
            ]
            if limit is not None and len(self.changed) > limit:
                lines.append(more.format(len(self.changed) - limit))
        for title, items in (
            ("No page produces these ledger entries any more (key [page]: old value):", self.gone),
            ("Published but missing from the ledger (key [page]: new value):", self.missing),
        ):
            if items:
                lines.append(title)
                lines += [f"  {k} [{page_of(k)}]: {_format(v)}" for k, v in items[:limit]]
                if limit is not None and len(items) > limit:
                    lines.append(more.format(len(items) - limit))
        if self.conflicts:
            lines.append("Published twice in one build with different values (nondeterministic?):")
            lines += [f"  {k} [{page_of(k)}]: " + ", ".join(_format(v) for v in vs) for k, vs in self.conflicts[:limit]]
        if self.conflicts:
            lines.append(
                "A key with two values cannot be accepted: make the result deterministic (seeded, same inputs) "
                "or call it with different arguments."
            )
        if self.changed or self.gone or self.missing:
            lines.append(f"If these changes are intended, accept the new numbers with: {UPDATE_COMMAND}")
        return "\n".join(lines)


def _count(items: tuple[object, ...], one: str, many: str | None = None) -> str:
    return f"{len(items)} {one if len(items) == 1 else many or one + 's'}"


def _percent(rel: float) -> str:
    return "n/a (non-finite)" if math.isnan(rel) else f"{rel * 100:+.4g}%"


def _same_for(
    key: str, old: float, new: float, loose: Mapping[str, tuple[float, float]], rtol: float, atol: float
) -> bool:
    key_rtol, key_atol = tolerance_for(key, split_key(key)[1], loose, rtol, atol)
    return same(old, new, rtol=key_rtol, atol=key_atol)


def compare(
    published: Mapping[str, float],
    recorded: Mapping[str, float],
    rtol: float = RTOL,
    *,
    atol: float = ATOL,
    partial: bool = False,
    conflicts: Mapping[str, list[float]] | None = None,
    loose: Mapping[str, tuple[float, float]] | None = None,
) -> Drift:
    """Drift between the accepted ledger (`published`) and this build's numbers (`recorded`).

    `partial`: the build ran only some pages (a dirty rebuild), so absent keys are not reported.
    `loose`: per-experiment (rtol, atol) for chaotic results; default: this repository's tolerance file.
    """
    loose = tolerances() if loose is None else loose
    # equal floats are the same under any tolerance: only the rest need a key split and a sort
    moved = [k for k in published.keys() & recorded.keys() if published[k] != recorded[k]]
    changed = tuple(
        Change(k, page_of(k), published[k], recorded[k], relative_change(published[k], recorded[k]))
        for k in sorted(moved, key=natural)
        if not _same_for(k, published[k], recorded[k], loose, rtol, atol)
    )
    gone = () if partial else tuple((k, published[k]) for k in sorted(published.keys() - recorded.keys(), key=natural))
    missing = tuple((k, recorded[k]) for k in sorted(recorded.keys() - published.keys(), key=natural))
    clashes = tuple((k, tuple(v)) for k, v in sorted((conflicts or {}).items(), key=lambda kv: natural(kv[0])))
    return Drift(changed, gone, missing, clashes, rtol, atol)


def accept(published: Mapping[str, float], recorded: Mapping[str, float]) -> dict[str, float]:
    """The new ledger: `recorded`, keeping the accepted value wherever it is still within tolerance.

    Keeping those values means the committed file only changes where a number really moved.
    """
    return {k: published[k] if k in published and same(published[k], v) else v for k, v in recorded.items()}


# ---------------------------------------------------------------------------------------------
# The command line (`python -m vgdocs ledger ...`, in vgdocs.cli.site) builds the site in a
# subprocess; the drift hook reads these variables there.

RECORD_ENV = "VGDOCS_LEDGER_RECORD"  # path: the hook writes this build's numbers there
COMPARE_ENV = "VGDOCS_LEDGER_COMPARE"  # "0": the hook does not compare (the caller does)
