"""vgdocs.publish.present: number formatting, Markdown tables, sentences, inline SVG figures, publishing."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from vgdocs.experiments._core import Result
from vgdocs.publish import ledger
from vgdocs.publish.present import bars, figure, fmt, sentence, table
from vgdocs.publish.present.spec import Figure, Panel, Series, Table
from vgdocs.publish.present.style import DARK_PAGE, INK, LIGHT_PAGE, PALETTE


@dataclasses.dataclass(frozen=True, kw_only=True)
class Decay(Result):
    """A toy Result: per-layer gradient norms of a chain of sigmoid slopes."""

    depth: int
    norms: np.ndarray
    first_over_last: float

    def table(self, which=None):
        rows = tuple((f"layer {i + 1}", float(v)) for i, v in enumerate(self.norms))
        return Table(headers=("layer", "norm"), rows=rows, caption="Norm per layer", bar_column=1)

    def figure(self, which=None):
        x = np.arange(1, self.depth + 1)
        style = "markers" if which == "markers" else "line"
        panel = Panel(series=(Series("sigmoid", x, self.norms, style=style),), xlabel="layer", ylabel="norm", logy=True)
        return Figure(panels=(panel,), alt="Gradient norm falls by four per layer towards the input.")


def decay(depth: int = 6) -> Decay:
    norms = 0.25 ** np.arange(depth, 0, -1, dtype=float)
    return Decay(experiment="demo.decay", seed=0, depth=depth, norms=norms, first_over_last=norms[0] / norms[-1])


@pytest.fixture
def page():
    ledger.reset()
    ledger.begin_page("demo.md")
    yield "demo"
    ledger.end_page()
    ledger.reset()


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.25**10, "9.54e-7"),
        (0.25, "0.25"),
        (1 / 3, "0.333"),
        (200 / 3, "66.7"),
        (1234.5, "1230"),
        (999.96, "1000"),
        (9.9996e5, "1e6"),
        (2.5e8, "2.5e8"),
        (123456, "123456"),
        (10**7, "1e7"),
        (np.int64(5), "5"),
        (-0.5, "-0.5"),
        (0.0015, "0.0015"),
        (9.99e-4, "9.99e-4"),
        (0.0, "0"),
        (-0.0, "0"),
        (float("nan"), "NaN"),
        (np.inf, "inf"),
        (-np.inf, "-inf"),
        (True, "yes"),
        (np.False_, "no"),
    ],
)
def test_fmt_rounds_to_three_significant_digits_and_switches_to_scientific_at_extremes(x, expected):
    assert fmt(x) == expected


def test_fmt_digits_controls_significant_digits():
    assert fmt(np.pi, digits=1) == "3"
    assert fmt(np.pi, digits=5) == "3.1416"
    assert fmt(1.23456e-9, digits=2) == "1.2e-9"


def test_fmt_rejects_non_numbers_and_bad_digits_naming_the_argument():
    with pytest.raises(TypeError, match="x must be a real number"):
        fmt("0.5")
    with pytest.raises(ValueError, match="digits"):
        fmt(0.5, digits=0)


def test_log_bars_grow_by_equal_steps_per_decade_and_skip_missing_values():
    drawn = bars([1.0, 0.1, 0.01, float("nan"), None, 0.0], width=8, log=True)
    # floor one decade below the smallest value: 1, 0.1, 0.01 sit at 3/3, 2/3, 1/3 of eight cells
    assert drawn[:3] == ["█" * 8, "█" * 5 + "▍", "█" * 2 + "▋"]
    assert drawn[3:] == ["", "", ""]


def test_linear_bars_are_proportional_and_inf_is_marked():
    drawn = bars([4.0, 2.0, 1.0, np.inf], width=8, log=False)
    assert drawn[:3] == ["█" * 8, "█" * 4, "█" * 2]
    assert drawn[3].endswith("▶")


# --- tables --------------------------------------------------------------------------------------


def _cells(markdown: str) -> list[list[str]]:
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in rows]


def test_table_renders_markdown_with_right_aligned_numbers_and_a_bar_column(page):
    spec = Table(
        headers=("activation", "max slope", "0.25^n"),
        rows=(("sigmoid", 0.25, 0.25**10), ("tanh", 1.0, None), ("a|b", 1, 2.0)),
        caption="Slopes",
        bar_column=1,
        bar_log=False,
    )
    md = table(spec)
    assert md.startswith("Slopes\n\n")
    cells = _cells(md)
    assert cells[0] == ["activation", "max slope", "scale", "0.25^n"]
    assert cells[1] == [":---", "---:", ":---", "---:"]
    assert cells[2][0] == "sigmoid" and cells[2][1] == "0.25" and cells[2][3] == "9.54e-7"
    assert cells[3][3] == "—"
    assert cells[4][0] == "a\\|b"
    assert 'aria-hidden="true"' in cells[2][2] and "█" in cells[3][2]


def test_table_applies_per_column_format_specs():
    spec = Table(headers=("name", "share"), rows=(("dead", 0.1234),), formats=(None, ".1%"))
    assert _cells(table(spec))[2] == ["dead", "12.3%"]


def test_table_of_a_result_publishes_the_cells_a_reader_reads_and_no_other_field(page):
    result = decay(depth=4)
    md = table(result)
    assert len(_cells(md)) == 2 + 4
    expected = {f"demo/demo.decay/table.layer {i + 1}.norm": float(v) for i, v in enumerate(result.norms)}
    assert ledger.published() == expected  # not depth, seed or first_over_last: the table does not show them


def test_bare_table_publishes_the_numbers_it_displays(page):
    table(Table(headers=("activation", "max slope"), rows=(("sigmoid", 0.25), ("tanh", 1.0)), caption="Slopes"))
    assert ledger.published() == {"demo/table:Slopes/sigmoid.max slope": 0.25, "demo/table:Slopes/tanh.max slope": 1.0}


def test_table_rejects_bad_input_with_named_arguments():
    with pytest.raises(ValueError, match=r"rows\[1\] has 1 cells"):
        table(Table(headers=("a", "b"), rows=((1, 2), (3,))))
    with pytest.raises(ValueError, match="bar_column=5"):
        table(Table(headers=("a", "b"), rows=((1, 2),), bar_column=5))
    with pytest.raises(TypeError, match=r"obj must be a vgdocs.publish.present.spec.Table or have a .table\(which\)"):
        table(42)
    with pytest.raises(ValueError, match="which must be None"):
        table(Table(headers=("a",), rows=((1,),)), which="x")


# --- sentences -----------------------------------------------------------------------------------


def test_sentence_formats_fields_in_house_style_unless_a_spec_is_given(page):
    result = decay(depth=10)
    text = sentence(result, "After {depth} layers the norm is {norms[0]} ({first_over_last:.2e} of {norms[-1]}).")
    assert text == "After 10 layers the norm is 9.54e-7 (3.81e-06 of 0.25)."
    # exactly the numbers it quotes, '{norms[-1]}' under its real index
    assert ledger.published() == {
        "demo/demo.decay/depth": 10.0,
        "demo/demo.decay/norms[0]": result.norms[0],
        "demo/demo.decay/first_over_last": result.first_over_last,
        "demo/demo.decay/norms[9]": result.norms[9],
    }


def test_sentence_names_the_missing_field_and_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'ratio'.*fields are \['depth', 'experiment', 'first_over_last'"):
        sentence(decay(), "the ratio is {ratio}")
    with pytest.raises(TypeError, match="obj must be a Result"):
        sentence({"depth": 3}, "{depth}")


# --- figures -------------------------------------------------------------------------------------


def _svg(html_text: str) -> ET.Element:
    svg = re.search(r"<svg.*</svg>", html_text, re.S).group(0)
    return ET.fromstring(svg)


def test_figure_is_an_inline_svg_with_role_img_alt_text_and_a_caption(page):
    out = figure(decay())
    assert out.startswith('<figure class="vg-figure"><svg') and out.endswith("</figcaption></figure>")
    root = _svg(out)
    alt = "Gradient norm falls by four per layer towards the input."
    assert root.get("role") == "img" and root.get("aria-label") == alt
    assert root.find("{http://www.w3.org/2000/svg}title").text == alt
    assert "<figcaption>" + alt in out
    assert "\n" not in out  # one line: Markdown cannot split the HTML block


def test_figure_bytes_are_identical_for_identical_numbers_even_in_a_fresh_process():
    first = figure(decay())
    code = (
        "from tests.site.test_present import decay; from vgdocs.publish.present import figure; "
        "print(figure(decay()), end='')"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root)
    other = run.stdout
    assert first == other
    assert figure(decay(depth=7)) != first


def test_figure_ignores_rcparams_a_notebook_set_in_the_same_process():
    """A lab notebook executed in the build's process runs `plt.rcParams.update(...)` (zero-length
    ticks, its own colours); the site's figures must keep their bytes and stay well-formed XML."""
    import matplotlib

    from vgdocs.publish.present.figures import render_markup

    spec = decay().figure(None)
    before = render_markup(spec)
    with matplotlib.rc_context({"xtick.major.size": 0, "ytick.major.size": 0, "svg.hashsalt": None, "font.size": 5}):
        after = render_markup(spec)
    assert after == before
    _svg(after)  # parses: no dangling </g> from an emptied tick group


