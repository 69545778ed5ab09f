"""The job runner: the ``Job`` record's life (create through the transactional outbox, dispatch,
claim, progress, heartbeat, cancel, retry, the sweep) for every kind of background work, and the
registry where each kind declares itself. It imports no job kind.

- ``registry``: :class:`JobKind`, :func:`follow_up`; ``tasks``: :func:`register` and the beat sweep.
- ``runner``: what a kind's code and views call (``create_job``, ``JobContext``, ``cancel_job``…).
- ``views`` / ``serializers``: the jobs API (``/api/jobs/``).
"""

from .registry import JobKind, follow_up, kind_of
from .runner import (
    JobCancelled,
    JobContext,
    JobError,
    JobFailed,
    JobLost,
    State,
    append_log,
    cancel_job,
    claim,
    create_job,
    default_queue,
    dispatch,
    dispatch_on_commit,
    execute,
    heartbeat_seconds,
    is_finished,
    redispatch_lost_jobs,
    retry_job,
    stale_limit,
)
from .tasks import register

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobError",
    "JobFailed",
    "JobKind",
    "JobLost",
    "State",
    "append_log",
    "cancel_job",
    "claim",
    "create_job",
    "default_queue",
    "dispatch",
    "dispatch_on_commit",
    "execute",
    "follow_up",
    "heartbeat_seconds",
    "is_finished",
    "kind_of",
    "redispatch_lost_jobs",
    "register",
    "retry_job",
    "stale_limit",
]
