"""Webhook deliveries as an outbox: written in the caller's transaction, sent on commit by a
Celery task (by name), retried on a schedule, resent by the beat sweep when lost.

States: pending → delivering → delivered | pending (a retry is due later) | failed (the schedule
is spent, or 410 Gone, or the webhook was deleted / turned off). "Send again" puts a delivered or
failed delivery back to pending with a fresh schedule and the same event id.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Q
from django.utils import timezone

from annotator import netpolicy
from annotator.models import Project, Webhook, WebhookDelivery

from . import events, http, signing

logger = logging.getLogger(__name__)

State = WebhookDelivery.State
DELIVER_TASK = "annotator.tasks.deliver_webhook"
COUNTDOWN_LIMIT = 300  # a retry due sooner than this is sent with a countdown; later ones by the sweep
RESEND_AFTER = timedelta(minutes=5)  # a due pending delivery whose message is older is sent again
EXCERPT_BYTES = 1024


class WebhookError(Exception):
    """A request the rows refuse (a readable sentence; ``field`` names the input, if any)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


# --- settings ---------------------------------------------------------------------------


def allowed_networks():
    return netpolicy.parse_networks(settings.VR_WEBHOOK_ALLOWED_NETWORKS or "", http.ALLOW_SETTING)


def schedule() -> tuple[float, ...]:
    return events.parse_schedule(settings.VR_WEBHOOK_RETRY_SCHEDULE)


def stale_after() -> timedelta:
    """A delivery ``delivering`` for longer lost its worker: back to pending."""
    return timedelta(seconds=settings.VR_WEBHOOK_TIMEOUT_SECONDS * 2 + 60)


# --- subscriptions ----------------------------------------------------------------------


def check_url(url: str) -> str:
    """The URL as stored, or WebhookError naming ``url`` (scheme, length, credentials, an address
    in a refused network)."""
    try:
        http.check_url(url, allowed_networks())
    except http.UrlRefused as exc:
        raise WebhookError(exc.reason, "url") from None
    return url.strip()


def check_events(names) -> list[str]:
    if not isinstance(names, list) or not names:
        raise WebhookError("choose at least one event", "events")
    if any(not isinstance(n, str) for n in names):
        raise WebhookError("event names are strings", "events")
    unknown = events.unknown_events(names)
    if unknown:
        known = ", ".join(events.EVENTS)
        raise WebhookError(f"unknown event {unknown[0][:60]!r} (known: {known})", "events")
    return list(dict.fromkeys(names))


def rotate_secret(webhook: Webhook) -> Webhook:
    webhook.secret = signing.new_secret()
    webhook.save(update_fields=["secret"])
    return webhook


# --- emitting ---------------------------------------------------------------------------


def api_url(path: str) -> str:
    """An object's API URL for a payload: absolute under ``VR_PUBLIC_URL`` when it is set, else
    the path (``/api/...``) the receiver joins to the server it knows."""
    return f"{settings.VR_PUBLIC_URL}{path}" if settings.VR_PUBLIC_URL else path


def _new_delivery(webhook: Webhook, event: str, project: Project, data: dict, now) -> WebhookDelivery:
    event_id = uuid.uuid4()
    return WebhookDelivery(
        webhook=webhook,
        event=event,
        event_id=event_id,
        payload=events.payload(event, str(event_id), now, {"id": project.pk, "name": project.name}, data),
        next_attempt_at=now,
        dispatched_at=now,
    )


def has_webhooks(project_ref) -> Exists:
    """An expression for a query that already runs (e.g. the submit's lock): whether the
    project ``project_ref`` (an ``OuterRef``) has an active webhook. Lets a hot path skip the
    look-up of webhooks when there are none, without a query of its own."""
    return Exists(Webhook.objects.filter(project_id=project_ref, active=True))


def active_webhooks(project_id: int) -> list[Webhook]:
    return list(Webhook.objects.filter(project_id=project_id, active=True))


def emit(project: Project | int | None, event: str, data: dict, hooks: list[Webhook] | None = None) -> list:
    """Write one pending delivery per active webhook of ``project`` subscribed to ``event``, in
    the current transaction; their messages are sent when it commits. One indexed query, or
    none when the caller passes the project's active ``hooks`` (looked up once for two events)."""
    if project is None:
        return []
    if event not in events.EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    project_id = project if isinstance(project, int) else project.pk
    if hooks is None:
        hooks = active_webhooks(project_id)
    hooks = [h for h in hooks if event in (h.events or [])]
    if not hooks:
        return []
    if isinstance(project, int):
        project = Project.objects.only("id", "name").get(pk=project_id)
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create([_new_delivery(h, event, project, data, now) for h in hooks])
    for row in rows:
        dispatch_on_commit(row.pk)
    return rows


def ping(webhook: Webhook, user=None) -> WebhookDelivery:
    """A test event to this webhook alone (whatever its events; also when turned off)."""
    now = timezone.now()
    who = user.get_username() if user is not None and getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        row = _new_delivery(webhook, events.PING, webhook.project, {"webhook": webhook.pk, "sent_by": who}, now)
        row.save()
        dispatch_on_commit(row.pk)
    return row


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """ "Send again": a delivered or failed delivery is queued for a new attempt (and a fresh retry
    schedule), same event id and payload. 409 while it is still pending or being sent."""
    with transaction.atomic():
        row = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if row.state in (State.PENDING, State.DELIVERING):
            raise WebhookError(f"delivery {row.pk} is still {row.state}; it is on its way", status=409)
        now = timezone.now()
        row.state = State.PENDING
        row.round_attempts = 0
        row.next_attempt_at = now
        row.dispatched_at = now
        row.save(update_fields=["state", "round_attempts", "next_attempt_at", "dispatched_at"])
        dispatch_on_commit(row.pk)
    return row


