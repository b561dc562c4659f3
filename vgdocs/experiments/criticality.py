"""Which (activation, initialisation) pairs are critical, by mean-field theory, and what the others lose.

Experiments for docs/vanishing-vs-exploding.md, docs/interview.md and the fixes pages: the
per-layer factor chi_1 of each common pairing at the bias variance the pages use, the critical
weight variance of each activation, the negative-side slopes of the activation registry, and the
slope-to-size ratio that decides whether a layer normaliser keeps the gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgdocs.engine import theory
from vgdocs.engine._checks import finite_float, positive_int
from vgdocs.engine.labels import label
from vgdocs.experiments._core import Result, experiment
from vgdocs.publish.claims import Claim
from vgdocs.publish.present.spec import Table

__all__ = ["PAIRS", "Criticality", "criticality"]

# (activation, words, initialisation, sigma_w2 it sets for a square layer)
PAIRS: tuple[tuple[str, str, str, float], ...] = (
    ("tanh", "tanh", "Xavier", 1.0),
    ("sigmoid", "sigmoid", "Xavier", 1.0),
    ("relu", "ReLU", "Xavier", 1.0),
    ("relu", "ReLU", "He", 2.0),
    ("gelu", "GELU", "He", 2.0),
    ("selu", "SELU", "LeCun", 1.0),
)
NEGATIVE = ("leaky_relu", "elu", "selu", "gelu", "swish")
RATIO_ACTS = ("sigmoid", "softplus", "relu", "gelu", "tanh")
CRITICAL_BAND = 0.02  # |chi_1 - 1| below this: critical (2 % per layer in squared norm)


@dataclass(frozen=True, kw_only=True)
class Criticality(Result):
    """Mean-field chi_1 of each pair in PAIRS at sigma_b2, and at sigma_b2 = 0; critical sigma_w2.

    norm_factor = sqrt(chi_1): the gradient norm's factor per layer; over_depth = norm_factor ** (depth - 1).
    neg_min / neg_max / neg_below_zero: slopes of NEGATIVE on x < 0 (theory.negative_side_slopes).
    size_ratio: theory.slope_to_size_ratio of RATIO_ACTS.
    """

    sigma_b2: float
    depth: int
    chi: np.ndarray
    chi_zero_bias: np.ndarray
    critical: np.ndarray  # critical sigma_w2 of each pair's activation at sigma_b2
    sigmoid_critical_zero_bias: float
    neg_min: np.ndarray
    neg_max: np.ndarray
    neg_below_zero: np.ndarray
    size_ratio: np.ndarray

    def _pair(self, act: str, init: str) -> int:
        return next(i for i, p in enumerate(PAIRS) if p[0] == act and p[2] == init)

    def table(self, which: str | None = None) -> Table:
        """One row per pair: sigma_w2, chi_1, norm factor per layer and over the depth, critical sigma_w2, phase."""
        rows = []
        for i, (_, words, init, sw2) in enumerate(PAIRS):
            chi = float(self.chi[i])
            phase = "critical" if abs(chi - 1) < CRITICAL_BAND else ("vanishes" if chi < 1 else "explodes")
            norm = math.sqrt(chi)
            rows.append((f"{words} + {init}", sw2, chi, norm, norm ** (self.depth - 1), float(self.critical[i]), phase))
        return Table(
            (
                "pair",
                "\u03c3_w²",
                "χ₁ per layer",
                "norm factor per layer",
                f"over {self.depth} layers",
                "critical \u03c3_w²",
                "phase",
            ),
            tuple(rows),
            caption=f"Mean-field theory at bias variance \u03c3_b² = {self.sigma_b2:g}: the factor each layer applies "
            f"to the squared gradient norm (χ₁), its square root for the norm, and that to the power "
            f"{self.depth - 1}. Critical means |χ₁ \u2212 1| < {CRITICAL_BAND:g}.",
        )

    def claims(self) -> list[Claim]:
        """Which pairs are critical, sigmoid's critical variance, GELU under He, negative slopes, size ratios."""
        tx, sx, rh, gh, rx = (
            self._pair("tanh", "Xavier"),
            self._pair("sigmoid", "Xavier"),
            self._pair("relu", "He"),
            self._pair("gelu", "He"),
            self._pair("relu", "Xavier"),
        )
        neg = dict(zip(NEGATIVE, range(len(NEGATIVE)), strict=True))
        ratio = dict(zip(RATIO_ACTS, self.size_ratio, strict=True))
        others = [i for i in range(len(PAIRS)) if i != rh]
        return [
            Claim(
                "only-relu-he-is-critical",
                "Of the pairs in the table only ReLU with He weights is critical (χ₁ = {chi}); every other "
                "pair is off by at least {worst_gap} per layer in squared norm.",
                holds=abs(self.chi[rh] - 1) < CRITICAL_BAND
                and all(abs(self.chi[i] - 1) >= CRITICAL_BAND for i in others),
                evidence={"chi": self.chi[rh], "worst_gap": min(abs(self.chi[i] - 1) for i in others)},
                scope="mean-field theory, wide random network at initialisation",
            ),
            Claim(
                "tanh-xavier-is-ordered",
                "Tanh with Xavier weights (\u03c3_w² = 1) is not critical: χ₁ = {chi}, so the gradient norm shrinks "
                "by {norm} per layer and by {over} over {depth} layers; tanh's critical point is \u03c3_w² = {crit}.",
                holds=self.chi[tx] < 1 - CRITICAL_BAND and self.critical[tx] > 1.5,
                evidence={
                    "chi": self.chi[tx],
                    "norm": math.sqrt(self.chi[tx]),
                    "over": math.sqrt(self.chi[tx]) ** (self.depth - 1),
                    "depth": self.depth,
                    "crit": self.critical[tx],
                },
                scope="mean-field theory at initialisation",
            ),
            Claim(
                "sigmoid-is-not-xavier",
                "Xavier is not the critical initialisation for the logistic sigmoid: at \u03c3_w² = 1 its χ₁ is "
                "{chi}, and the critical \u03c3_w² is {crit} (without biases: {crit0}), about {times} times Xavier's.",
                holds=self.chi[sx] < 0.2 and self.critical[sx] > 50,
                evidence={
                    "chi": self.chi[sx],
                    "crit": self.critical[sx],
                    "crit0": self.sigmoid_critical_zero_bias,
                    "times": self.critical[sx] / PAIRS[sx][3],
                },
                scope="mean-field theory at initialisation",
            ),
            Claim(
                "relu-xavier-halves",
                "ReLU with Xavier weights halves the squared gradient norm per layer (χ₁ = {chi}).",
                holds=abs(self.chi[rx] - 0.5) < 0.01,
                evidence={"chi": self.chi[rx]},
                scope="mean-field theory at initialisation",
            ),
            Claim(
                "gelu-he-not-critical",
                "GELU with He weights is not critical: without biases its χ₁ tends to {chi} per layer (gradient "
                "norm \u00d7 {norm} per layer, \u00d7 {over} over {depth} layers), because its small pre-activations "
                "sit where its slope is one half.",
                holds=abs(self.chi_zero_bias[gh] - 0.5) < 0.01,
                evidence={
                    "chi": self.chi_zero_bias[gh],
                    "norm": math.sqrt(self.chi_zero_bias[gh]),
                    "over": math.sqrt(self.chi_zero_bias[gh]) ** (self.depth - 1),
                    "depth": self.depth,
                },
                scope="mean-field theory at initialisation",
            ),
            Claim(
                "negative-side-slopes",
                "The negative side is not one story: leaky ReLU keeps a slope of {leaky}, ELU's lies between 0 "
                "and {ELU}, SELU's is {SELU} just below zero (λα, steeper than on the positive side), and GELU's "
                "and swish's slopes turn negative, down to {GELU} and {swish}.",
                holds=self.neg_below_zero[neg["selu"]] > 1.7
                and self.neg_min[neg["gelu"]] < 0
                and self.neg_min[neg["swish"]] < 0
                and self.neg_max[neg["elu"]] <= 1,
                evidence={
                    "leaky": self.neg_max[neg["leaky_relu"]],
                    "ELU": self.neg_max[neg["elu"]],
                    "SELU": self.neg_below_zero[neg["selu"]],
                    "GELU": self.neg_min[neg["gelu"]],
                    "swish": self.neg_min[neg["swish"]],
                },
            ),
            Claim(
                "slope-to-size-ordering",
                "What a layer normaliser keeps is the slope relative to the output's size, "
                "√(E[f\u2032(u)²]/E[f(u)²]) for u ~ N(0, 1): sigmoid {sigmoid}, softplus {softplus}, ReLU {ReLU}, "
                "GELU {GELU}; the two below 0.6 are the two that are not centred enough for their slope.",
                holds=ratio["sigmoid"] < 0.6
                and ratio["softplus"] < 0.6
                and ratio["relu"] > 0.9
                and ratio["gelu"] > 0.9,
                evidence={label(k): float(ratio[k]) for k in ("sigmoid", "softplus", "relu", "gelu")},
                scope="closed form (Gaussian expectations)",
            ),
        ]


@experiment("criticality.criticality")
def criticality(*, sigma_b2: float = 0.05, depth: int = 30, seed: int = 0) -> Criticality:
    """Mean-field facts for PAIRS at bias variance `sigma_b2`; `depth` layers for the over-depth factor."""
    sigma_b2 = finite_float("sigma_b2", sigma_b2, nonnegative=True)
    depth = positive_int("depth", depth)
    neg = np.array([theory.negative_side_slopes(a) for a in NEGATIVE])
    return Criticality(
        seed=seed,
        sigma_b2=sigma_b2,
        depth=depth,
        chi=np.array([theory.chi_1(a, sw, sigma_b2) for a, _, _, sw in PAIRS]),
        chi_zero_bias=np.array([theory.chi_1(a, sw, 0.0) for a, _, _, sw in PAIRS]),
        critical=np.array([theory.critical_sigma_w2(a, sigma_b2) for a, *_ in PAIRS]),
        sigmoid_critical_zero_bias=theory.critical_sigma_w2("sigmoid", 0.0),
        neg_min=neg[:, 0],
        neg_max=neg[:, 1],
        neg_below_zero=neg[:, 2],
        size_ratio=np.array([theory.slope_to_size_ratio(a) for a in RATIO_ACTS]),
    )
