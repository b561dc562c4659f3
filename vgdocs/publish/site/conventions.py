"""What readers of other Material sites expect on each page: a last-updated date from git and a
"Cite this page" BibTeX entry built from CITATION.cff, and the favicon. Plain functions; the page
hook calls them.

The favicon travels inside each page as a data: URI (about 0.5 kB). As a file, Chromium fetches it
again after every navigation, including same-document ones: each history entry the explorer
pushes, each hash the reader follows. Such a fetch starts only after the page stops loading, so a
navigation that follows cuts it off (a failed request, net::ERR_ABORTED). Inline, there is no
request to cut off, and no request per page view either.

Both are reproducible: the date is the committer date of the last commit that touched the page's
source (the same for every build of a commit), and the BibTeX entry uses that date, the page's
title and URL and the citation file, nothing from the clock.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import urllib.parse
from pathlib import Path

import yaml

__all__ = [
    "bibtex",
    "citation",
    "favicon_data_uri",
    "git_dates",
    "git_head",
    "git_log",
    "inline_favicon",
    "updated_html",
]


def git_log(root: str | Path, *args: str) -> str | None:
    """The output of `git log *args` run in `root`; None outside a git checkout or without git."""
    try:
        return subprocess.run(["git", "log", *args], cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def git_head(root: str | Path) -> str | None:
    """The commit `root`'s checkout is at; None outside a git checkout or without git."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def git_dates(root: str | Path, folder: str = "docs") -> dict[str, int]:
    """{path under `folder`: unix time it last changed on this branch (first-parent history, so a merge
    dates what it brought in)}; empty outside a git checkout."""
    out = git_log(root, "--first-parent", "-m", "--format=@%ct", "--name-only", "--no-renames", "--", folder)
    if out is None:
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


_ICON = re.compile(r'<link rel="icon" href="[^"]*?([^"/]+\.svg)">')


def favicon_data_uri(svg: str) -> str:
    """`svg` (the favicon's text) as a data: URI: whitespace collapsed, attribute quotes made single
    (when the text has none) so that they need no escaping in the page's href="..."."""
    text = " ".join(svg.split())
    if "'" not in text:
        text = text.replace('"', "'")
    return "data:image/svg+xml," + urllib.parse.quote(text, safe=" /:=',;()<>")


def inline_favicon(html: str, name: str, uri: str) -> str:
    """`html` with its <link rel="icon"> to the SVG file `name` pointing at `uri` instead."""
    return _ICON.sub(lambda m: f'<link rel="icon" href="{uri}">' if m[1] == name else m[0], html, count=1)
