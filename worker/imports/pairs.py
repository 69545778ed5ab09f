"""An imported preference pair: a pair task of two assets and the dataset's rating of it.

The rating is recorded as the pair task's :class:`GoldAnswer` with source ``imported`` (no
reviewer, no annotation, its provenance in ``comment``), which is what refits
(``worker.weights.answers.pair_labels``), the periodic-refit count and the exports read as a
pair's rating; the statistics count imported ratings apart from reviewers' gold answers.

By default nobody is asked to rate an imported pair again (its task needs 0 annotations and is
done); ``rate_again`` opens it for the project's *k* annotators, whose ratings the reviewer's
(here: the dataset's) rating replaces in refits, as a reviewed gold answer does.
"""

from __future__ import annotations

from django.db import transaction

from annotator.models import Asset, GoldAnswer, Project, Task


def reusable_asset(project_id: int, sha256: str, prompt: str) -> int | None:
    """A ready asset of the project with the same file and prompt (a pair dataset repeats an
    image in many pairs: it is one asset, annotated once)."""
    if not sha256:
        return None
    return (
        Asset.objects.filter(project_id=project_id, status=Asset.Status.READY, sha256=sha256, prompt=prompt)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


def record_pair(project: Project, asset_a: int, asset_b: int, rating: int, provenance: str, *, rate_again: bool):
    """The pair task of (A, B) with its imported rating; idempotent. Returns (task, created):
    ``created`` is False when the pair (in either order) already had a task, whose rating is kept."""
    with transaction.atomic():
        task = (
            Task.objects.select_for_update()
            .filter(project=project, kind=Task.Kind.PAIR, asset_id=asset_a, asset_b_id=asset_b)
            .first()
            or Task.objects.select_for_update()
            .filter(project=project, kind=Task.Kind.PAIR, asset_id=asset_b, asset_b_id=asset_a)
            .first()
        )
        if task is not None:
            return task, False
        required = project.overlap if rate_again else 0
        task = Task.objects.create(
            project=project,
            kind=Task.Kind.PAIR,
            asset_id=asset_a,
            asset_b_id=asset_b,
            required=required,
            status=Task.Status.OPEN if required else Task.Status.DONE,
        )
        GoldAnswer.objects.create(
            task=task,
            project=project,
            checklist_version_id=project.checklist_version_id,
            source=GoldAnswer.Source.IMPORTED,
            preference=rating,
            comment=provenance[:2000],
        )
    return task, True
