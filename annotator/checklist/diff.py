"""What carries over from one checklist to another, by key (pure).

A sub-dimension *carries over* when the new checklist has one with the same key and the same
options (codes, in the same order, and the same ``not_present`` flags): an answer chosen
under the old checklist means the same under the new one. Same key with other options is
*changed*; keys only in the new one are *new*, only in the old one *dropped*. Questions are
compared the same way (same key, text, sub-dimension, threshold and presence flag).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Checklist, Question, SubDimension


@dataclass(frozen=True)
class KeyChanges:
    kept: tuple[str, ...]
    changed: tuple[str, ...]
    new: tuple[str, ...]
    dropped: tuple[str, ...]

    def as_dict(self) -> dict:
        return {name: list(getattr(self, name)) for name in ("kept", "changed", "new", "dropped")}


@dataclass(frozen=True)
class ChecklistDiff:
    sub_dimensions: KeyChanges
    questions: KeyChanges
    dimensions_kept: tuple[str, ...]

    @property
    def same_answers(self) -> bool:
        """Every sub-dimension of the new checklist carries over: old answers are complete answers."""
        return not (self.sub_dimensions.changed or self.sub_dimensions.new)


def _options(sub: SubDimension) -> tuple:
    return (tuple((o.code, o.not_present) for o in sub.options), sub.gated_by)


def _question(q: Question) -> tuple:
    return (q.text, q.sub_dimension, q.yes_if_at_least, q.presence)


def _changes(old: dict, new: dict) -> KeyChanges:
    return KeyChanges(
        kept=tuple(k for k in new if k in old and old[k] == new[k]),
        changed=tuple(k for k in new if k in old and old[k] != new[k]),
        new=tuple(k for k in new if k not in old),
        dropped=tuple(k for k in old if k not in new),
    )


def compare(old: Checklist, new: Checklist) -> ChecklistDiff:
    """What of ``old`` carries over into ``new``, by key, in the new checklist's order."""
    return ChecklistDiff(
        sub_dimensions=_changes(
            {s.key: _options(s) for s in old.sub_dimensions}, {s.key: _options(s) for s in new.sub_dimensions}
        ),
        questions=_changes({q.key: _question(q) for q in old.questions}, {q.key: _question(q) for q in new.questions}),
        dimensions_kept=tuple(d.key for d in new.dimensions if d.key in {o.key for o in old.dimensions}),
    )


def carried_options(diff: ChecklistDiff, options: dict) -> dict:
    """The chosen options (sub-dimension key → code) that mean the same under the new checklist."""
    kept = set(diff.sub_dimensions.kept)
    return {key: code for key, code in (options or {}).items() if key in kept}


def carried_positions(old: Checklist, new: Checklist, diff: ChecklistDiff | None = None) -> tuple[int | None, ...]:
    """For each question of ``new`` (in position order), the 0-based index in ``old``'s answer
    vector of the same question, or ``None`` when it does not carry over: a question carries
    over when it is kept (same key, text, sub-dimension, threshold and presence flag) and so is
    its sub-dimension (same options and gate), so its old answer means the same."""
    diff = diff or compare(old, new)
    kept = set(diff.questions.kept)
    subs = set(diff.sub_dimensions.kept)
    return tuple(
        old.question(q.key).index if q.key in kept and q.sub_dimension in subs else None for q in new.questions
    )


def carried_answers(
    positions: tuple[int | None, ...], answers: list, mask: list
) -> tuple[list[int | None], list[int | None]]:
    """One annotation's binary ``answers`` and ``mask`` made under an old checklist, in the new
    checklist's question order (``positions`` from :func:`carried_positions`): ``None`` in both
    where the question does not carry over (not comparable, neither right nor wrong)."""
    width = len(answers)
    if len(mask) != width or any(i is not None and i >= width for i in positions):
        return [None] * len(positions), [None] * len(positions)
    return (
        [None if i is None else answers[i] for i in positions],
        [None if i is None else mask[i] for i in positions],
    )
