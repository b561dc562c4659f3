"""The command line: profile numbers against a hand-written backward pass, help, errors and delegation."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from vgdocs import cli
from vgdocs.engine.activations import sigmoid
from vgdocs.engine.nets.mlp import MLP


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vgdocs", *args], capture_output=True, text=True, timeout=60)


def _json(capsys, *argv: str) -> dict:
    assert cli.main(["profile", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_profile_json_matches_a_hand_written_sigmoid_backward_pass(capsys):
    out = _json(
        capsys,
        "--activation",
        "sigmoid",
        "--init",
        "xavier-normal",
        "--depth",
        "6",
        "--width",
        "16",
        "--batch",
        "32",
        "--seed",
        "3",
    )
    # the CLI draws the weights first, then x, then y, all from one generator seeded with --seed
    rng = np.random.default_rng(3)
    weights = [layer.W for layer in MLP([16] * 7 + [1], "sigmoid", init="xavier_normal", seed=rng).layers]
    x, y = rng.standard_normal((32, 16)), rng.standard_normal((32, 1))
    hs, zs = [x], []
    for w in weights[:-1]:
        zs.append(hs[-1] @ w)
        hs.append(sigmoid(zs[-1]))
    out_z = hs[-1] @ weights[-1]
    delta = 2.0 * (out_z - y) / y.size
    grads, deltas = [hs[-1].T @ delta], []
    for i in range(len(weights) - 2, -1, -1):
        s = sigmoid(zs[i])
        delta = (delta @ weights[i + 1].T) * s * (1 - s)
        deltas.append(np.linalg.norm(delta))
        grads.append(np.linalg.norm(hs[i].T @ delta))
    grads[0] = np.linalg.norm(grads[0])
    np.testing.assert_allclose(out["delta_norms"], deltas[::-1], rtol=1e-12)
    np.testing.assert_allclose(out["grad_norms"], grads[::-1], rtol=1e-12)
    assert out["loss"] == pytest.approx(float(np.mean((out_z - y) ** 2)), rel=1e-12)
    assert out["diagnosis"]["verdict"] == "vanishing"
    assert len(out["saturated"]) == 6 and out["dead"] == [None] * 6


def test_profile_json_records_options_and_thresholds(capsys):
    out = _json(capsys, "--activation", "relu", "--init", "he-normal", "--depth", "4", "--norm", "layer", "--residual")
    assert (out["activation"], out["init"], out["depth"], out["norm"], out["residual"]) == (
        "relu",
        "he_normal",
        4,
        "layer",
        True,
    )
    assert len(out["delta_norms"]) == 4 and len(out["grad_norms"]) == 5
    assert out["diagnosis"]["vanishing_ratio"] == 0.01 and out["diagnosis"]["explanation"]


def test_overflowing_profile_writes_strict_json_with_nulls(capsys):
    out = _json(
        capsys,
        "--activation",
        "relu",
        "--init",
        "normal",
        "--init-std",
        "1",
        "--depth",
        "200",
        "--width",
        "32",
        "--batch",
        "8",
    )
    assert None in out["grad_norms"]
    assert out["diagnosis"]["verdict"] == "exploding" and "overflow" in out["diagnosis"]["explanation"]


def test_profile_table_has_a_row_and_a_bar_per_layer(capsys):
    assert cli.main(["profile", "--depth", "5", "--width", "8", "--batch", "16"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 6 and "output" in rows[-1]
    bars = [len(r) - len(r.rstrip("#")) for r in rows]
    assert max(bars) == 40 and min(bars) >= 1
    assert text.rstrip().splitlines()[-1].startswith(("vanishing", "exploding", "healthy"))


def test_log_bars_are_linear_in_log10():
    bars = cli._log_bars(np.array([1e-6, 1e-3, 1.0, math.inf]))
    assert [len(b) for b in bars] == [1, 21, 40, 40] and bars[-1] == "!" * 40


def test_module_help_documents_every_command():
    result = _run("--help")
    assert result.returncode == 0
    for command in ("profile", "diagnose", "ledger"):
        assert command in result.stdout
    profile = _run("profile", "--help").stdout
    for option in (
        "--activation",
        "--init",
        "--depth",
        "--width",
        "--batch",
        "--seed",
        "--norm",
        "--residual",
        "--json",
        "--model",
    ):
        assert option in profile


def test_module_runs_the_issue_example():
    result = _run(
        "profile",
        "--activation",
        "sigmoid",
        "--init",
        "xavier-normal",
        "--depth",
        "10",
        "--width",
        "64",
        "--batch",
        "128",
        "--seed",
        "0",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert len(out["delta_norms"]) == 10 and out["diagnosis"]["verdict"] == "vanishing"


def test_diagnose_command_judges_norms_from_anywhere(capsys):
    assert cli.main(["diagnose", "1e-7", "1e-5", "1e-3", "0.1"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("vanishing:") and "per-layer factor 0.01" in line
    assert cli.main(["diagnose", "1e9", "1e9", "--max-norm", "none", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "healthy" and out["max_norm"] is None and out["ratio"] == 1.0
    assert cli.main(["diagnose", "1", "inf", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "exploding"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["train"],
        ["profile", "--activation", "softmax"],
        ["profile", "--init", "zeros"],
        ["profile", "--depth", "0"],
        ["profile", "--width", "-3"],
        ["profile", "--batch", "1.5"],
        ["profile", "--seed", "-1"],
        ["profile", "--init-std", "nan"],
        ["profile", "--norm", "group"],
        ["profile", "--model", "transformer"],
        ["profile", "--bogus"],
        ["profile", "--width", "100000"],
        ["diagnose"],
        ["diagnose", "1.0"],
        ["diagnose", "1.0", "-2.0"],
        ["diagnose", "1.0", "two"],
        ["diagnose", "1.0", "2.0", "--min-norm", "0"],
        ["profile", "--depth", "100000000", "--width", "1", "--batch", "1"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, argv):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "error" in err


def test_bad_arguments_from_a_shell_give_no_traceback():
    result = _run("profile", "--depth", "zero")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "--depth" in result.stderr


def test_engine_errors_become_one_line_exit_2(capsys, monkeypatch):
    def broken(args):
        raise ValueError("width must be even for this model")

    monkeypatch.setitem(cli.PROFILERS, "mlp", broken)
    assert cli.main(["profile"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "vgdocs profile: error: width must be even for this model"


def _ledgers(tmp_path):
    from vgdocs.publish import ledger

    (tmp_path / "mkdocs.yml").write_text("site_name: t\n", encoding="utf-8")
    old = {"why/why.facts()/slope": 0.25, "why/why.facts()/table.sigmoid.max": 1.0, "xor/xor.run()/loss": 0.5}
    new = {"why/why.facts()/slope": 0.25025, "why/why.facts()/table.sigmoid.max": 1.00001, "what/w()/n": 3.0}
    ledger.save(tmp_path / "old.tsv", old)
    ledger.save(tmp_path / "new.tsv", new)
    return tmp_path


def test_ledger_diff_prints_markdown_page_by_page_with_the_relative_change(tmp_path, capsys):
    root = _ledgers(tmp_path)
    args = ["ledger", "-f", str(root / "mkdocs.yml"), "diff", str(root / "old.tsv"), str(root / "new.tsv")]
    assert cli.main(args) == 1  # something moved
    out = capsys.readouterr().out
    assert "#### `why.md`" in out and "#### `xor.md`" in out and "#### `what.md`" in out
    assert "| `why.facts()/slope` | 0.25 | 0.25025 | +0.1% |" in out
    assert "max" not in out  # 1e-5 relative is within the tolerance: not a change
    assert "| `xor.run()/loss` | 0.5 |  | gone |" in out and "| `w()/n` |  | 3 | new |" in out


def test_ledger_diff_of_a_ledger_with_itself_is_clean(tmp_path, capsys):
    root = _ledgers(tmp_path)
    args = ["ledger", "-f", str(root / "mkdocs.yml"), "diff", str(root / "old.tsv"), str(root / "old.tsv")]
    assert cli.main(args) == 0
    assert "No published number moved" in capsys.readouterr().out


def test_ledger_show_and_a_missing_config_file(tmp_path, capsys):
    root = _ledgers(tmp_path)
    (root / "ledger").mkdir()
    (root / "old.tsv").rename(root / "ledger" / "published.tsv")
    assert cli.main(["ledger", "-f", str(root / "mkdocs.yml"), "show", "why/*slope"]) == 0
    assert capsys.readouterr().out == "why/why.facts()/slope\t0.25\n"
    assert cli.main(["ledger", "-f", str(root / "nope.yml"), "check"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", cli._INIT_NAMES)
def test_every_init_choice_is_an_initialiser_the_engine_knows(name):
    from vgdocs.engine.init import init_std

    assert init_std(name.replace("_", "-"), 4, 4) > 0
