"""The job runner: create (transactional outbox), dispatch, run, progress, cancel, retry, sweep.

It knows no job kind: each kind declares itself in ``worker.jobs.registry`` (its Celery task,
queue, run function, retry check and hooks) and the runner looks it up by ``Job.kind``.

Rules:
- A job row is written in the caller's transaction; its Celery message is sent on commit.
  If the broker is down the job stays ``queued`` with ``dispatched_at`` null and the beat
  sweep (``redispatch_lost_jobs``) sends it later. Sending never raises into a request.
- A worker takes a job by locking its row with ``SELECT … FOR UPDATE SKIP LOCKED`` and
  flipping queued → running in that transaction; a duplicate delivery finds the row locked
  or no longer queued and does nothing. ``attempts`` (incremented on every start) is the
  fencing token: a worker whose job was taken away from it (stale heartbeat, requeued)
  notices at its next progress report and stops.
- Legal transitions: queued → running | cancelled; running → succeeded | failed | cancelled
  | queued (retry after a crash or error); failed | cancelled → queued (manual retry).
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from annotator import metrics
from worker.models import FINISHED_STATES, Job, tail

from .registry import follow_ups, is_known, kind_of
from .webhooks import emit_failed

logger = logging.getLogger(__name__)

State = Job.State

# Database and broker errors another try may not meet: Celery retries them with back-off.
TRANSIENT = (OperationalError, InterfaceError, BrokerError)

DISPATCH_AFTER = timedelta(minutes=5)  # a queued job not picked up by then is sent again
CREATE_GRACE = timedelta(seconds=30)  # a fresh job whose on_commit dispatch may still be on its way

ALLOWED = {
    State.QUEUED: {State.RUNNING, State.CANCELLED},
    State.RUNNING: {State.SUCCEEDED, State.FAILED, State.CANCELLED, State.QUEUED},
    State.FAILED: {State.QUEUED},
    State.CANCELLED: {State.QUEUED},
    State.SUCCEEDED: set(),
}


def heartbeat_seconds() -> float:
    """How often a running job's process beats (``VR_JOB_HEARTBEAT_SECONDS``), for the whole
    attempt, inside one long item too."""
    return float(settings.VR_JOB_HEARTBEAT_SECONDS)


def stale_limit() -> timedelta:
    """A running job silent for this long lost its worker (``VR_JOB_STALE_SECONDS``)."""
    return timedelta(seconds=settings.VR_JOB_STALE_SECONDS)


class JobError(Exception):
    """An illegal request on a job (a readable sentence for a 400)."""

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class JobFailed(Exception):
    """Raised by a runner for an error that another attempt cannot fix (bad data or settings):
    the job fails at once with this message instead of being retried."""


class JobCancelled(Exception):
    """Raised inside a runner when a cancel was requested; the job ends ``cancelled``."""


class JobLost(Exception):
    """Raised inside a runner whose job was requeued or finished by someone else."""


def _check_transition(job: Job, new: str) -> None:
    if new not in ALLOWED[job.state]:
        raise JobError(f"job {job.pk} cannot go from {job.state} to {new}")


def _stamp(line: str, now=None) -> str:
    now = now or timezone.now()
    return f"{now.strftime('%Y-%m-%d %H:%M:%S')} {line}"


def append_log(job: Job, *lines: str, now=None) -> None:
    """Add time-stamped lines to the job's log tail (saved with the row by the caller)."""
    added = "".join(_stamp(line, now) + "\n" for line in lines if line)
    job.log = tail((job.log or "") + added)


def default_queue(kind: str) -> str:
    """The queue a job of ``kind`` goes to when its creator names none: the installation's
    ``CELERY_TASK_ROUTES`` entry for the kind's task if there is one, else the kind's own."""
    declared = kind_of(kind)
    route = (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).get(declared.task, {})
    return route.get("queue") or declared.queue


# --- creating and dispatching -------------------------------------------------------------


