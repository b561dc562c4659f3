"""fit(): the plain training loop any network uses, against the updates written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.engine.data import digits, teacher_student
from vgdocs.engine.nets.blocks import ResidualStack
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.optim import make_optimizer
from vgdocs.engine.train import fit


def test_full_batch_sgd_equals_the_update_written_out_by_hand():
    x, y = teacher_student(40, 4, 1, 0, depth=1, width=8)
    ours, hand = (MLP([4, 8, 8, 1], "tanh", init="xavier_normal", seed=3) for _ in range(2))
    losses = fit(ours, x, y, optimizer="sgd", lr=0.1, steps=5)
    expected = []
    for _ in range(5):
        tape = hand.gradients(x, y)
        expected.append(tape.loss)
        for (_, p), g in zip(hand.parameters(), tape.gradients(), strict=True):
            p -= 0.1 * g
    np.testing.assert_array_equal(losses, expected)
    for (_, a), (_, b) in zip(ours.parameters(), hand.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_minibatches_are_drawn_with_replacement_from_the_seeded_generator():
    x, y = teacher_student(30, 3, 1, 0, depth=0)
    seen = []
    fit(MLP([3, 1], seed=0), x, y, steps=4, batch_size=5, seed=7, on_gradients=lambda t, p: seen.append(p.output))
    assert [out.shape for out in seen] == [(5, 1)] * 4
    rng = np.random.default_rng(7)
    idx = rng.integers(0, 30, 5)  # the first step's draw, on the untrained weights
    np.testing.assert_array_equal(seen[0], MLP([3, 1], seed=0).gradients(x[idx], y[idx]).output)


def test_warmup_raises_the_learning_rate_linearly_then_holds_it():
    x, y = teacher_student(20, 3, 1, 0, depth=0)
    opt, rates = make_optimizer("sgd", 0.4), []
    fit(MLP([3, 1], seed=0), x, y, optimizer=opt, lr=0.4, steps=6, warmup=4, on_update=lambda t: rates.append(opt.lr))
    np.testing.assert_allclose(rates, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4])


def test_hooks_see_the_pass_before_its_update_and_run_after_it():
    x, y = teacher_student(20, 3, 1, 0, depth=0)
    net, order = MLP([3, 1], seed=0), []
    w = net.layers[0].W

    def before(t, tape):
        order.append(("grad", t, float(np.linalg.norm(w))))

    def after(t):
        order.append(("update", t, float(np.linalg.norm(w))))

    fit(net, x, y, lr=0.5, steps=2, on_gradients=before, on_update=after)
    assert [(k, t) for k, t, _ in order] == [("grad", 0), ("update", 0), ("grad", 1), ("update", 1)]
    assert order[0][2] != order[1][2] and order[1][2] == order[2][2]


def test_a_residual_stack_trains_through_the_same_loop():
    x, y = digits("train")
    net = ResidualStack(64, 16, 2, 10, seed=0)
    losses = fit(net, x, y, optimizer="adam", lr=1e-2, steps=60, batch_size=64, seed=0)
    assert losses.shape == (60,) and np.all(np.isfinite(losses))
    assert net.gradients(x, y).loss < 0.5 * math.log(10.0)  # well below a uniform guess


def test_stack_pass_lists_gradients_in_parameter_order():
    x, y = digits("train")
    net = ResidualStack(64, 8, 2, 10, seed=0)
    tape = net.gradients(x[:16], y[:16])
    assert [g.shape for g in tape.gradients()] == [p.shape for _, p in net.parameters()]
    loss, grads = tape  # still unpacks as (loss, grads by name)
    assert loss == tape.loss and list(grads) == [k for k, _ in net.parameters()]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"steps": 0}, "steps"), ({"batch_size": 0}, "batch_size"), ({"warmup": -1}, "warmup"), ({"seed": -1}, "seed")],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, message):
    x, y = teacher_student(10, 3, 1, 0, depth=0)
    with pytest.raises((ValueError, TypeError), match=message):
        fit(MLP([3, 1], seed=0), x, y, **kwargs)
