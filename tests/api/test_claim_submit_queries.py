"""What a claim and a submit cost in queries, pinned so that it cannot creep back up unnoticed.

The README's Benchmarks section says what each query buys. Counts include the transaction's two
statements: inside a test each outermost ``atomic`` is a SAVEPOINT and its RELEASE instead of
BEGIN and COMMIT, so the numbers are the round trips a request makes in production.
"""

from __future__ import annotations

import threading
import uuid

import pytest

from annotator.models import Assignment, GoldCheck, Task
from annotator.services.answers import submit
from annotator.services.claims import claim_next
from annotator.services.payload import AnswerPayload
from annotator.services.quality import set_gold_check
from tests.factories import full_image_options, project, ready_asset, user

pytestmark = pytest.mark.django_db

CLAIM_QUERIES = 8  # expiry probe, BEGIN, user lock, counts, task, its slot, the assignment, COMMIT
SUBMIT_QUERIES = 7  # BEGIN, assignment + task lock, annotation, revision, assignment, task, COMMIT


def _setup(tasks: int = 4, **kw):
    ann = user("ann")
    p = project(members={ann: "annotator"}, **kw)
    for i in range(tasks):
        ready_asset(p, name=f"{i}.jpg")
    payload = AnswerPayload(options=full_image_options(p.checklist_version.checklist), time_spent_ms=1000)
    submit(claim_next(ann, p), payload, uuid.uuid4())  # warm: the checklist parsed, one assignment had
    return ann, p, payload


def test_a_claim_and_its_submit_take_fifteen_queries(django_assert_num_queries):
    ann, p, payload = _setup(gold_check_rate=0)
    with django_assert_num_queries(CLAIM_QUERIES):
        assignment = claim_next(ann, p)
    with django_assert_num_queries(SUBMIT_QUERIES):
        annotation, created = submit(assignment, payload, uuid.uuid4())
    assert created and annotation.revisions.get().created_by_id == ann.pk


def test_fetching_ahead_costs_what_a_claim_costs(django_assert_num_queries):
    ann, p, _ = _setup(gold_check_rate=0)
    current = claim_next(ann, p)
    with django_assert_num_queries(CLAIM_QUERIES):
        ahead = claim_next(ann, p, exclude=[current.pk])
    assert ahead.pk != current.pk


def test_asking_again_renews_the_live_lease_in_seven(django_assert_num_queries):
    ann, p, _ = _setup(gold_check_rate=0)
    current = claim_next(ann, p)
    # probe, BEGIN, user lock, counts, the live assignment locked, its lease, COMMIT
    with django_assert_num_queries(7):
        assert claim_next(ann, p).pk == current.pk


def test_a_gold_turn_adds_one_query_only_when_no_gold_check_is_left(django_assert_num_queries):
    ann, p, _ = _setup(gold_check_rate=1.0)  # every claim is a gold turn
    with django_assert_num_queries(CLAIM_QUERIES + 1):  # looked for a gold check, then a normal task
        normal = claim_next(ann, p)
    assert not GoldCheck.objects.filter(task_id=normal.task_id).exists()
    task = Task.objects.filter(project=p, assignments__isnull=True).first()
    set_gold_check(task, ann, options=full_image_options(p.checklist_version.checklist))
    with django_assert_num_queries(CLAIM_QUERIES):  # the gold check instead of a normal task
        served = claim_next(ann, p, exclude=[normal.pk])
    assert served.task_id == task.pk


def test_a_retried_submit_returns_the_same_annotation(django_assert_num_queries):
    ann, p, payload = _setup(gold_check_rate=0)
    assignment = claim_next(ann, p)
    client_id = uuid.uuid4()
    first, _ = submit(assignment, payload, client_id)
    with django_assert_num_queries(4):  # BEGIN, the lock (the client_id is taken), the annotation, COMMIT
        again, created = submit(assignment, payload, client_id)
    assert again.pk == first.pk and not created


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_claims_of_one_user_lease_one_task():
    from django.db import connection

    ann = user("ann")
    p = project(members={ann: "annotator"})
    for i in range(6):
        ready_asset(p, name=f"{i}.jpg")
    barrier = threading.Barrier(5)
    results: list = []

    def work():
        try:
            barrier.wait()
            results.append(claim_next(ann, p).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    live = list(Assignment.objects.filter(user=ann, state="active").values_list("pk", flat=True))
    assert len(live) == 1 and results == live * 5
    assert sum(Task.objects.values_list("assigned_count", flat=True)) == 1


def test_a_submit_in_a_project_with_webhooks_adds_a_look_up_and_its_deliveries(django_assert_num_queries, settings):
    """No webhooks: no query (the lock asks). With one subscribed to both events: one look-up of
    the project's webhooks and one insert per event (annotation.submitted, task.completed)."""
    from annotator.models import Webhook, WebhookDelivery

    ann, p, payload = _setup(gold_check_rate=0)
    Webhook.objects.create(
        project=p, url="https://example.org/h", events=["annotation.submitted", "task.completed"], secret="s"
    )
    assignment = claim_next(ann, p)
    with django_assert_num_queries(SUBMIT_QUERIES + 3):
        submit(assignment, payload, uuid.uuid4())
    assert sorted(WebhookDelivery.objects.values_list("event", flat=True)) == ["annotation.submitted", "task.completed"]
