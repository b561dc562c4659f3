"""vgdocs.publish.notebook_svg: notebook figures as inline SVG, reproducible, compact and accessible."""

from __future__ import annotations

import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from vgdocs.publish.notebook_svg import STYLE, svg


def _figure():
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [0.0, 1.0, 0.5], label="a line")
        ax.axhline(0.5, ls=":")
        ax.legend()
        ax.set(title="title", xlabel="x", ylabel="y")
    return fig


def test_same_figure_gives_the_same_bytes_twice():
    assert str(svg(_figure(), "one", "a line")) == str(svg(_figure(), "one", "a line"))


def test_every_id_and_reference_carries_the_name_so_two_figures_never_clash():
    a, b = str(svg(_figure(), "first", "alt")), str(svg(_figure(), "second", "alt"))
    ids_a, ids_b = set(re.findall(r' id="([^"]+)"', a)), set(re.findall(r' id="([^"]+)"', b))
    assert not ids_a & ids_b
    assert all(i.startswith("first-") for i in ids_a)
    for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', a):
        assert ref in ids_a  # references still resolve


def test_text_alternative_role_and_no_metadata_or_date():
    out = str(svg(_figure(), "one", "A line rising then falling."))
    assert out.startswith("<svg ") and 'role="img"' in out and 'aria-label="A line rising then falling."' in out
    assert "<metadata" not in out and "dc:date" not in out.lower()
    assert "a line" in out  # the legend is text, not glyph paths
    assert re.search(r"\d\.\d\d", re.sub(r"<text.*?</text>", "", out)) is None  # coordinates at 0.1 pt


def test_the_figure_is_closed():
    fig = _figure()
    svg(fig, "one", "alt")
    assert not plt.fignum_exists(fig.number)


@pytest.mark.parametrize(("name", "alt"), [("Bad Name", "alt"), ("ok", ""), ("ok", "   "), (3, "alt")])
def test_bad_name_or_empty_alt_raise_value_error(name, alt):
    with pytest.raises(ValueError, match=r"name|alt"):
        svg(_figure(), name, alt)
