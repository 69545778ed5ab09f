"""The periodic refit as a django-celery-beat row, so that admins can change its schedule in the
admin (rows made from CELERY_BEAT_SCHEDULE would be reset at every beat start)."""

from django.db import migrations

TASK_NAME = "refit-weights"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task="worker.tasks.refit_weights",
        interval=every,
        enabled=True,
        description=(
            "Refit the weights of projects whose refit policy is enabled and that got enough new "
            "pair ratings; rescore assets whose answers changed."
        ),
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("worker", "0003_weight_sets"), ("django_celery_beat", "__latest__")]
    operations = [migrations.RunPython(create, remove)]
