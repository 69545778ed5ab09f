"""Prefer uncertain items: a prediction sets its task's uncertainty (mean binary entropy), and
projects that prefer uncertain items claim the most uncertain open task first."""

import math

import pytest
from django.db import connection

from annotator.agreement import binary_entropy, mean_binary_entropy
from annotator.models import Task
from annotator.services.predictions import PredictionInput, record_prediction, record_predictions
from tests.api.test_review_gold import claim, mini_version
from tests.checklist.helpers import KEYS_IN_ORDER
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db


# --- the math -------------------------------------------------------------------------------------


def test_binary_entropy_in_bits():
    assert binary_entropy(0.5) == 1.0
    assert binary_entropy(0.0) == binary_entropy(1.0) == 0.0
    assert binary_entropy(0.25) == pytest.approx(-(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75)))
    assert binary_entropy(0.11) == pytest.approx(0.4999, abs=1e-4)
    assert binary_entropy(0.9) == pytest.approx(binary_entropy(0.1))
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError):
            binary_entropy(bad)


def test_mean_binary_entropy():
    assert mean_binary_entropy([0.5, 0.0, 1.0, 0.5]) == 0.5
    assert mean_binary_entropy([0.5] * 59) == 1.0
    assert mean_binary_entropy([]) is None


# --- predictions set the task's uncertainty ---------------------------------------------------------


def p_yes(value: float) -> dict:
    return dict.fromkeys(KEYS_IN_ORDER, value)


def test_a_prediction_sets_its_tasks_uncertainty_and_the_latest_wins():
    version = mini_version()
    p = project(checklist_version=version)
    asset = ready_asset(p)
    task = Task.objects.get(asset=asset)
    assert task.uncertainty is None
    record_prediction(asset, version, "m", p_yes(0.5))
    task.refresh_from_db()
    assert task.uncertainty == 1.0
    mixed = {**p_yes(1.0), "very_clear": 0.5, "clear": 0.25}
    record_prediction(asset, version, "m", mixed)
    task.refresh_from_db()
    expected = (1.0 + binary_entropy(0.25)) / len(KEYS_IN_ORDER)
    assert task.uncertainty == pytest.approx(expected)

    # a batch: each asset takes its last prediction of the batch
    other = ready_asset(p, name="b.jpg")
    record_predictions(
        [
            PredictionInput(asset, "m", p_yes(0.0)),
            PredictionInput(other, "m", p_yes(0.5)),
            PredictionInput(asset, "m", p_yes(0.5)),
        ],
        version,
    )
    uncertainty = dict(Task.objects.filter(project=p).values_list("asset_id", "uncertainty"))
    assert uncertainty == {asset.pk: 1.0, other.pk: 1.0}


def test_a_prediction_under_another_checklist_version_leaves_the_task_alone():
    version = mini_version()
    p = project()  # the builtin image checklist
    asset = ready_asset(p)
    record_prediction(asset, version, "m", p_yes(0.5))
    assert Task.objects.get(asset=asset).uncertainty is None


def test_pair_tasks_keep_no_uncertainty():
    version = mini_version()
    p = project(checklist_version=version)
    a, b = ready_asset(p, prompt="x"), ready_asset(p, prompt="x", name="b.jpg")
    pair = Task.objects.create(project=p, kind=Task.Kind.PAIR, asset=a, asset_b=b)
    record_prediction(a, version, "m", p_yes(0.5))
    pair.refresh_from_db()
    assert pair.uncertainty is None and Task.objects.get(asset=a, kind="single").uncertainty == 1.0


def test_the_api_shows_the_uncertainty_and_the_project_setting():
    boss = user("boss")
    version = mini_version()
    p = project(checklist_version=version, members={boss: "manager"})
    asset = ready_asset(p)
    record_prediction(asset, version, "m", p_yes(0.5))
    tasks = api(boss).get(f"/api/projects/{p.pk}/tasks/").json()["results"]
    assert tasks[0]["uncertainty"] == 1.0
    assert api(boss).get(f"/api/projects/{p.pk}/").json()["prefer_uncertain"] is False
    response = api(boss).patch(f"/api/projects/{p.pk}/", {"prefer_uncertain": True}, format="json")
    assert response.status_code == 200 and response.json()["prefer_uncertain"] is True
    response = api(boss).patch(f"/api/projects/{p.pk}/", {"prefer_uncertain": "often"}, format="json")
    assert response.status_code == 400 and "prefer_uncertain" in response.json()["errors"]
    p.refresh_from_db()
    assert p.prefer_uncertain is True


# --- claim order -----------------------------------------------------------------------------------


@pytest.fixture
def queue():
    """Five tasks in creation order: certain (0.0), unsure (0.5), no prediction, fairly sure (0.9),
    and an uncertain one with a lower priority."""
    version = mini_version()
    people = [user(f"u{i}") for i in range(6)]
    p = project(checklist_version=version, members={u: "annotator" for u in people})
    values = {"certain": 0.0, "unsure": 0.5, "none": None, "sure": 0.9, "low": 0.5}
    tasks = {}
    for name, value in values.items():
        asset = ready_asset(p, name=f"{name}.jpg")
        if value is not None:
            record_prediction(asset, version, "m", p_yes(value))
        tasks[name] = Task.objects.get(asset=asset).pk
    Task.objects.filter(pk=tasks["low"]).update(priority=-1)
    Task.objects.filter(pk__in=[tasks[n] for n in ("certain", "unsure", "none", "sure")]).update(priority=5)
    return p, people, tasks


def claim_all(p, people) -> list[int]:
    return [claim(who, p)["task"]["id"] for who in people[:5]]


def test_without_prefer_uncertain_the_order_is_unchanged(queue):
    p, people, tasks = queue
    assert claim_all(p, people) == [tasks[n] for n in ("certain", "unsure", "none", "sure", "low")]


def test_prefer_uncertain_claims_the_most_uncertain_first_within_a_priority(queue):
    p, people, tasks = queue
    p.prefer_uncertain = True
    p.save()
    assert claim_all(p, people) == [tasks[n] for n in ("unsure", "sure", "certain", "none", "low")]
    assert api(people[5]).post(f"/api/projects/{p.pk}/tasks/next/").status_code == 204  # none left


def test_the_claim_index_matches_the_uncertain_order():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'task_claim_uncertain'")
        (definition,) = cursor.fetchone()
    assert "(project_id, priority DESC, COALESCE(uncertainty, " in definition and "DESC, id)" in definition
    assert "WHERE" in definition and "'open'" in definition


def test_the_claim_query_can_use_the_uncertain_index(queue):
    """PostgreSQL matches the claim query's ORDER BY to the index (no sort step needed)."""
    from annotator.models import Task
    from annotator.services.claims import claim_order

    p = queue[0]
    p.prefer_uncertain = True
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = Task.objects.filter(project=p, status="open").order_by(*claim_order(p))[:1].explain()
    assert "task_claim_uncertain" in plan, plan
    assert "Sort" not in plan, plan
