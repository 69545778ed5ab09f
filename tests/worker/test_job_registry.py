"""Job kinds declare themselves to the runner: every kind of the Job model is declared by its
capability package, the runner knows no kind, and a new kind runs without touching the runner."""

from __future__ import annotations

import importlib.util
import pkgutil
import sys

import pytest

import worker
from worker import jobs
from worker.jobs import registry
from worker.models import Job


def test_every_job_kind_is_declared_by_a_capability_package():
    declared = {kind.name: kind for kind in registry.kinds()}
    assert set(declared) == set(Job.Kind.values)
    owners = {kind.name: kind.run.__module__ for kind in declared.values()}
    assert owners[Job.Kind.IMPORT] == "worker.imports.job"
    assert owners[Job.Kind.PREFILL] == "worker.prefill.job"
    assert owners[Job.Kind.MODEL_CHECK] == "worker.prefill.check"
    assert owners[Job.Kind.REFIT] == owners[Job.Kind.SCORE] == "worker.weights.refit"
    assert owners[Job.Kind.EXPORT] == owners[Job.Kind.PUSH] == "worker.exports.job"
    assert owners[Job.Kind.FINETUNE] == "worker.research.finetune"
    assert owners[Job.Kind.EVALUATE] == "worker.research.evaluate"
    assert declared[Job.Kind.IMPORT].queue == "media" and declared[Job.Kind.PREFILL].queue == "gpu"


def test_django_start_up_imports_every_packages_tasks_module():
    packages = [p.name for p in pkgutil.iter_modules(worker.__path__) if p.ispkg]
    with_tasks = [p for p in packages if importlib.util.find_spec(f"worker.{p}.tasks") is not None]
    assert set(with_tasks) >= {"jobs", "imports", "prefill", "weights", "research", "exports"}
    assert all(f"worker.{p}.tasks" in sys.modules for p in with_tasks)


def test_a_kind_declared_elsewhere_runs_through_the_unchanged_runner(db, monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(registry, "_KINDS", dict(registry._KINDS))
    ran = []

    def run(job, ctx):
        ctx.report(progress=0.5, message="half way")
        ran.append(job.params["n"])
        return {"doubled": job.params["n"] * 2}

    jobs.register(jobs.JobKind(name="demo", task="tests.run_demo_job", queue="demo-queue", run=run))
    job = jobs.create_job("demo", {"n": 21}, dispatch=False)
    assert job.queue == "demo-queue"
    assert jobs.execute(job.pk) == Job.State.SUCCEEDED
    job.refresh_from_db()
    assert ran == [21] and job.result == {"doubled": 42} and job.state == Job.State.SUCCEEDED


def test_an_undeclared_kind_is_refused_with_its_name(db):
    with pytest.raises(jobs.JobError, match="'nonesuch'"):
        jobs.create_job("nonesuch", {})


def test_a_second_different_declaration_of_a_kind_is_an_error(monkeypatch):
    monkeypatch.setattr(registry, "_KINDS", dict(registry._KINDS))
    declared = registry.kind_of(Job.Kind.EXPORT)
    with pytest.raises(ValueError, match="declared twice"):
        registry.add(jobs.JobKind(name=Job.Kind.EXPORT, task="other.task", run=declared.run))
