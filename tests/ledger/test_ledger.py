"""The ledger file format, the one tolerance, and the drift report, checked without building a site."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vgdocs.publish import ledger

REPO = Path(__file__).resolve().parents[2]

KEY = "fixes/residual/fixes.residual(depth=20)/grad_norms[3]"


@given(st.dictionaries(st.from_regex(r"[a-z][a-z/().=,\[\]0-9 _-]{0,40}", fullmatch=True), st.floats()))
def test_file_round_trips_every_float64_exactly(entries: dict[str, float]) -> None:
    back = ledger.loads(ledger.dumps(entries))
    assert back.keys() == entries.keys()
    for k, v in entries.items():
        assert (math.isnan(v) and math.isnan(back[k])) or (
            back[k] == v and math.copysign(1, back[k]) == math.copysign(1, v)
        )


def test_file_sorts_indices_numerically_and_deterministically() -> None:
    keys = ["a/e(lr=0.01)/x[10]", "a/e(lr=0.010)/x[2]", "a/e(lr=0.01)/x[2]", "a/e(lr=0.01)/x[1][3]"]
    body = [line.split("\t")[0] for line in ledger.dumps(dict.fromkeys(keys, 1.0)).splitlines()[2:]]
    assert body == ["a/e(lr=0.01)/x[1][3]", "a/e(lr=0.01)/x[2]", "a/e(lr=0.01)/x[10]", "a/e(lr=0.010)/x[2]"]
    assert ledger.dumps(dict.fromkeys(reversed(keys), 1.0)) == ledger.dumps(dict.fromkeys(keys, 1.0))


def test_file_is_sorted_with_nan_and_inf_spelled_out() -> None:
    text = ledger.dumps({"b/x/y": math.inf, "a/x/y": math.nan, "c/x/y": -math.inf, "a/x/z": 0.1})
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == ["a/x/y\tnan", "a/x/z\t0.1", "b/x/y\tinf", "c/x/y\t-inf"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("why/a/b 0.5\n", r"<ledger>:1: expected 'key<TAB>value'"),
        ("# c\nwhy/a/b\tfoo\n", r":2: value 'foo'"),
        ("k\t1\nk\t2\n", r":2: key 'k' appears twice"),
    ],
)
def test_malformed_file_names_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ledger.loads(text)


def test_key_with_tab_is_refused() -> None:
    with pytest.raises(ValueError, match="without tabs or newlines"):
        ledger.dumps({"a\tb": 1.0})


@given(st.floats(min_value=2e3 * ledger.ATOL, max_value=1e300), st.sampled_from([1.0, -1.0]))
def test_a_one_in_a_thousand_change_is_drift_at_any_magnitude(value: float, sign: float) -> None:
    v = sign * value
    assert not ledger.same(v, v * 1.001)
    assert not ledger.same(v, v * 0.999)
    assert ledger.same(v, v * (1 + 1e-6))  # far above float64 rounding, still accepted
    assert ledger.same(v, math.nextafter(v, math.inf))


def test_nan_equals_nan_and_inf_equals_inf_only() -> None:
    assert ledger.same(math.nan, math.nan)
    assert ledger.same(math.inf, math.inf) and ledger.same(-math.inf, -math.inf)
    assert not ledger.same(math.inf, -math.inf)
    assert not ledger.same(math.nan, 1.0) and not ledger.same(1.0, math.nan)
    assert not ledger.same(math.inf, 1e308)
    assert ledger.same(0.0, -0.0)


def test_compare_sorts_entries_into_changed_gone_and_missing() -> None:
    accepted = {KEY: 0.01, "why/why.a()/x": 1.0, "why/why.a()/gone": 2.0, "index/h()/nan": math.nan}
    recorded = {KEY: 0.01001, "why/why.a()/x": 1.00000001, "why/why.a()/new": 3.0, "index/h()/nan": math.nan}
    drift = ledger.compare(accepted, recorded)
    assert not drift.clean
    assert drift.changed == (ledger.Change(KEY, "fixes/residual.md", 0.01, 0.01001, pytest.approx(1e-3)),)
    assert drift.gone == (("why/why.a()/gone", 2.0),)
    assert drift.missing == (("why/why.a()/new", 3.0),)
    assert ledger.compare(accepted, recorded, partial=True).gone == ()
    assert ledger.compare(accepted, dict(accepted)).clean


def test_message_names_entry_page_old_new_change_and_the_update_command() -> None:
    drift = ledger.compare({KEY: 0.02, "why/why.a()/gone": 1.5}, {KEY: 0.02002, "xor/xor.run(seed=1)/loss": math.nan})
    text = drift.message()
    assert f"{KEY} [fixes/residual.md]: 0.02 -> 0.02002, +0.1%" in text
    assert "why/why.a()/gone [why.md]: 1.5" in text
    assert "xor/xor.run(seed=1)/loss [xor.md]: nan" in text
    assert "1 published number changed" in text and "rtol 0.0003" in text
    assert text.endswith("accept the new numbers with: python -m vgdocs ledger update")


def test_message_lists_at_most_limit_entries_per_kind() -> None:
    drift = ledger.compare({}, {f"why/why.a()/x[{i}]": float(i) for i in range(100)})
    assert "... and 60 more" in drift.message(limit=40)
    assert "x[99]" in drift.message(limit=None)


def test_relative_change_is_signed_and_infinite_from_zero() -> None:
    assert ledger.relative_change(2.0, 1.0) == -0.5
    assert ledger.relative_change(-2.0, -1.0) == 0.5
    assert ledger.relative_change(0.0, 1e-9) == math.inf
    assert math.isnan(ledger.relative_change(math.inf, 1.0))


def test_accept_keeps_accepted_values_within_tolerance_so_the_file_diff_stays_small() -> None:
    accepted = {"a/e()/x": 1.0, "a/e()/y": 1.0, "a/e()/gone": 5.0}
    new = ledger.accept(accepted, {"a/e()/x": 1.0 + 1e-12, "a/e()/y": 1.01, "a/e()/z": 7.0})
    assert new == {"a/e()/x": 1.0, "a/e()/y": 1.01, "a/e()/z": 7.0}


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        (KEY, ("fixes/residual", "fixes.residual(depth=20)", "grad_norms[3]")),
        (
            "why/why.flow(acts=(sigmoid,relu), depth=10)/g.relu[0]",
            ("why", "why.flow(acts=(sigmoid,relu), depth=10)", "g.relu[0]"),
        ),
        ("lab/gradient-flow.ipynb/lab.run(seed=0)/loss", ("lab/gradient-flow.ipynb", "lab.run(seed=0)", "loss")),
        ("fixes/index/table:Norm (log)/relu.dL/dW", ("fixes/index", "table:Norm (log)", "relu.dL/dW")),
    ],
)
def test_split_key_finds_page_experiment_quantity(key: str, parts: tuple[str, str, str]) -> None:
    assert ledger.split_key(key) == parts


def test_page_of_names_the_docs_file() -> None:
    assert ledger.page_of(KEY) == "fixes/residual.md"
    assert ledger.page_of("lab/gradient-flow.ipynb/lab.run(seed=0)/loss") == "lab/gradient-flow.ipynb"


@pytest.fixture
def fresh_ledger():
    ledger.reset()
    ledger.end_page()
    yield ledger
    ledger.reset()
    ledger.end_page()


def test_publish_outside_a_page_records_nothing(fresh_ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ledger.SPOOL_ENV, raising=False)
    fresh_ledger.publish(object(), {"x": 1.0})
    assert fresh_ledger.published() == {}


def test_publishing_a_key_twice_with_another_value_is_a_conflict(fresh_ledger) -> None:
    class R:
        experiment = "why.a(seed=0)"

    fresh_ledger.begin_page("why.md")
    fresh_ledger.publish(R(), {"x": 1.0, "n": math.nan})
    fresh_ledger.publish(R(), {"x": 1.0, "n": math.nan})
    assert fresh_ledger.conflicts() == {}
    fresh_ledger.publish(R(), {"x": 2.0})
    assert fresh_ledger.conflicts() == {"why/why.a(seed=0)/x": [1.0, 2.0]}
    drift = ledger.compare(
        {"why/why.a(seed=0)/x": 2.0, "why/why.a(seed=0)/n": math.nan},
        fresh_ledger.published(),
        conflicts=fresh_ledger.conflicts(),
    )
    assert not drift.clean and "why/why.a(seed=0)/x [why.md]: 1.0, 2.0" in drift.message()
    assert "make the result deterministic" in drift.message() and "ledger update" not in drift.message()


def test_kernel_side_publish_goes_through_the_spool(fresh_ledger, monkeypatch, tmp_path) -> None:
    class R:
        experiment = "lab.run(seed=0)"

    spool = tmp_path / "spool.tsv"
    monkeypatch.setenv(ledger.SPOOL_ENV, str(spool))
    monkeypatch.setenv(ledger.PAGE_ENV, "lab/gradient-flow.ipynb")
    fresh_ledger.publish(R(), {"loss": 0.5, "bad": math.inf, "two\nlines": 1.0})
    assert fresh_ledger.published() == {}
    assert fresh_ledger.collect_spool(spool) == {
        "lab/gradient-flow.ipynb/lab.run(seed=0)/loss": 0.5,
        "lab/gradient-flow.ipynb/lab.run(seed=0)/bad": math.inf,
        "lab/gradient-flow.ipynb/lab.run(seed=0)/two lines": 1.0,
    }
    assert fresh_ledger.published()["lab/gradient-flow.ipynb/lab.run(seed=0)/loss"] == 0.5
    assert spool.read_text() == ""


def test_committed_ledger_is_canonical_and_names_only_existing_pages() -> None:
    # A hand edit or a merge that leaves the file unsorted, duplicated or malformed fails here, fast.
    repo = Path(__file__).resolve().parents[2]
    path = repo / ledger.LEDGER_FILE
    text = path.read_text(encoding="utf-8")
    assert ledger.dumps(ledger.loads(text, str(path))) == text
    pages = {ledger.page_of(k) for k in ledger.loads(text)}
    assert {p for p in pages if not (repo / "docs" / p).is_file()} == set()


def test_a_chaotic_experiments_numbers_get_its_declared_tolerance_and_its_claims_never_do(tmp_path) -> None:
    """ledger/tolerances.tsv loosens the listed experiment only; a claim's verdict is always exact."""
    table = tmp_path / "tolerances.tsv"
    table.write_text("# experiment\trtol\tatol\twhy\nrnn.chaos\t0.5\t0.01\tmeasured spread\n", encoding="utf-8")
    loose = ledger.tolerances(table)
    assert loose == {"rnn.chaos": (0.5, 0.01)}
    accepted = {
        "rnn/rnn.chaos()/loss": 1.0,
        "rnn/rnn.chaos()/bin[0]": 0.0,
        "rnn/rnn.chaos()/claim[c].holds": 1.0,
        "rnn/rnn.steady()/loss": 1.0,
    }
    moved = {
        "rnn/rnn.chaos()/loss": 1.4,  # 29 % relative: within 0.5
        "rnn/rnn.chaos()/bin[0]": 0.005,  # within atol 0.01
        "rnn/rnn.chaos()/claim[c].holds": 0.0,  # a flipped verdict is never within tolerance
        "rnn/rnn.steady()/loss": 1.001,  # an unlisted experiment keeps RTOL: 0.1 % is drift
    }
    drift = ledger.compare(accepted, moved, loose=loose)
    assert {c.key for c in drift.changed} == {"rnn/rnn.chaos()/claim[c].holds", "rnn/rnn.steady()/loss"}
    assert not ledger.compare(accepted, {**moved, "rnn/rnn.chaos()/loss": 3.0}, loose=loose).clean
    with pytest.raises(ValueError, match="experiment<TAB>rtol"):
        table.write_text("rnn.chaos 0.5\n", encoding="utf-8")
        ledger.tolerances(table)


