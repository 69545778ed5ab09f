"""Creating tasks from assets. (Assignment and annotation services live beside this module.)"""

from __future__ import annotations

from ..models import Asset, Task


def create_task_for_asset(asset: Asset) -> Task:
    """The single-asset task of a ready asset, created once (idempotent)."""
    if asset.status != Asset.Status.READY:
        raise ValueError(f"asset {asset.pk} is {asset.status}; only ready assets get tasks")
    task, _ = Task.objects.get_or_create(
        project_id=asset.project_id,
        asset=asset,
        kind=Task.Kind.SINGLE,
        defaults={"required": asset.project.overlap},
    )
    return task
