"""Guarantee: no submit is lost and none counts twice when the web server is killed mid-burst.

A real gunicorn (2 workers × 8 threads, as docker-compose runs it) on the test database takes a
burst of claims and submits from ten annotators at once (threads, ``requests``, token auth).
While the burst runs the whole server is SIGKILLed (master and workers: requests die half-way,
some after their transaction committed, some before), started again, and killed and started a
second time. Clients do what the app's outbox does: a submit without a 2xx answer is sent again
with the same ``client_id`` until one comes. At the end every acknowledged submit is in the
database exactly once (the annotation the acknowledgement named), nothing unacknowledged is
there, nobody annotated a task twice, no task has more annotations than it required.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from annotator.models import Annotation, Assignment, Task
from tests import factories as f

from .conftest import token

ANNOTATORS = 10
TASKS = 25
OVERLAP = 2  # 50 slots; each annotator can take at most one slot per task
KILL_AFTER_ACKS = (10, 28)  # SIGKILL the server when this many submits were acknowledged
DEADLINE_S = 120

pytestmark = pytest.mark.django_db(transaction=True)


class Burst:
    """The clients' shared record: acknowledgements, interruptions, unexpected answers."""

    def __init__(self, base: str, project_id: int, options: dict):
        self.base, self.project_id, self.options = base, project_id, options
        self.lock = threading.Lock()
        self.acked: dict[str, dict] = {}  # client_id → what the acknowledgement said
        self.interrupted: set[str] = set()  # client_ids whose submit lost its connection at least once
        self.connection_errors = Counter()
        self.unexpected: list[str] = []
        self.deadline = time.monotonic() + DEADLINE_S

    def call(self, session: requests.Session, method: str, path: str, kind: str, **kwargs) -> requests.Response:
        """One request, sent again on connection errors (server down or killed mid-request)."""
        while True:
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"{kind} {path}: no answer before the deadline")
            try:
                return session.request(method, self.base + path, timeout=30, **kwargs)
            except requests.RequestException as exc:
                with self.lock:
                    self.connection_errors[f"{kind}: {type(exc).__name__}"] += 1
                    if kind == "submit":
                        self.interrupted.add(kwargs["json"]["client_id"])
                time.sleep(0.1)

    def annotate(self, username: str, key: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {key}"
        try:
            while True:
                claimed = self.call(session, "POST", f"/api/projects/{self.project_id}/tasks/next/", "claim")
                if claimed.status_code == 204:
                    return
                if claimed.status_code != 200:
                    self.unexpected.append(f"{username} claim: {claimed.status_code} {claimed.text[:300]}")
                    return
                assignment = claimed.json()["id"]
                client_id = str(uuid.uuid4())
                body = {"client_id": client_id, "options": self.options, "time_spent_ms": 1000}
                answer = self.call(session, "POST", f"/api/assignments/{assignment}/submit/", "submit", json=body)
                if answer.status_code not in (200, 201):
                    self.unexpected.append(f"{username} submit: {answer.status_code} {answer.text[:300]}")
                    return
                with self.lock:
                    self.acked[client_id] = {
                        "user": username,
                        "assignment": assignment,
                        "annotation": answer.json()["id"],
                        "status": answer.status_code,
                    }
        except Exception as exc:  # reported by the test
            self.unexpected.append(f"{username}: {type(exc).__name__}: {exc}")
        finally:
            session.close()

    def acks(self) -> int:
        with self.lock:
            return len(self.acked)


def test_no_acknowledged_submit_is_lost_or_doubled_when_the_web_server_is_killed(stack):
    annotators = [f.user(f"burst{i}") for i in range(ANNOTATORS)]
    project = f.project(overlap=OVERLAP, members={u: "annotator" for u in annotators})
    for i in range(TASKS):
        f.ready_asset(project, name=f"{i}.jpg", prompt=f"prompt {i}")
    options = f.full_image_options(project.checklist_version.checklist)
    keys = {u.username: token(u) for u in annotators}

    web = stack.web(workers=2, threads=8)
    burst = Burst(web.url, project.pk, options)
    threads = [threading.Thread(target=burst.annotate, args=(name, key)) for name, key in keys.items()]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    acked_at_kill = []
    for target in KILL_AFTER_ACKS:
        while burst.acks() < target and any(t.is_alive() for t in threads):
            time.sleep(0.005)
        acked_at_kill.append(burst.acks())
        web.kill()  # SIGKILL, master and workers: requests in flight die with them
        time.sleep(0.3)  # clients meet a closed port meanwhile
        web.start()
    for thread in threads:
        thread.join(DEADLINE_S)
    elapsed = time.monotonic() - started

    assert not any(t.is_alive() for t in threads), "clients still running at the deadline"
    assert not burst.unexpected, burst.unexpected
    slots = TASKS * OVERLAP
    assert all(n < slots for n in acked_at_kill), f"the kills came after the burst ({acked_at_kill})"
    assert burst.connection_errors, "no request met the kills"

    # every acknowledged submit is in the database exactly once: the annotation it named
    assert len(burst.acked) == slots
    rows = {
        str(cid): (username, pk, assignment)
        for cid, username, pk, assignment in Annotation.objects.values_list(
            "client_id", "user__username", "id", "assignment_id"
        )
    }
    for client_id, ack in burst.acked.items():
        assert rows.get(client_id) == (ack["user"], ack["annotation"], ack["assignment"]), (client_id, ack)
    # and nothing else: no annotation from an unacknowledged or doubled submit
    assert Annotation.objects.count() == len(burst.acked)
    assert set(rows) == set(burst.acked)
    per_user_task = Counter(Annotation.objects.values_list("user_id", "task_id"))
    assert max(per_user_task.values()) == 1
    # no task over its required count, counters agree with the rows
    per_task = Counter(Annotation.objects.values_list("task_id", flat=True))
    for task in Task.objects.filter(project=project):
        assert task.required == OVERLAP, (task.pk, task.required)
        assert per_task[task.pk] == task.submitted_count == task.assigned_count == OVERLAP, task.pk
        assert task.status == Task.Status.DONE
    assert not Assignment.objects.filter(state=Assignment.State.ACTIVE).exists()
    assert set(Assignment.objects.values_list("state", flat=True)) == {Assignment.State.SUBMITTED}

    retried = len(burst.interrupted)
    committed_unacked = sum(1 for cid in burst.interrupted if burst.acked[cid]["status"] == 200)
    print(
        f"\n{slots} submits by {ANNOTATORS} annotators in {elapsed:.1f} s; server killed at {acked_at_kill} "
        f"acknowledgements; {retried} submits lost their connection and were sent again "
        f"({committed_unacked} had committed before the kill: the retry answered 200 with the same annotation); "
        f"connection errors: {dict(burst.connection_errors)}"
    )