def test_a_key_entry_loosens_that_one_number_and_nothing_else_of_its_experiment(tmp_path) -> None:
    """An entry naming a whole ledger key (one explorer cell) loosens that key; its siblings keep RTOL."""
    table = tmp_path / "tolerances.tsv"
    cell = "explorer/explorer.grid()/ratio.cell=chaotic"
    table.write_text(f"{cell}\t0.8\t0\tone chaotic cell\n", encoding="utf-8")
    loose = ledger.tolerances(table)
    accepted = {cell: 8.6e14, "explorer/explorer.grid()/ratio.cell=ordered": 2.0}
    assert ledger.compare(accepted, {**accepted, cell: 4.1e14}, loose=loose).clean  # 52 % within 0.8
    moved = {**accepted, "explorer/explorer.grid()/ratio.cell=ordered": 2.002}  # 0.1 % on a sibling cell
    drift = ledger.compare(accepted, moved, loose=loose)
    assert [c.key for c in drift.changed] == ["explorer/explorer.grid()/ratio.cell=ordered"]


def test_every_loosened_experiment_exists_and_says_why() -> None:
    """Each line of the tolerance file names a registered experiment or a published key, and its measurement."""
    import importlib
    import pkgutil

    import vgdocs.experiments

    names = set()
    for info in pkgutil.walk_packages(vgdocs.experiments.__path__, "vgdocs.experiments."):
        module = importlib.import_module(info.name)
        names |= {getattr(f, "experiment_name", None) for f in vars(module).values()} - {None}
    rows = [
        line.split("\t")
        for line in (REPO / ledger.TOLERANCE_FILE).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rows, "the tolerance file lists the chaotic experiments"
    published = ledger.load(REPO / ledger.LEDGER_FILE)
    for name, rtol, atol, why in rows:
        assert name in names or name in published, f"{name} is neither an experiment nor a published key"
        assert 0 < float(rtol) < 1 and float(atol) >= 0 and len(why) > 20
