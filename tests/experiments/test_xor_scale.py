"""XOR under SGD and Adam: the gradient-scale intervention, Adam's scale invariance, and claims that break."""

from __future__ import annotations

import numpy as np
import pytest

from vgdocs.engine.optim import ScaledOptimizer, make_optimizer
from vgdocs.experiments.xor_scale import gradient_scale
from vgdocs.publish import claims, ledger
from vgdocs.publish.present import claim


def _params(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 4)), rng.normal(size=4)]


def test_scaled_sgd_is_sgd_with_the_learning_rate_times_the_factor():
    # closed form: w - lr * (f * g) == w - (lr * f) * g
    a, b = _params(), _params()
    grads = [np.full((3, 4), 0.3), np.full(4, -0.2)]
    ScaledOptimizer(make_optimizer("sgd", 0.1), [16.0, 16.0]).step(a, grads)
    make_optimizer("sgd", 1.6).step(b, grads)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-14)


def test_adam_steps_do_not_depend_on_the_gradient_scale():
    # Adam's step m_hat / sqrt(v_hat) is homogeneous of degree 0 in g (up to eps = 1e-8)
    a, b = _params(), _params()
    plain = make_optimizer("adam", 1e-3)
    scaled = ScaledOptimizer(make_optimizer("adam", 1e-3), [100.0, 100.0])
    rng = np.random.default_rng(1)
    for _ in range(20):
        grads = [rng.normal(size=(3, 4)), rng.normal(size=4)]
        plain.step(a, grads)
        scaled.step(b, grads)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


def test_scaled_optimizer_rejects_a_factor_per_wrong_count():
    with pytest.raises(ValueError, match="one entry per factor"):
        ScaledOptimizer(make_optimizer("sgd", 0.1), [1.0]).step(_params(), [np.zeros((3, 4)), np.zeros(4)])


@pytest.fixture(scope="module")
def perturbed():
    # three seeds, and budgets cut so the lessons of the default run no longer have time to appear
    return gradient_scale(seeds=(0, 1, 2), sgd_epochs=300, long_epochs=200)


def test_cutting_the_budget_breaks_the_longer_training_and_the_cure_claims(perturbed):
    verdicts = {c.id: c.holds for c in perturbed.claims()}
    assert verdicts["xor-adam-longer-solves-every-seed"] is False
    assert verdicts["xor-sgd-scaling-hidden-gradients-cures"] is False
    # the scale invariance is exact, so no budget breaks it
    assert verdicts["xor-adam-scale-invariant"] is True


def test_a_broken_claim_fails_the_strict_check_naming_page_and_claim(perturbed, monkeypatch):
    claims.reset()
    ledger.begin_page("xor.md")
    try:
        text = claim(perturbed, "xor-adam-longer-solves-every-seed")
    finally:
        ledger.end_page()
    bad = claims.failing()
    claims.reset()
    assert [r.claim.id for r in bad] == ["xor-adam-longer-solves-every-seed"]
    report = claims.format_failures(bad)
    assert "xor.md: claim 'xor-adam-longer-solves-every-seed'" in report
    assert text in report
    assert "adam_long = 0" in report


def test_default_run_shows_every_lesson(memo):
    r = gradient_scale()
    assert {c.id: c.holds for c in r.claims()} == dict.fromkeys((c.id for c in r.claims()), True)
    # the scale-invariance claim is exact: the same seeds end at the same losses to Adam's eps
    i, j = r.labels.index("sigmoid, Adam"), r.labels.index("sigmoid, Adam, hidden gradients scaled")
    np.testing.assert_allclose(r.final_loss[i], r.final_loss[j], rtol=1e-5)
