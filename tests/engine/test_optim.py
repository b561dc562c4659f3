"""Optimisers and clipping against closed forms and against torch.optim on identical arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.engine.optim import OPTIMIZERS, clip_by_global_norm, clip_by_value, global_norm, make_optimizer


def _problem(seed: int = 0) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Two parameter arrays and three steps' worth of gradients."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(3)]
    return params, grads


# -- closed forms --------------------------------------------------------------------------------


def test_sgd_step_is_lr_times_gradient_plus_l2():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    opt = make_optimizer("sgd", 0.1, weight_decay=0.01)
    opt.step([p], [g])
    np.testing.assert_allclose(p, np.array([1.0, -2.0]) - 0.1 * (g + 0.01 * np.array([1.0, -2.0])), rtol=1e-15)


def test_momentum_accumulates_velocity_like_heavy_ball():
    p = np.array([0.0])
    opt = make_optimizer("momentum", 1.0, momentum=0.5)
    for _ in range(3):
        opt.step([p], [np.array([1.0])])
    # velocities 1, 1.5, 1.75 -> total displacement 4.25
    assert p[0] == pytest.approx(-4.25, rel=1e-15)


def test_adam_first_step_moves_each_weight_by_lr_times_sign():
    # bias correction makes m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps)
    p, g = np.array([1.0, 1.0, 1.0]), np.array([3.0, -0.2, 1e-3])
    make_optimizer("adam", 0.01, eps=1e-12).step([p], [g])
    np.testing.assert_allclose(p, 1.0 - 0.01 * np.sign(g), rtol=1e-9)


def test_adam_two_steps_match_the_paper_formula():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    g1, g2 = 2.0, -1.0
    m = (1 - b1) * (b1 * g1 + g2)
    v = (1 - b2) * (b2 * g1**2 + g2**2)
    first = lr * g1 / (abs(g1) + eps)
    second = lr * (m / (1 - b1**2)) / (math.sqrt(v / (1 - b2**2)) + eps)
    p = np.array([0.0])
    opt = make_optimizer("adam", lr, betas=(b1, b2), eps=eps)
    opt.step([p], [np.array([g1])])
    opt.step([p], [np.array([g2])])
    assert p[0] == pytest.approx(-first - second, rel=1e-12)


def test_adamw_decay_is_decoupled_from_the_gradient_scale():
    # with a zero gradient Adam's L2 decay moves by ~lr (normalised), AdamW's by lr * wd * w
    for name, expected in (("adamw", 2.0 * (1 - 0.1 * 0.5)), ("adam", 2.0 - 0.1 * (0.5 * 2.0) / (0.5 * 2.0 + 1e-8))):
        p = np.array([2.0])
        make_optimizer(name, 0.1, weight_decay=0.5).step([p], [np.array([0.0])])
        assert p[0] == pytest.approx(expected, rel=1e-12), name


def test_optimizer_accepts_named_parameters_and_updates_them_in_place():
    w = np.ones((2, 2))
    make_optimizer("sgd", 0.5).step([("layers.0.W", w)], [np.ones((2, 2))])
    np.testing.assert_array_equal(w, np.full((2, 2), 0.5))


def test_float32_parameters_stay_float32():
    p = np.ones(3, dtype=np.float32)
    make_optimizer("adam", 0.1).step([p], [np.ones(3)])
    assert p.dtype == np.float32


def test_overflowing_update_gives_inf_without_warnings():
    p = np.array([1e308])
    make_optimizer("sgd", 1.0).step([p], [np.array([-1e308])])
    assert np.isinf(p[0])


def test_global_norm_clipping_rescales_to_max_norm():
    grads = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped[0], [0.6, 0.0], rtol=1e-15)
    np.testing.assert_allclose(clipped[1], [[0.0, 0.8]], rtol=1e-15)
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-15)


def test_global_norm_clipping_leaves_small_gradients_alone():
    grads = [np.array([0.3, 0.4])]
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(0.5) and clipped[0] is grads[0]


def test_global_norm_of_huge_finite_gradients_is_finite():
    assert global_norm([np.array([3e200, 4e200])]) == pytest.approx(5e200, rel=1e-14)


def test_non_finite_norm_is_reported_not_raised():
    grads = [np.array([np.inf, 1.0]), np.array([np.nan])]
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert math.isnan(norm)
    assert clipped[1] is grads[1]
    _, norm = clip_by_global_norm([np.array([np.inf, 1.0])], 1.0)
    assert norm == math.inf


def test_clip_by_value_clamps_each_entry():
    out = clip_by_value([np.array([-5.0, 0.5, 7.0])], 1.0)
    np.testing.assert_array_equal(out[0], [-1.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_optimizer("rmsprop", 0.1), "optimizer"),
        (lambda: make_optimizer("sgd", 0.0), "lr"),
        (lambda: make_optimizer("sgd", float("nan")), "lr"),
        (lambda: make_optimizer("momentum", 0.1, momentum=1.0), "momentum"),
        (lambda: make_optimizer("adam", 0.1, betas=(0.9,)), "betas"),
        (lambda: make_optimizer("adam", 0.1, betas=(0.9, 1.0)), "betas"),
        (lambda: make_optimizer("adam", 0.1, weight_decay=-1.0), "weight_decay"),
        (lambda: make_optimizer("sgd", 0.1).step([np.ones(2)], [np.ones(3)]), "grads"),
        (lambda: make_optimizer("sgd", 0.1).step([np.ones(2)], []), "grads"),
        (lambda: make_optimizer("sgd", 0.1).step([[1.0, 2.0]], [np.ones(2)]), "params"),
        (lambda: make_optimizer("sgd", 0.1).step(np.ones(2), [np.ones(2)]), "params"),
        (lambda: make_optimizer("sgd", 0.1).step([("W",)], [np.ones(2)]), "params"),
        (lambda: clip_by_value([[1.0, [2.0]]], 1.0), "grads"),
        (lambda: clip_by_global_norm([np.ones(2)], 0.0), "max_norm"),
        (lambda: clip_by_global_norm(np.ones(2), 1.0), "grads"),
        (lambda: clip_by_value([np.ones(2)], -1.0), "limit"),
        (lambda: clip_by_value([np.array(["a"])], 1.0), "grads"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# -- torch parity --------------------------------------------------------------------------------


def _torch_optimizer(torch, name: str, params, lr: float, wd: float):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    return torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)


@pytest.mark.torch
@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("wd", [0.0, 0.05])
def test_three_steps_match_torch_optim(torch, name, wd):
    params, grads = _problem()
    tparams = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in params]
    topt = _torch_optimizer(torch, name, tparams, 0.03, wd)
    opt = make_optimizer(name, 0.03, weight_decay=wd)
    for step in grads:
        for tp, g in zip(tparams, step, strict=True):
            tp.grad = torch.tensor(g)
        topt.step()
        opt.step(params, step)
    for p, tp in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_global_norm_clipping_matches_torch(torch, max_norm):
    _, grads = _problem(1)
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads[0]]
    for tp, g in zip(tparams, grads[0], strict=True):
        tp.grad = torch.tensor(g)
    tnorm = torch.nn.utils.clip_grad_norm_(tparams, max_norm)
    clipped, norm = clip_by_global_norm(grads[0], max_norm)
    assert norm == pytest.approx(float(tnorm), rel=1e-14)
    for c, tp in zip(clipped, tparams, strict=True):
        # torch divides by (norm + 1e-6), so the two agree to ~1e-6 relative
        np.testing.assert_allclose(c, tp.grad.numpy(), rtol=1e-5)


@pytest.mark.torch
def test_value_clipping_matches_torch(torch):
    _, grads = _problem(2)
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads[0]]
    for tp, g in zip(tparams, grads[0], strict=True):
        tp.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(tparams, 0.7)
    for c, tp in zip(clip_by_value(grads[0], 0.7), tparams, strict=True):
        np.testing.assert_array_equal(c, tp.grad.numpy())