def test_figure_text_follows_the_page_colour_and_series_keep_contrast_on_both_palettes():
    out = figure(decay())
    assert "currentColor" in out and INK not in out.lower()
    assert "font-family" not in out  # the page's own font; nothing to download
    namespaces = ('xmlns="http://www.w3.org/2000/svg"', 'xmlns:xlink="http://www.w3.org/1999/xlink"')
    assert "http" not in out.replace(namespaces[0], "").replace(namespaces[1], "")

    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    def contrast(a, b):
        hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for colour in PALETTE:
        assert contrast(colour, LIGHT_PAGE) >= 3.0, colour
        assert contrast(colour, DARK_PAGE) >= 3.0, colour
    assert PALETTE[0] in out


def test_figure_ids_are_prefixed_per_figure_so_two_figures_on_a_page_do_not_clash():
    a, b = figure(decay()), figure(decay(), "markers")
    ids_a = set(re.findall(r' id="([^"]+)"', a))
    ids_b = set(re.findall(r' id="([^"]+)"', b))
    assert ids_a and ids_b and not ids_a & ids_b
    for ref in re.findall(r'(?:url\(#|href="#)([^)"]+)', a):
        assert ref in ids_a
    assert not re.search(r"<use[^>]* href=", a)  # only xlink:href, which material's instant loading leaves alone


