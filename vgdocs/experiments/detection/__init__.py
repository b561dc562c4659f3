"""Experiments for docs/detection.md: a live dashboard, the diagnosis helper, the Glorot trap."""

from vgdocs.experiments.detection.trap import GlorotTrap, glorot_trap

__all__ = ["GlorotTrap", "glorot_trap"]
