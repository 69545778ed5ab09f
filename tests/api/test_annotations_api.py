import uuid

import pytest

from annotator.models import Annotation, AnnotationRevision, Task
from tests.factories import api, full_image_options, project, ready_asset, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    ready_asset(p)
    client = api(ann)
    assignment = client.post(f"/api/projects/{p.pk}/tasks/next/").json()
    return p, ann, client, assignment


def submit(client, assignment, options, client_id=None, **extra):
    payload = {"client_id": str(client_id or uuid.uuid4()), "options": options, "time_spent_ms": 41_000, **extra}
    return client.post(f"/api/assignments/{assignment['id']}/submit/", payload, format="json")


def test_submit_stores_options_and_the_derived_binary_answers(setup):
    p, ann, client, assignment = setup
    checklist = p.checklist_version.checklist
    options = full_image_options(checklist, best=True)
    response = submit(client, assignment, options)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["options"] == options
    assert len(body["answers"]) == len(body["mask"]) == len(body["question_keys"]) == 59
    assert body["answers"] == [1] * 59 and body["mask"] == [1] * 59
    assert body["time_spent_ms"] == 41_000
    task = Task.objects.get()
    assert (task.submitted_count, task.status) == (1, "done")
    stored = client.get(f"/api/annotations/{body['id']}/").json()
    assert stored["answers"] == body["answers"] and len(stored["revisions"]) == 1


def test_not_present_options_mask_the_questions_they_gate(setup):
    p, ann, client, assignment = setup
    checklist = p.checklist_version.checklist
    options = full_image_options(checklist)
    options["body"] = checklist.sub_dimension("body").not_present_option.code
    options["lighting_distinction"] = checklist.sub_dimension("lighting_distinction").not_present_option.code
    del options["lighting_aesthetic"]  # gated closed by "no lighting": needs no answer
    body = submit(client, assignment, options).json()
    by_key = dict(zip(body["question_keys"], zip(body["answers"], body["mask"], strict=True), strict=True))
    assert by_key["q1"] == (0, 1)  # "is there a human body?" answered no
    for key in ("q44", "q45", "q46", "q47", "q28", "q29"):
        assert by_key[key] == (0, 0), key
    assert by_key["q27"] == (0, 1)
    assert by_key["q56"][1] == 1  # safety stays applicable


def test_a_retried_submit_creates_nothing_twice(setup):
    p, ann, client, assignment = setup
    options = full_image_options(p.checklist_version.checklist)
    client_id = uuid.uuid4()
    first = submit(client, assignment, options, client_id)
    retry = submit(client, assignment, options, client_id)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    assert Annotation.objects.count() == 1 and AnnotationRevision.objects.count() == 1
    assert Task.objects.get().submitted_count == 1
    other = submit(client, assignment, options)  # a new client id: already submitted
    assert other.status_code == 409 and "revise" in other.json()["detail"]


def test_incomplete_or_invalid_answers_name_the_sub_dimension_and_save_nothing(setup):
    p, ann, client, assignment = setup
    options = full_image_options(p.checklist_version.checklist)
    del options["symmetry"]
    options["clarity"] = 99
    options["sparkle"] = 1
    response = submit(client, assignment, options)
    assert response.status_code == 400
    errors = response.json()["errors"]["options"]
    assert set(errors) >= {"symmetry", "clarity", "sparkle"}
    assert "symmetry" in response.json()["detail"]
    assert not Annotation.objects.exists()
    assert Task.objects.get().submitted_count == 0
    missing_id = client.post(f"/api/assignments/{assignment['id']}/submit/", {"options": {}}, format="json")
    assert missing_id.status_code == 400 and "client_id" in missing_id.json()["errors"]


def test_drafts_are_saved_partially_and_come_back_on_reload(setup):
    p, ann, client, assignment = setup
    url = f"/api/assignments/{assignment['id']}/draft/"
    saved = client.put(url, {"options": {"symmetry": 1, "clarity": -2}, "time_spent_ms": 5000}, format="json")
    assert saved.status_code == 200, saved.content
    again = client.post(f"/api/projects/{p.pk}/tasks/next/").json()
    assert again["id"] == assignment["id"]
    assert again["draft"]["options"] == {"symmetry": 1, "clarity": -2}
    bad = client.put(url, {"options": {"symmetry": 5}}, format="json")
    assert bad.status_code == 400 and "symmetry" in bad.json()["errors"]["options"]
    assert client.get(f"/api/assignments/{assignment['id']}/").json()["draft"]["options"] == {
        "symmetry": 1,
        "clarity": -2,
    }


def test_revise_keeps_history_until_reviewed(setup):
    p, ann, client, assignment = setup
    checklist = p.checklist_version.checklist
    created = submit(client, assignment, full_image_options(checklist)).json()
    revised_options = full_image_options(checklist, best=False)
    url = f"/api/annotations/{created['id']}/"
    revision = client.put(url, {"client_id": str(uuid.uuid4()), "options": revised_options}, format="json")
    assert revision.status_code == 200, revision.content
    body = revision.json()
    assert body["revision"] == 2 and body["options"] == revised_options
    assert [r["revision"] for r in body["revisions"]] == [1, 2]
    assert body["revisions"][0]["options"] == created["options"]
    reviewer = user("rev")
    p.memberships.create(user=reviewer, role="reviewer")
    assert api(reviewer).post(f"/api/annotations/{created['id']}/review/").status_code == 200
    late = client.put(url, {"client_id": str(uuid.uuid4()), "options": created["options"]}, format="json")
    assert late.status_code == 409 and "reviewed" in late.json()["detail"]


def test_annotators_read_only_their_own_annotations_and_reviewers_read_all(setup):
    p, ann, client, assignment = setup
    created = submit(client, assignment, full_image_options(p.checklist_version.checklist)).json()
    other, reviewer = user("other"), user("rev")
    p.memberships.create(user=other, role="annotator")
    p.memberships.create(user=reviewer, role="reviewer")
    assert api(other).get(f"/api/annotations/{created['id']}/").status_code == 404
    assert api(other).get("/api/annotations/").json()["count"] == 0
    assert api(reviewer).get(f"/api/annotations/{created['id']}/").status_code == 200
    assert (
        api(other)
        .put(f"/api/annotations/{created['id']}/", {"client_id": str(uuid.uuid4()), "options": {}}, format="json")
        .status_code
        == 404
    )
    assert api(other).post(f"/api/annotations/{created['id']}/review/").status_code == 404
    assert api(ann).post(f"/api/annotations/{created['id']}/review/").status_code == 403


def test_a_lapsed_lease_still_accepts_the_work():
    from datetime import timedelta

    from django.utils import timezone

    from annotator.models import Assignment

    a, b = user("a"), user("b")
    p = project(members={a: "annotator", b: "annotator"})
    ready_asset(p)
    assignment = api(a).post(f"/api/projects/{p.pk}/tasks/next/").json()
    Assignment.objects.update(expires_at=timezone.now() - timedelta(seconds=5))
    api(b).post(f"/api/projects/{p.pk}/tasks/next/")  # b takes the freed slot
    late = submit(api(a), assignment, full_image_options(p.checklist_version.checklist))
    assert late.status_code == 201 and late.json()["late"] is True  # kept, marked a late extra
    task = Task.objects.get()
    # not one of the task's k: b's slot is still b's, the overlap stays 1
    assert task.submitted_count == 0 and task.assigned_count == task.required == 1
