"""The exercises' answers are right: each checked against a closed form or finite differences.

vgdocs.experiments.exercises computes the numbers the solutions on the pages quote; here every
answer is recomputed independently (plain math, central differences of the loss or of the
activation written out by hand), every claim holds with margin, and every section page carries
its exercises with collapsed solutions that call the engine.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from vgdocs.experiments import exercises as ex
from vgdocs.experiments import exercises_fixes as exf

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = (
    "what",
    "why",
    "where",
    "detection",
    "xor",
    "vanishing-vs-exploding",
    "rnn",
    "fixes/initialisation",
    "fixes/clipping",
    "fixes/activations",
    "fixes/residual",
    "fixes/optimisers",
)
H = 1e-5


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _central(f, x: float) -> float:
    return (f(x + H) - f(x - H)) / (2 * H)


def test_what_bound_is_a_quarter_to_the_depth_and_the_threshold_depth_is_the_first_below():
    r = ex.what(depth=10, deeper=20, threshold=1e-6)
    assert r.bound == pytest.approx(0.25**10, rel=1e-14)
    assert r.bound_deeper == pytest.approx(0.25**20, rel=1e-14)
    n = r.depth_below_threshold
    assert n == math.ceil(math.log(1e6) / math.log(4))
    assert 0.25**n < 1e-6 <= 0.25 ** (n - 1)


def test_why_slopes_match_central_differences():
    r = ex.why(x=4.0)
    assert r.sigmoid_slope_0 == pytest.approx(_central(_sigmoid, 0.0), rel=1e-8)
    assert r.tanh_slope_0 == pytest.approx(_central(math.tanh, 0.0), rel=1e-8)
    assert r.sigmoid_slope_x == pytest.approx(_central(_sigmoid, 4.0), rel=1e-7)
    assert r.sigmoid_slope_drop == pytest.approx(_central(_sigmoid, 4.0) / 0.25, rel=1e-7)


def test_where_chi_of_relu_is_half_the_weight_variance():
    """ReLU: E[phi'(z)^2] = P(z > 0) = 1/2 for z ~ N(0, q), so chi_1 = sigma_w2 / 2 (closed form)."""
    r = ex.where(depth=10)
    assert r.chi_xavier == pytest.approx(0.5, rel=1e-9)
    assert r.chi_he == pytest.approx(1.0, rel=1e-9)
    assert r.norm_factor_xavier_depth == pytest.approx(0.5**5, rel=1e-9)


def test_detection_ratio_factor_and_initial_loss_are_the_closed_forms():
    r = ex.detection()
    assert r.ratio == pytest.approx(1e-7 / 0.1, rel=1e-12)
    assert r.factor == pytest.approx((1e-6) ** (1 / 3), rel=1e-12)
    assert r.vanishing
    assert r.initial_loss == pytest.approx(math.log(10), rel=1e-14)
    assert ex.detection(classes=3).initial_loss == pytest.approx(math.log(3), rel=1e-14)


def test_xor_gradients_match_finite_differences_of_the_losses():
    r = ex.xor(z_wrong=8.0)

    def bce(z):  # -log(1 - sigmoid(z)) for target 0
        return -math.log(1.0 - _sigmoid(z))

    def mse(z):
        return _sigmoid(z) ** 2

    assert r.grad_wrong == pytest.approx(_central(bce, 8.0), rel=1e-6)
    assert r.grad_undecided == pytest.approx(_central(bce, 0.0), rel=1e-8)
    assert r.mse_grad_wrong == pytest.approx(_central(mse, 8.0), rel=1e-6)


def test_exploding_tanh_is_critical_at_one_and_relu_grows_as_the_square_root_of_half_the_variance():
    """tanh without bias: q* = 0 and tanh'(0) = 1, so chi_1 = sigma_w2 and the edge is sigma_w2 = 1."""
    r = ex.exploding(sigma_w2=3.0, depth=50)
    assert r.tanh_critical == pytest.approx(1.0, rel=1e-6)
    assert r.relu_factor == pytest.approx(math.sqrt(1.5), rel=1e-9)
    assert r.relu_growth == pytest.approx(1.5**25, rel=1e-8)


def test_rnn_gradient_is_w_to_the_steps_by_finite_differences_of_the_unrolled_recurrence():
    r = ex.rnn(steps=50, w_small=0.9, w_large=1.1)
    xs = np.random.default_rng(0).standard_normal(50)

    def final(h0: float, w: float) -> float:
        h = h0
        for x in xs:
            h = w * h + x
        return h

    for w, g in ((0.9, r.grad_small), (1.1, r.grad_large)):
        assert g == pytest.approx(w**50, rel=1e-12)
        assert g == pytest.approx(_central(lambda h0, w=w: final(h0, w), 0.3), rel=1e-5)


def test_initialisation_stds_are_the_closed_forms_and_one_draw_agrees():
    r = ex.initialisation(fan_in=256, fan_out=128, seed=0)
    assert r.he_std == pytest.approx(math.sqrt(2 / 256), rel=1e-14)
    assert r.xavier_std == pytest.approx(math.sqrt(2 / 384), rel=1e-14)
    # the sample std of 32,768 normal draws is within 3 % of the truth (its relative sd is ~0.4 %)
    assert r.measured_std == pytest.approx(r.he_std, rel=0.03)


def test_clipping_scales_a_norm_50_gradient_to_the_bound():
    r = ex.clipping(max_norm=5.0)
    assert (r.norm_before, r.norm_after, r.scale) == pytest.approx((50.0, 5.0, 0.1), rel=1e-14)


def test_activation_slopes_below_zero_match_central_differences():
    r = exf.activations(x=-1.0)
    relu = lambda v: max(v, 0.0)  # noqa: E731
    leaky = lambda v: v if v > 0 else 0.01 * v  # noqa: E731
    elu = lambda v: v if v > 0 else math.exp(v) - 1.0  # noqa: E731
    assert r.relu == _central(relu, -1.0) == 0.0
    assert r.leaky_relu == pytest.approx(_central(leaky, -1.0), rel=1e-8)
    assert r.elu == pytest.approx(_central(elu, -1.0), rel=1e-8)


def test_residual_chain_gradients_match_finite_differences_of_the_chains():
    r = exf.residual(slope=0.25, depth=10)

    def chain(h: float, skip: bool) -> float:
        for _ in range(10):
            h = h + 0.25 * h if skip else 0.25 * h
        return h

    assert r.plain == pytest.approx(_central(lambda h: chain(h, False), 0.7), rel=1e-6)
    assert r.residual == pytest.approx(_central(lambda h: chain(h, True), 0.7), rel=1e-8)


def test_first_steps_of_sgd_and_adam_are_the_closed_forms():
    """SGD: lr*g. Adam, step 1 (bias-corrected m = g, v = g^2): lr*g/(|g| + eps)."""
    r = exf.optimisers(lr=1e-3, tiny=1e-6, normal=1.0)
    assert r.sgd_tiny == pytest.approx(1e-9, rel=1e-12)
    assert r.sgd_normal == pytest.approx(1e-3, rel=1e-12)
    assert r.adam_tiny == pytest.approx(1e-3 * 1e-6 / (1e-6 + 1e-8), rel=1e-9)
    assert r.adam_normal == pytest.approx(1e-3 / (1 + 1e-8), rel=1e-9)


@pytest.mark.parametrize(
    "result",
    [
        ex.why(),
        ex.where(),
        ex.xor(z_wrong=6.0),
        ex.xor(z_wrong=8.0),
        ex.xor(z_wrong=12.0),
        ex.exploding(depth=50),
        ex.exploding(sigma_w2=3.0, depth=40),
        exf.activations(x=-0.5),
        exf.activations(x=-3.0),
        exf.residual(),
        exf.residual(slope=0.2, depth=20),
        exf.optimisers(),
        exf.optimisers(tiny=1e-5),
    ],
    ids=lambda r: r.experiment,
)
def test_every_exercise_claim_holds_with_margin(result):
    """The lessons hold beyond the one setting a page shows (nearby inputs and depths)."""
    claims = result.claims()
    assert claims and all(c.holds for c in claims), [(c.id, c.evidence) for c in claims if not c.holds]


@pytest.mark.parametrize("page", PAGES)
def test_each_section_page_ends_with_exercises_and_collapsed_computed_solutions(page):
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    tail = text.split("\n## Exercises\n", 1)
    assert len(tail) == 2 and "\n## " not in tail[1], "Exercises must be the page's last section"
    questions = re.findall(r"^\*\*\d\. ", tail[1], re.M)
    solutions = re.findall(r'^\?\?\? success "Solution"\n\n    ```python exec="on" [^\n]*id="', tail[1], re.M)
    assert 1 <= len(questions) == len(solutions) <= 3
    assert len(re.findall(r"from vgdocs\.experiments\.exercises(?:_fixes)? import", tail[1])) == len(solutions)
