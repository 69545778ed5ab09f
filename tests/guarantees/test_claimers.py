"""Guarantee: 100 annotators claiming at once never over-assign a task.

100 annotator clients (threads, each its own HTTP session and token) start together on a
barrier against a real gunicorn on PostgreSQL (2 workers × 16 threads: up to 32 claims in
their own database transactions at the same instant) and claim, fetch one ahead
(``exclude``), submit, until nothing is left for them. The project has fewer slots (30 tasks × k
= 3 = 90) than claimers, and each claimer asks for up to two at a time. Afterwards no task has
more live + submitted assignments than it requires, nobody holds two slots of one task, the
counters agree with the rows, every slot was used exactly once, and no request failed.

Why over HTTP and not 100 threads calling ``claim_next`` with 100 database connections: the
suite's PostgreSQL allows 100 connections in all (``max_connections``), shared with the test
process and whatever else runs. ``tests/api/test_claim_concurrency.py`` is that in-process
variant with 24 threads, each with its own connection.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
import requests
from django.db.models import Count, Q

from annotator.models import Annotation, Assignment, Task
from tests import factories as f

from .conftest import token

CLAIMERS = 100
TASKS = 30
OVERLAP = 3

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_hundred_concurrent_claimers_never_over_assign(stack):
    claimers = [f.user(f"claimer{i:03d}") for i in range(CLAIMERS)]
    project = f.project(overlap=OVERLAP, members={u: "annotator" for u in claimers})
    for i in range(TASKS):
        f.ready_asset(project, name=f"{i}.jpg", prompt=f"prompt {i}")
    options = f.full_image_options(project.checklist_version.checklist)
    keys = [token(u) for u in claimers]
    web = stack.web(workers=2, threads=16)

    barrier = threading.Barrier(CLAIMERS)
    statuses: Counter = Counter()
    problems: list[str] = []
    lock = threading.Lock()

    def claimer(key: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {key}"
        next_url = f"{web.url}/api/projects/{project.pk}/tasks/next/"
        held: list[int] = []
        try:
            session.get(f"{web.url}/healthz", timeout=30)  # connect before the barrier
            barrier.wait(timeout=60)
            while True:
                # take up to two (the task at hand and one ahead), then submit the oldest
                answer = session.post(next_url, json={"exclude": held}, timeout=60)
                with lock:
                    statuses[f"claim {answer.status_code}"] += 1
                if answer.status_code == 200:
                    assignment = answer.json()["id"]
                    if assignment in held:
                        raise AssertionError(f"claim with exclude={held} returned {assignment} again")
                    held.append(assignment)
                    if len(held) < 2:
                        continue
                elif answer.status_code != 204:
                    raise AssertionError(f"claim answered {answer.status_code}: {answer.text[:300]}")
                if not held:
                    return
                submit = session.post(
                    f"{web.url}/api/assignments/{held.pop(0)}/submit/",
                    json={"client_id": str(uuid.uuid4()), "options": options, "time_spent_ms": 500},
                    timeout=60,
                )
                with lock:
                    statuses[f"submit {submit.status_code}"] += 1
                if submit.status_code != 201:
                    raise AssertionError(f"submit answered {submit.status_code}: {submit.text[:300]}")
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
        finally:
            session.close()

    threads = [threading.Thread(target=claimer, args=(key,)) for key in keys]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    elapsed = time.monotonic() - started
    assert not any(t.is_alive() for t in threads), "claimers still running after 120 s"
    assert not problems, problems[:5]

    slots = TASKS * OVERLAP
    # no task over-assigned: live + submitted assignments never exceed what it requires
    tasks = Task.objects.filter(project=project).annotate(
        taken=Count("assignments", filter=Q(assignments__state__in=["active", "submitted"]))
    )
    for task in tasks:
        assert task.required == OVERLAP, (task.pk, task.required)
        assert task.taken <= task.required, (task.pk, task.taken)
        assert task.assigned_count == task.taken == task.submitted_count == OVERLAP, task.pk
    # nobody holds two slots of one task
    assert max(Counter(Assignment.objects.values_list("task_id", "user_id")).values()) == 1
    # every slot used exactly once, by a claim that was answered
    assert Assignment.objects.filter(state="submitted").count() == Annotation.objects.count() == slots
    assert not Assignment.objects.filter(state="active").exists()
    assert statuses["claim 200"] == statuses["submit 201"] == slots
    assert set(statuses) <= {"claim 200", "claim 204", "submit 201"}, statuses
    print(f"\n{CLAIMERS} claimers, {slots} slots: {dict(statuses)} in {elapsed:.1f} s")
