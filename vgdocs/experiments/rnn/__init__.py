"""Recurrent networks: backprop through time multiplies one W_hh^T diag(f'(z)) per time step.

Experiments for docs/rnn.md: gradient norm against time lag at several spectral norms and the
nilpotent counterexample to the eigenvalue rule (lags), the adding problem at growing sequence
lengths (adding), and clipping an exploding ReLU RNN (clipping). Data, training loop and clipping
are the engine's (vgdocs.engine.data / train / optim).
"""

from vgdocs.engine.data import adding_problem as adding_data
from vgdocs.experiments.rnn.adding import CELL_LABELS, AddingProblem, adding_problem
from vgdocs.experiments.rnn.clipping import Clipping, clipping
from vgdocs.experiments.rnn.lags import GAMMAS, Nilpotent, SpectralSweep, nilpotent, spectral_sweep

__all__ = [
    "CELL_LABELS",
    "GAMMAS",
    "AddingProblem",
    "Clipping",
    "Nilpotent",
    "SpectralSweep",
    "adding_data",
    "adding_problem",
    "clipping",
    "nilpotent",
    "spectral_sweep",
]
