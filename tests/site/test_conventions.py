"""Engine-independent pieces of the site: the record check, the site comparison, BibTeX, ledger history."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from vgdocs.publish import ledger
from vgdocs.publish.site import changes, conventions, engines
from vgdocs.publish.site.mathml import makeExtension

REPO = Path(__file__).resolve().parents[2]


def test_every_engine_command_is_built_in_one_place_and_bad_names_are_refused() -> None:
    assert engines.command("build", engine="properdocs")[1:] == ["-m", "properdocs", "build", "--strict"]
    with pytest.raises(ValueError, match="mkdocs, properdocs, zensical"):
        engines.command("build", engine="hugo")


def test_check_compares_a_build_record_with_the_ledger_and_fails_without_one(tmp_path: Path) -> None:
    accepted = {"why/why.f()/x": 1.0, "why/why.f()/y": 2.0}
    (tmp_path / "ledger.tsv").write_text(ledger.dumps(accepted))
    site = tmp_path / "site"
    site.mkdir()
    ok, text = engines.check(site, tmp_path / "ledger.tsv")
    assert not ok and "did not run" in text
    ledger.save(engines.record_dir(site) / "published.tsv", {**accepted, "why/why.f()/y": 2.002})
    ok, text = engines.check(site, tmp_path / "ledger.tsv")
    assert not ok and "why/why.f()/y" in text  # a 0.1 % move is drift
    ledger.save(engines.record_dir(site) / "published.tsv", accepted)
    assert engines.check(site, tmp_path / "ledger.tsv")[0]


def test_site_comparison_separates_the_generator_tag_from_real_differences(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root, gen, body in ((a, "mkdocs-1.6.1", "x"), (b, "properdocs-1.6.7", "x")):
        (root / "p").mkdir(parents=True)
        (root / "p" / "index.html").write_text(f'<meta name="generator" content="{gen}"><p>{body}</p>')
        (root / "same.css").write_text("body{}")
    (b / "extra.js").write_text("")
    verdict = engines.compare_sites(a, b)
    assert verdict["generator-only"] == ["p/index.html"] and verdict["identical"] == ["same.css"]
    assert verdict["only_b"] == ["extra.js"] and verdict["differ"] == []


def test_bibtex_entry_names_the_page_its_url_and_the_last_commit_date() -> None:
    cff = conventions.citation(REPO)
    entry = conventions.bibtex(cff, title="Why it happens", url="https://x.test/why/", src="why.md", stamp=0)
    assert entry.startswith("@misc{vgdocs-why,") and "{{Why it happens}}" in entry
    assert "{https://x.test/why/}" in entry and "{1970}" in entry and cff["authors"][0]["name"] in entry


def test_last_updated_dates_come_from_git() -> None:
    dates = conventions.git_dates(REPO, "docs")
    expected = subprocess.run(
        ["git", "log", "-1", "--first-parent", "--format=%ct", "--", "docs/why.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert dates["why.md"] == int(expected)


def test_numbers_changed_history_matches_git_for_the_latest_ledger_commit() -> None:
    found = changes.history(REPO, commits=3)
    assert found, "the ledger has git history in this checkout"
    latest = found[0]
    shown = subprocess.run(
        ["git", "show", f"{latest.sha}:{ledger.LEDGER_FILE}"], cwd=REPO, capture_output=True, text=True
    ).stdout
    parent = subprocess.run(
        ["git", "show", f"{latest.sha}^:{ledger.LEDGER_FILE}"], cwd=REPO, capture_output=True, text=True
    ).stdout
    drift = ledger.compare(ledger.loads(parent) if parent else {}, ledger.loads(shown))
    assert [c.key for c in latest.moved] == [c.key for c in drift.changed]
    assert (latest.added, latest.removed) == (len(drift.missing), len(drift.gone))


def test_the_history_page_body_is_kept_under_head_and_made_again_when_head_moves(tmp_path: Path) -> None:
    """Inside a build the page's body comes from the cache while HEAD stays; a new commit makes it again."""
    from vgdocs.publish import cache

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True)

    (tmp_path / "ledger").mkdir()
    git("init", "-q")
    for n, value in enumerate(("0.5", "0.25")):
        (tmp_path / ledger.LEDGER_FILE).write_text(f"why/demo/x\t{value}\n")
        git("add", "-A")
        git("commit", "-qm", f"ledger {n}")
    cache.activate(None)
    try:
        first = changes.markdown(tmp_path)
        assert changes.markdown(tmp_path) == first and cache.stats()["hits"] == 1
        assert first == changes._markdown(tmp_path, commits=12, rows=15, repo_url="")  # the same page, made anew
        (tmp_path / ledger.LEDGER_FILE).write_text("why/demo/x\t0.125\n")
        git("commit", "-qam", "ledger 2")
        third = changes.markdown(tmp_path)
        assert third != first and "0.125" in third and cache.stats()["misses"] == 2
    finally:
        cache.deactivate()


def test_mathml_is_a_markdown_extension() -> None:
    import markdown

    md = markdown.Markdown(
        extensions=["pymdownx.arithmatex", makeExtension()],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    html = md.convert("Inline $x^2$ and\n\n$$\\frac{1}{2}$$\n")
    assert html.count("<math") == 2 and "arithmatex" not in html


def test_the_svg_favicon_is_inlined_so_no_navigation_fetches_it() -> None:
    """Chromium fetches a favicon file again after every navigation (same-document ones too), and a
    following navigation cuts that fetch off; inline, the icon needs no request."""
    from urllib.parse import unquote

    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">\n  <rect fill="#3f51b5"/>\n</svg>\n'
    uri = conventions.favicon_data_uri(svg)
    assert uri.startswith("data:image/svg+xml,") and "#" not in uri and '"' not in uri
    assert unquote(uri.removeprefix("data:image/svg+xml,")) == " ".join(svg.split()).replace('"', "'")
    page = '<head><link rel="icon" href="../assets/favicon.svg"><link rel="stylesheet" href="a.css"></head>'
    assert conventions.inline_favicon(page, "favicon.svg", uri) == page.replace("../assets/favicon.svg", uri)
    other = '<link rel="icon" href="../assets/images/favicon.png">'
    assert conventions.inline_favicon(other, "favicon.svg", uri) == other
