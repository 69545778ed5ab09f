"""The import rules of pyproject.toml ([tool.importlinter]), run by `make test` and `make lint`.

They hold on the tree as it is, and each one bites: one stray import, written into a copy of the
tree the way a hurried change would write it (inside a function, or reaching Django through a
model), makes `lint-imports` fail and name the rule it breaks."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("annotator", "datasets_app", "worker", "config")


def lint_imports(root: Path, *contracts: str) -> subprocess.CompletedProcess:
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *selected],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    """The Python sources of the four root packages and pyproject.toml, copied."""
    for package in PACKAGES:
        shutil.copytree(
            REPO / package,
            tmp_path / package,
            ignore=lambda folder, names: [n for n in names if not n.endswith(".py") and "." in n],
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_import_rule():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


STRAY_IMPORTS = [
    # (module file, the import a change adds, the contract it breaks, what the message names)
    ("annotator/services/tasks.py", "from worker.models import Job", "core-knows-no-app", "worker.models"),
    ("annotator/checklist/model.py", "import datasets_app.models", "core-knows-no-app", "datasets_app.models"),
    ("datasets_app/models.py", "from worker.models import Job", "datasets-below-worker", "worker.models"),
    ("datasets_app/export/items.py", "from django.conf import settings", "pure-core", "django"),
    ("worker/weights/fit.py", "from annotator.models import Project", "pure-core", "annotator.models"),
    ("worker/media/probe.py", "from rest_framework import serializers", "pure-core", "rest_framework"),
    (
        "annotator/services/review.py",
        "from annotator.serializers import TaskSerializer",
        "services-know-no-http",
        "annotator.serializers",
    ),
    ("annotator/models.py", "from rest_framework import exceptions", "services-know-no-http", "rest_framework"),
    ("worker/imports/archives.py", "from annotator.models import Asset", "pure-but-settings", "annotator.models"),
    ("worker/weights/sets.py", "from . import refit", "no-cycles", ".sets -> .refit"),
    ("annotator/models.py", "from annotator import views", "no-cycles", ".models -> .views"),
    ("annotator/services/claims.py", "from . import answers", "no-cycles", ".claims -> .answers"),
    ("worker/jobs/runner.py", "from worker.imports import job", "runner-knows-no-job-kind", "worker.jobs.runner"),
    ("worker/jobs/registry.py", "from worker.exports import job", "runner-knows-no-job-kind", "worker.exports"),
    ("worker/weights/refit.py", "from worker.prefill import loading", "capability-layers", "worker.prefill"),
    ("worker/exports/job.py", "from worker.imports.job import start_import", "capability-layers", "worker.imports"),
    ("worker/media/videos.py", "from worker.imports import archives", "capability-layers", "worker.imports"),
    ("worker/media/types.py", "from . import process", "no-cycles", ".types -> .process"),
]


@pytest.mark.parametrize(("module", "stray", "contract", "named"), STRAY_IMPORTS)
def test_a_stray_import_breaks_its_rule(tree_copy, module, stray, contract, named):
    path = tree_copy / module
    path.write_text(path.read_text() + f"\n\ndef _stray():\n    {stray}\n")

    result = lint_imports(tree_copy, contract)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and named in result.stdout, result.stdout


def test_reading_settings_is_the_only_django_a_limits_module_may_import(tree_copy):
    """The settings adapters' waiver covers `django.conf` read inside a function, nothing more."""
    path = tree_copy / "worker" / "imports" / "archives.py"
    path.write_text(path.read_text() + "\n\ndef _limits():\n    from django.conf import settings\n")
    assert lint_imports(tree_copy, "pure-but-settings").returncode == 0

    path.write_text(path.read_text() + "\n\ndef _job():\n    from worker.models import Job\n")
    result = lint_imports(tree_copy, "pure-but-settings")
    assert result.returncode == 1 and "worker.models" in result.stdout, result.stdout
