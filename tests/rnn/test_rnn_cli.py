"""`vgdocs profile --model rnn|lstm|gru --steps T`: gradient norm per time lag, nearest lag first."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vgdocs import cli
from vgdocs.engine.nets.recurrent import RecurrentNet


@pytest.mark.parametrize(("model", "activation"), [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
def test_profile_json_lag_norms_match_the_network_nearest_lag_first(capsys, model, activation):
    argv = [
        "profile",
        "--model",
        model,
        "--activation",
        activation,
        "--steps",
        "7",
        "--width",
        "5",
        "--batch",
        "6",
        "--seed",
        "2",
        "--json",
    ]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    # the CLI draws the weights first, then x, then y, all from one generator seeded with --seed
    rng = np.random.default_rng(2)
    net = RecurrentNet(model, 5, 5, 1, nonlinearity=activation, seed=rng)
    x, y = rng.standard_normal((6, 7, 5)), rng.standard_normal((6, 1))
    hidden_grads = net.gradients(x, y).hidden_grads  # (batch, steps, units)
    per_step = np.sqrt(np.sum(hidden_grads**2, axis=(0, 2)))
    np.testing.assert_allclose(out["lag_norms"], per_step[::-1], rtol=1e-12)
    np.testing.assert_allclose(out["delta_norms"], per_step, rtol=1e-12)
    assert out["steps"] == 7 and out["model"] == model
    assert out["diagnosis"]["n_layers"] == 7


def test_profile_table_has_one_row_per_lag(capsys):
    assert cli.main(["profile", "--model", "gru", "--steps", "9", "--width", "4", "--batch", "8"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r.split()[0]) for r in rows] == list(range(9))
    assert text.rstrip().splitlines()[-1].startswith(("vanishing", "exploding", "healthy"))


def test_recurrent_profile_errors_are_one_line(capsys):
    assert cli.main(["profile", "--model", "rnn", "--activation", "gelu", "--steps", "3"]) == 2
    assert "nonlinearity" in capsys.readouterr().err
    assert cli.main(["profile", "--model", "lstm", "--steps", "0"]) == 2
    assert cli.main(["profile", "--model", "lstm", "--steps", "100000", "--width", "512"]) == 2
    assert "reduce --steps" in capsys.readouterr().err
