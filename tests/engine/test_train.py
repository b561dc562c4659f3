"""The training loop against torch, closed forms and its own bookkeeping rules (overflow, clipping, records)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgdocs.engine.data import moons, teacher_student
from vgdocs.engine.nets.mlp import MLP
from vgdocs.engine.optim import make_optimizer
from vgdocs.engine.train import History, accuracy, train


def _regression(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return teacher_student(n, 4, 1, seed, depth=1, width=8)


def test_full_batch_gradient_descent_on_a_linear_model_reaches_least_squares():
    x, y = teacher_student(50, 3, 1, 0, depth=0, noise=0.5)
    net = MLP([3, 1], loss="mse", seed=0)
    train(net, x, y, optimizer="sgd", lr=0.3, steps=400)
    design = np.column_stack([x, np.ones(len(x))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    np.testing.assert_allclose(net.layers[0].W[:, 0], coef[:3, 0], atol=1e-8)
    np.testing.assert_allclose(net.layers[0].b, coef[3], atol=1e-8)


def test_sgd_update_ratio_is_lr_times_gradient_norm_over_weight_norm():
    x, y = _regression()
    net = MLP([4, 16, 16, 1], "tanh", init="xavier_normal", seed=1)
    w0 = [layer.W.copy() for layer in net.layers]
    h = train(net, x, y, optimizer="sgd", lr=0.05, steps=1)
    expected = [0.05 * g / np.linalg.norm(w) for g, w in zip(h.grad_norms[0], w0, strict=True)]
    np.testing.assert_allclose(h.update_ratios[0], expected, rtol=1e-12)


def test_weight_change_is_relative_distance_from_initial_weights():
    x, y = _regression()
    net = MLP([4, 16, 1], "relu", seed=2)
    w0 = [layer.W.copy() for layer in net.layers]
    h = train(net, x, y, steps=20, lr=1e-2)
    expected = [np.linalg.norm(layer.W - w) / np.linalg.norm(w) for layer, w in zip(net.layers, w0, strict=True)]
    np.testing.assert_allclose(h.weight_change, expected, rtol=1e-14)


def test_records_follow_record_every_and_have_one_column_per_layer():
    x, y = _regression()
    net = MLP([4, 8, 8, 8, 1], "sigmoid", seed=0)
    h = train(net, x, y, steps=25, record_every=10)
    assert isinstance(h, History)
    np.testing.assert_array_equal(h.steps, [0, 10, 20])
    assert h.grad_norms.shape == h.update_ratios.shape == (3, 4)
    assert h.delta_norms.shape == h.saturated.shape == h.dead.shape == (3, 3)
    assert h.accuracy is None and h.eval_loss is None and h.overflow_step is None
    assert np.all(np.isfinite(h.loss)) and math.isfinite(h.final_loss)
    assert np.all(np.isnan(h.dead))  # sigmoid units saturate; they are never "dead" by the ReLU rule


def test_first_record_is_the_untrained_networks_gradient():
    x, y = _regression()
    net = MLP([4, 8, 8, 1], "tanh", seed=3)
    tape = net.gradients(x, y)
    h = train(net, x, y, steps=3)
    assert h.loss[0] == tape.loss
    np.testing.assert_array_equal(h.grad_norms[0], tape.grad_norms)
    np.testing.assert_array_equal(h.delta_norms[0], tape.delta_norms)


def test_saturated_fraction_counts_sigmoid_outputs_beyond_one_percent_of_the_rails():
    x, y = moons(100, 0.1, 0)
    net = MLP([2, 32, 32, 1], "sigmoid", init="normal", init_std=4.0, loss="bce", seed=0)
    tape = net.gradients(x, y)
    h = train(net, x, y, steps=1)
    for i, tap in enumerate(tape.hidden):
        # sigmoid(u) < 0.01 or > 0.99  <=>  |u| > log(99)
        assert h.saturated[0, i] == pytest.approx(np.mean(np.abs(tap.u) > math.log(99.0)), abs=1e-12)
    assert h.saturated[0, 1] > 0.3


def test_dead_fraction_counts_relu_units_silent_on_every_example():
    x, y = _regression()
    net = MLP([4, 32, 32, 1], "relu", bias_std=1.0, seed=4)
    tape = net.gradients(x, y)
    h = train(net, x, y, steps=1)
    for i, tap in enumerate(tape.hidden):
        assert h.dead[0, i] == np.mean(np.all(tap.z <= 0, axis=0))
    assert np.all(np.isnan(h.saturated))


def test_exploding_run_stops_at_the_overflow_step_and_fills_nan_without_warnings():
    x, y = _regression()
    net = MLP([4, 32, 32, 32, 1], "relu", init="normal", init_std=3.0, seed=0)
    h = train(net, x, y, optimizer="sgd", lr=1.0, steps=30)
    k = h.overflow_step
    assert k is not None and 0 < k < 30
    assert np.all(np.isfinite(h.loss[:k])) and not np.isfinite(h.loss[k])
    assert np.all(np.isnan(h.loss[k + 1 :])) and np.all(np.isnan(h.grad_norms[k + 1 :]))
    assert np.all(np.isnan(h.update_ratios[k:]))
    assert math.isnan(h.final_loss)


def test_global_norm_clipping_caps_the_sgd_step_length():
    x, y = _regression()
    net = MLP([4, 16, 16, 1], "tanh", seed=5)
    before = [p.copy() for _, p in net.parameters()]
    h = train(net, x, y, optimizer="sgd", lr=0.1, steps=1, clip_norm=1e-3)
    moved = math.sqrt(sum(np.sum((p - b) ** 2) for (_, p), b in zip(net.parameters(), before, strict=True)))
    assert moved == pytest.approx(0.1 * 1e-3, rel=1e-12)
    assert h.clip_fraction == 1.0


def test_clip_fraction_is_zero_when_the_bound_never_binds():
    x, y = _regression()
    h = train(MLP([4, 8, 1], "tanh", seed=0), x, y, steps=5, clip_norm=1e6)
    assert h.clip_fraction == 0.0
    h = train(MLP([4, 8, 1], "tanh", seed=0), x, y, steps=5, clip_value=1e-9)
    assert h.clip_fraction == 1.0


def test_minibatches_are_seeded_and_cover_the_data_each_epoch():
    x, y = _regression(64)
    runs = [train(MLP([4, 8, 1], "tanh", seed=0), x, y, steps=8, batch_size=16, seed=s).loss for s in (0, 0, 1)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    # with lr -> 0 the net is fixed, so the mean of one epoch's batch losses equals the full-batch loss
    net = MLP([4, 8, 1], "tanh", seed=0)
    h = train(net, x, y, optimizer="sgd", lr=1e-300, steps=4, batch_size=16, seed=3)
    assert np.mean(h.loss) == pytest.approx(net.loss(x, y), rel=1e-12)


def test_classification_accuracy_and_evaluation_are_recorded():
    x, y = moons(200, 0.1, 0)
    xe, ye = moons(100, 0.1, 1)
    net = MLP([2, 32, 32, 1], "tanh", init="xavier_normal", loss="bce", seed=0)
    h = train(net, x, y, lr=0.01, steps=300, record_every=50, x_eval=xe, y_eval=ye)
    assert h.accuracy[-1] > 0.95 and h.eval_accuracy[-1] > 0.95
    assert h.eval_loss[-1] < h.eval_loss[0]


def test_evaluation_rows_see_the_same_weights_as_the_training_loss():
    x, y = moons(50, 0.1, 0)
    xe, ye = moons(40, 0.3, 1)
    net = MLP([2, 8, 1], "tanh", loss="bce", seed=1)
    expected_acc, expected_loss = accuracy(net.predict(xe), ye, "bce"), net.loss(xe, ye)
    h = train(net, x, y, lr=0.1, steps=2, x_eval=xe, y_eval=ye)
    assert h.eval_accuracy[0] == expected_acc and h.eval_loss[0] == expected_loss


def test_accuracy_uses_argmax_for_softmax_and_one_half_for_sigmoid():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    assert accuracy(probs, np.array([0, 1]), "softmax_ce") == 0.5
    assert accuracy(probs, np.eye(3)[[0, 2]], "softmax_ce") == 1.0
    assert accuracy(np.array([[0.4], [0.6], [0.51]]), np.array([0, 1, 0]), "bce") == pytest.approx(2 / 3)
    assert math.isnan(accuracy(probs, probs, "mse"))


def test_a_ready_optimizer_instance_is_used_as_given():
    x, y = _regression()
    a, b = MLP([4, 8, 1], "tanh", seed=0), MLP([4, 8, 1], "tanh", seed=0)
    train(a, x, y, optimizer=make_optimizer("momentum", 0.01, momentum=0.5), steps=5)
    train(b, x, y, optimizer="momentum", lr=0.01, steps=5)
    assert not np.array_equal(a.layers[0].W, b.layers[0].W)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"lr": -1.0}, "lr"),
        ({"steps": 0}, "steps"),
        ({"record_every": 0}, "record_every"),
        ({"batch_size": 1000}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"clip_norm": 1.0, "clip_value": 1.0}, "clip_norm or clip_value"),
        ({"clip_norm": 0.0}, "clip_norm"),
        ({"seed": -2}, "seed"),
        ({"x_eval": np.zeros((3, 4))}, "x_eval and y_eval"),
        ({"x_eval": np.zeros((3, 4)), "y_eval": np.zeros(2)}, "y_eval"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, message):
    x, y = _regression()
    with pytest.raises((ValueError, TypeError), match=message):
        train(MLP([4, 8, 1], seed=0), x, y, **kwargs)


def test_bad_data_and_net_raise_naming_the_argument():
    x, y = _regression()
    with pytest.raises(TypeError, match="net"):
        train("mlp", x, y)
    with pytest.raises(ValueError, match="x"):
        train(MLP([4, 1]), np.full((3, 4), np.nan), y[:3])
    with pytest.raises(ValueError, match="y"):
        train(MLP([4, 1]), x, y[:10])


@pytest.mark.torch
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_training_trajectory_matches_torch(torch, optimizer):
    x, y = _regression(32)
    net = MLP([4, 8, 8, 1], "tanh", init="xavier_normal", bias_std=0.1, seed=7)
    tparams = [torch.tensor(p.copy(), requires_grad=True) for _, p in net.parameters()]
    topt = (
        torch.optim.SGD(tparams, lr=0.05, momentum=0.9)
        if optimizer == "momentum"
        else torch.optim.Adam(tparams, lr=0.05)
    )
    tx, ty = torch.tensor(x), torch.tensor(y)
    losses = []
    for _ in range(6):
        h = tx
        for i in range(0, len(tparams), 2):
            h = h @ tparams[i] + tparams[i + 1]
            if i + 2 < len(tparams):
                h = torch.tanh(h)
        loss = torch.mean((h - ty) ** 2)
        losses.append(float(loss.detach()))
        topt.zero_grad()
        loss.backward()
        topt.step()
    hist = train(net, x, y, optimizer=optimizer, lr=0.05, steps=6)
    np.testing.assert_allclose(hist.loss, losses, rtol=1e-12)
    for (_, p), tp in zip(net.parameters(), tparams, strict=True):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-13)