# --- sending ------------------------------------------------------------------------------


def dispatch_on_commit(delivery_id: int, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: dispatch(delivery_id, countdown=countdown))


def dispatch(delivery_id: int, *, countdown: float | None = None) -> bool:
    """Send the delivery's Celery message (by task name). Never raises: a broker error leaves the
    row pending with ``dispatched_at`` null, and the sweep sends it later."""
    from celery import current_app

    try:
        kwargs = {"countdown": countdown} if countdown else {}
        current_app.tasks[DELIVER_TASK].apply_async(args=[delivery_id], **kwargs)
    except Exception as exc:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            logger.exception("webhook delivery %s raised while running eagerly", delivery_id)
            return True
        logger.warning("could not send webhook delivery %s to the broker (%s); the sweep will", delivery_id, exc)
        try:
            WebhookDelivery.objects.filter(pk=delivery_id, state=State.PENDING).update(dispatched_at=None)
        except Exception:
            logger.exception("could not record the dispatch failure of webhook delivery %s", delivery_id)
        return False
    return True


def body_of(row: WebhookDelivery) -> bytes:
    """The body of every attempt of a delivery: its payload as compact JSON (the same bytes each time)."""
    return json.dumps(row.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(pk=delivery_id, state=State.PENDING)
            .first()
        )
        if row is None or (row.next_attempt_at and row.next_attempt_at > now):
            return None  # taken, finished, or not due yet (its own message or the sweep comes later)
        if not row.webhook.active and row.event != events.PING:
            row.state = State.FAILED
            row.error = "the webhook is turned off"
            row.save(update_fields=["state", "error"])
            return None
        row.state = State.DELIVERING
        row.attempts += 1
        row.round_attempts += 1
        row.started_at = now
        row.save(update_fields=["state", "attempts", "round_attempts", "started_at"])
    return row


def deliver(delivery_id: int) -> str:
    """One attempt of delivery ``delivery_id`` (the Celery task's body): claim it, POST it signed,
    record the answer and what comes next. Returns the state it is left in, or "skipped"."""
    row = _claim(delivery_id)
    if row is None:
        return "skipped"
    body = body_of(row)
    try:
        outcome = http.post(
            row.webhook.url,
            body,
            signing.headers(row.webhook.secret, row.event, str(row.event_id), body),
            allowed=allowed_networks(),
            timeout=float(settings.VR_WEBHOOK_TIMEOUT_SECONDS),
            max_body=EXCERPT_BYTES,
        )
    except Exception as exc:  # a bug or a bad setting: a failed attempt, retried on the schedule
        logger.exception("webhook delivery %s: the attempt raised", delivery_id)
        outcome = http.Outcome(None, None, error=f"{type(exc).__name__}: {str(exc)[:300]}")
    return _record(row, outcome)


def _record(row: WebhookDelivery, outcome: http.Outcome) -> str:
    now = timezone.now()
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().select_related("webhook").get(pk=row.pk)
        if locked.state != State.DELIVERING or locked.attempts != row.attempts:
            return "skipped"  # the sweep gave it to another worker meanwhile
        locked.last_attempt_at = now
        locked.started_at = None
        locked.status_code = outcome.status_code
        locked.latency_ms = outcome.latency_ms
        locked.response_excerpt = outcome.excerpt
        locked.error = outcome.error
        countdown = None
        if outcome.ok:
            locked.state = State.DELIVERED
            locked.delivered_at = now
            locked.next_attempt_at = None
        elif outcome.status_code == 410:
            locked.state = State.FAILED
            locked.next_attempt_at = None
            locked.error = "the receiver answered 410 Gone: the webhook was turned off"
            hook = locked.webhook
            hook.active = False
            hook.disabled_reason = f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC"
            hook.save(update_fields=["active", "disabled_reason"])
        else:
            delay = events.retry_delay(locked.round_attempts, schedule())
            if delay is None:
                locked.state = State.FAILED
                locked.next_attempt_at = None
                locked.error = f"{outcome.error}; gave up after {locked.round_attempts} attempt(s)"
            else:
                locked.state = State.PENDING
                locked.next_attempt_at = now + timedelta(seconds=delay)
                if delay <= COUNTDOWN_LIMIT and not settings.CELERY_TASK_ALWAYS_EAGER:
                    locked.dispatched_at = now
                    countdown = delay
                else:
                    locked.dispatched_at = None  # the sweep sends it when it is due (eager: no countdowns)
        locked.save()
        if locked.state == State.PENDING and countdown is not None:
            dispatch_on_commit(locked.pk, countdown=countdown)
    return locked.state


def sweep(now=None) -> dict:
    """The beat's outbox guarantee: send every due pending delivery whose message was never
    sent, failed to send or is old (lost), and put back deliveries whose worker died mid-send."""
    now = now or timezone.now()
    lost = WebhookDelivery.objects.filter(state=State.DELIVERING, started_at__lt=now - stale_after()).update(
        state=State.PENDING, next_attempt_at=now, started_at=None, dispatched_at=None
    )
    stale = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - RESEND_AFTER)
    due = list(
        WebhookDelivery.objects.filter(stale, state=State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    WebhookDelivery.objects.filter(pk__in=due, state=State.PENDING).update(dispatched_at=now)
    sent = sum(1 for pk in due if dispatch(pk))
    return {"requeued": lost, "sent": sent}
