import importlib
import importlib.util
import pkgutil

from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "worker"
    verbose_name = "Jobs and workers"

    def ready(self) -> None:
        """Every capability package (``worker/<package>/``) with a ``tasks`` module declares its
        job kinds and Celery tasks there; import them all so that each process knows every kind
        (see ``worker.jobs.registry``). A new package is found without being listed anywhere."""
        for package in sorted(pkgutil.iter_modules(self.module.__path__), key=lambda p: p.name):
            name = f"{self.name}.{package.name}.tasks"
            if package.ispkg and importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
