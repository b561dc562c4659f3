"""Render Results in the house style: Markdown tables, inline SVG figures, sentences, numbers.

Every `table`, `figure` and `sentence` call publishes the numbers it shows to `vgdocs.publish.ledger`.
"""

from vgdocs.publish.present.figures import figure
from vgdocs.publish.present.numbers import bars, fmt
from vgdocs.publish.present.sentences import claim, sentence
from vgdocs.publish.present.tables import table

__all__ = ["bars", "claim", "figure", "fmt", "sentence", "table"]
