"""The one registry of reader-facing labels: what a page shows for an engine name.

Activations and initialisers carry their labels beside their registries
(`ACTIVATION_LABELS`, `INIT_LABELS`); this module joins them, adds optimisers, recurrent cells
and the fix names experiments use, builds "activation + initialiser" pairs (`setup_label`), and
lists the identifiers a built page must never show as a label (`IDENTIFIERS`, checked on every
built page by tests/site/test_labels.py).
"""

from __future__ import annotations

from vgdocs.engine.activations import ACTIVATION_LABELS
from vgdocs.engine.init import INIT_LABELS

__all__ = ["IDENTIFIERS", "LABELS", "label", "setup_label"]

# Short family names for "activation + initialiser" pairs ("ReLU + He"): the initialiser's
# family is what readers and papers name; the normal/uniform variant goes in the long label.
_INIT_FAMILY = {
    "xavier_uniform": "Xavier",
    "xavier_normal": "Xavier",
    "glorot_uniform": "Xavier",
    "glorot_normal": "Xavier",
    "he_uniform": "He",
    "he_normal": "He",
    "kaiming_uniform": "He",
    "kaiming_normal": "He",
    "lecun_normal": "LeCun",
    "lecun": "LeCun",
}

LABELS: dict[str, str] = {
    **INIT_LABELS,
    **ACTIVATION_LABELS,
    # optimisers (vgdocs.engine.optim.OPTIMIZERS)
    "sgd": "SGD",
    "momentum": "momentum SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    # recurrent cells (vgdocs.engine.nets.recurrent)
    "rnn": "RNN (tanh)",
    "lstm": "LSTM",
    "gru": "GRU",
    # names experiments give to a fix (vgdocs.experiments.vs_exploding.FIXES)
    "relu_he": "ReLU + He",
    "batchnorm": "BatchNorm",
}

# Every registry name whose label differs from it: shown on a page, it is code, not words.
# Excepted: "standard" and "momentum" (English words in prose) and "rnn" (also a page's address).
_ALSO_WORDS = ("standard", "momentum", "rnn")
IDENTIFIERS: frozenset[str] = frozenset(k for k, v in LABELS.items() if k != v and k not in _ALSO_WORDS)


def label(name: str) -> str:
    """The words a reader sees for an engine name ('he_normal' -> 'He (normal)'); other text passes through."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    return LABELS.get(name, name)


def setup_label(activation: str, init: str, *, long: bool = False) -> str:
    """'ReLU + He' for ('relu', 'he_normal'); with long=True, 'ReLU + He (normal)'."""
    act = label(activation)
    family = label(init) if long else _INIT_FAMILY.get(init, label(init))
    return f"{act} + {family}"
