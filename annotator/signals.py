"""Keep the built-in checklists loaded after every migrate (idempotent, by content hash); give
SQLite connections (the embedded database of ``make run``) the functions PostgreSQL has built in."""

from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def sync_builtin_checklists(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "annotator":
        return
    from .services.checklists import sync_builtin_checklists as sync

    sync()


@receiver(connection_created)
def sqlite_functions(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    from .services.stats import SqliteMedian

    connection.connection.create_aggregate("vr_median", 1, SqliteMedian)
