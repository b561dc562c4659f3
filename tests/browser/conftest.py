"""Fixtures for the browser suite: the site built once, served on 127.0.0.1, one Chromium, one page.

Set VGDOCS_SITE_DIR to a directory already holding a fresh `mkdocs build --strict` of this repo to skip
the build; otherwise they use the run's one build (tests/conftest.py, real_site).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import browser_checks as bc


@pytest.fixture(scope="session")
def site_dir(request) -> Path:
    """A strict build of the site: VGDOCS_SITE_DIR if given, else the run's one build (real_site)."""
    given = os.environ.get("VGDOCS_SITE_DIR")
    if given:
        path = Path(given).resolve()
        if not (path / "index.html").is_file():
            raise RuntimeError(f"VGDOCS_SITE_DIR={given} holds no built site (no index.html)")
        return path
    build = request.getfixturevalue("real_site")
    if build.returncode != 0:
        raise RuntimeError(f"mkdocs build --strict failed ({build.returncode}):\n{build.output[-6000:]}")
    return build.site


@pytest.fixture(scope="session")
def site(site_dir) -> bc.Site:
    """The built site served on a free port of 127.0.0.1."""
    with bc.serve(site_dir) as base:
        yield bc.Site(root=site_dir, base_url=base, docs_dir=bc.REPO / "docs")


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """One Chromium for the whole suite."""
    b = bc.launch_browser(playwright_instance)
    yield b
    b.close()


@pytest.fixture(scope="session")
def session_page(browser, site):
    """One tab in one light-scheme context, every request routed through a Recorder."""
    context = bc.new_context(browser)
    recorder = bc.Recorder(site.base_url).attach(context)
    page = context.new_page()
    recorder.watch(page)
    yield page, recorder
    context.close()


@pytest.fixture(scope="session")
def pages(site) -> list[str]:
    """Every page of the built site, as site-relative URLs."""
    return bc.discover_pages(site.root)


@pytest.fixture(scope="session")
def report(session_page, site, pages) -> dict[str, list[bc.Problem]]:
    """Every page visited once with every check: page URL -> problems."""
    page, recorder = session_page
    out = {}
    for name in pages:
        try:
            out[name] = bc.check_page(page, recorder, site, name)
        except Exception as exc:  # one page that hangs or crashes must not hide the others' results
            out[name] = [bc.Problem("load", name, f"checking the page raised {type(exc).__name__}: {exc}")]
    return out


def pytest_collection_modifyitems(session, config, items):
    """Browser tests run last and, under pytest-xdist, all on one worker (one Chromium, one visit per page)."""
    here = Path(__file__).parent
    items.sort(key=lambda item: Path(str(item.path)).is_relative_to(here))
    for item in items:
        if Path(str(item.path)).is_relative_to(here):
            item.add_marker(pytest.mark.xdist_group("browser"))
