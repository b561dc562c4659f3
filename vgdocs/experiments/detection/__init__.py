"""Experiments for docs/detection.md: a live dashboard, the diagnosis helper, the Glorot trap."""

from vgdocs.experiments.detection.dashboard import Dashboard, dashboard
from vgdocs.experiments.detection.diagnosis import LiveDiagnoses, NormsDiagnosis, diagnose_norms, live_diagnoses
from vgdocs.experiments.detection.trap import GlorotTrap, glorot_trap

__all__ = [
    "Dashboard",
    "GlorotTrap",
    "LiveDiagnoses",
    "NormsDiagnosis",
    "dashboard",
    "diagnose_norms",
    "glorot_trap",
    "live_diagnoses",
]
