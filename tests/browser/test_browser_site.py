"""Every page of the built site, checked in Chromium: network, console, figures, math, palettes, axe, links, weight."""

from __future__ import annotations

import re

import pytest

from tests.browser import browser_checks as bc

pytestmark = pytest.mark.browser

# query -> pages that may answer it; the reader must see one of them among the first SEARCH_TOP results.
EXPECTED_SEARCH = {
    "ReLU": ("fixes/activations/", "why/"),
    "clipping": ("fixes/clipping/",),
    "LSTM": ("rnn/",),
}
SEARCH_TOP = 3


def _only(report, *checks) -> list[bc.Problem]:
    return [p for problems in report.values() for p in problems if p.check in checks]


def _message(problems) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(map(str, problems))


def test_site_has_home_and_the_pages_searched_for(pages):
    expected = {"", *(p for options in EXPECTED_SEARCH.values() for p in options[:1])}
    assert expected <= set(pages), f"missing pages: {sorted(expected - set(pages))}; built: {pages}"


def test_every_problem_kind_has_a_test(report):
    assert {p.check for ps in report.values() for p in ps} <= set(bc.CHECKS)


def test_no_request_leaves_the_local_server(report):
    problems = _only(report, "third-party")
    assert not problems, _message(problems)


def test_no_console_error_or_failed_request(report):
    problems = _only(report, "load", "console", "failed-request")
    assert not problems, _message(problems)


def test_every_figure_is_visible_with_a_text_alternative(report, site, pages):
    assert sum(bc.page_sizes.measure(site.root, bc.page_file(site.root, p)).figures for p in pages) > 0, (
        "the site has no <figure> at all: the figure check would pass vacuously"
    )
    problems = _only(report, "figure")
    assert not problems, _message(problems)


def test_math_is_typeset_as_mathml(report):
    problems = _only(report, "math")
    assert not problems, _message(problems)


def test_palette_toggle_works_and_figure_text_is_legible_in_both_palettes(report):
    problems = _only(report, "palette", "contrast", "dark-mode")
    assert not problems, _message(problems)


def test_no_serious_or_critical_wcag_violation(report):
    problems = _only(report, "axe")
    assert not problems, _message(problems)


def test_internal_links_and_anchors_resolve(report):
    problems = _only(report, "link", "anchor")
    assert not problems, _message(problems)


def test_each_page_is_within_its_byte_budget(report, site):
    notebooks = sorted(p for p in (bc.REPO / "docs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    built = [s.page for s in bc.page_sizes.page_sizes(site.root) if s.notebook]
    assert len(built) >= len(notebooks), f"notebooks {notebooks} but notebook pages built: {built}"
    problems = _only(report, "weight")
    assert not problems, _message(problems)


@pytest.mark.parametrize("query", sorted(EXPECTED_SEARCH))
def test_search_lists_the_expected_page_near_the_top(session_page, site, query):
    page, recorder = session_page
    found = bc.search(page, site, query)
    leaks = [p for p in recorder.take(f"search?q={query}") if p.check in ("third-party", "failed-request")]
    assert not leaks, _message(leaks)
    expected = EXPECTED_SEARCH[query]
    assert set(found[:SEARCH_TOP]) & set(expected), (
        f"search for {query!r} listed {found[:SEARCH_TOP] or 'nothing'} first; expected one of {expected}"
    )


def test_each_page_has_edit_link_last_updated_date_favicon_logo_and_cite_box(report):
    problems = _only(report, "convention")
    assert not problems, _message(problems)


def test_numbers_changed_page_lists_ledger_commits_with_old_and_new_values(site, pages):
    """The page is generated from the ledger's git history: a section per commit, moved numbers as old → new."""
    assert "changes/" in pages, f"no numbers-changed page among {pages}"
    html = bc.page_file(site.root, "changes/").read_text(encoding="utf-8")
    commits = re.findall(r"/commit/([0-9a-f]{40})", html)
    assert commits, "the numbers-changed page links to no commit"
    assert len(commits) <= 12, "the page is bounded to the latest 12 ledger commits"
    assert "→" in html and "published number" in html
