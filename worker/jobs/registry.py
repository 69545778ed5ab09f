"""Job kinds declare themselves here; the runner looks them up and imports none of them.

A job kind is a capability's background work (an import, a pre-fill, a refit, an export, …).
Its package declares it once, in its ``tasks`` module, with :func:`worker.jobs.register`::

    run_import_job = register(JobKind(
        name=Job.Kind.IMPORT,
        task="worker.tasks.run_import_job",
        queue="media",
        run=job.run_import,
        retry_problem=job.retry_problem,
        controlled_by="manager",
        sweep=job.clean_staging,
    ))

``register`` (in ``worker.jobs.tasks``) records the kind here and makes the Celery task that runs
jobs of the kind (a thin shell over :func:`worker.jobs.runner.execute`) and returns it.
``worker.apps`` imports every capability package's ``tasks`` module when Django starts, so each
process (web, worker, beat, tests) knows every kind before it creates or runs a job; a new
package with a ``tasks`` module is found without touching the runner or the app config.

The Celery task names (``worker.tasks.run_<kind>_job``) are the wire names carried by queued
messages and by the beat's database rows: they are kept as they were before the packages were
split, so a deploy does not strand messages already in the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from worker.models import Job


@dataclass(frozen=True)
class JobKind:
    """What the runner needs to know of a kind of job.

    - ``name``: the ``Job.Kind`` value stored on the row.
    - ``task``: the Celery task name its messages carry.
    - ``queue``: the queue its jobs go to unless the caller names one (a pre-fill names its
      model's queue); ``CELERY_TASK_ROUTES`` for ``task`` overrides it for an installation.
    - ``run(job, ctx)``: does the work, reporting through ``ctx``; returns the job's result dict.
    - ``retry_problem(job)``: why a failed or cancelled job cannot be retried (``None`` if it
      can), e.g. an import whose staged uploads were cleaned up. Checked before a manual retry.
    - ``on_give_up(job)``: runs in the transaction that ends a job failed or cancelled, whoever
      ends it (its runner, the sweep after a lost worker, a cancel before it started).
    - ``controlled_by``: who may cancel or retry a project's job besides staff: ``"manager"``
      (the project's managers) or ``"researcher"`` (its creator and the project's researchers).
    - ``sweep()``: a clean-up the beat sweep runs with the runner's own (e.g. staging folders no
      job will use again); returns what it removed.
    - ``shown_params(params)``: the params as the jobs API shows them (long lists as counts).
    """

    name: str
    task: str
    queue: str = "default"
    run: Callable[..., dict | None] | None = None  # run(job, ctx: runner.JobContext)
    retry_problem: Callable[[Job], str | None] | None = None
    on_give_up: Callable[[Job], None] | None = None
    controlled_by: Literal["manager", "researcher"] = "researcher"
    sweep: Callable[[], list] | None = None
    shown_params: Callable[[dict], dict] | None = None
    description: str = field(default="", compare=False)


_KINDS: dict[str, JobKind] = {}
_FOLLOW_UPS: dict[str, list[Callable[[Job], None]]] = {}


class UnknownJobKind(LookupError):
    pass


def add(kind: JobKind) -> None:
    """Record ``kind`` (idempotent per name; a different kind under a known name is an error)."""
    if kind.run is None:
        raise ValueError(f"job kind {kind.name!r} declares no run function")
    known = _KINDS.get(kind.name)
    if known is not None and known != kind:
        raise ValueError(f"job kind {kind.name!r} is declared twice, differently ({known.task} and {kind.task})")
    _KINDS[kind.name] = kind


def follow_up(after: str, hook: Callable[[Job], None]) -> None:
    """Run ``hook(job)`` in the transaction that marks a job of kind ``after`` succeeded (a job it
    writes is sent only if that commits; its failure is logged on the job and never fails it).
    Lets one capability react to another's work without the other knowing: pre-fill follows
    imports."""
    hooks = _FOLLOW_UPS.setdefault(after, [])
    if hook not in hooks:
        hooks.append(hook)


def kind_of(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownJobKind(f"jobs of kind {name!r} are not implemented (known: {', '.join(sorted(_KINDS))})")


def is_known(name: str) -> bool:
    return name in _KINDS


def kinds() -> list[JobKind]:
    return [_KINDS[name] for name in sorted(_KINDS)]


def follow_ups(name: str) -> list[Callable[[Job], None]]:
    return list(_FOLLOW_UPS.get(name, ()))
