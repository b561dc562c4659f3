"""Reproductions of the literature: classic vanishing-gradient results rerun, published numbers beside ours.

Experiments for docs/reproductions/ (one module and one page per paper). Published values are
constants in each paper's module, each with its source; they are the papers' data, not our
computations."""

from vgdocs.experiments.reproductions._common import SOURCES, Claim, Criterion
from vgdocs.experiments.reproductions.glorot import GlorotVariance, glorot
from vgdocs.experiments.reproductions.he import HeReLU, he
from vgdocs.experiments.reproductions.nielsen import NielsenExercise, NielsenLayers, nielsen, nielsen_exercise
from vgdocs.experiments.reproductions.pascanu import PascanuChecks, pascanu
from vgdocs.experiments.reproductions.saxe import SaxeIsometry, saxe
from vgdocs.experiments.reproductions.schoenholz import MeanFieldProfile, schoenholz
from vgdocs.experiments.reproductions.scoreboard import Scoreboard, scoreboard
from vgdocs.experiments.reproductions.veit import ResidualPaths, veit

__all__ = [
    "SOURCES",
    "Claim",
    "Criterion",
    "GlorotVariance",
    "HeReLU",
    "MeanFieldProfile",
    "NielsenExercise",
    "NielsenLayers",
    "PascanuChecks",
    "ResidualPaths",
    "SaxeIsometry",
    "Scoreboard",
    "glorot",
    "he",
    "nielsen",
    "nielsen_exercise",
    "pascanu",
    "saxe",
    "schoenholz",
    "scoreboard",
    "veit",
]
