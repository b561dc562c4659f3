"""Render Results in the house style: Markdown tables, inline SVG figures, sentences, numbers.

Every `table`, `figure`, `sentence`, `prose`, `claim` and `lookup` call publishes the numbers it shows to
`vgdocs.publish.ledger` (the rule, and the one place it happens: `vgdocs.publish.present._publish`).
"""

from vgdocs.publish.present._publish import publish_lookup as lookup
from vgdocs.publish.present.figures import figure
from vgdocs.publish.present.numbers import bars, fmt
from vgdocs.publish.present.sentences import claim, prose, sentence
from vgdocs.publish.present.tables import table

__all__ = ["bars", "claim", "figure", "fmt", "lookup", "prose", "sentence", "table"]