def create_job(
    kind: str,
    params: dict | None = None,
    project=None,
    user=None,
    queue: str | None = None,
    *,
    dispatch: bool = True,
    max_attempts: int = 3,
    message: str = "queued",
) -> Job:
    """Write a queued job in the current transaction; its message is sent once that commits."""
    if not is_known(kind):
        raise JobError(f"jobs of kind {kind!r} are not implemented yet")
    job = Job(
        kind=kind,
        params=params or {},
        project=project,
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
        queue=queue or default_queue(kind),
        max_attempts=max_attempts,
        message=message,
    )
    append_log(job, f"created ({kind}){' by ' + user.get_username() if job.created_by else ''}")
    job.save()
    if dispatch:
        dispatch_on_commit(job)
    return job


def dispatch_on_commit(job: Job, countdown: float | None = None) -> None:
    job_id = job.pk
    transaction.on_commit(lambda: dispatch(job_id, countdown=countdown))


def _task(kind: str):
    from celery import current_app

    return current_app.tasks[kind_of(kind).task]


def dispatch(job_id: int, *, countdown: float | None = None) -> bool:
    """Send job ``job_id``'s message now. Never raises: on a broker error the job stays queued
    with ``dispatched_at`` null (the sweep retries) and the failure is logged."""
    job = Job.objects.filter(pk=job_id).only("id", "kind", "queue", "state").first()
    if job is None or job.state != State.QUEUED:
        return False
    task_id = str(uuid.uuid4())
    now = timezone.now()
    Job.objects.filter(pk=job_id, state=State.QUEUED).update(dispatched_at=now, celery_task_id=task_id)
    try:
        kwargs = {"countdown": countdown} if countdown else {}
        _task(job.kind).apply_async(args=[job_id], queue=job.queue, task_id=task_id, **kwargs)
    except Exception as exc:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) and not isinstance(exc, TRANSIENT):
            # Eager mode runs the job inside apply_async: its errors are the job's, already recorded.
            logger.exception("job %s raised while running eagerly", job_id)
            return True
        logger.warning("could not send job %s to the broker (%s); the sweep will retry", job_id, exc)
        try:
            with transaction.atomic():
                row = Job.objects.select_for_update().filter(pk=job_id, state=State.QUEUED).first()
                if row is not None:
                    row.dispatched_at = None
                    row.message = "waiting for the broker"
                    append_log(row, f"could not reach the broker: {str(exc)[:200]}; will retry")
                    row.save(update_fields=["dispatched_at", "message", "log"])
        except Exception:  # the database may be down too: the sweep still finds the queued row
            logger.exception("could not record the dispatch failure of job %s", job_id)
        return False
    return True


# --- running --------------------------------------------------------------------------------


class JobContext:
    """What a runner gets: the job (a snapshot), progress/log reporting and cancel checks."""

    def __init__(self, job: Job):
        self.job = job
        self.token = job.attempts

    def report(self, progress: float | None = None, message: str | None = None, log: str | None = None) -> bool:
        """Update progress / message / log and the heartbeat in a short transaction of its own.
        Returns whether a cancel was requested. Raises JobLost if the job is no longer ours."""
        with transaction.atomic():
            row = (
                Job.objects.select_for_update()
                .only("id", "state", "attempts", "progress", "message", "log", "cancel_requested")
                .get(pk=self.job.pk)
            )
            if row.state != State.RUNNING or row.attempts != self.token:
                raise JobLost(f"job {row.pk} is {row.state} (attempt {row.attempts}); this worker stops")
            fields = ["heartbeat_at"]
            row.heartbeat_at = timezone.now()
            if progress is not None:
                row.progress = min(1.0, max(0.0, float(progress)))
                fields.append("progress")
            if message is not None:
                row.message = message[:300]
                fields.append("message")
            if log:
                append_log(row, log)
                fields.append("log")
            row.save(update_fields=fields)
        for name in ("progress", "message", "log", "heartbeat_at"):
            setattr(self.job, name, getattr(row, name))
        return row.cancel_requested

    def log(self, line: str) -> bool:
        return self.report(log=line)

    def check_cancel(self) -> None:
        """Call between items: raises JobCancelled when a cancel was requested."""
        if self.report():
            raise JobCancelled()


