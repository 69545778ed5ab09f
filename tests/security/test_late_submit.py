"""A submit that arrives after its lease lapsed and its task went to someone else (issue 13,
item 9), over HTTP against a live server.

The rule: work is never lost, and a task's overlap never exceeds k. The late annotation is
stored and marked ``late`` (a *late extra*): it is not one of the task's k (``required``,
``assigned_count`` and ``submitted_count`` leave it out), it is counted in the statistics, and
an export includes it only with ``include_late``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from annotator.models import Annotation, Assignment, Task
from datasets_app.models import DatasetVersion
from tests import factories as f
from tests.factories import api_token
from tests.worker.conftest import jpeg_bytes
from worker.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def session(user) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Token {api_token(user)}"
    return s


@pytest.fixture
def eager_jobs(settings):
    """The export job runs inside the request that starts it (no Celery worker here)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True


def test_a_late_submit_is_kept_marked_late_and_does_not_raise_the_overlap(live_server, eager_jobs):
    a, b, boss = f.user("slow-annie"), f.user("bob"), f.user("boss")
    project = f.project(overlap=1, members={a: "annotator", b: "annotator", boss: "manager"})
    f.ready_asset(project, content=jpeg_bytes(32, 24, (200, 30, 30)))
    options = f.full_image_options(project.checklist_version.checklist)
    url = live_server.url
    annie, bob, manager = session(a), session(b), session(boss)

    claimed = annie.post(f"{url}/api/projects/{project.pk}/tasks/next/", timeout=30)
    assert claimed.status_code in (200, 201), claimed.text
    # annie's lease lapses; the task goes to bob, who submits it
    Assignment.objects.filter(user=a).update(expires_at=timezone.now() - timedelta(seconds=5))
    taken = bob.post(f"{url}/api/projects/{project.pk}/tasks/next/", timeout=30).json()
    assert taken["task"]["id"] == claimed.json()["task"]["id"]
    body = {"client_id": str(uuid.uuid4()), "options": options, "time_spent_ms": 30_000}
    assert bob.post(f"{url}/api/assignments/{taken['id']}/submit/", json=body, timeout=30).status_code == 201

    # annie's late submit: accepted (2xx), stored, marked late
    late_body = {"client_id": str(uuid.uuid4()), "options": options, "time_spent_ms": 95_000}
    response = annie.post(f"{url}/api/assignments/{claimed.json()['id']}/submit/", json=late_body, timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["late"] is True
    assert Annotation.objects.get(user=a).late and not Annotation.objects.get(user=b).late
    # a retry of the same submit is the same annotation (idempotent), still late
    again = annie.post(f"{url}/api/assignments/{claimed.json()['id']}/submit/", json=late_body, timeout=30)
    assert again.status_code in (200, 201) and again.json()["id"] == response.json()["id"]
    assert Annotation.objects.count() == 2
    # the task's overlap stays k = 1
    task = Task.objects.get()
    assert (task.required, task.assigned_count, task.submitted_count, task.status) == (1, 1, 1, "done")
    # it is visible as late to the people who read annotations
    listed = manager.get(f"{url}/api/annotations/?project={project.pk}", timeout=30).json()["results"]
    assert sorted((x["username"], x["late"]) for x in listed) == [("bob", False), ("slow-annie", True)]

    # statistics count it
    stats = manager.get(f"{url}/api/projects/{project.pk}/stats/", timeout=30)
    assert stats.status_code == 200, stats.text
    progress = stats.json()["progress"]
    assert (progress["annotations"], progress["late_annotations"], progress["tasks_done"]) == (2, 1, 1)
    per_annotator = {row["username"]: (row["submitted"], row["late"]) for row in stats.json()["annotators"]}
    assert per_annotator["slow-annie"] == (1, 1) and per_annotator["bob"] == (1, 0)

    # exports leave late extras out unless asked for
    def export(name, **settings):
        body = {"name": name, "projects": [project.pk], "settings": {"combine": "all", **settings}}
        response = manager.post(f"{url}/api/exports/", json=body, timeout=120)
        assert response.status_code == 202, response.text
        version = DatasetVersion.objects.get(pk=response.json()["dataset_version"]["id"])
        job = Job.objects.get(pk=version.job_id)
        assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
        return version

    default = export("without-late")
    assert default.export_settings["include_late"] is False
    assert sum(default.row_counts["default"].values()) == 1  # bob's: the task's k
    included = export("with-late", include_late=True)
    assert sum(included.row_counts["default"].values()) == 2  # and annie's late extra
    assert default.content_hash != included.content_hash
    bad = manager.post(
        f"{url}/api/exports/",
        json={"name": "bad", "projects": [project.pk], "settings": {"include_late": "yes"}},
        timeout=30,
    )
    assert bad.status_code == 400 and "settings.include_late" in bad.json()["errors"]
