"""Webhooks end to end: a real receiver on 127.0.0.1 (allowed through VR_WEBHOOK_ALLOWED_NETWORKS)
gets each event once, signed with the subscription's secret; a receiver that fails five times
then recovers gets the event on the sixth attempt (the real Celery task, run eagerly, and the
beat's sweep); private destinations are refused at send time too."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from annotator.models import Webhook, WebhookDelivery
from annotator.webhooks import events, outbox
from tests import factories as f
from tests.worker.conftest import import_url, jpeg_bytes, upload
from worker import jobs
from worker.jobs import JobFailed
from worker.models import Job, WeightSet
from worker.weights.public import public_weight_vector
from worker.weights.sets import create_weight_set, promote

from .conftest import hooks_url, wait_for
from .receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

State = WebhookDelivery.State


def subscribe(client, project, receiver: Receiver, names) -> dict:
    response = client.post(hooks_url(project), {"url": receiver.url, "events": names}, format="json")
    assert response.status_code == 201, response.content
    receiver.secret = response.json()["secret"]
    return response.json()


def fail_a_job(project):
    job = jobs.create_job(Job.Kind.IMPORT, {"entries": []}, project=project, dispatch=False)

    def broken(job, ctx):
        raise JobFailed("the manifest names no files")

    assert jobs.execute(job.pk, runner=broken) == Job.State.FAILED
    return job


def test_each_event_arrives_once_signed(eager, webhook_settings, people, project):
    manager = f.api(people["manager"])
    with Receiver() as receiver:
        hook = subscribe(manager, project, receiver, list(events.EVENTS))

        # annotation.submitted and task.completed: an annotator's submit completes a task (k = 1)
        f.ready_asset(project)
        annotator = f.api(people["annotator"])
        assignment = annotator.post(f"/api/projects/{project.pk}/tasks/next/").json()
        options = f.full_image_options(project.checklist_version.checklist)
        submitted = annotator.post(
            f"/api/assignments/{assignment['id']}/submit/",
            {"client_id": str(uuid.uuid4()), "options": options, "time_spent_ms": 30_000},
            format="json",
        )
        assert submitted.status_code in (200, 201), submitted.content

        # import.finished: an upload imported by the import job
        imported = manager.post(import_url(project), {"files": [upload("x.jpg", jpeg_bytes())]}, format="multipart")
        assert imported.status_code == 202, imported.content

        # export.finished: a dataset version of the project
        exported = manager.post("/api/exports/", {"name": "hooked", "projects": [project.pk]}, format="json")
        assert exported.status_code == 202, exported.content

        # weight_set.promoted
        vector = public_weight_vector(project.checklist_version.checklist)
        ws = create_weight_set(project, vector, source=WeightSet.Source.PUBLIC, label="published")
        promote(ws, people["manager"])

        # job.failed
        failed = fail_a_job(project)

        assert wait_for(lambda: len(receiver.received) >= 6)
        assert wait_for(lambda: not WebhookDelivery.objects.exclude(state=State.DELIVERED).exists())

    assert sorted(receiver.events()) == sorted(events.EVENTS), receiver.events()  # each once, no other
    assert all(r.verified for r in receiver.received)
    by_event = {r.headers["x-vr-event"]: r for r in receiver.received}
    for name, request in by_event.items():
        body = request.json
        assert body["event"] == name and body["project"] == {"id": project.pk, "name": "Hooked"}
        assert request.headers["x-vr-delivery"] == body["id"]
        assert request.path == "/hook" and request.headers["content-type"] == "application/json"
    annotation_id = submitted.json()["id"]
    assert by_event["annotation.submitted"].json["data"]["annotation"]["id"] == annotation_id
    assert by_event["annotation.submitted"].json["data"]["annotation"]["url"] == f"/api/annotations/{annotation_id}/"
    assert by_event["task.completed"].json["data"]["task"]["id"] == assignment["task"]["id"]
    assert by_event["import.finished"].json["data"]["job"]["id"] == imported.json()["id"]
    assert by_event["import.finished"].json["data"]["job"]["state"] == "succeeded"
    version = exported.json()["dataset_version"]["id"]
    assert by_event["export.finished"].json["data"]["dataset_version"]["id"] == version
    assert by_event["weight_set.promoted"].json["data"]["weight_set"]["id"] == ws.pk
    assert by_event["job.failed"].json["data"]["job"]["id"] == failed.pk
    assert "the manifest names no files" in by_event["job.failed"].json["data"]["error"]

    log = manager.get(f"{hooks_url(project)}{hook['id']}/deliveries/").json()
    assert log["count"] == 6
    assert {row["state"] for row in log["results"]} == {"delivered"}
    assert all(row["status_code"] == 200 and row["latency_ms"] is not None for row in log["results"])
    assert {row["response_excerpt"] for row in log["results"]} == {"ok"}


def test_a_receiver_failing_five_times_gets_the_event_on_the_retry(eager, webhook_settings, people, project):
    manager = f.api(people["manager"])
    with Receiver(fail_first=5) as receiver:
        subscribe(manager, project, receiver, ["job.failed"])
        fail_a_job(project)
        delivery = WebhookDelivery.objects.get()
        assert wait_for(lambda: WebhookDelivery.objects.get().state == State.DELIVERED, sweep=True)

    delivery.refresh_from_db()
    assert len(receiver.received) == 6 and delivery.attempts == 6
    assert {r.headers["x-vr-delivery"] for r in receiver.received} == {str(delivery.event_id)}  # one event id
    assert all(r.verified for r in receiver.received)
    assert len({r.body for r in receiver.received}) == 1  # the same body every time
    assert (delivery.status_code, delivery.response_excerpt, delivery.error) == (200, "ok", "")
    assert delivery.delivered_at is not None


def test_after_the_schedule_it_fails_and_send_again_delivers_the_same_event(eager, webhook_settings, people, project):
    webhook_settings.VR_WEBHOOK_RETRY_SCHEDULE = "0.1,0.1"
    manager = f.api(people["manager"])
    with Receiver(fail_first=3) as receiver:
        hook = subscribe(manager, project, receiver, ["job.failed"])
        fail_a_job(project)
        assert wait_for(lambda: WebhookDelivery.objects.get().state == State.FAILED, sweep=True)
        failed = WebhookDelivery.objects.get()
        assert failed.attempts == 3 and failed.status_code == 500
        assert failed.response_excerpt == "<b>not yet</b>"  # kept as text
        assert "gave up after 3 attempt(s)" in failed.error
        base = f"{hooks_url(project)}{hook['id']}/deliveries/"
        again = manager.post(f"{base}{failed.pk}/redeliver/")
        assert again.status_code == 202, again.content
        assert wait_for(lambda: WebhookDelivery.objects.get().state == State.DELIVERED, sweep=True)
    assert len(receiver.received) == 4
    assert {r.headers["x-vr-delivery"] for r in receiver.received} == {str(failed.event_id)}
    assert WebhookDelivery.objects.get().attempts == 4


def test_an_address_no_longer_allowed_is_refused_at_send_time(eager, webhook_settings, people, project):
    manager = f.api(people["manager"])
    with Receiver() as receiver:
        subscribe(manager, project, receiver, ["job.failed"])
        webhook_settings.VR_WEBHOOK_ALLOWED_NETWORKS = ""  # an admin withdrew it (or DNS now says so)
        webhook_settings.VR_WEBHOOK_RETRY_SCHEDULE = "0"
        fail_a_job(project)
        assert wait_for(lambda: WebhookDelivery.objects.get().state == State.FAILED, sweep=True)
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert "refused: 127.0.0.1 is a loopback address" in delivery.error and delivery.status_code is None


def test_410_gone_turns_the_webhook_off(eager, webhook_settings, people, project):
    manager = f.api(people["manager"])
    with Receiver(status=410) as receiver:
        hook = subscribe(manager, project, receiver, ["job.failed"])
        fail_a_job(project)
        assert wait_for(lambda: WebhookDelivery.objects.get().state == State.FAILED)
        fail_a_job(project)  # no delivery for a webhook that is off
    assert len(receiver.received) == 1
    shown = manager.get(f"{hooks_url(project)}{hook['id']}/").json()
    assert shown["active"] is False and "410 Gone" in shown["disabled_reason"]
    assert WebhookDelivery.objects.count() == 1


def test_ping_reaches_the_receiver_and_shows_in_the_log(eager, webhook_settings, people, project):
    manager = f.api(people["manager"])
    with Receiver() as receiver:
        hook = subscribe(manager, project, receiver, ["task.completed"])
        response = manager.post(f"{hooks_url(project)}{hook['id']}/ping/")
        assert response.status_code == 202, response.content
        assert wait_for(lambda: receiver.received)
    assert receiver.events() == ["ping"] and receiver.received[0].verified
    assert receiver.received[0].json["data"]["sent_by"] == "manager"


@pytest.mark.django_db(transaction=False)  # on-commit callbacks can be captured (and dropped)
def test_the_sweep_sends_a_delivery_whose_message_was_lost(
    eager, webhook_settings, people, project, django_capture_on_commit_callbacks
):
    manager = f.api(people["manager"])
    with Receiver() as receiver:
        subscribe(manager, project, receiver, ["job.failed"])
        with django_capture_on_commit_callbacks(execute=False):  # the broker lost the message
            fail_a_job(project)
        assert WebhookDelivery.objects.get().state == State.PENDING
        assert outbox.sweep()["sent"] == 0  # sent a moment ago: not lost yet
        WebhookDelivery.objects.update(dispatched_at=timezone.now() - timedelta(minutes=10))
        assert outbox.sweep()["sent"] == 1
        assert wait_for(lambda: WebhookDelivery.objects.get().state == State.DELIVERED)
    assert receiver.events() == ["job.failed"]


def test_a_delivery_stuck_in_delivering_goes_back_to_pending(eager, webhook_settings, people, project):
    """Its worker died mid-send: the sweep puts it back and sends it again (here to a closed port)."""
    hook = Webhook.objects.create(project=project, url="http://127.0.0.1:9/", events=["job.failed"], secret="s")
    row = WebhookDelivery.objects.create(
        webhook=hook,
        event="job.failed",
        state=State.DELIVERING,
        attempts=1,
        round_attempts=1,
        started_at=timezone.now() - timedelta(hours=1),
    )
    assert outbox.sweep() == {"requeued": 1, "sent": 1}
    row.refresh_from_db()
    assert row.attempts == 2 and row.state == State.PENDING and row.started_at is None
    assert "could not connect" in row.error and row.next_attempt_at > timezone.now() - timedelta(seconds=1)


def _purge(app, queues):
    with app.connection_for_write() as conn:
        for queue in queues:
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # the queue may not exist yet
                pass


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the suite runs on Redis)")
def test_a_real_worker_retries_with_countdowns_until_the_receiver_recovers(
    webhook_settings, people, project, monkeypatch
):
    """No eager mode, no sweep: the message on commit, then one countdown message per retry."""
    from celery.contrib.testing.worker import start_worker
    from django.db import connection

    from config.celery import app

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert not app.conf.task_always_eager
    manager = f.api(people["manager"])
    _purge(app, ["default"])
    with (
        Receiver(fail_first=5) as receiver,
        start_worker(app, perform_ping_check=False, queues=["default"], pool="solo", shutdown_timeout=20),
    ):
        subscribe(manager, project, receiver, ["job.failed"])
        fail_a_job(project)
        assert wait_for(lambda: WebhookDelivery.objects.get().state == State.DELIVERED, timeout=60, every=0.2)
    _purge(app, ["default"])
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 6 and len(receiver.received) == 6
    assert {r.headers["x-vr-delivery"] for r in receiver.received} == {str(delivery.event_id)}
    assert all(r.verified for r in receiver.received)
