"""What readers of other Material sites expect on each page: a last-updated date from git and a
"Cite this page" BibTeX entry built from CITATION.cff. Plain functions; the page hook calls them.

Both are reproducible: the date is the committer date of the last commit that touched the page's
source (the same for every build of a commit), and the BibTeX entry uses that date, the page's
title and URL and the citation file, nothing from the clock.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import yaml

__all__ = ["bibtex", "citation", "git_dates", "updated_html"]


def git_dates(root: str | Path, folder: str = "docs") -> dict[str, int]:
    """{path under `folder`: unix time it last changed on this branch (first-parent history, so a merge
    dates what it brought in)}; empty outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "log", "--first-parent", "-m", "--format=@%ct", "--name-only", "--no-renames", "--", folder],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    dates: dict[str, int] = {}
    stamp = 0
    prefix = folder.rstrip("/") + "/"
    for line in out.splitlines():
        if line.startswith("@"):
            stamp = int(line[1:])
        elif line.startswith(prefix):
            dates.setdefault(line[len(prefix) :], stamp)  # newest first: keep the first seen
    return dates


def updated_html(stamp: int) -> str:
    """The date as Material shows a revision date, with a machine-readable <time>."""
    day = dt.datetime.fromtimestamp(stamp, tz=dt.UTC).date()
    return f'<time class="vg-updated" datetime="{day.isoformat()}">{day.day} {day:%B %Y}</time>'


def citation(root: str | Path) -> dict:
    """CITATION.cff at `root`, parsed ({} when absent)."""
    path = Path(root) / "CITATION.cff"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def bibtex(cff: dict, *, title: str, url: str, src: str, stamp: int | None) -> str:
    """A BibTeX @misc entry for one page: authors, version and site title from CITATION.cff."""
    authors = " and ".join(
        "{" + a["name"] + "}" if "name" in a else f"{a.get('family-names', '')}, {a.get('given-names', '')}"
        for a in cff.get("authors", [])
    )
    key = "vgdocs-" + (re.sub(r"[^a-z0-9]+", "-", src.lower().rsplit(".", 1)[0]).strip("-") or "home")
    fields = [
        ("author", authors or "{Vanishing Gradients, live}"),
        ("title", f"{{{title}}}"),
        ("howpublished", f"{{{cff.get('title', 'Vanishing Gradients, live')}}}, version {cff.get('version', '')}"),
        ("url", url),
    ]
    if stamp is not None:
        day = dt.datetime.fromtimestamp(stamp, tz=dt.UTC).date()
        fields += [("year", str(day.year)), ("month", day.strftime("%b").lower()), ("note", f"Last updated {day}")]
    body = ",\n".join(f"  {name:<12} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"
