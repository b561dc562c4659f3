"""The browser suite's text-only checks (no browser): raw TeX, math in sources, links and anchors, page sizes."""

from __future__ import annotations

import json

import pytest

from tests.browser import browser_checks as bc

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="../assets/site.css"><link rel="canonical" href="https://example.org/why/">
<script src="{script}"></script></head><body><article>
<h2 id="sigmoid-slope">Slope</h2><a href="#sigmoid-slope">here</a> <a href="{link}">there</a>
<a href="https://arxiv.org/abs/1211.5063">paper</a> <a href="mailto:a@b.c">mail</a>
<figure><svg role="img" aria-label="x"><path d="M0 0"/></svg></figure>
<style>{css}</style></article></body></html>"""


def _site(tmp_path, link="../#top", script="../assets/app.js", css=""):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "site.css").write_text("")
    (tmp_path / "assets" / "app.js").write_text("")
    (tmp_path / "index.html").write_text('<html><body><h1 id="top">Home</h1></body></html>')
    (tmp_path / "why").mkdir()
    (tmp_path / "why" / "index.html").write_text(PAGE.format(link=link, script=script, css=css))
    return tmp_path


def test_links_to_existing_pages_and_anchors_pass(tmp_path):
    assert bc.check_links(_site(tmp_path), "why/") == []


@pytest.mark.parametrize(
    ("link", "check", "text"),
    [
        ("../#nowhere", "anchor", "no id='nowhere' in /index.html"),
        ("../what/", "link", "no such page"),
        ("#no-such-section", "anchor", "no id='no-such-section' in /why/index.html"),
    ],
)
def test_broken_links_and_anchors_are_reported(tmp_path, link, check, text):
    problems = bc.check_links(_site(tmp_path, link=link), "why/")
    assert [p.check for p in problems] == [check] and text in problems[0].detail, problems


def test_a_script_from_another_host_is_reported_and_a_link_to_one_is_not(tmp_path):
    problems = bc.check_links(_site(tmp_path, script="https://cdn.example.com/x.js"), "why/")
    assert [(p.check, p.detail) for p in problems] == [
        ("third-party", "<script> loads https://cdn.example.com/x.js from another host")
    ]


def test_page_weight_counts_inline_svg_and_flags_inline_css_over_budget(tmp_path):
    site = _site(tmp_path, css="a{}" * 40_000)
    size = bc.page_sizes.measure(site, site / "why" / "index.html")
    assert size.figures == 1 and size.svg == len('<svg role="img" aria-label="x"><path d="M0 0"/></svg>')
    assert [p.detail.split(" is ")[0] for p in bc.check_weight(site, "why/")] == ["inline <style>"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (r"the bound $$\frac{1}{4}$$ per layer", ["$$", "TeX command"]),
        (r"slope \(\sigma'(z)\) is small", [r"\( \) \[ \]", "TeX command"]),
        (r"with $x_i$ inputs", ["$...$ with TeX"]),
        ("costs 5 dollars, not $5 or $6; a path C:/x", []),
        ("gradient ‖∂L/∂W‖ ≤ 0.25ⁿ", []),
    ],
)
def test_raw_tex_finds_unrendered_math_only(text, found):
    assert [h.split(": ", 1)[0] for h in bc.raw_tex(text)] == found


def test_source_math_ignores_code_and_reads_notebook_markdown_cells(tmp_path):
    md = tmp_path / "a.md"
    md.write_text("Prose.\n\n```python\nx = '$a_b$'\n```\n\nand `$x^2$` in code\n")
    assert not bc.source_uses_math(md)
    md.write_text("The slope is $\\sigma'(z)$.\n")
    assert bc.source_uses_math(md)
    nb = tmp_path / "n.ipynb"
    cells = [{"cell_type": "code", "source": ["print('$x$')"]}, {"cell_type": "markdown", "source": ["No math."]}]
    nb.write_text(json.dumps({"cells": cells}))
    assert not bc.source_uses_math(nb)
    cells[1]["source"] = ["Norm $\\|g\\|$ here."]
    nb.write_text(json.dumps({"cells": cells}))
    assert bc.source_uses_math(nb)


def test_pages_are_discovered_from_the_built_files(tmp_path):
    site = _site(tmp_path)
    (site / "404.html").write_text("")
    assert bc.discover_pages(site) == ["", "why/"]
    assert bc.source_of(None, "why/") is None
