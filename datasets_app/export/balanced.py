"""The ``balanced_qa`` config: per question, as many *yes* as *no* examples, for fine-tuning a
question-answering model (as the paper balanced positive and negative samples per question).

Rules:

* one answer per (asset, question): the asset's combined row (``"majority"`` or ``"gold"``
  rule; with the ``"all"`` rule the majority row is used), only where the question applies
  (mask 1);
* per question, with ``y`` *yes* and ``n`` *no* answers in the whole export, ``k =
  min(y, n, cap)`` of each class are kept, so ``#yes == #no == k ≤ cap`` (the smaller class
  decides; a question without both classes contributes nothing);
* which ones: those with the smallest ``sha256(f"{seed}\\0{question_key}\\0{asset_id}")`` —
  a deterministic sample that depends on the seed, not on the order of the items;
* balance is over the whole export; each row then lands in its prompt's split (the ``split``
  column repeats it), so a split's own yes/no counts are balanced only in expectation.

Streaming: pass 1 feeds every asset's answers to :class:`BalancedPlanner` (memory: at most
``2 * cap`` candidates per question), :meth:`BalancedPlanner.plan` fixes the selection, and
pass 2 over the same items emits the rows with :func:`balanced_rows`.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from annotator.checklist import Checklist

from .combine import media_columns, rows_of
from .items import ExportError, ExportSettings, Item

ANSWER_TEXT = {1: "yes", 0: "no"}


def priority(seed: int, question_key: str, asset_id: int) -> int:
    """The sampling key: smaller is chosen first."""
    digest = hashlib.sha256(f"{seed}\x00{question_key}\x00{asset_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class BalancedPlan:
    """The chosen (asset, question, answer) triples; ``per_question``: k per question key."""

    selected: dict[int, tuple[tuple[str, int], ...]]
    per_question: dict[str, int]

    def for_asset(self, asset_id: int) -> tuple[tuple[str, int], ...]:
        """(question key, answer) pairs chosen for this asset, in question-position order."""
        return self.selected.get(asset_id, ())

    @property
    def num_rows(self) -> int:
        return 2 * sum(self.per_question.values())


class BalancedPlanner:
    """Pass 1: observe each asset's answers once; keeps, per question and class, the ``cap``
    candidates with the smallest priority (a bounded max-heap)."""

    def __init__(self, checklist: Checklist, cap: int, seed: int):
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise ExportError(f"must be a positive integer (got {cap!r})", "balanced_cap")
        self.checklist = checklist
        self.cap = cap
        self.seed = seed
        self._keys = checklist.question_keys
        self._heaps: list[tuple[list, list]] = [([], []) for _ in self._keys]
        self._counts: list[list[int]] = [[0, 0] for _ in self._keys]
        self._prefixes = [hashlib.sha256(f"{seed}\x00{key}\x00".encode()) for key in self._keys]

    def observe(self, asset_id: int, answers: Sequence[int], mask: Sequence[int]) -> None:
        suffix = str(asset_id).encode()
        for index, (answer, applicable) in enumerate(zip(answers, mask, strict=True)):
            if not applicable:
                continue
            self._counts[index][answer] += 1
            heap = self._heaps[index][answer]
            digest = self._prefixes[index].copy()  # = priority(seed, key, asset_id), the prefix hashed once
            digest.update(suffix)
            entry = (-int.from_bytes(digest.digest()[:8], "big"), asset_id)
            if len(heap) < self.cap:
                heapq.heappush(heap, entry)
            elif entry > heap[0]:  # smaller priority than the largest kept
                heapq.heapreplace(heap, entry)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per question, the number of *yes* and *no* answers observed."""
        return {key: {"yes": yes, "no": no} for key, (no, yes) in zip(self._keys, self._counts, strict=True)}

    def plan(self) -> BalancedPlan:
        chosen: dict[int, list[tuple[int, str, int]]] = {}
        per_question: dict[str, int] = {}
        for index, key in enumerate(self._keys):
            k = min(self._counts[index][0], self._counts[index][1], self.cap)
            per_question[key] = k
            if not k:
                continue
            for answer in (0, 1):
                kept = sorted(self._heaps[index][answer], reverse=True)[:k]  # smallest priorities
                for _, asset_id in kept:
                    chosen.setdefault(asset_id, []).append((index, key, answer))
        selected = {
            asset_id: tuple((key, answer) for _, key, answer in sorted(entries)) for asset_id, entries in chosen.items()
        }
        return BalancedPlan(selected, per_question)


def qa_source_row(
    item: Item, checklist: Checklist, settings: ExportSettings, rows: Sequence[Mapping]
) -> Mapping | None:
    """The one row whose answers feed the balanced subset (see the module docstring)."""
    if settings.combine == "all":
        majority = rows_of(item, checklist, replace(settings, combine="majority"))
        return majority[0] if majority else None
    return rows[0] if rows else None


def balanced_rows(
    item: Item, plan: BalancedPlan, checklist: Checklist, settings: ExportSettings, split: str
) -> list[dict[str, Any]]:
    """Pass 2: the ``balanced_qa`` rows of one item (question text with ``[[prompt]]`` filled)."""
    chosen = plan.for_asset(item.asset_id)
    if not chosen:
        return []
    media = media_columns(item, settings)
    return [
        {
            "id": f"{item.asset_id}-{key}",
            "asset_id": item.asset_id,
            "question_key": key,
            "question": checklist.render_question(key, item.prompt),
            "answer": ANSWER_TEXT[answer],
            "prompt": item.prompt,
            **media,
            "split": split,
        }
        for key, answer in chosen
    ]