def test_figure_stays_small_with_long_training_curves():
    steps = np.arange(2000)
    curves = tuple(
        Series(f"seed {s}", steps, np.exp(-steps / (300 + 50 * s)) + 0.01 * np.cos(steps / 7)) for s in range(4)
    )
    spec = Figure(panels=(Panel(series=curves, xlabel="step", ylabel="loss", logy=True),), alt="Four loss curves fall.")
    assert len(figure(spec).encode()) < 60_000


def test_figure_draws_overflowed_values_as_gaps_without_warnings():
    y = np.array([1.0, 10.0, np.inf, np.nan, 0.0, 5.0])
    spec = Figure(panels=(Panel(series=(Series("norm", np.arange(6), y),), logy=True),), alt="A run that overflows.")
    assert "<svg" in figure(spec)


def test_bare_figure_publishes_the_data_behind_it(page):
    spec = Figure(
        panels=(Panel(series=(Series("s", np.array([1, 2]), np.array([0.5, 0.25])),), title="p"),), alt="Two points."
    )
    figure(spec)
    # x = (1, 2) is an axis grid: only the plotted values are the reader's
    assert ledger.published() == {"demo/figure:Two points./p.s.y[0]": 0.5, "demo/figure:Two points./p.s.y[1]": 0.25}


