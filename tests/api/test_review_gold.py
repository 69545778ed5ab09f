"""Review: gold answers (accept or correct), their history, and the review-item queue."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.checklist import checklist_from_dict
from annotator.models import Annotation, GoldAnswer, Task
from annotator.services.checklists import load_checklist_version
from tests.checklist.helpers import mini_dict
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db

# Mini checklist answers with no lighting and no face: only clarity is left to choose.
REST = {"lighting": 1, "face": -1}


def mini_version():
    return load_checklist_version(checklist_from_dict(mini_dict()))[0]


def claim(who, p):
    response = api(who).post(f"/api/projects/{p.pk}/tasks/next/")
    assert response.status_code == 200, response.content
    return response.json()


def annotate(who, p, time_spent_ms: int = 1000, **answers) -> dict:
    """Claim the next task and submit ``answers`` (options or a preference); the annotation."""
    assignment = claim(who, p)
    body = {"client_id": str(uuid.uuid4()), "time_spent_ms": time_spent_ms, **answers}
    response = api(who).post(f"/api/assignments/{assignment['id']}/submit/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def clarity(code: int) -> dict:
    return {"options": {"clarity": code, **REST}}


@pytest.fixture
def team():
    people = {name: user(name) for name in ("a", "b", "rev", "boss", "res", "c")}
    p = project(
        overlap=2,
        checklist_version=mini_version(),
        members={
            people["a"]: "annotator",
            people["b"]: "annotator",
            people["c"]: "annotator",
            people["rev"]: "reviewer",
            people["boss"]: "manager",
            people["res"]: "researcher",
        },
    )
    for i in range(4):
        ready_asset(p, name=f"{i}.jpg")
    return p, people


def review_url(p, task_id):
    return f"/api/projects/{p.pk}/tasks/{task_id}/review/"


def test_accepting_an_annotation_makes_it_gold_and_reviews_every_annotation(team):
    p, people = team
    mine = annotate(people["a"], p, **clarity(2))
    theirs = annotate(people["b"], p, **clarity(1))
    task_id = mine["task"]
    response = api(people["rev"]).post(review_url(p, task_id), {"accept": mine["id"], "comment": "a is right"})
    assert response.status_code == 200, response.content
    item = response.json()
    assert item["task"]["id"] == task_id and item["task"]["asset"]["id"]
    assert item["disagreements"] == ["clarity"]
    assert [a["id"] for a in item["annotations"]] == [mine["id"], theirs["id"]]
    assert {a["state"] for a in item["annotations"]} == {"reviewed"}
    assert {a["reviewed_by"] for a in item["annotations"]} == {people["rev"].pk}
    gold = item["gold"]
    assert gold["source"] == "accepted" and gold["source_annotation"] == mine["id"]
    assert (gold["options"], gold["answers"], gold["mask"]) == (mine["options"], mine["answers"], mine["mask"])
    assert gold["preference"] is None and gold["dimension_preferences"] == {}
    assert (gold["comment"], gold["reviewed_by"], gold["history"]) == ("a is right", "rev", [])
    assert gold["updated_at"]
    assert set(gold) == {
        "source",
        "source_annotation",
        "options",
        "answers",
        "mask",
        "preference",
        "dimension_preferences",
        "comment",
        "reviewed_by",
        "updated_at",
        "history",
    }
    assert set(item) == {"task", "annotations", "disagreements", "gold"}
    assert GoldAnswer.objects.get().task_id == task_id
    assert not Annotation.objects.filter(state="submitted").exists()
    late = api(people["a"]).put(
        f"/api/annotations/{mine['id']}/", {"client_id": str(uuid.uuid4()), **clarity(0)}, format="json"
    )
    assert late.status_code == 409  # reviewed: no longer revisable


def test_a_correction_is_validated_like_a_submit_and_nothing_is_saved_when_wrong(team):
    p, people = team
    mine = annotate(people["a"], p, **clarity(2))
    url = review_url(p, mine["task"])
    client = api(people["rev"])
    wrong_code = client.post(url, {"options": {"clarity": 5, **REST}}, format="json")
    assert wrong_code.status_code == 400
    assert "clarity" in wrong_code.json()["errors"]["options"] and "clarity" in wrong_code.json()["detail"]
    missing = client.post(url, {"options": dict(REST)}, format="json")
    assert missing.status_code == 400 and "clarity" in missing.json()["errors"]["options"]
    unknown = client.post(url, {"options": {"clarity": 1, "sparkle": 1, **REST}}, format="json")
    assert unknown.status_code == 400 and "sparkle" in unknown.json()["errors"]["options"]
    pair_only = client.post(url, {"options": {"clarity": 1, **REST}, "preference": 2}, format="json")
    assert pair_only.status_code == 400 and "preference" in pair_only.json()["errors"]
    assert not GoldAnswer.objects.exists()
    assert Annotation.objects.get().state == "submitted"

    corrected = client.post(url, {"options": {"clarity": 0, **REST}, "comment": "blurry"}, format="json")
    assert corrected.status_code == 200, corrected.content
    gold = corrected.json()["gold"]
    assert gold["source"] == "corrected" and gold["source_annotation"] is None
    assert gold["options"] == {"clarity": 0, "lighting": 1, "face": -1, "eyes": -1}  # eyes implied
    assert gold["answers"][:2] == [0, 0] and gold["mask"][:4] == [1, 1, 0, 1]
    assert Annotation.objects.get().state == "reviewed"


def test_a_new_review_replaces_the_gold_answer_and_keeps_history(team):
    p, people = team
    mine = annotate(people["a"], p, **clarity(2))
    url = review_url(p, mine["task"])
    assert api(people["rev"]).post(url, {"accept": mine["id"]}).status_code == 200
    second = api(people["boss"]).post(url, {"options": {"clarity": 1, **REST}, "comment": "fixed"}, format="json")
    assert second.status_code == 200, second.content
    gold = second.json()["gold"]
    assert (gold["source"], gold["reviewed_by"], gold["options"]["clarity"]) == ("corrected", "boss", 1)
    [previous] = gold["history"]
    assert previous["source"] == "accepted" and previous["source_annotation"] == mine["id"]
    assert previous["options"] == mine["options"] and previous["reviewed_by"] == "rev"
    assert previous["replaced_by"] == "boss" and previous["replaced_at"] and previous["updated_at"]
    third = api(people["rev"]).post(url, {"accept": mine["id"]}).json()["gold"]
    assert [h["source"] for h in third["history"]] == ["accepted", "corrected"]
    assert third["history"][1]["comment"] == "fixed" and third["comment"] == ""
    assert GoldAnswer.objects.count() == 1


def test_the_body_must_name_one_annotation_of_the_task_or_a_correction(team):
    p, people = team
    first = annotate(people["a"], p, **clarity(2))
    second = annotate(people["a"], p, **clarity(1))  # another task
    url = review_url(p, first["task"])
    client = api(people["rev"])
    foreign = client.post(url, {"accept": second["id"]}, format="json")
    assert foreign.status_code == 400 and "accept" in foreign.json()["errors"]
    assert "accept" in foreign.json()["detail"] or str(second["id"]) in foreign.json()["detail"]
    both = client.post(url, {"accept": first["id"], "options": {"clarity": 1, **REST}}, format="json")
    assert both.status_code == 400 and "accept" in both.json()["errors"]
    neither = client.post(url, {"comment": "hm"}, format="json")
    assert neither.status_code == 400 and "accept" in neither.json()["errors"]
    not_an_id = client.post(url, {"accept": "first"}, format="json")
    assert not_an_id.status_code == 400 and "accept" in not_an_id.json()["errors"]
    assert not GoldAnswer.objects.exists() and not Annotation.objects.filter(state="reviewed").exists()


def test_a_task_without_submitted_annotations_cannot_be_reviewed(team):
    p, people = team
    untouched = Task.objects.filter(project=p).order_by("id").first()
    response = api(people["rev"]).post(review_url(p, untouched.pk), {"options": {"clarity": 1, **REST}}, format="json")
    assert response.status_code == 409 and "no submitted annotation" in response.json()["detail"]
    assert api(people["rev"]).post(review_url(p, 999_999), {"accept": 1}).status_code == 404
    assert not GoldAnswer.objects.exists()


def test_who_may_review_read_and_remove_gold_answers(team):
    p, people = team
    mine = annotate(people["a"], p, **clarity(2))
    url = review_url(p, mine["task"])
    outsider = user("outsider")
    assert api(people["a"]).post(url, {"accept": mine["id"]}).status_code == 403
    assert api(people["res"]).post(url, {"accept": mine["id"]}).status_code == 403
    assert api(outsider).post(url, {"accept": mine["id"]}).status_code == 404
    items = f"/api/projects/{p.pk}/review-items/"
    assert api(people["a"]).get(items).status_code == 403
    assert api(people["a"]).get(f"{items}{mine['task']}/").status_code == 403
    assert api(outsider).get(items).status_code == 404
    for reader in ("rev", "boss", "res"):
        assert api(people[reader]).get(items).status_code == 200
    assert api(people["rev"]).post(url, {"accept": mine["id"]}).status_code == 200
    assert api(people["rev"]).delete(url).status_code == 403
    assert api(people["boss"]).delete(url).status_code == 204
    assert not GoldAnswer.objects.exists()
    assert Annotation.objects.get().state == "reviewed"  # the annotations stay reviewed
    assert api(people["boss"]).delete(url).status_code == 404
    staff = user("admin", staff=True)
    assert api(staff).post(url, {"accept": mine["id"]}).status_code == 200


def test_review_items_list_pending_and_reviewed_tasks_most_disagreeing_first(team):
    p, people = team
    a1 = annotate(people["a"], p, **clarity(2))  # task 1: a and b agree
    a2 = annotate(people["a"], p, **clarity(2))  # task 2: b disagrees on clarity
    a3 = annotate(people["a"], p, **clarity(0))  # task 3: only a
    annotate(people["b"], p, **clarity(2))
    b2 = annotate(people["b"], p, **clarity(1))
    assert b2["task"] == a2["task"]
    t1, t2, t3 = a1["task"], a2["task"], a3["task"]
    t4 = Task.objects.filter(project=p).exclude(pk__in=[t1, t2, t3]).get().pk
    url = f"/api/projects/{p.pk}/review-items/"
    reader = api(people["res"])

    pending = reader.get(url).json()
    assert pending["count"] == 3
    assert [i["task"]["id"] for i in pending["results"]] == [t2, t1, t3]
    assert [i["disagreements"] for i in pending["results"]] == [["clarity"], [], []]
    assert [len(i["annotations"]) for i in pending["results"]] == [2, 2, 1]
    assert all(i["gold"] is None for i in pending["results"])
    assert pending["results"][0]["annotations"][0]["question_keys"][0] == "very_clear"
    only = reader.get(url, {"disagreement": "1"}).json()
    assert [i["task"]["id"] for i in only["results"]] == [t2]
    paged = reader.get(url, {"limit": 1}).json()
    assert paged["count"] == 3 and len(paged["results"]) == 1 and paged["next"]

    assert api(people["rev"]).post(review_url(p, t2), {"accept": b2["id"]}).status_code == 200
    assert [i["task"]["id"] for i in reader.get(url).json()["results"]] == [t1, t3]
    reviewed = reader.get(url, {"state": "reviewed"}).json()
    assert [i["task"]["id"] for i in reviewed["results"]] == [t2]
    assert reviewed["results"][0]["gold"]["source_annotation"] == b2["id"]
    assert reviewed["results"][0]["disagreements"] == ["clarity"]
    everything = reader.get(url, {"state": "all"}).json()
    assert [i["task"]["id"] for i in everything["results"]] == [t1, t3, t2]
    assert [i["task"]["id"] for i in reader.get(url, {"state": "all", "disagreement": "true"}).json()["results"]] == [
        t2
    ]

    detail = reader.get(f"{url}{t4}/")
    assert detail.status_code == 200
    assert detail.json() == {**detail.json(), "annotations": [], "disagreements": [], "gold": None}
    assert reader.get(f"{url}{t2}/").json()["gold"]["source"] == "accepted"
    assert reader.get(f"{url}999999/").status_code == 404

    bad_state = reader.get(url, {"state": "done"})
    assert bad_state.status_code == 400 and "state" in bad_state.json()["errors"]
    bad_flag = reader.get(url, {"disagreement": "maybe"})
    assert bad_flag.status_code == 400 and "disagreement" in bad_flag.json()["errors"]


def test_review_items_take_a_bounded_number_of_queries(team):
    p, people = team
    for _ in range(3):
        annotate(people["a"], p, **clarity(2))
        annotate(people["b"], p, **clarity(1))
    url = f"/api/projects/{p.pk}/review-items/?state=all"
    reader = api(people["rev"])
    reader.get(url)  # warm the role cache and the parsed checklist
    with CaptureQueriesContext(connection) as one:
        assert len(reader.get(url + "&limit=1").json()["results"]) == 1
    with CaptureQueriesContext(connection) as three:
        assert len(reader.get(url + "&limit=3").json()["results"]) == 3
    assert len(three) == len(one) <= 6


@pytest.fixture
def pair_team():
    a, b, rev = user("a"), user("b"), user("rev")
    p = project(overlap=2, members={a: "annotator", b: "annotator", rev: "reviewer"})
    cat1, cat2 = ready_asset(p, name="cat1.jpg"), ready_asset(p, name="cat2.jpg")
    Task.objects.filter(kind="single").update(status="disabled")
    from annotator.services.pairs import create_pairs

    [task] = create_pairs(p, [(cat1.pk, cat2.pk)])
    return p, a, b, rev, task


def test_gold_answers_of_pairs(pair_team):
    p, a, b, rev, task = pair_team
    mine = annotate(a, p, preference=2, dimension_preferences={"quality": 1})
    annotate(b, p, preference=4)
    items = api(rev).get(f"/api/projects/{p.pk}/review-items/").json()["results"]
    assert [(i["task"]["id"], i["disagreements"]) for i in items] == [(task.pk, ["preference"])]
    url = review_url(p, task.pk)
    client = api(rev)
    accepted = client.post(url, {"accept": mine["id"]}, format="json").json()["gold"]
    assert (accepted["preference"], accepted["dimension_preferences"]) == (2, {"quality": 1})
    assert accepted["options"] == {} and accepted["answers"] == []
    out_of_scale = client.post(url, {"preference": 7}, format="json")
    assert out_of_scale.status_code == 400 and "preference" in out_of_scale.json()["errors"]
    with_options = client.post(url, {"preference": 3, "options": {"clarity": 1}}, format="json")
    assert with_options.status_code == 400 and "options" in with_options.json()["errors"]
    bad_dimension = client.post(url, {"preference": 3, "dimension_preferences": {"smell": 1}}, format="json")
    assert "smell" in bad_dimension.json()["errors"]["dimension_preferences"]
    no_preference = client.post(url, {"dimension_preferences": {"quality": 2}}, format="json")
    assert no_preference.status_code == 400 and "preference" in no_preference.json()["errors"]
    assert GoldAnswer.objects.get().source == "accepted"  # the refused corrections changed nothing
    corrected = client.post(url, {"preference": 3, "dimension_preferences": {"fidelity": 5}}, format="json")
    assert corrected.status_code == 200, corrected.content
    gold = corrected.json()["gold"]
    assert (gold["source"], gold["preference"], gold["dimension_preferences"]) == ("corrected", 3, {"fidelity": 5})
    assert gold["history"][0]["preference"] == 2
