"""One module per chapter; each public function returns a Result (see `_core`)."""

from vgdocs.experiments._core import Result, experiment

__all__ = ["Result", "experiment"]
