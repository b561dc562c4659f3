"""Render Results in the house style: Markdown tables, inline SVG figures, sentences, numbers.

Every `table`, `figure` and `sentence` call publishes the numbers it shows to `vgdocs.ledger`.
"""

from vgdocs.present.figures import figure
from vgdocs.present.numbers import bars, fmt
from vgdocs.present.sentences import sentence
from vgdocs.present.tables import table

__all__ = ["bars", "figure", "fmt", "sentence", "table"]
