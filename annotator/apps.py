from django.apps import AppConfig


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Annotation"

    def ready(self):
        from . import (
            signals,  # noqa: F401  (registers the built-in checklist sync)
            tasks,  # noqa: F401  (the webhook delivery task, sent by name from any process)
        )
