from datetime import timedelta

import pytest
from django.utils import timezone

from annotator.models import Assignment, Task
from annotator.services.claims import expire_leases
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db


def claim(client, p):
    return client.post(f"/api/projects/{p.pk}/tasks/next/")


def test_claim_gives_a_lease_and_the_same_assignment_until_finished():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    asset = ready_asset(p)
    client = api(ann)
    first = claim(client, p)
    assert first.status_code == 200
    body = first.json()
    assert body["task"]["asset"]["id"] == asset.pk
    assert body["state"] == "active" and body["checklist_version"] == p.checklist_version_id
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=29) < expires - timezone.now() <= timedelta(minutes=30)
    assert claim(client, p).json()["id"] == body["id"]  # resumes, never a second lease


def test_overlap_k_gives_a_task_to_k_different_annotators_only():
    a, b, c = user("a"), user("b"), user("c")
    p = project(overlap=2, members={a: "annotator", b: "annotator", c: "annotator"})
    first, second = ready_asset(p, name="1.jpg"), ready_asset(p, name="2.jpg")
    assert claim(api(a), p).json()["task"]["asset"]["id"] == first.pk
    assert claim(api(b), p).json()["task"]["asset"]["id"] == first.pk
    assert claim(api(c), p).json()["task"]["asset"]["id"] == second.pk
    task = first.tasks.get()
    assert (task.assigned_count, task.status) == (2, "full")


def test_nothing_left_answers_204():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    assert claim(api(ann), p).status_code == 204


def test_an_annotator_never_gets_the_same_task_twice():
    ann = user("ann")
    p = project(overlap=3, members={ann: "annotator"})
    ready_asset(p)
    client = api(ann)
    assignment = claim(client, p).json()
    skipped = client.post(f"/api/assignments/{assignment['id']}/skip/", {"reason": "cannot judge"}, format="json")
    assert skipped.status_code == 200 and skipped.json()["state"] == "skipped"
    assert claim(client, p).status_code == 204
    assert Task.objects.get().assigned_count == 0  # the slot went back for others


def test_skip_needs_a_reason():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    ready_asset(p)
    client = api(ann)
    assignment = claim(client, p).json()
    response = client.post(f"/api/assignments/{assignment['id']}/skip/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]


def test_an_expired_lease_returns_the_task_to_the_pool():
    a, b = user("a"), user("b")
    p = project(members={a: "annotator", b: "annotator"})
    asset = ready_asset(p)
    claim(api(a), p)
    assert claim(api(b), p).status_code == 204
    Assignment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    taken = claim(api(b), p)
    assert taken.status_code == 200 and taken.json()["task"]["asset"]["id"] == asset.pk
    assert Assignment.objects.get(user=a).state == "expired"
    assert Task.objects.get().assigned_count == 1


def test_the_lease_sweep_expires_leases_in_bulk():
    users = [user(f"u{i}") for i in range(3)]
    p = project(overlap=3, members={u: "annotator" for u in users})
    ready_asset(p)
    for u in users:
        claim(api(u), p)
    assert Task.objects.get().status == "full"
    assert expire_leases(now=timezone.now() + timedelta(hours=1)) == 3
    task = Task.objects.get()
    assert (task.assigned_count, task.status) == (0, "open")


def test_heartbeat_and_draft_renew_the_lease():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    ready_asset(p)
    client = api(ann)
    assignment = claim(client, p).json()
    Assignment.objects.update(expires_at=timezone.now() + timedelta(minutes=1))
    renewed = client.post(f"/api/assignments/{assignment['id']}/heartbeat/").json()
    assert timezone.datetime.fromisoformat(renewed["expires_at"]) > timezone.now() + timedelta(minutes=29)


def test_annotators_cannot_touch_other_peoples_assignments():
    a, b = user("a"), user("b")
    p = project(members={a: "annotator", b: "annotator"})
    ready_asset(p)
    assignment = claim(api(a), p).json()
    assert api(b).get(f"/api/assignments/{assignment['id']}/").status_code == 404
    assert api(b).post(f"/api/assignments/{assignment['id']}/heartbeat/").status_code == 404


def test_researchers_do_not_annotate_and_strangers_do_not_see_the_project():
    res, stranger = user("res"), user("stranger")
    p = project(members={res: "researcher"})
    ready_asset(p)
    assert claim(api(res), p).status_code == 403
    assert claim(api(stranger), p).status_code == 404