class _Heartbeat:
    """A daemon thread that keeps ``heartbeat_at`` fresh for the whole attempt (every
    ``heartbeat_seconds()``, inside one long item too: a long video, a model loading), so that
    only a dead process looks stale to the sweep. It stops when the job is no longer this
    attempt's and closes its own database connection."""

    def __init__(self, job_id: int, token: int, interval: float | None = None):
        self.job_id, self.token = job_id, token
        self.interval = heartbeat_seconds() if interval is None else interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.wait(self.interval):
                alive = Job.objects.filter(pk=self.job_id, state=State.RUNNING, attempts=self.token).update(
                    heartbeat_at=timezone.now()
                )
                if not alive:
                    return
        except Exception:  # a database hiccup: the next report (or the sweep) sorts it out
            logger.warning("heartbeat of job %s stopped", self.job_id, exc_info=True)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)


def claim(job_id: int, task_id: str = "") -> Job | None:
    """Flip a queued job to running (atomically, skipping a row another worker holds).
    Returns the job, or None when there is nothing to do (locked, missing, not queued)."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:
            logger.info("job %s is missing or locked by another worker; nothing to do", job_id)
            return None
        if job.state != State.QUEUED:
            logger.info("job %s is %s; duplicate delivery ignored", job_id, job.state)
            return None
        if job.cancel_requested:
            _finish(job, State.CANCELLED, now=now, message="cancelled before it started")
            return None
        job.state = State.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.finished_at = None
        if task_id:
            job.celery_task_id = task_id
        job.message = "running"
        append_log(job, f"started (attempt {job.attempts} of {job.max_attempts})", now=now)
        job.save()
    return job


def _finish(job: Job, state: str, *, now=None, message: str | None = None, error: str = "", log: str = "") -> None:
    """Move a locked job row to a finished state (caller holds the row lock)."""
    _check_transition(job, state)
    now = now or timezone.now()
    job.state = state
    job.finished_at = now
    job.heartbeat_at = now
    if state == State.SUCCEEDED:
        job.progress = 1.0
    if message is not None:
        job.message = message[:300]
    if error:
        job.error = error
    append_log(job, log or f"{state}{': ' + message if message else ''}", now=now)
    if state in (State.FAILED, State.CANCELLED):
        _give_up(job)
    job.save()
    # Counted once the finish commits (docs/observability.md); never started: no duration.
    kind, seconds = job.kind, job.duration_seconds
    transaction.on_commit(lambda: metrics.job_finished(kind, state, seconds))
    if state == State.FAILED:
        emit_failed(job)  # the job.failed webhook event, in this transaction


def _give_up(job: Job) -> None:
    """Run the kind's give-up hook in a savepoint of the finishing transaction (what the job
    owns must not stay "in progress" when no worker will finish it); its failure is logged."""
    hook = kind_of(job.kind).on_give_up if is_known(job.kind) else None
    if hook is None:
        return
    try:
        with transaction.atomic():
            hook(job)
    except Exception as exc:
        logger.exception("the give-up hook of job %s failed", job.pk)
        append_log(job, f"clean-up after {job.state} failed: {type(exc).__name__}: {str(exc)[:300]}")


def _requeue_after_error(job_id: int, token: int, exc: BaseException) -> tuple[str, int] | None:
    """After an error in attempt ``token``: queue again while attempts remain, else fail.
    Returns (new state, attempts) or None when the job was no longer ours."""
    summary = f"{type(exc).__name__}: {exc}"[:1000]
    detail = "".join(traceback.format_exception(exc))[-4000:]
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.state != State.RUNNING or job.attempts != token:
            return None
        job.error = detail
        if isinstance(exc, JobFailed):
            _finish(job, State.FAILED, message=f"failed: {exc}", error=str(exc), log=f"failed: {exc}")
            return State.FAILED, job.attempts
        if job.attempts < job.max_attempts:
            job.state = State.QUEUED
            job.dispatched_at = timezone.now()
            job.message = f"retrying after an error (attempt {job.attempts} of {job.max_attempts})"
            append_log(job, f"error: {summary}; will retry")
            job.save()
            return State.QUEUED, job.attempts
        _finish(
            job,
            State.FAILED,
            message=f"failed after {job.attempts} attempt(s): {summary}",
            error=detail,
            log=f"failed: {summary}",
        )
        return State.FAILED, job.attempts


def backoff_seconds(attempts: int) -> float:
    return float(min(300, 10 * 2 ** max(0, attempts - 1)))


def execute(job_id: int, *, task_id: str = "", runner: Callable | None = None) -> str:
    """Run job ``job_id`` in this process: claim, run its runner, record the outcome.

    Returns the final state, or ``"skipped"`` when there was nothing to do. Transient
    database/broker errors are re-raised (after requeueing) for Celery's retry with back-off;
    other errors requeue the job with a delayed dispatch until ``max_attempts`` is reached.
    """
    job = claim(job_id, task_id)
    if job is None:
        return "skipped"
    ctx = JobContext(job)
    try:
        run = runner or kind_of(job.kind).run
        with _Heartbeat(job_id, ctx.token):
            result = run(job, ctx)
    except JobLost as exc:
        logger.warning("%s", exc)
        return "skipped"
    except JobCancelled:
        with transaction.atomic():
            row = Job.objects.select_for_update().get(pk=job_id)
            if row.state == State.RUNNING and row.attempts == ctx.token:
                _finish(row, State.CANCELLED, message="cancelled", log="cancelled between items")
        return State.CANCELLED
    except Exception as exc:
        transient = isinstance(exc, TRANSIENT)
        logger.exception("job %s attempt %s failed", job_id, ctx.token)
        try:
            outcome = _requeue_after_error(job_id, ctx.token, exc)
        except Exception:
            if transient:  # the database is gone: the sweep finds the silent job later
                raise exc from None
            raise
        if outcome is None:
            return "skipped"
        state, attempts = outcome
        if state == State.QUEUED:
            if transient:
                raise exc  # Celery's autoretry re-delivers the message with back-off
            dispatch_on_commit(Job(pk=job_id), countdown=backoff_seconds(attempts))
        return state
    with transaction.atomic():
        row = Job.objects.select_for_update().get(pk=job_id)
        if row.state != State.RUNNING or row.attempts != ctx.token:
            logger.warning("job %s finished but is no longer ours (%s)", job_id, row.state)
            return "skipped"
        row.result = result if result is not None else {}
        done_message = (row.message if row.message and row.message != "running" else "done")[:300]
        _follow_up(row)
        _finish(row, State.SUCCEEDED, message=done_message, log="succeeded")
    return State.SUCCEEDED


def _follow_up(row: Job) -> None:
    """Run the follow-ups registered for the kind, each in a savepoint of the finishing
    transaction: jobs they write are sent only when the success commits; a failure is logged and
    never fails the job."""
    for hook in follow_ups(row.kind):
        try:
            with transaction.atomic():
                hook(row)
        except Exception as exc:
            logger.exception("the follow-up of job %s failed", row.pk)
            append_log(row, f"follow-up failed: {type(exc).__name__}: {str(exc)[:300]}")


# --- cancel and retry ----------------------------------------------------------------------


def cancel_job(job: Job | int, user=None) -> Job:
    """Cancel a queued job now; ask a running job to stop at its next item."""
    job_id = job if isinstance(job, int) else job.pk
    who = f" by {user.get_username()}" if user is not None and getattr(user, "is_authenticated", False) else ""
    with transaction.atomic():
        row = Job.objects.select_for_update().get(pk=job_id)
        if row.state == State.QUEUED:
            row.cancel_requested = True
            _finish(row, State.CANCELLED, message=f"cancelled{who}", log=f"cancelled{who} before it started")
        elif row.state == State.RUNNING:
            if not row.cancel_requested:
                row.cancel_requested = True
                row.message = f"cancel requested{who}"
                append_log(row, f"cancel requested{who}")
                row.save(update_fields=["cancel_requested", "message", "log"])
        else:
            raise JobError(
                f"job {row.pk} is {row.state}; only queued or running jobs can be cancelled",
                {"state": [f"job {row.pk} is {row.state}"]},
            )
    return row


def retry_job(job: Job | int, user=None) -> Job:
    """A failed or cancelled job becomes queued again (a new attempt, with fresh attempts)."""
    job_id = job if isinstance(job, int) else job.pk
    who = f" by {user.get_username()}" if user is not None and getattr(user, "is_authenticated", False) else ""
    with transaction.atomic():
        row = Job.objects.select_for_update().get(pk=job_id)
        if row.state not in (State.FAILED, State.CANCELLED):
            raise JobError(
                f"job {row.pk} is {row.state}; only failed or cancelled jobs can be retried",
                {"state": [f"job {row.pk} is {row.state}"]},
            )
        check = kind_of(row.kind).retry_problem if is_known(row.kind) else None
        problem = check(row) if check is not None else None
        if problem:
            raise JobError(problem, {"params": [problem]})
        _check_transition(row, State.QUEUED)
        row.state = State.QUEUED
        row.max_attempts = row.attempts + Job._meta.get_field("max_attempts").default
        row.cancel_requested = False
        row.finished_at = None
        row.error = ""
        row.dispatched_at = None
        row.message = f"queued for retry{who}"
        append_log(row, f"retry requested{who}")
        row.save()
        dispatch_on_commit(row)
    return row


# --- the sweep -------------------------------------------------------------------------------


def redispatch_lost_jobs(
    now=None, *, dispatch_after: timedelta = DISPATCH_AFTER, stale_after: timedelta | None = None
) -> dict:
    """Beat sweep (every ``VR_JOB_SWEEP_SECONDS``): resend queued jobs whose message was lost;
    requeue (or fail) running jobs whose worker stopped sending heartbeats for ``stale_limit()``.
    Returns counts."""
    now = now or timezone.now()
    stale_after = stale_limit() if stale_after is None else stale_after
    counts = {"redispatched": 0, "requeued": 0, "failed": 0}
    # 1. running jobs whose worker went silent
    stale = Job.objects.filter(state=State.RUNNING).filter(
        Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True, started_at__lt=now - stale_after)
    )
    requeued: list[int] = []
    for job_id in list(stale.values_list("id", flat=True)[:500]):
        with transaction.atomic():
            job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id, state=State.RUNNING).first()
            if job is None:
                continue
            beat = job.heartbeat_at or job.started_at
            if beat is not None and beat >= now - stale_after:
                continue
            since = beat.strftime("%Y-%m-%d %H:%M:%S") if beat else "its start"
            if job.cancel_requested:
                _finish(job, State.CANCELLED, now=now, message="cancelled (its worker stopped)")
                continue
            if job.attempts < job.max_attempts:
                job.state = State.QUEUED
                job.dispatched_at = None
                job.message = "worker lost; queued again"
                append_log(job, f"no heartbeat since {since}: the worker was lost; queued again", now=now)
                job.save()
                requeued.append(job.pk)
                counts["requeued"] += 1
            else:
                reason = f"the worker stopped responding (no heartbeat since {since}) after {job.attempts} attempt(s)"
                _finish(job, State.FAILED, now=now, message=reason[:300], error=reason, log=f"failed: {reason}")
                counts["failed"] += 1
    # 2. queued jobs whose message never arrived (or was never sent)
    lost = Job.objects.filter(state=State.QUEUED).filter(
        Q(dispatched_at__lt=now - dispatch_after) | Q(dispatched_at__isnull=True, created_at__lt=now - CREATE_GRACE)
    )
    ids = sorted(set(requeued) | set(lost.values_list("id", flat=True)[:500]))
    for job_id in ids:
        if dispatch(job_id):
            counts["redispatched"] += 1
    return counts


def is_finished(job: Job) -> bool:
    return job.state in FINISHED_STATES
