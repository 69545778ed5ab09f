"""Project statistics: progress, zero-filled daily counts, annotators, agreement, imports."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotator.models import Annotation, Asset, Task
from annotator.services.stats import project_stats
from tests.api.test_review_gold import REST, annotate, claim, clarity, mini_version
from tests.checklist.helpers import KEYS_IN_ORDER
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy():
    """Mini checklist, k = 2, four tasks. a and b agree on task 1, differ on task 2 (clarity
    "very clear" vs "clear"), agree on task 3 ("blurry"); task 4 has only a's annotation (b
    skipped it, c holds a live lease on it); d never worked."""
    people = {name: user(name) for name in ("a", "b", "c", "d", "boss", "res")}
    roles = {"a": "annotator", "b": "annotator", "c": "annotator", "d": "annotator"}
    roles |= {"boss": "manager", "res": "researcher"}
    p = project(overlap=2, checklist_version=mini_version(), members={people[n]: r for n, r in roles.items()})
    assets = [ready_asset(p, name=f"{i}.jpg") for i in range(4)]
    made = [annotate(people["a"], p, time_spent_ms=ms, **clarity(code)) for ms, code in ((1000, 2), (2000, 2))]
    made += [annotate(people["a"], p, time_spent_ms=ms, **clarity(code)) for ms, code in ((3000, 0), (4000, 2))]
    for code in (2, 1, 0):
        annotate(people["b"], p, time_spent_ms=10_000, **clarity(code))
    skipped = claim(people["b"], p)
    api(people["b"]).post(f"/api/assignments/{skipped['id']}/skip/", {"reason": "cannot tell"}, format="json")
    assert claim(people["c"], p)["task"]["id"] == made[3]["task"]
    Annotation.objects.filter(pk=made[0]["id"]).update(submitted_at=timezone.now() - timedelta(days=3))
    failed = Asset.objects.create(
        project=p, kind="image", status="failed", original_name="broken.jpg", failure_reason="not an image"
    )
    Asset.objects.filter(pk__in=[assets[0].pk, assets[1].pk, failed.pk]).update(import_job_id=77)
    return p, people, failed


def test_stats_shape_progress_daily_and_annotators(busy):
    p, people, failed = busy
    response = api(people["boss"]).get(f"/api/projects/{p.pk}/stats/", {"days": 7})
    assert response.status_code == 200, response.content
    stats = response.json()
    assert set(stats) == {
        "days",
        "progress",
        "daily",
        "annotators",
        "questions",
        "sub_dimensions",
        "model_agreement",
        "quality",
        "imports",
        "failed_assets",
    }
    assert stats["days"] == 7
    assert stats["progress"] == {
        "tasks_total": 4,
        "tasks_done": 3,
        "annotations": 7,
        "late_annotations": 0,  # tests/security/test_late_submit.py counts one
        "assets_ready": 4,
        "assets_failed": 1,
        "gold": 0,
        "imported_ratings": 0,
    }
    today = timezone.localdate()
    assert [d["date"] for d in stats["daily"]] == [str(today - timedelta(days=n)) for n in range(6, -1, -1)]
    assert [d["submitted"] for d in stats["daily"]] == [0, 0, 0, 1, 0, 0, 6]

    by_name = {row["username"]: row for row in stats["annotators"]}
    assert [row["username"] for row in stats["annotators"]] == ["a", "b", "c", "d"]
    a, b, c, d = (by_name[n] for n in "abcd")
    assert (a["submitted"], a["skipped"], a["active"], a["median_time_ms"]) == (4, 0, 0, 2500)
    assert a["daily"] == [0, 0, 0, 1, 0, 0, 3] and a["last_submitted_at"]
    assert (b["submitted"], b["skipped"], b["active"], b["median_time_ms"], b["daily"][-1]) == (3, 1, 0, 10_000, 3)
    assert (c["submitted"], c["active"], c["median_time_ms"], c["last_submitted_at"]) == (0, 1, None, None)
    assert d == {
        "username": "d",
        "submitted": 0,
        "late": 0,
        "skipped": 0,
        "active": 0,
        "median_time_ms": None,
        "last_submitted_at": None,
        "daily": [0] * 7,
    }

    assert stats["imports"] == [{"import_job_id": 77, "assets": 3, "ready": 2, "failed": 1}]
    assert stats["failed_assets"] == [
        {"id": failed.pk, "original_name": "broken.jpg", "failure_reason": "not an image"}
    ]

    default = api(people["res"]).get(f"/api/projects/{p.pk}/stats/").json()
    assert default["days"] == 14 and len(default["daily"]) == 14 and len(default["annotators"][0]["daily"]) == 14


def test_agreement_per_question_and_sub_dimension_on_a_known_case(busy):
    p, people, _ = busy
    stats = api(people["boss"]).get(f"/api/projects/{p.pk}/stats/").json()
    questions = {q["key"]: q for q in stats["questions"]}
    assert [q["key"] for q in stats["questions"]] == KEYS_IN_ORDER
    very_clear = questions["very_clear"]
    assert (very_clear["dimension"], very_clear["sub_dimension"], very_clear["text"]) == (
        "quality",
        "clarity",
        "Is it very clear?",
    )
    # very clear: yes/yes, yes/no, no/no → P = 2/3, p_yes = 1/2 → κ = 1/3 (task 4 has one rating)
    assert very_clear["n_items"] == 3
    assert very_clear["percent_agreement"] == pytest.approx(2 / 3)
    assert very_clear["kappa"] == pytest.approx(1 / 3)
    # clear: yes/yes, yes/yes, no/no → P = 1, p_yes = 2/3 → κ = 1
    assert (questions["clear"]["percent_agreement"], questions["clear"]["kappa"]) == (1.0, pytest.approx(1.0))
    # has light: always "no" → no variance, κ undefined; good light: never applicable
    assert (questions["has_light"]["n_items"], questions["has_light"]["kappa"]) == (3, None)
    assert questions["good_light"] == {
        **questions["good_light"],
        "n_items": 0,
        "percent_agreement": None,
        "kappa": None,
    }

    subs = {s["key"]: s for s in stats["sub_dimensions"]}
    assert [s["key"] for s in stats["sub_dimensions"]] == [
        "clarity",
        "lighting",
        "light_beauty",
        "face",
        "eyes",
        "eye_color",
    ]
    clarity_stats = subs["clarity"]
    assert (clarity_stats["title"], clarity_stats["dimension"], clarity_stats["n_items"]) == ("Clarity", "quality", 3)
    assert clarity_stats["percent_agreement"] == pytest.approx(2 / 3)
    assert clarity_stats["alpha"] == pytest.approx(7 / 9)  # ordinal over ranks, computed by hand in test_agreement
    assert (subs["lighting"]["percent_agreement"], subs["lighting"]["alpha"]) == (1.0, None)
    assert subs["light_beauty"]["n_items"] == 0 and subs["eyes"]["n_items"] == 3  # eyes implied "hidden"

    # a reviewed task counts as gold; the service gives the same numbers as the API
    task = Task.objects.filter(project=p).order_by("id").first()
    review = api(people["boss"]).post(
        f"/api/projects/{p.pk}/tasks/{task.pk}/review/", {"options": {"clarity": 1, **REST}}, format="json"
    )
    assert review.status_code == 200, review.content
    direct = project_stats(p, days=3)
    assert direct["progress"]["gold"] == 1 and len(direct["daily"]) == 3
    assert direct["questions"][0]["kappa"] == pytest.approx(1 / 3)


def test_days_are_validated_and_only_readers_of_all_annotations_see_stats(busy):
    p, people, _ = busy
    url = f"/api/projects/{p.pk}/stats/"
    for bad in ("0", "366", "soon", "-3"):
        response = api(people["boss"]).get(url, {"days": bad})
        assert response.status_code == 400, bad
        assert "days" in response.json()["errors"] and "days" in response.json()["detail"]
    assert api(people["boss"]).get(url, {"days": 365}).status_code == 200
    assert api(people["a"]).get(url).status_code == 403
    assert api(user("outsider")).get(url).status_code == 404
    assert api(user("admin", staff=True)).get(url).status_code == 200
    with pytest.raises(ValueError):
        project_stats(p, days=0)


def test_stats_of_an_empty_project():
    boss = user("boss")
    p = project(members={boss: "manager"})
    stats = api(boss).get(f"/api/projects/{p.pk}/stats/", {"days": 1}).json()
    assert stats["progress"] == dict.fromkeys(stats["progress"], 0)
    assert [d["submitted"] for d in stats["daily"]] == [0]
    assert stats["annotators"] == [] and stats["imports"] == [] and stats["failed_assets"] == []
    assert len(stats["questions"]) == 59 and all(q["n_items"] == 0 for q in stats["questions"])
    assert all(s["percent_agreement"] is None for s in stats["sub_dimensions"])
