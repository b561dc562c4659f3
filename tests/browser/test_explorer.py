"""The explorer and the diagnose page in Chromium: keyboard use, ledger values, URL hash, axe, network, weight.

Run alone on a built site: VGDOCS_SITE_DIR=/tmp/site pytest tests/browser/test_explorer.py
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.browser import browser_checks as bc
from vgdocs.experiments.explorer import cell_key
from vgdocs.publish import ledger

pytestmark = pytest.mark.browser

GOLDEN = json.loads((Path(__file__).parents[1] / "fixtures" / "diagnose_golden.json").read_text())
ACCEPTED = ledger.load(bc.REPO / ledger.LEDGER_FILE)
EXPLORER, DIAGNOSE = "explorer/", "diagnose-your-run/"
DEFAULT = "act=relu&init=he&sw=2&depth=20&norm=none&res=plain&hist=first"


def _state(page) -> dict[str, str]:
    pairs = page.evaluate("location.hash").lstrip("#").split("&")
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def _ledger_ratio(state: dict[str, str]) -> float:
    init = f"sw{state['sw']}" if state["init"] == "custom" else state["init"]
    cell = cell_key(state["act"], init, int(state["depth"]), state["norm"], state["res"])
    return ACCEPTED[f"explorer/explorer.grid()/ratio.{cell}"]


def _shown_ratio(page) -> str:
    page.wait_for_function("() => (document.querySelector('.vg-x-ratio') || {}).textContent")
    return page.text_content(".vg-x-ratio")


def _assert_matches_ledger(page, what: str) -> dict[str, str]:
    state = _state(page)
    assert _shown_ratio(page) == format(_ledger_ratio(state), ".3g"), f"after {what}: state {state}"
    summary = page.text_content(".vg-x-summary")
    assert format(_ledger_ratio(state), ".3g") in summary, "the live summary speaks the ratio"
    return state


@pytest.fixture
def tab(session_page, site):
    page, recorder = session_page
    recorder.take("setup")
    yield page, recorder
    recorder.settle(page)
    assert recorder.take("explorer tests") == [], "a request left the origin, failed, or the console logged an error"


def test_pages_pass_every_site_check(tab, site):
    """Figures, math, axe (no serious/critical violation), palettes, links, page weight, no third-party request."""
    page, recorder = tab
    for name in (EXPLORER, DIAGNOSE):
        problems = bc.check_page(page, recorder, site, name)
        assert problems == [], "\n".join(map(str, problems))


def test_keyboard_changes_each_control_and_ratio_is_the_ledgers(tab, site):
    page, _ = tab
    page.goto(site.url(EXPLORER) + "#" + DEFAULT, wait_until="load")
    seen = [_assert_matches_ledger(page, "loading the default")]
    page.focus("#vg-x-act")
    page.keyboard.press("ArrowDown")  # activation
    seen.append(_assert_matches_ledger(page, "activation"))
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # initialisation
    seen.append(_assert_matches_ledger(page, "initialisation"))
    page.keyboard.press("End")  # the last choice: normal weights with sigma_w^2 from the slider
    seen.append(_assert_matches_ledger(page, "custom initialisation"))
    page.keyboard.press("Tab")  # the sigma_w^2 slider, now enabled
    page.keyboard.press("ArrowRight")
    seen.append(_assert_matches_ledger(page, "sigma_w^2 slider"))
    page.keyboard.press("Tab")  # depth
    page.keyboard.press("End")
    seen.append(_assert_matches_ledger(page, "depth"))
    assert seen[-1]["depth"] == "50"
    assert page.get_attribute("#vg-x-depth", "aria-valuetext") == "50 hidden layers"
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # layer normalisation
    seen.append(_assert_matches_ledger(page, "normalisation"))
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # residual connections
    seen.append(_assert_matches_ledger(page, "residual"))
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # histogram layer
    seen.append(_assert_matches_ledger(page, "histogram layer"))
    keys = ("act", "init", "sw", "depth", "norm", "res", "hist")
    changed = {k for a, b in itertools.pairwise(seen) for k in keys if a[k] != b[k]}
    assert changed == set(keys), "every control changed the configuration"
    page.go_back()  # back undoes the histogram choice
    page.wait_for_function(f"() => !location.hash.includes('hist={seen[-1]['hist']}')")
    assert page.input_value("#vg-x-hist") == seen[-2]["hist"]
    _assert_matches_ledger(page, "back")


def test_hash_restores_a_configuration_on_reload(tab, site):
    page, recorder = tab
    url = site.url(EXPLORER) + "#act=tanh&init=custom&sw=3&depth=30&norm=layer&res=residual&hist=last"
    page.goto(url, wait_until="load")
    recorder.settle(page)  # a reload would cut off the favicon request still in flight
    page.reload(wait_until="load")
    _shown_ratio(page)
    assert page.input_value("#vg-x-act") == "tanh"
    assert page.input_value("#vg-x-init") == "custom"
    assert page.is_checked("#vg-x-norm") and page.is_checked("#vg-x-res")
    assert page.text_content("output[for=vg-x-depth]") == "30"
    _assert_matches_ledger(page, "reload")


def test_axe_on_the_explorer_after_interaction(tab, site):
    page, _ = tab
    page.goto(site.url(EXPLORER) + "#act=sigmoid&init=small&depth=50", wait_until="load")
    _shown_ratio(page)
    assert bc.check_axe(page, EXPLORER, label="after interaction") == []


@pytest.mark.parametrize("fixture", GOLDEN["golden"], ids=lambda f: f["name"])
def test_diagnose_page_gives_pythons_verdict(tab, site, fixture):
    page, _ = tab
    if not page.url.startswith(site.url(DIAGNOSE)):
        page.goto(site.url(DIAGNOSE), wait_until="load")
    page.fill("#vg-diagnose-input", fixture["input"])
    page.focus("form.vg-diagnose button")
    page.keyboard.press("Enter")
    result = page.locator(".vg-diagnose-result")
    assert result.get_attribute("data-verdict") == fixture["verdict"]
    assert result.get_attribute("data-explanation") == fixture["explanation"]


@pytest.mark.parametrize("fixture", GOLDEN["bad"], ids=lambda f: f["name"])
def test_diagnose_page_explains_bad_input(tab, site, fixture):
    page, _ = tab
    if not page.url.startswith(site.url(DIAGNOSE)):
        page.goto(site.url(DIAGNOSE), wait_until="load")
    page.fill("#vg-diagnose-input", fixture["input"])
    page.click("form.vg-diagnose button")
    result = page.locator(".vg-diagnose-result")
    assert result.get_attribute("data-verdict") == "error"
    assert result.text_content().startswith("Cannot judge this input: ")
    assert len(result.text_content()) > len("Cannot judge this input: ") + 10
