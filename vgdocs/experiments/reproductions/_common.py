"""Shared parts of the reproductions: the agreement criteria, a compared row, sources, labels.

Every comparison is a `Claim` (a row of a paper's table, not a page claim): the published value,
our measurement, a stated `Criterion`, and whether the criterion holds. `basis` says where the
reference value comes from: "source" (the cited paper states it) or "identity" (a formula or
self-check the rerun must satisfy exactly; shown, but not counted as agreement with the paper)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgdocs.engine._checks import choice, finite_float
from vgdocs.engine.activations import activation
from vgdocs.experiments._core import Result
from vgdocs.publish.claims import Claim as PageClaim
from vgdocs.publish.present.spec import Table

SIGMA, DELTA, TIMES, LE, GE = "\u03c3", "\u03b4", "\u00d7", "\u2264", "\u2265"
PRIME, MINUS, GAMMA, CHI = "\u2032", "\u2212", "\u03b3", "\u03c7"  # typographic characters for labels

SOURCES = {
    "nielsen": "Nielsen 2015, ch. 5",
    "glorot": "Glorot & Bengio 2010, sec. 4.2.1",
    "he": "He et al. 2015, sec. 2.2",
    "pascanu": "Pascanu et al. 2013, sec. 2.1, 3.2",
    "saxe": "Saxe et al. 2013",
    "schoenholz": "Schoenholz et al. 2017",
    "veit": "Veit et al. 2016, sec. 5",
}


# -- claims and criteria ---------------------------------------------------------------------------
CRITERIA = ("factor", "relative", "absolute", "at_most", "at_least", "all")


@dataclass(frozen=True)
class Criterion:
    """How close our number must be to the published one to count as agreement.

    factor: within a factor `tol` either way; relative: |ours/published - 1| <= tol;
    absolute: |ours - published| <= tol; at_most / at_least: ours <= tol / ours >= tol (the
    published statement is a bound); all: ours is a share of cases and must be 1 (tol unused).
    """

    kind: str
    tol: float

    def __post_init__(self) -> None:
        choice("kind", self.kind, CRITERIA)
        finite_float("tol", self.tol)

    def holds(self, ours: float, published: float | str) -> bool:
        """True when `ours` meets the criterion against `published`."""
        if not math.isfinite(ours):
            return False
        if self.kind in ("at_most", "at_least", "all"):
            return {"at_most": ours <= self.tol, "at_least": ours >= self.tol, "all": ours == 1.0}[self.kind]
        if not isinstance(published, (int, float)):
            raise TypeError(f"criterion kind={self.kind!r} needs a numeric published value; got {published!r}")
        if self.kind == "factor":
            return ours > 0 and published > 0 and max(ours / published, published / ours) <= self.tol
        if self.kind == "relative":  # a few ulps of slack, so "within 10%" includes 1.1 against 1.0
            return abs(ours / published - 1.0) <= self.tol + 4 * np.finfo(float).eps
        return abs(ours - published) <= self.tol * (1 + 1e-12)

    def text(self) -> str:
        """The criterion in words, for the table."""
        t = f"{self.tol:g}"
        return {
            "factor": f"within a factor {t}",
            "relative": f"within {self.tol:.0%}" if self.tol >= 0.01 else f"relative error {LE} {t}",
            "absolute": f"within {t}" if self.tol > 0 else "exactly equal",
            "at_most": f"ours {LE} {t}",
            "at_least": f"ours {GE} {t}",
            "all": "share = 1 (every case)",
        }[self.kind]


@dataclass(frozen=True)
class Claim:
    """One published statement beside our number: `agrees` is `criterion.holds(ours, published)`."""

    paper: str
    claim: str
    published: float | str
    ours: float
    criterion: Criterion
    agrees: bool
    basis: str = "source"


# Where a row's reference value comes from: the cited source's number (or bound), the source's
# qualitative statement judged by a threshold this project chose, or an identity / self-check (a
# formula or rule the rerun must satisfy, evaluated here; not evidence of agreement with the paper).
BASES = {
    "source": "number from the source",
    "statement": "source's statement, our threshold",
    "identity": "identity or self-check",
}


def compare(
    paper: str, claim: str, published: float | str, ours: float, criterion: Criterion, basis: str | None = None
) -> Claim:
    basis = choice("basis", basis or ("statement" if isinstance(published, str) else "source"), tuple(BASES))
    return Claim(paper, claim, published, float(ours), criterion, criterion.holds(float(ours), published), basis)


def claims_table(claims: Sequence[Claim], caption: str) -> Table:
    rows = tuple((c.claim, c.published, BASES[c.basis], c.ours, c.criterion.text(), c.agrees) for c in claims)
    return Table(
        ("claim", "reference", "reference is", "ours", "criterion", "agrees?"),
        rows,
        caption=caption + f" Source: {SOURCES[claims[0].paper]}." if claims else caption,
    )


def numerical_max_slope(name: str) -> tuple[float, float]:
    """(max f'(x), argmax) of activation `name`, found by bounded numerical maximisation on [-5, 5]."""
    slope = activation(name).derivative
    from scipy.optimize import minimize_scalar  # on first use: scipy costs 0.2 s to import

    best = minimize_scalar(
        lambda x: -float(slope(np.array([x]))[0]), bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-12}
    )
    return -float(best.fun), float(best.x)


INIT_LABEL = {
    "standard": "standard",
    "xavier_uniform": "Xavier",
    "xavier_normal": "Xavier",
    "he_normal": "He",
    "orthogonal": "orthogonal",
    "lecun_normal": "Gaussian N(0, 1/n)",
}


@dataclass(frozen=True, kw_only=True)
class PaperResult(Result):
    """A reproduction's Result: `rows` compares our numbers with the paper's; each row is also a page claim."""

    rows: tuple[Claim, ...]

    def setting(self) -> str:
        """What was run, in words: the caption of the comparison table."""
        raise NotImplementedError(f"{type(self).__name__} must say what it ran")

    def table(self, which: str | None = None) -> Table:
        """The paper's statements beside our numbers, captioned with the setting."""
        return claims_table(self.rows, self.setting())

    def claims(self) -> list[PageClaim]:
        """One claim per row: our number meets the row's criterion against its reference."""
        out = []
        for i, c in enumerate(self.rows):
            label = c.claim.replace("{", "{{").replace("}", "}}")
            evidence = {"ours": c.ours}
            if isinstance(c.published, str):
                ref = f"the statement \u201c{c.published}\u201d"
            else:
                evidence["reference"] = float(c.published)
                ref = "{reference}"
            slug = re.sub(r"[^a-z0-9]+", "-", c.claim.lower()).strip("-")[:40].strip("-")
            out.append(
                PageClaim(
                    f"{c.paper}-{i + 1}-{slug}" if slug else f"{c.paper}-{i + 1}",
                    f"{label}: ours {{ours}} against {ref} ({c.criterion.text()}; the reference is the "
                    f"{BASES[c.basis]}).",
                    holds=c.agrees,
                    evidence=evidence,
                    scope=SOURCES[c.paper],
                )
            )
        return out
