"""What changed in the numbers: the ledger's git history, commit by commit, page by page.

Read from `git log -p` of ledger/published.tsv (one git call): for each commit, the published
numbers whose accepted value moved beyond the ledger tolerance (old -> new), and how many entries
it added or removed. Bounded: the latest `commits` commits that touched the ledger, at most `rows`
moved numbers shown per commit (the rest counted). Outside a git checkout it says so.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from vgdocs.publish import cache, ledger
from vgdocs.publish.present.numbers import fmt
from vgdocs.publish.site import conventions

__all__ = ["LedgerCommit", "history", "markdown", "repo_url"]

# The default of mkdocs.yml's repo_url; CI sets VGDOCS_REPO_URL to the repository it runs in.
_DEFAULT_REPO = "https://github.com/vgdocs/vanishing-gradients-live"


def repo_url() -> str:
    """The repository the site links to (commits, edit links): $VGDOCS_REPO_URL or the project's."""
    return os.environ.get("VGDOCS_REPO_URL", _DEFAULT_REPO)


@dataclass
class LedgerCommit:
    """One commit that touched the ledger: what moved, what was added and removed."""

    sha: str
    time: int
    subject: str
    moved: list[ledger.Change] = field(default_factory=list)
    added: int = 0
    removed: int = 0


def history(root: str | Path, *, commits: int = 12) -> list[LedgerCommit] | None:
    """The latest `commits` commits that changed ledger/published.tsv, newest first; None without git."""
    out = conventions.git_log(
        root,
        "--first-parent",  # main's own history: a merge shows what it brought in (vs its first parent)
        "-m",
        "-p",
        "-U0",
        "--no-color",
        "--format=@@@%H %ct %s",
        f"-n{commits}",
        "--",
        ledger.LEDGER_FILE,
    )
    if out is None:
        return None
    found: list[LedgerCommit] = []
    for chunk in out.split("@@@")[1:]:
        head, _, diff = chunk.partition("\n")
        sha, stamp, subject = [*head.split(" ", 2), ""][:3]
        old, new = _side(diff, "-"), _side(diff, "+")
        moved = ledger.compare(old, new)
        found.append(LedgerCommit(sha, int(stamp), subject, list(moved.changed), len(moved.missing), len(moved.gone)))
    return found


def _side(diff: str, sign: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in diff.splitlines():
        if line.startswith(sign) and not line.startswith(sign * 3) and "\t" in line and not line[1:].startswith("#"):
            key, _, value = line[1:].rpartition("\t")
            try:
                out[key] = float(value)
            except ValueError:
                continue
    return out


def markdown(root: str | Path, *, commits: int = 12, rows: int = 15, repo_url: str = "") -> str:
    """The page's body: one section per commit with a table page | quantity | old -> new.

    Inside a build the body is kept in the experiment cache under the checkout's HEAD commit (the
    history `git log` reads is fixed by it), so a warm build skips reading and comparing the diffs.
    """
    head = conventions.git_head(root)
    if head is None or not cache.is_active():
        return _markdown(root, commits=commits, rows=rows, repo_url=repo_url)
    key = repr((head, commits, rows, repo_url))
    return cache.memoize(
        "site.changes", key, __name__, lambda: _markdown(root, commits=commits, rows=rows, repo_url=repo_url)
    )


def _markdown(root: str | Path, *, commits: int, rows: int, repo_url: str) -> str:
    found = history(root, commits=commits)
    if found is None:
        return "This copy of the site was built outside a git checkout, so the ledger's history is not available."
    if not found:
        return "The ledger has no history yet."
    parts = []
    for c in found:
        day = dt.datetime.fromtimestamp(c.time, tz=dt.UTC).date().isoformat()
        link = f"[`{c.sha[:10]}`]({repo_url.rstrip('/')}/commit/{c.sha})" if repo_url else f"`{c.sha[:10]}`"
        parts.append(f"### {day}: {c.subject.replace('|', '/')[:140]}\n")
        parts.append(
            f"Commit {link}: {len(c.moved)} published number{'s' * (len(c.moved) != 1)} moved, "
            f"{c.added} added, {c.removed} removed.\n"
        )
        if c.moved:
            parts.append("| page | quantity | old → new | change |\n| --- | --- | --- | --- |")
            for ch in c.moved[:rows]:
                _, experiment, quantity = ledger.split_key(ch.key)
                change = "n/a" if ch.rel != ch.rel else f"{ch.rel * 100:+.3g} %"
                what = f"`{experiment}` {quantity.replace('|', '/')}"
                parts.append(f"| {ch.page} | {what} | {fmt(ch.old)} → {fmt(ch.new)} | {change} |")
            if len(c.moved) > rows:
                parts.append(f"\n… and {len(c.moved) - rows} more in this commit (`git show {c.sha[:10]}`).")
        parts.append("")
    return "\n".join(parts)