def test_figure_of_a_result_ledgers_measured_x_but_not_an_axis_grid(page):
    x_data = np.array([0.3, 0.1, 2.0, 0.7])  # measured on the x axis (a scatter), not a grid
    grid = np.geomspace(1, 1000, 4)  # evenly spaced on a log axis: the author's choice of inputs
    panel = Panel(series=(Series("a", x_data, np.ones(4), style="markers"), Series("b", grid, np.ones(4) * 2)))
    figure(Figure(panels=(panel,), alt="Scatter and curve."))
    keys = set(ledger.published())
    assert {f"demo/figure:Scatter and curve./panel0.a.x[{i}]" for i in range(4)} <= keys
    assert not any(".b.x" in k for k in keys)


def test_a_long_series_is_ledgered_as_summary_statistics_that_move_with_any_level_change(page):
    from vgdocs.publish.present._publish import SERIES_IN_FULL, series_numbers

    y = np.geomspace(1e-30, 1.0, 200)
    y[50] = np.inf
    stats = series_numbers("s.y", y)
    assert len(stats) < SERIES_IN_FULL and stats["s.y.nonfinite"] == 1.0 and stats["s.y.n"] == 200.0
    assert stats["s.y.first"] == 1e-30 and stats["s.y.max"] == 1.0
    # a 0.1% change of every point moves every level statistic by 0.1%, over the ledger tolerance
    moved = series_numbers("s.y", y * 1.001)
    for key in ("s.y.first", "s.y.last", "s.y.min", "s.y.max", "s.y.mean_abs", "s.y.geomean_abs"):
        assert not ledger.same(stats[key], moved[key]), key


def test_figure_rejects_missing_alt_text_and_bad_styles():
    panel = Panel(series=(Series("s", np.arange(3), np.ones(3)),))
    with pytest.raises(ValueError, match="alt must be a sentence"):
        figure(Figure(panels=(panel,), alt="  "))
    bad = Panel(series=(Series("s", np.arange(3), np.ones(3), style="wiggly"),))
    with pytest.raises(ValueError, match=r"style='wiggly' is not valid; choose one of"):
        figure(Figure(panels=(bad,), alt="x"))
    with pytest.raises(ValueError, match="x has 3 points, y 2"):
        figure(Figure(panels=(Panel(series=(Series("s", np.arange(3), np.ones(2)),)),), alt="x"))


# --- prose ---------------------------------------------------------------------------------------


def test_prose_fills_named_placeholders_and_leaves_math_and_other_braces_alone(page):
    from vgdocs.publish.present import prose

    result = decay(depth=10)
    text = prose(
        result,
        r"""
        After {depth} layers the norm is {norms[0]}, and {first_over_last:.2e} of {norms[-1]}
        in $\frac{1}{4}^{depth}$ terms { .note }.
        """,
    )
    assert (
        text == "After 10 layers the norm is 9.54e-7, and 3.81e-06 of 0.25\nin $\\frac{1}{4}^{depth}$ terms { .note }."
    )
    assert ledger.published() == {
        "demo/demo.decay/depth": 10.0,
        "demo/demo.decay/norms[0]": result.norms[0],
        "demo/demo.decay/first_over_last": result.first_over_last,
        "demo/demo.decay/norms[9]": result.norms[9],
    }


def test_prose_names_a_placeholder_that_is_not_a_field():
    from vgdocs.publish.present import prose

    with pytest.raises(ValueError, match=r"placeholder '\{norm\}' names 'norm', which is not a field of Decay"):
        prose(decay(), "The {norm} is small.")
