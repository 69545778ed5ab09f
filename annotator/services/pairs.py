"""Pairwise tasks: two assets of the same prompt, rated on a 1–5 preference scale."""

from __future__ import annotations

import itertools
import random

from django.db import transaction

from ..models import Asset, Project, Task


class PairError(ValueError):
    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def create_pairs(project: Project, pairs: list[tuple[int, int]]) -> list[Task]:
    """Create pair tasks from explicit (asset A, asset B) ids; all or nothing.

    Each pair must hold two different ready assets of this project with the same prompt,
    and must not exist yet in either order.
    """
    ids = {i for pair in pairs for i in pair}
    assets = {a.pk: a for a in Asset.objects.filter(project=project, pk__in=ids)}
    existing = {
        frozenset(p)
        for p in Task.objects.filter(project=project, kind=Task.Kind.PAIR).values_list("asset_id", "asset_b_id")
    }
    errors: dict = {}
    seen: set = set()
    for index, (a, b) in enumerate(pairs):
        where = f"pairs[{index}]"
        missing = [i for i in (a, b) if i not in assets]
        if missing:
            errors[where] = f"asset {missing[0]} is not an asset of project {project.pk}"
        elif a == b:
            errors[where] = f"a pair needs two different assets (got {a} twice)"
        elif any(assets[i].status != Asset.Status.READY for i in (a, b)):
            bad = next(i for i in (a, b) if assets[i].status != Asset.Status.READY)
            errors[where] = f"asset {bad} failed to import and cannot be compared"
        elif assets[a].prompt != assets[b].prompt:
            errors[where] = f"assets {a} and {b} have different prompts; pairs compare generations of one prompt"
        elif frozenset((a, b)) in existing:
            errors[where] = f"the pair ({a}, {b}) already exists"
        elif frozenset((a, b)) in seen:
            errors[where] = f"the pair ({a}, {b}) is listed twice"
        seen.add(frozenset((a, b)))
    if errors:
        raise PairError(errors)
    with transaction.atomic():
        return Task.objects.bulk_create(
            [
                Task(project=project, kind=Task.Kind.PAIR, asset_id=a, asset_b_id=b, required=project.overlap)
                for a, b in pairs
            ]
        )


def auto_pairs(project: Project, *, max_pairs_per_prompt: int = 10, seed: int = 0) -> list[tuple[int, int]]:
    """All new pairs among ready assets sharing a prompt (capped per prompt), sides shuffled by seed."""
    rng = random.Random(seed)
    by_prompt: dict[str, list[int]] = {}
    for asset_id, prompt in (
        Asset.objects.filter(project=project, status=Asset.Status.READY).order_by("id").values_list("id", "prompt")
    ):
        by_prompt.setdefault(prompt, []).append(asset_id)
    existing = {
        frozenset(p)
        for p in Task.objects.filter(project=project, kind=Task.Kind.PAIR).values_list("asset_id", "asset_b_id")
    }
    out: list[tuple[int, int]] = []
    for prompt in sorted(by_prompt):
        candidates = [c for c in itertools.combinations(by_prompt[prompt], 2) if frozenset(c) not in existing]
        rng.shuffle(candidates)
        for a, b in candidates[:max_pairs_per_prompt]:
            out.append((a, b) if rng.random() < 0.5 else (b, a))
    return out


def make_project_pairs(project: Project) -> list[Task]:
    """For a project with pair tasks on: the new automatic pairs (same prompt) of its ready
    assets, as tasks; none when pair tasks are off."""
    if not project.pair_tasks:
        return []
    pairs = auto_pairs(project)
    return create_pairs(project, pairs) if pairs else []
