"""Whether a refit can run, and whether its result can be measured, before it is started (pure).

A refit fits on the training pairs and measures on the held-out ones, split by prompt
(``evaluate.split_test``). It must fail when fewer than ``min_pairs`` rated pairs have answers
for both assets, or when no decisive (non-tied) pair is left to train on; it runs but cannot be
measured when no decisive pair is held out (e.g. every pair is on one prompt, or the held-out
fraction is 0). The screen and the API read the same summary: the API refuses what must fail
with the reason, and a set without a held-out measurement is only promoted when asked to
(``promote_without_holdout``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from .evaluate import TIE, split_test


@dataclass(frozen=True)
class Readiness:
    rated_pairs: int  # pairs with at least one rating
    usable_pairs: int  # … whose two assets both have answers (or predictions) to fit on
    decisive_pairs: int  # usable pairs whose label is not a tie
    prompts: int  # distinct prompts among the usable pairs
    train_pairs: int
    train_decisive: int
    held_out_pairs: int
    held_out_decisive: int
    held_out_prompts: int
    min_pairs: int
    test_fraction: float
    can_start: bool  # the refit would not fail on its data
    can_measure: bool  # it would have decisive held-out pairs to measure (and compare) it on
    reasons: list[str] = field(default_factory=list)  # why it cannot start (empty when it can)
    warnings: list[str] = field(default_factory=list)  # why it cannot be measured

    def to_dict(self) -> dict:
        return asdict(self)


def _pairs(n: int) -> str:
    return f"{n} pair" if n == 1 else f"{n} pairs"


def refit_readiness(
    rated_pairs: int,
    prompts: Sequence[str],
    labels: Sequence[float],
    *,
    min_pairs: int,
    test_fraction: float,
    seed: int,
) -> Readiness:
    """The readiness of a refit on these usable pairs (one prompt and one label per pair, labels
    as ``answers.label_of``: 1 A, 0 B, 0.5 a tie), with the settings that decide the split."""
    if len(prompts) != len(labels):
        raise ValueError("one prompt per label")
    usable = len(labels)
    held = split_test(list(prompts), test_fraction, seed)
    decisive = [label != TIE for label in labels]
    train_pairs = usable - int(held.sum())
    train_decisive = sum(1 for d, h in zip(decisive, held.tolist(), strict=True) if d and not h)
    held_decisive = sum(1 for d, h in zip(decisive, held.tolist(), strict=True) if d and h)
    held_prompts = len({p for p, h in zip(prompts, held.tolist(), strict=True) if h})
    n_prompts = len(set(prompts))

    reasons: list[str] = []
    if usable < min_pairs:
        without = rated_pairs - usable
        detail = f" ({without} of the {rated_pairs} rated ones lack answers for both assets)" if without > 0 else ""
        reasons.append(
            f"Only {_pairs(usable)} can be fitted{detail}; a refit needs at least {min_pairs} (min_pairs). "
            "Rate more pairs, or answer the checklist of their assets."
        )
    elif train_decisive == 0:
        reasons.append(
            "No pair with a preference is left to train on: every pair is a tie (rated 3, no preference)."
            if not any(decisive)
            else "No pair with a preference is left to train on: every prompt with one is held out. "
            "Lower the held-out fraction, or rate pairs on more prompts."
        )
    warnings: list[str] = []
    if not reasons and held_decisive == 0:
        if test_fraction == 0:
            why = "the held-out fraction is 0"
        elif n_prompts == 1:
            why = "all pairs are on one prompt, and pairs are held out by prompt"
        else:
            why = f"none of the {n_prompts} prompts falls into the held-out share"
        warnings.append(
            f"Nothing can be held out to measure the new weights: {why}. The refit keeps its result as a "
            "candidate unless you promote it without a held-out measurement. Add pairs on more prompts "
            "to measure it."
        )
    return Readiness(
        rated_pairs=rated_pairs,
        usable_pairs=usable,
        decisive_pairs=sum(decisive),
        prompts=n_prompts,
        train_pairs=train_pairs,
        train_decisive=train_decisive,
        held_out_pairs=int(held.sum()),
        held_out_decisive=held_decisive,
        held_out_prompts=held_prompts,
        min_pairs=min_pairs,
        test_fraction=float(test_fraction),
        can_start=not reasons,
        can_measure=not reasons and held_decisive > 0,
        reasons=reasons,
        warnings=warnings,
    )
