"""Plain data shared by the weight-fitting and scoring code (no Django, no database).

Features: every asset is described, per question key, by two numbers in [0, 1]:
``yes`` (the share of yes among the raters for whom the question applied, or a model's P(yes))
and ``applicable`` (the share of raters for whom it applied, or the probability that its
presence gates are open). They are encoded into one number per question:

* ``signed`` (default; the reference scorers' coding): ``applicable * (2 * yes - 1)``:
  yes = +1, no = -1, not applicable = 0;
* ``binary`` (the paper's x_i): ``applicable * yes``: yes = 1, no or not applicable = 0;
* ``unmasked`` (the reference *video* scorer's coding, which has no presence masks):
  ``2 * applicable * yes - 1``: yes = +1, no = -1, and not applicable = -1 too: a question
  that does not apply because its thing is absent ("no lighting") counts as the *no* its
  threshold gives (the not-present option is the lowest, below every threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENCODINGS = ("signed", "binary", "unmasked")
NORMALIZATIONS = ("sum", "mean")


class WeightsError(ValueError):
    """A bad input to fitting, evaluation or scoring; the message names the field or question."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AssetFeatures:
    """One asset's answers, question key → value in [0, 1] (see the module docstring).
    Questions missing from ``yes`` are unknown and encode to 0; missing from ``applicable``
    means applicable (1.0). ``extra`` holds named non-question features (e.g. ``alignment``)."""

    yes: dict[str, float]
    applicable: dict[str, float] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class WeightVector:
    """A linear reward over question features.

    score = intercept + sum(extra[name] * value of extra feature name)
            + N(sum over keys of coefficients[key] * feature[key])
    where N divides by the number of coefficients for ``normalization == "mean"`` (the video
    reference scorer) and is the identity for ``"sum"``. ``gates`` maps a question key to
    the presence question key whose *no* makes it count 0 (the image reference scorer's mask);
    it is applied on top of the ``applicable`` values. ``extra_defaults`` gives the value of an
    extra feature an asset does not provide (the image reference uses alignment = 0.7).
    ``dimensions`` maps question key → dimension key, for per-dimension scores.
    """

    coefficients: dict[str, float]
    encoding: str = "signed"
    normalization: str = "sum"
    intercept: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    extra_defaults: dict[str, float] = field(default_factory=dict)
    gates: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
