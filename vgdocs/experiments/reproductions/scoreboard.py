"""Every reproduction at a glance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vgdocs.experiments._core import Result, experiment
from vgdocs.experiments.reproductions._common import (
    BASES,
    SOURCES,
    PageClaim,
)
from vgdocs.experiments.reproductions.glorot import glorot
from vgdocs.experiments.reproductions.he import he
from vgdocs.experiments.reproductions.nielsen import nielsen, nielsen_exercise
from vgdocs.experiments.reproductions.pascanu import pascanu
from vgdocs.experiments.reproductions.saxe import saxe
from vgdocs.experiments.reproductions.schoenholz import schoenholz
from vgdocs.experiments.reproductions.veit import veit
from vgdocs.publish.present.spec import Table


# -- every reproduction at a glance ----------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Scoreboard(Result):
    """Per paper and per kind of reference (BASES), how many rows our reruns check and how many they meet.

    checked / met: arrays (papers, BASES) in the order of BASES. Only "source" rows count as agreement
    with the literature; statements (the source's words, our threshold) and identities are shown apart.
    """

    papers: tuple[str, ...]
    checked: np.ndarray
    met: np.ndarray
    total_source: int
    total_source_met: int
    disagreements: tuple[str, ...] = field(metadata={"ledger": False})  # "paper: claim" of every failed criterion

    def table(self, which: str | None = None) -> Table:
        """One row per paper: rows met / checked for each kind of reference."""
        rows = tuple(
            (SOURCES[p], *(f"{int(m)} / {int(n)}" for n, m in zip(self.checked[i], self.met[i], strict=True)))
            for i, p in enumerate(self.papers)
        )
        return Table(
            ("source", *(f"{label}: met / checked" for label in BASES.values())),
            rows,
            caption="Every reproduction, counted from the tables on the paper pages. Only the first column "
            "is agreement with the literature: a number the cited source states. The second judges a "
            "qualitative statement of the source with a threshold this project chose; the third holds "
            "identities and self-checks (a formula or rule the rerun must satisfy), shown as what they are.",
        )

    def claims(self) -> list[PageClaim]:
        """Every row whose reference comes from the cited source agrees."""
        return [
            PageClaim(
                "every-source-number-reproduced",
                "Of the {n} rows whose reference number comes from the cited source, {met} meet their criterion.",
                holds=self.total_source_met == self.total_source and self.total_source > 0,
                evidence={"n": self.total_source, "met": self.total_source_met},
                scope="each paper's criterion, stated on its page",
            )
        ]


@experiment("reproductions.scoreboard")
def scoreboard(*, seed: int = 0) -> Scoreboard:
    """Run every reproduction with its default arguments and count the rows that meet their criteria."""
    results = (
        nielsen(seed=seed),
        nielsen_exercise(seed=seed),
        glorot(seed=seed),
        he(seed=seed),
        pascanu(seed=seed),
        saxe(seed=seed),
        schoenholz(seed=seed),
        veit(seed=seed),
    )
    rows = [c for r in results for c in r.rows]
    papers = tuple(dict.fromkeys(c.paper for c in rows))
    checked = np.array([[sum(c.paper == p and c.basis == b for c in rows) for b in BASES] for p in papers])
    met = np.array([[sum(c.paper == p and c.basis == b and c.agrees for c in rows) for b in BASES] for p in papers])
    source = [c for c in rows if c.basis == "source"]
    return Scoreboard(
        seed=seed,
        disagreements=tuple(f"{SOURCES[c.paper]}: {c.claim}" for c in rows if not c.agrees),
        papers=papers,
        checked=checked,
        met=met,
        total_source=len(source),
        total_source_met=sum(c.agrees for c in source),
    )
