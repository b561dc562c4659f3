"""Kept renders (vgdocs.publish.site.rendered, hook reuse.py): a kept page is indistinguishable from a rendered one.

Each test builds a throwaway git checkout twice with the caches on; the second build keeps what did
not change. The independent reference is the first build (every page rendered, every block run):
the HTML, the ledger's numbers and the claims recorded must be the same bytes.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.site.conftest import PROJECT_ENV, make_project, mkdocs_build
from vgdocs.publish import ledger

PAGE = """# Kept page

Some prose, then a block whose output holds a heading (the table of contents must list it), a
table that reaches the ledger, a claim and a file written beside the pages.

```python exec="on" id="kept-block"
from vgdocs.publish import assets, claims
from vgdocs.publish.claims import Claim
from vgdocs.publish.present import table
from vgdocs.publish.present.spec import Table

claims.file(None, "demo", Claim("demo.quarter", "A quarter is {q}.", True, {"q": 0.25}), "A quarter is 0.25.")
assets.emit("assets/demo.json", '{"q": 0.25}')
print("## From the block\\n")
print(table(Table(headers=("n", "bound"), rows=((1, 0.25), (10, 0.25**10)), caption="Bound")))
```

See [the other page](other.md#target).
"""
OTHER = "# Other page\n\n## Target\n\nText.\n"
TITLELESS = "Text before any heading.\n\n# Late heading\n"


def _git(root, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True, capture_output=True
    )


def _checkout(tmp_path, pages):
    config = make_project(tmp_path / "p", pages)
    (config.parent / ".gitignore").write_text(".cache/\n/site*/\n")
    _git(config.parent, "init", "-q")
    _git(config.parent, "add", "-A")
    _git(config.parent, "commit", "-qm", "pages")
    return config


def _build(config, name):
    root = config.parent
    env = {
        **PROJECT_ENV,
        "VGDOCS_CACHE": "1",
        # outside the checkout: a new untracked file in it is a changed input (nothing would be kept)
        "VGDOCS_LEDGER_RECORD": str(root.parent / f"{name}.tsv"),
        "VGDOCS_CLAIMS_RECORD": str(root.parent / f"{name}.json"),
    }
    return mkdocs_build(config, root / f"site-{name}", env=env)


def _html(site):
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.html"))}


@pytest.mark.slow
def test_a_kept_page_gives_the_same_html_numbers_and_claims_as_rendering_it(tmp_path):
    config = _checkout(tmp_path, {"index.md": PAGE, "other.md": OTHER, "titleless.md": TITLELESS})
    first = _build(config, "first")
    assert first.returncode == 0, first.output[-4000:]
    assert "unchanged since" not in first.output
    second = _build(config, "second")
    assert second.returncode == 0, second.output[-4000:]
    assert "3 of 3 pages unchanged since their last render: kept" in second.output
    root = config.parent.parent
    assert _html(second.site) == _html(first.site)
    assert (second.site / "assets" / "demo.json").read_bytes() == b'{"q": 0.25}'
    numbers = ledger.load(root / "second.tsv")
    assert numbers == ledger.load(root / "first.tsv")
    assert numbers["index/table:Bound/row1.bound"] == 0.25**10
    claims = json.loads((root / "second.json").read_text())
    assert claims == json.loads((root / "first.json").read_text()) and len(claims) == 1
    page = (second.site / "index.html").read_text(encoding="utf-8")
    assert 'href="#kept-block-from-the-block"' in page  # the block's heading is in the kept table of contents
    # titles: from the opening heading the stub keeps, and from the file name when no heading opens the page
    assert "<title>Other page -" in (second.site / "other" / "index.html").read_text(encoding="utf-8")
    assert "<title>Titleless -" in (second.site / "titleless" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_an_edit_renders_the_edited_page_and_links_into_it_are_still_checked(tmp_path):
    config = _checkout(tmp_path, {"index.md": PAGE, "other.md": OTHER})
    assert _build(config, "first").returncode == 0
    (config.parent / "docs" / "other.md").write_text("# Other page\n\n## Renamed\n\nText.\n")
    second = _build(config, "second")
    assert "1 of 2 pages unchanged since their last render: kept" in second.output
    # index.md was kept, yet its link to the anchor that went away is reported, and fails the strict build
    assert second.returncode != 0
    assert "index.md" in second.output and "#target" in second.output


@pytest.mark.slow
def test_a_page_that_warns_is_never_kept_so_it_warns_on_every_build(tmp_path):
    broken = "# Broken\n\nA link to [nowhere](missing.md).\n"
    config = _checkout(tmp_path, {"index.md": OTHER, "broken.md": broken})
    for name in ("first", "second"):
        build = _build(config, name)
        assert build.returncode != 0 and "missing.md" in build.output
    assert "1 of 2 pages unchanged since their last render: kept" in build.output


@pytest.mark.slow
def test_nothing_is_kept_in_a_cold_build(tmp_path):
    config = _checkout(tmp_path, {"index.md": OTHER})
    for _ in range(2):
        build = mkdocs_build(config, config.parent / "site-cold", env=PROJECT_ENV)  # VGDOCS_CACHE=0
        assert build.returncode == 0 and "unchanged since" not in build.output
    assert not (config.parent / ".cache" / "pages").exists()


@pytest.mark.slow
def test_editing_a_file_beside_the_pages_renders_every_page_again(tmp_path):
    """A page could include any file under docs/ (a snippet, an asset): a changed one keeps nothing."""
    config = _checkout(tmp_path, {"index.md": OTHER, "other.md": OTHER, "assets/x.css": "a {}\n"})
    assert _build(config, "first").returncode == 0
    assert "2 of 2 pages unchanged" in _build(config, "second").output
    (config.parent / "docs" / "assets" / "x.css").write_text("a { color: red }\n")
    third = _build(config, "third")
    assert third.returncode == 0 and "unchanged since" not in third.output
