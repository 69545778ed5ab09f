"""/metrics: django-prometheus' request metrics and the platform's own counters, parsed with
Prometheus' text parser; they move when an annotator claims and submits, when a job finishes and
when messages wait in a queue; only allowed networks and staff users see them."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.test import Client

from config.celery import app, queue_names
from config.observability import address_allowed, parse_networks
from tests import factories as f
from worker import jobs
from worker.models import Job

from .scrape import samples, scrape, value

# The claim and submit commit their transaction: the counters move when it commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_claim_and_submit_move_the_counters_and_the_latency_by_view():
    ann = f.user("ann")
    p = f.project(members={ann: "annotator"})
    f.ready_asset(p)
    metrics_client = Client()  # from 127.0.0.1: loopback is allowed by default
    before = scrape(metrics_client)

    api = f.api(ann)
    assignment = api.post(f"/api/projects/{p.pk}/tasks/next/")
    assert assignment.status_code == 200
    again = api.post(f"/api/projects/{p.pk}/tasks/next/")  # the same live lease: not a new claim
    assert again.json()["id"] == assignment.json()["id"]
    body = {
        "client_id": str(uuid.uuid4()),
        "options": f.full_image_options(p.checklist_version.checklist),
        "time_spent_ms": 30_000,
    }
    submitted = api.post(f"/api/assignments/{assignment.json()['id']}/submit/", body, format="json")
    assert submitted.status_code == 201, submitted.content
    retry = api.post(f"/api/assignments/{assignment.json()['id']}/submit/", body, format="json")
    assert retry.status_code in (200, 201)  # a retried submit is the same annotation: not counted

    after = scrape(metrics_client)
    assert value(after, "vr_claims_total") - value(before, "vr_claims_total") == 1
    assert value(after, "vr_submits_total") - value(before, "vr_submits_total") == 1
    # request latency by view (django-prometheus), the claim's view among them
    views = {
        dict(labels)["view"]
        for (name, labels) in after
        if name == "django_http_requests_latency_seconds_by_view_method_count" and dict(labels)["method"] == "POST"
    }
    assert {"project-next-task", "assignment-submit"} <= views, views


def test_a_finished_job_records_its_duration_and_outcome():
    project = f.project(media_type="image")
    client = Client()
    before = scrape(client)
    job = jobs.create_job(Job.Kind.IMPORT, {"entries": []}, project=project, dispatch=False)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.state, job.log)
    after = scrape(client)
    count = "vr_job_duration_seconds_count"
    assert value(after, count, kind="import") - value(before, count, kind="import") == 1
    assert value(after, "vr_job_duration_seconds_sum", kind="import") >= value(
        before, "vr_job_duration_seconds_sum", kind="import"
    )
    finished = "vr_jobs_finished_total"
    assert (
        value(after, finished, kind="import", state="succeeded")
        - value(before, finished, kind="import", state="succeeded")
        == 1
    )


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the suite runs on Redis)")
def test_queue_depth_counts_the_messages_waiting_in_redis():
    assert {"default", "media", "gpu"} <= set(queue_names())
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("media")
        for _ in range(3):
            app.send_task("worker.tasks.run_import_job", args=[0], queue="media", connection=conn)
        try:
            depth = scrape(Client())
            assert value(depth, "vr_queue_depth", queue="media") == 3
            assert ("vr_queue_depth", (("queue", "gpu"),)) in depth
        finally:
            conn.default_channel.queue_purge("media")
    assert value(scrape(Client()), "vr_queue_depth", queue="media") == 0


def test_a_broker_that_does_not_answer_leaves_out_the_queue_depths_only(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    scraped = scrape(Client())
    assert not [key for key in scraped if key[0] == "vr_queue_depth"]
    assert ("vr_claims_total", ()) in scraped


def test_only_allowed_networks_and_staff_see_the_metrics(settings):
    staff, annotator = f.user("admin", staff=True), f.user("ann")
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    anonymous = Client()
    assert anonymous.get("/metrics", **outside).status_code == 404  # as if there were no such page
    not_staff = f.api_token(annotator)
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION=f"Token {not_staff}", **outside).status_code == 404
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION="Token wrong", **outside).status_code == 404
    logged_in = Client()
    logged_in.force_login(annotator)
    assert logged_in.get("/metrics", **outside).status_code == 404

    token = f.api_token(staff)
    assert samples(anonymous.get("/metrics", HTTP_AUTHORIZATION=f"Token {token}", **outside).content.decode())
    staff_session = Client()
    staff_session.force_login(staff)
    scrape(staff_session, **outside)

    settings.VR_METRICS_ALLOWED_NETWORKS = "10.20.0.0/16"
    scrape(anonymous, REMOTE_ADDR="10.20.3.4")
    assert anonymous.get("/metrics").status_code == 404  # loopback is no longer allowed
    # the allowed network is answered before the host check (Prometheus scrapes by address)
    scrape(anonymous, REMOTE_ADDR="10.20.3.4", HTTP_HOST="10.0.0.7:8000")


def test_networks_parse_and_match():
    networks = parse_networks("127.0.0.0/8, ::1/128,10.1.2.3")
    assert address_allowed("127.0.0.1", networks) and address_allowed("::1", networks)
    assert address_allowed("10.1.2.3", networks) and not address_allowed("10.1.2.4", networks)
    assert address_allowed("::ffff:127.0.0.1", networks)
    assert not address_allowed("", networks) and not address_allowed("not-an-address", networks)
    assert parse_networks("") == []
    with pytest.raises(Exception, match="VR_METRICS_ALLOWED_NETWORKS: `nope` is not a network"):
        parse_networks("nope")
