"""Keep the built-in checklists loaded after every migrate (idempotent, by content hash)."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def sync_builtin_checklists(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "annotator":
        return
    from .services.checklists import sync_builtin_checklists as sync

    sync()
