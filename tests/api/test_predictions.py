"""Model predictions: POST/GET /api/projects/{id}/predictions/, the service, and the pre-fill
shown on assignments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.checklist import options_from_p_yes
from annotator.models import Assignment, Prediction
from annotator.services.pairs import create_pairs
from annotator.services.predictions import PredictionError, latest_prediction, record_prediction
from tests.factories import api, builtin, project, ready_asset, user

pytestmark = pytest.mark.django_db


def p_yes(checklist, value=0.9, **overrides) -> dict:
    return {**dict.fromkeys(checklist.question_keys, value), **overrides}


@pytest.fixture
def setup():
    boss, ann = user("boss"), user("ann")
    p = project(members={boss: "manager", ann: "annotator"})
    asset = ready_asset(p)
    return p, boss, ann, asset


def url(p) -> str:
    return f"/api/projects/{p.pk}/predictions/"


def post(client, p, body):
    return client.post(url(p), body, format="json")


# --- create ---------------------------------------------------------------------------


def test_a_manager_posts_a_prediction(setup):
    p, boss, ann, asset = setup
    checklist = p.checklist_version.checklist
    probabilities = p_yes(checklist, q25=0.01, q26=0.02, q27=0.03)
    response = post(
        api(boss), p, {"asset": asset.pk, "model_name": "visionreward", "model_version": "v1", "p_yes": probabilities}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "asset",
        "checklist_version",
        "model_name",
        "model_version",
        "p_yes",
        "options",
        "job_id",
        "created_at",
    }
    assert body["asset"] == asset.pk and body["checklist_version"] == p.checklist_version_id
    assert (body["model_name"], body["model_version"], body["job_id"]) == ("visionreward", "v1", None)
    assert list(body["p_yes"]) == list(checklist.question_keys)  # stored in position order
    assert body["options"] == options_from_p_yes(checklist, probabilities)
    assert body["options"]["lighting_distinction"]["option"] == -1
    stored = Prediction.objects.get()
    assert stored.created_by == boss and stored.options == body["options"]


def test_model_version_is_optional_and_staff_may_post(setup):
    p, boss, ann, asset = setup
    admin = user("admin", staff=True)
    response = post(
        api(admin), p, {"asset": asset.pk, "model_name": "m", "p_yes": p_yes(p.checklist_version.checklist)}
    )
    assert response.status_code == 201 and response.json()["model_version"] == ""


@pytest.mark.parametrize("role", ["annotator", "reviewer", "researcher"])
def test_only_managers_post(setup, role):
    p, boss, ann, asset = setup
    member = user(f"member-{role}")
    p.memberships.create(user=member, role=role)
    response = post(
        api(member), p, {"asset": asset.pk, "model_name": "m", "p_yes": p_yes(p.checklist_version.checklist)}
    )
    assert response.status_code == 403
    assert not Prediction.objects.exists()


def test_non_members_get_404(setup):
    p, boss, ann, asset = setup
    stranger = user("stranger")
    assert post(api(stranger), p, {"asset": asset.pk}).status_code == 404
    assert api(stranger).get(url(p)).status_code == 404


def test_the_asset_must_belong_to_the_project(setup):
    p, boss, ann, asset = setup
    other = project(name="other", members={boss: "manager"})
    foreign = ready_asset(other)
    for bad in (foreign.pk, 999_999):
        response = post(api(boss), p, {"asset": bad, "model_name": "m", "p_yes": p_yes(p.checklist_version.checklist)})
        assert response.status_code == 400
        assert "asset" in response.json()["errors"] and response.json()["detail"].startswith("asset:")
    assert not Prediction.objects.exists()


def test_p_yes_errors_name_the_question(setup):
    p, boss, ann, asset = setup
    checklist = p.checklist_version.checklist
    probabilities = p_yes(checklist, q7=1.2, q8="high")
    del probabilities["q3"]
    probabilities["q70"] = 0.5
    response = post(api(boss), p, {"asset": asset.pk, "model_name": "m", "p_yes": probabilities})
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]["p_yes"]) == {"q70", "q3", "q7", "q8"}
    assert "did you mean" in body["errors"]["p_yes"]["q70"][0]
    assert "p_yes.q7: must be a number between 0 and 1" in body["detail"]
    assert not Prediction.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"model_name": "m", "p_yes": {}}, "asset"),
        ({"asset": "one", "model_name": "m", "p_yes": {}}, "asset"),
        ({"asset": None, "model_name": "m", "p_yes": {}}, "asset"),
        ({"asset": 0, "p_yes": {}}, "model_name"),
        ({"asset": 0, "model_name": "", "p_yes": {}}, "model_name"),
        ({"asset": 0, "model_name": "x" * 201, "p_yes": {}}, "model_name"),
        ({"asset": 0, "model_name": "m", "model_version": "v" * 101, "p_yes": {}}, "model_version"),
        ({"asset": 0, "model_name": "m"}, "p_yes"),
        ({"asset": 0, "model_name": "m", "p_yes": None}, "p_yes"),
        ({"asset": 0, "model_name": "m", "p_yes": [0.5, 0.5]}, "p_yes"),
    ],
)
def test_bad_fields_are_named(setup, payload, field):
    p, boss, ann, asset = setup
    payload = {**payload, "asset": asset.pk} if payload.get("asset") == 0 else payload
    response = post(api(boss), p, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert field in response.json()["detail"]
    assert not Prediction.objects.exists()


def test_a_batch_is_saved_whole(setup):
    p, boss, ann, asset = setup
    second = ready_asset(p, name="b.jpg")
    checklist = p.checklist_version.checklist
    response = post(
        api(boss),
        p,
        {
            "predictions": [
                {"asset": asset.pk, "model_name": "m", "p_yes": p_yes(checklist, 0.9)},
                {"asset": second.pk, "model_name": "m", "model_version": "2", "p_yes": p_yes(checklist, 0.1)},
            ]
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert isinstance(body, list) and [b["asset"] for b in body] == [asset.pk, second.pk]
    assert all(b["id"] for b in body) and body[1]["model_version"] == "2"
    assert Prediction.objects.count() == 2


def test_a_failed_batch_saves_nothing_and_names_the_index(setup):
    p, boss, ann, asset = setup
    checklist = p.checklist_version.checklist
    good = {"asset": asset.pk, "model_name": "m", "p_yes": p_yes(checklist)}
    items = [good, good, good, {**good, "p_yes": p_yes(checklist, q7=-1)}, {**good, "asset": 999_999}]
    response = post(api(boss), p, {"predictions": items})
    assert response.status_code == 400
    body = response.json()
    errors = body["errors"]["predictions"]
    assert errors[:3] == [{}, {}, {}]
    assert set(errors[3]["p_yes"]) == {"q7"} and "asset" in errors[4]
    assert "predictions[3].p_yes.q7: must be a number between 0 and 1" in body["detail"]
    assert "predictions[4].asset" in body["detail"]
    assert not Prediction.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"predictions": []},
        {"predictions": "all"},
        {"predictions": None},
        {"predictions": [{"asset": 1}], "asset": 1},
    ],
)
def test_a_malformed_batch_is_named(setup, body):
    p, boss, ann, asset = setup
    response = post(api(boss), p, body)
    assert response.status_code == 400
    assert "predictions" in response.json()["errors"]


def test_a_batch_item_that_is_not_an_object(setup):
    p, boss, ann, asset = setup
    response = post(api(boss), p, {"predictions": [[1, 2]]})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("predictions[0]")


# --- list -----------------------------------------------------------------------------


def test_members_list_predictions_newest_first_and_by_asset(setup):
    p, boss, ann, asset = setup
    second = ready_asset(p, name="b.jpg")
    version = p.checklist_version
    first = record_prediction(asset, version, "m", p_yes(version.checklist, 0.9))
    other = record_prediction(second, version, "m", p_yes(version.checklist, 0.2))
    newest = record_prediction(asset, version, "m", p_yes(version.checklist, 0.1), model_version="2")
    body = api(ann).get(url(p)).json()
    assert [r["id"] for r in body["results"]] == [newest.pk, other.pk, first.pk]
    body = api(ann).get(url(p), {"asset": asset.pk}).json()
    assert [r["id"] for r in body["results"]] == [newest.pk, first.pk]
    assert body["results"][0]["p_yes"]["q1"] == 0.1
    response = api(ann).get(url(p), {"asset": "x"})
    assert response.status_code == 400 and "asset" in response.json()["errors"]


# --- service --------------------------------------------------------------------------


def test_service_records_and_finds_the_latest(setup):
    p, boss, ann, asset = setup
    version = p.checklist_version
    assert latest_prediction(asset, version) is None
    a = record_prediction(asset, version, "m", p_yes(version.checklist, 0.9), job_id=42)
    b = record_prediction(asset, version, "m", p_yes(version.checklist, 0.4))
    assert a.job_id == 42 and latest_prediction(asset, version) == b
    assert latest_prediction(asset.pk, version.pk) == b
    with pytest.raises(PredictionError) as info:
        record_prediction(asset, version, " ", {"q1": 2})
    assert set(info.value.errors) == {"model_name", "p_yes"} and info.value.status == 400
    assert Prediction.objects.count() == 2


def test_service_refuses_a_checklist_of_the_other_media_type(setup):
    p, boss, ann, asset = setup
    video = builtin("video")
    with pytest.raises(PredictionError) as info:
        record_prediction(asset, video, "m", p_yes(video.checklist))
    assert "asset" in info.value.errors


# --- the pre-fill on assignments ------------------------------------------------------


def test_next_task_shows_the_latest_prediction_for_single_tasks(setup):
    p, boss, ann, asset = setup
    version = p.checklist_version
    record_prediction(asset, version, "old", p_yes(version.checklist, 0.2))
    latest = record_prediction(asset, version, "vr", p_yes(version.checklist, 0.9), model_version="1.1")
    body = api(ann).post(f"/api/projects/{p.pk}/tasks/next/").json()
    assert body["prediction"] == {
        "id": latest.pk,
        "model_name": "vr",
        "model_version": "1.1",
        "created_at": body["prediction"]["created_at"],
        "options": latest.options,
    }
    assert body["prediction"]["created_at"].startswith(str(latest.created_at.date()))
    first = next(iter(body["prediction"]["options"].values()))
    assert set(first) == {"option", "confidence"}


def test_next_task_prediction_is_null_without_one(setup):
    p, boss, ann, asset = setup
    body = api(ann).post(f"/api/projects/{p.pk}/tasks/next/").json()
    assert "prediction" in body and body["prediction"] is None


def test_a_prediction_under_another_checklist_version_is_not_shown(setup):
    p, boss, ann, asset = setup
    other_version = builtin("video")
    Prediction.objects.create(asset=asset, checklist_version=other_version, model_name="m", options={"x": {}})
    assert api(ann).post(f"/api/projects/{p.pk}/tasks/next/").json()["prediction"] is None


def test_pairs_have_no_prediction(setup):
    p, boss, ann, asset = setup
    second = ready_asset(p, name="b.jpg")
    version = p.checklist_version
    record_prediction(asset, version, "m", p_yes(version.checklist))
    record_prediction(second, version, "m", p_yes(version.checklist))
    p.tasks.filter(kind="single").update(status="disabled")
    create_pairs(p, [(asset.pk, second.pk)])
    body = api(ann).post(f"/api/projects/{p.pk}/tasks/next/").json()
    assert body["task"]["kind"] == "pair" and body["prediction"] is None


def test_the_assignment_list_loads_predictions_in_one_query(setup):
    p, boss, ann, asset = setup
    version = p.checklist_version
    assets = [asset] + [ready_asset(p, name=f"{i}.jpg") for i in range(5)]
    for a in assets[:4]:
        record_prediction(a, version, "m", p_yes(version.checklist, 0.3))
        record_prediction(a, version, "m", p_yes(version.checklist, 0.8), model_version="new")
    for _ in assets:
        Assignment.objects.filter(pk=api(ann).post(f"/api/projects/{p.pk}/tasks/next/").json()["id"]).update(
            state="submitted"
        )
    client = api(ann)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/assignments/", {"limit": 2})
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/assignments/").json()
    assert len(many.captured_queries) == len(few.captured_queries)
    by_asset = {r["task"]["asset"]["id"]: r["prediction"] for r in body["results"]}
    assert len(by_asset) == 6
    assert all(by_asset[a.pk]["model_version"] == "new" for a in assets[:4])
    assert by_asset[assets[4].pk] is None and by_asset[assets[5].pk] is None


def test_predictions_are_in_the_schema(setup):
    p, boss, ann, asset = setup
    admin = user("admin", staff=True)
    schema = api(admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert set(schema["paths"]["/api/projects/{project_pk}/predictions/"]) >= {"get", "post"}
    assignment = schema["components"]["schemas"]["Assignment"]["properties"]
    assert "prediction" in assignment
