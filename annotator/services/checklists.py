"""Loading checklist definitions into frozen, content-hashed versions."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max

from ..checklist import Checklist, builtin_checklists
from ..models import ChecklistVersion


def load_checklist_version(
    checklist: Checklist, *, user=None, builtin: bool = False, source_name: str = ""
) -> tuple[ChecklistVersion, bool]:
    """Store ``checklist`` as a version; returns (version, created).

    Identical content (same hash) returns the existing version. New content under an
    existing key becomes the next version number of that key.
    """
    content_hash = checklist.content_hash()
    existing = ChecklistVersion.objects.filter(content_hash=content_hash).first()
    if existing is not None:
        return existing, False
    for _ in range(5):  # two concurrent loads of the same key race for the next number
        try:
            with transaction.atomic():
                latest = ChecklistVersion.objects.filter(key=checklist.key).aggregate(v=Max("version"))["v"] or 0
                version = ChecklistVersion.objects.create(
                    key=checklist.key,
                    version=latest + 1,
                    title=checklist.title,
                    media_type=checklist.media_type,
                    definition=checklist.to_dict(),
                    content_hash=content_hash,
                    question_count=len(checklist.questions),
                    sub_dimension_count=len(checklist.sub_dimensions),
                    builtin=builtin,
                    source_name=source_name[:300],
                    created_by=user if user is not None and user.is_authenticated else None,
                )
                return version, True
        except IntegrityError:
            existing = ChecklistVersion.objects.filter(content_hash=content_hash).first()
            if existing is not None:
                return existing, False
    raise RuntimeError(f"could not allocate a version number for checklist {checklist.key!r}")


def sync_builtin_checklists() -> list[ChecklistVersion]:
    """Make sure the shipped VisionReward checklists are loaded (idempotent)."""
    return [
        load_checklist_version(checklist, builtin=True, source_name=f"built-in: {key}")[0]
        for key, checklist in builtin_checklists().items()
    ]


def question_rows(checklist: Checklist) -> list[dict]:
    """The binary questions in position (question-file) order, as the API lists them."""
    return [
        {
            "key": q.key,
            "position": q.position,
            "text": q.text,
            "dimension": q.dimension,
            "sub_dimension": q.sub_dimension,
            "yes_if_at_least": q.yes_if_at_least,
            "presence": q.presence,
        }
        for q in checklist.questions
    ]


def checklist_preview(checklist: Checklist, filename: str) -> dict:
    """What an uploaded checklist would be, without storing it: its definition and questions
    (the shape of a stored version's detail), the stored version it is identical to, if any, and
    otherwise the version number it would get."""
    content_hash = checklist.content_hash()
    existing = ChecklistVersion.objects.filter(content_hash=content_hash).first()
    latest = ChecklistVersion.objects.filter(key=checklist.key).aggregate(v=Max("version"))["v"] or 0
    return {
        "filename": filename,
        "key": checklist.key,
        "title": checklist.title,
        "media_type": checklist.media_type,
        "content_hash": content_hash,
        "question_count": len(checklist.questions),
        "sub_dimension_count": len(checklist.sub_dimensions),
        "definition": checklist.to_dict(),
        "questions": question_rows(checklist),
        "existing": None
        if existing is None
        else {"id": existing.pk, "key": existing.key, "version": existing.version, "builtin": existing.builtin},
        "version": existing.version if existing is not None else latest + 1,
    }
