"""Claims: a lesson that stops holding fails the strict build, naming the page, the claim and its numbers."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.ledger.conftest import make_project, mkdocs, run_env
from vgdocs.experiments._core import Result
from vgdocs.publish import claims, ledger
from vgdocs.publish.claims import Claim
from vgdocs.publish.present import claim

# A sigmoid/Xavier net's first layer gets a smaller gradient than its last (vanishing): the true claim
# says so, the broken one says the opposite about the very same numbers.
CLAIM_MODULE = """
import dataclasses

import numpy as np

from vgdocs.engine.nets.mlp import MLP
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim


@dataclasses.dataclass(frozen=True, kw_only=True)
class Flow(Result):
    grad_norms: np.ndarray

    def claims(self):
        first, last = float(self.grad_norms[0]), float(self.grad_norms[-1])
        return [
            Claim("first-layer-gets-less", "The first layer gets {first}, less than the last ({last}).",
                  holds=first < last, evidence={"first": first, "last": last}, scope="at initialisation"),
            Claim("first-layer-gets-more", "The first layer gets {first}, more than the last ({last}).",
                  holds=first > last, evidence={"first": first, "last": last}, scope="at initialisation"),
        ]


@experiment("claimdemo.flow")
def flow(depth: int = 6, seed: int = 0) -> Flow:
    rng = np.random.default_rng(seed)
    net = MLP((8,) + (16,) * depth + (1,), "sigmoid", init="xavier_normal", seed=seed)
    x, y = rng.normal(size=(32, 8)), rng.normal(size=(32, 1))
    return Flow(grad_norms=net.gradients(x, y).grad_norms, seed=seed)
"""


def page(claim_id: str) -> str:
    return textwrap.dedent(
        f"""\
        # Demo

        ```python exec="on" id="demo-claim"
        from claimdemo import flow
        from vgdocs.publish.present import claim
        print(claim(flow(), "{claim_id}"))
        ```
        """
    )


def project(tmp_path: Path, claim_id: str) -> Path:
    root = make_project(tmp_path / "site", page=page(claim_id))
    (root / "claimdemo.py").write_text(CLAIM_MODULE, encoding="utf-8")
    return root


@dataclasses.dataclass(frozen=True, kw_only=True)
class Pair(Result):
    first: float
    last: float

    def claims(self) -> list[Claim]:
        return [
            Claim(
                "first-below-last",
                "The first is {first}, below the last ({last}).",
                self.first < self.last,
                {"first": self.first, "last": self.last},
            )
        ]


def test_claim_fills_its_sentence_with_the_evidence_in_the_house_format():
    assert claim(Pair(first=0.5, last=2.0), "first-below-last") == "The first is 0.5, below the last (2)."


def test_claim_publishes_evidence_and_verdict_and_files_itself_for_the_page():
    ledger.reset()
    claims.reset()
    ledger.begin_page("demo.md")
    try:
        claim(Pair(first=3.0, last=2.0, experiment="demo.pair()"), "first-below-last")
    finally:
        ledger.end_page()
    numbers = ledger.published()
    assert numbers["demo/demo.pair()/claim[first-below-last].holds"] == 0.0
    assert numbers["demo/demo.pair()/claim[first-below-last].first"] == 3.0
    (record,) = claims.filed()
    assert (record.page, record.claim.id, record.claim.holds) == ("demo.md", "first-below-last", False)
    report = claims.format_failures(claims.failing())
    assert "demo.md: claim 'first-below-last'" in report and "first = 3" in report
    ledger.reset()
    claims.reset()


def test_claim_rejects_an_unknown_id_naming_the_valid_ones():
    with pytest.raises(ValueError, match=r"'nope'.*\['first-below-last'\]"):
        claim(Pair(first=1.0, last=2.0), "nope")


def test_claim_ids_are_words_not_sentences():
    with pytest.raises(ValueError, match="claim id"):
        Claim("Not An Id", "text", True)


def test_saved_claims_load_back_equal(tmp_path):
    record = claims.ClaimRecord(
        "why.md", "why.x()", Claim("a-b", "{x} holds", True, {"x": 1.5}, "init", "at init"), "1.5 holds"
    )
    claims.save(tmp_path / "c.json", [record])
    assert claims.load(tmp_path / "c.json") == [record]
    assert json.loads((tmp_path / "c.json").read_text())[0]["id"] == "a-b"


@pytest.mark.slow
def test_a_claim_that_does_not_hold_fails_the_strict_build_naming_page_claim_and_numbers(tmp_path):
    root = project(tmp_path, "first-layer-gets-more")
    done = mkdocs(root, "build", "--strict", env=run_env({"VGDOCS_LEDGER_COMPARE": "0"}, [root]))
    assert done.returncode != 0
    assert "index.md: claim 'first-layer-gets-more' (claimdemo.flow())" in done.stderr
    assert "judged on: first = " in done.stderr


@pytest.mark.slow
def test_a_claim_that_holds_builds_and_the_claims_command_lists_it(tmp_path):
    root = project(tmp_path, "first-layer-gets-less")
    done = mkdocs(root, "build", "--strict", env=run_env({"VGDOCS_LEDGER_COMPARE": "0"}, [root]))
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "vgdocs", "claims", "--config-file", str(root / "mkdocs.yml"), "--json"],
        cwd=root,
        env=run_env({"VGDOCS_LEDGER_COMPARE": "0"}, [root]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["page"], row["id"], row["holds"]) == ("index.md", "first-layer-gets-less", True)


def test_the_claims_table_typesets_a_sentences_math_and_emphasis_like_its_page(caplog):
    """The table is injected after Markdown ran: its sentences still get MathML, never raw TeX."""
    from vgdocs.publish import claims

    record = claims.ClaimRecord(
        "why.md", "why.facts()", claims.Claim("up-to-one", "x", True), "Up to $\\sigma_w = 1$ it is *within* 5%."
    )
    out = claims.html_table([record], type("Page", (), {"url": "claims/"})())
    assert "<math" in out and "<msub>" in out and "$" not in out and "\\sigma" not in out
    assert "<em>within</em> 5%" in out
    bad = claims.ClaimRecord("why.md", "why.facts()", claims.Claim("bad", "x", True), "Bad $\\notacommand{x}$.")
    with caplog.at_level("WARNING", logger="mkdocs.plugins.vgdocs.mathml"):
        claims.html_table([bad], None)
    assert "notacommand" in caplog.text  # a warning on mkdocs' logger: --strict fails
