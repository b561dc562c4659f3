"""Claims: the lessons a page draws, each a predicate over a Result that the build evaluates.

A claim is a sentence that states a comparison, a cause or a verdict ("LSTM learns longer
dependencies than the RNN"). The experiment that measures it builds a `Claim` from its Result
(the sentence, whether it holds, the numbers it was judged on, and for a causal claim the
intervention); a page prints it with `present.claim(result, "id")`. Printing a claim

- renders its sentence with the evidence filled in (numbers in the house format),
- publishes the evidence and `holds` (1 or 0) to the ledger under the Result's experiment, and
- files the claim for the page, so the drift hook fails `mkdocs build --strict` when any claim
  on any page does not hold, naming page, claim, sentence and evidence.

`python -m vgdocs claims` builds the site and lists every claim with its verdict.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "RECORD_ENV",
    "Claim",
    "ClaimRecord",
    "failing",
    "file",
    "filed",
    "format_failures",
    "html_table",
    "load",
    "page_url",
    "reset",
    "save",
]

RECORD_ENV = "VGDOCS_CLAIMS_RECORD"  # path: the drift hook writes this build's claims there (JSON)

_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclasses.dataclass(frozen=True)
class Claim:
    """One lesson: `text` (Markdown with `{name}` placeholders filled from `evidence`) and its verdict.

    `intervention` says, for a causal claim, which one factor was changed and what was held fixed
    ("init N(0, 1) instead of Xavier; same data, width, depth, seed"). `scope` says when it was
    measured ("at initialisation", "after 2,000 SGD steps").
    """

    id: str
    text: str
    holds: bool
    evidence: Mapping[str, float] = dataclasses.field(default_factory=dict)
    intervention: str = ""
    scope: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ValueError(f"claim id must be lower-case words joined by '-' or '.'; got {self.id!r}")
        object.__setattr__(self, "holds", bool(self.holds))
        object.__setattr__(self, "evidence", {str(k): float(v) for k, v in self.evidence.items()})


@dataclasses.dataclass(frozen=True)
class ClaimRecord:
    """A claim as a page printed it: where, from which experiment, and the sentence the reader read."""

    page: str
    experiment: str
    claim: Claim
    sentence: str


_filed: list[ClaimRecord] = []
PAGE_ENV = "VGDOCS_LEDGER_PAGE"


def file(page: str | None, experiment: str, claim: Claim, sentence: str) -> None:
    """File a printed claim for `page` (outside a site build, with no page, nothing is kept)."""
    page = page or os.environ.get(PAGE_ENV)
    if page is None:
        return
    record = ClaimRecord(page, experiment, claim, sentence)
    if record not in _filed:
        _filed.append(record)


def filed() -> list[ClaimRecord]:
    """Every claim printed since the last reset, in the order pages printed them."""
    return list(_filed)


def reset() -> None:
    """Forget the claims filed so far (start of a build)."""
    _filed.clear()


def failing(records: list[ClaimRecord] | None = None) -> list[ClaimRecord]:
    """The filed claims (or `records`) that do not hold."""
    return [r for r in (_filed if records is None else records) if not r.claim.holds]


def format_failures(records: list[ClaimRecord]) -> str:
    """A report naming, for each failing claim, its page, id, sentence and the numbers it was judged on."""
    lines = [f"{len(records)} claim{'s' if len(records) != 1 else ''} no longer hold:"]
    for r in records:
        evidence = ", ".join(f"{k} = {v:.6g}" for k, v in r.claim.evidence.items()) or "no numbers"
        lines.append(f"  {r.page}: claim '{r.claim.id}' ({r.experiment})")
        lines.append(f"    says: {r.sentence}")
        lines.append(f"    judged on: {evidence}")
        if r.claim.intervention:
            lines.append(f"    intervention: {r.claim.intervention}")
    lines.append("Fix the lesson (or the code) so the sentence is true; a claim is never accepted like a number.")
    return "\n".join(lines)


def save(path: str | os.PathLike[str], records: list[ClaimRecord]) -> None:
    """Write `records` to `path` as JSON (a list of plain objects, in filing order)."""
    rows = [
        {
            "page": r.page,
            "experiment": r.experiment,
            "sentence": r.sentence,
            **{k: v for k, v in dataclasses.asdict(r.claim).items()},
        }
        for r in records
    ]
    Path(path).write_text(json.dumps(rows, indent=1, allow_nan=True) + "\n", encoding="utf-8")


def load(path: str | os.PathLike[str]) -> list[ClaimRecord]:
    """Read what `save` wrote."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    fields = {f.name for f in dataclasses.fields(Claim)}
    return [
        ClaimRecord(r["page"], r["experiment"], Claim(**{k: v for k, v in r.items() if k in fields}), r["sentence"])
        for r in rows
    ]


def page_url(src: str) -> str:
    """The site URL (relative to the site root) of the page whose source is `src` ('fixes/index.md' -> 'fixes/')."""
    stem = src.rsplit(".", 1)[0]
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def html_table(records: list[ClaimRecord], page: object) -> str:
    """An HTML table of `records` (page, claim, verdict, evidence) with links relative to `page`.

    The sentence is Markdown: it goes through the same Markdown and MathML path as on its page
    (this table is injected after the page's Markdown ran, so nothing else would typeset its math).
    """
    from vgdocs.publish.site.mathml import markdown_inline

    up = "../" * str(getattr(page, "url", "")).count("/")
    rows = []
    for r in records:
        evidence = "; ".join(f"{html.escape(k)} = {v:.4g}" for k, v in r.claim.evidence.items())
        how = " ".join(
            x for x in (r.claim.scope, f"Intervention: {r.claim.intervention}." if r.claim.intervention else "") if x
        )
        rows.append(
            "<tr>"
            f'<td><a href="{up}{page_url(r.page)}">{html.escape(r.page.rsplit(".", 1)[0])}</a></td>'
            f"<td><code>{html.escape(r.claim.id)}</code></td>"
            f"<td>{markdown_inline(r.sentence)}</td>"
            f"<td>{'holds' if r.claim.holds else '<strong>does not hold</strong>'}</td>"
            f"<td>{evidence}{'<br>' + html.escape(how) if how else ''}</td>"
            "</tr>"
        )
    return (
        f"<p>{len(records)} claims on {len({r.page for r in records})} pages; "
        f"{sum(r.claim.holds for r in records)} hold.</p>\n"
        '<div class="vg-table-scroll" tabindex="0" role="region" aria-label="Every claim on the site">'
        "<table><thead><tr><th>Page</th><th>Claim</th><th>Sentence</th><th>Verdict</th>"
        "<th>Judged on (and how)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )
