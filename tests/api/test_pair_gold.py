"""Quality control for pair tasks (gold preferences served unseen at the project's rate, scored
per annotator apart from single gold checks) and the re-check of disagreement routing and gold
comparisons after a checklist change."""

from __future__ import annotations

import json
import uuid

import pytest

from annotator.models import GoldAnswer, GoldCheck, Task
from annotator.services.pairs import create_pairs
from tests.factories import LAB_CHECKLIST, api, checklist_version, claim, keys_of, project, ready_asset, user

pytestmark = pytest.mark.django_db

# The lab checklist (quality: clarity with two questions, color with one).
V1 = LAB_CHECKLIST
# V1's color sub-dimension (its last lines).
COLOR = V1[V1.index("      - key: color\n") :]
# V1 without the color sub-dimension (its question is gone): clarity carries over.
NO_COLOR = V1.replace(COLOR, "")
# V1 with clarity given another option: clarity's questions no longer carry over, color's do.
NEW_CLARITY = V1.replace(
    "          - {code: -1, label: blurry}\n",
    "          - {code: -1, label: blurry}\n          - {code: -2, label: awful}\n",
)
# V1 with a second dimension.
WITH_STYLE = (
    V1
    + """\
  - key: style
    title: Style
    sub_dimensions:
      - key: mood
        title: Mood
        options:
          - {code: 1, label: moody}
          - {code: 0, label: flat}
        questions:
          - {key: moody, text: "Is it moody?", yes_if_at_least: 1}
"""
)


def submit(who, assignment: dict, **body):
    response = api(who).post(
        f"/api/assignments/{assignment['id']}/submit/", {"client_id": str(uuid.uuid4()), **body}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def gold_url(p, task_id) -> str:
    return f"/api/projects/{p.pk}/tasks/{task_id}/gold-check/"


def quality(boss, p) -> dict:
    response = api(boss).get(f"/api/projects/{p.pk}/stats/")
    assert response.status_code == 200, response.content
    return response.json()["quality"]


def row_of(q: dict, username: str) -> dict:
    return next(a for a in q["annotators"] if a["username"] == username)


def pair_team(*, pairs: int, rate: float, overlap: int = 1, checklist: str = V1):
    """A project of pair tasks only (its single tasks disabled): ``pairs`` pairs of one prompt."""
    people = {name: user(name) for name in ("a", "b", "c", "rev", "boss")}
    roles = {"a": "annotator", "b": "annotator", "c": "annotator", "rev": "reviewer", "boss": "manager"}
    p = project(
        overlap=overlap,
        checklist_version=checklist_version(checklist),
        gold_check_rate=rate,
        members={people[n]: r for n, r in roles.items()},
    )
    assets = [ready_asset(p, name=f"{i}.jpg").pk for i in range(pairs + 1)]
    Task.objects.filter(project=p, kind="single").update(status="disabled")
    tasks = create_pairs(p, [(assets[0], assets[i]) for i in range(1, pairs + 1)])
    return p, people, [t.pk for t in tasks]


# --- setting a pair's gold preference ------------------------------------------------------


def test_a_manager_sets_a_pairs_gold_preference_and_the_pair_leaves_the_normal_queue():
    p, people, pairs = pair_team(pairs=2, rate=0.0)
    boss = api(people["boss"])
    made = boss.post(
        gold_url(p, pairs[0]), {"preference": 2, "dimension_preferences": {"quality": 1}, "comment": "A"}, format="json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["kind"], body["preference"], body["dimension_preferences"]) == ("pair", 2, {"quality": 1})
    assert body["options"] == {} and body["asset_b"] == Task.objects.get(pk=pairs[0]).asset_b_id
    task = Task.objects.get(pk=pairs[0])
    assert (task.required, task.assigned_count, task.status) == (0, 0, "done")
    replaced = boss.post(gold_url(p, pairs[0]), {"preference": 3}, format="json")
    assert replaced.status_code == 200 and replaced.json()["preference"] == 3
    assert replaced.json()["dimension_preferences"] == {}
    listed = boss.get(f"/api/projects/{p.pk}/gold-checks/").json()["results"]
    assert [(c["task"], c["kind"], c["preference"]) for c in listed] == [(pairs[0], "pair", 3)]
    assert api(people["rev"]).get(gold_url(p, pairs[0])).json()["preference"] == 3
    assert api(people["rev"]).post(gold_url(p, pairs[1]), {"preference": 2}, format="json").status_code == 403


def test_a_reviewed_or_imported_rating_becomes_the_gold_preference():
    p, people, pairs = pair_team(pairs=2, rate=0.0)
    boss = api(people["boss"])
    GoldAnswer.objects.create(
        task_id=pairs[0],
        project=p,
        checklist_version=p.checklist_version,
        source=GoldAnswer.Source.IMPORTED,
        preference=5,
        dimension_preferences={"quality": 4, "gone": 2},
    )
    copied = boss.post(gold_url(p, pairs[0]), {"from_gold_answer": True}, format="json")
    assert copied.status_code == 201, copied.content
    # a dimension the checklist lacks is left out of the copy
    assert (copied.json()["preference"], copied.json()["dimension_preferences"]) == (5, {"quality": 4})
    none_yet = boss.post(gold_url(p, pairs[1]), {"from_gold_answer": True}, format="json")
    assert none_yet.status_code == 400 and "from_gold_answer" in none_yet.json()["errors"]


def test_bad_pair_gold_checks_answer_400_naming_the_field_and_save_nothing():
    p, people, pairs = pair_team(pairs=1, rate=0.0)
    boss = api(people["boss"])
    url = gold_url(p, pairs[0])
    cases = [
        ({}, "preference"),
        ({"preference": 2, "from_gold_answer": True}, "preference"),
        ({"preference": 6}, "preference"),
        ({"preference": "A"}, "preference"),
        ({"preference": True}, "preference"),
        ({"options": {"clarity": 1, "color": 1}}, "options"),
        ({"preference": 2, "dimension_preferences": {"smell": 1}}, "dimension_preferences"),
        ({"preference": 2, "dimension_preferences": {"quality": 9}}, "dimension_preferences"),
        ({"preference": 2, "dimension_preferences": [1, 2]}, "dimension_preferences"),
        ({"preference": 2, "comment": "x" * 5001}, "comment"),
    ]
    for body, field in cases:
        response = boss.post(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    # a single task refuses a preference
    single = Task.objects.filter(project=p, kind="single").first()
    Task.objects.filter(pk=single.pk).update(status="open")
    refused = boss.post(gold_url(p, single.pk), {"preference": 2}, format="json")
    assert refused.status_code == 400 and "preference" in refused.json()["errors"]
    assert not GoldCheck.objects.exists()
    task = Task.objects.get(pk=pairs[0])
    assert (task.required, task.status) == (1, "open")


# --- serving: mixed in at the rate, unseen -------------------------------------------------


def test_pair_gold_checks_are_mixed_into_pair_work_at_the_project_rate():
    p, people, pairs = pair_team(pairs=10, rate=0.25, overlap=2)
    gold_ids = pairs[7:]
    for task_id in gold_ids:
        assert api(people["boss"]).post(gold_url(p, task_id), {"preference": 1}, format="json").status_code == 201
    for name in ("a", "b"):
        served = []
        for _ in range(8):
            assignment = claim(people[name], p)
            served.append(assignment["task"]["id"])
            submit(people[name], assignment, preference=2)
        assert [t for t in served if t in gold_ids] == gold_ids[:2], name  # 8 × 0.25, oldest first
        assert [t for t in served if t not in gold_ids] == pairs[:6], name
    # each serve had its own slot: the normal pairs keep their k = 2
    assert [Task.objects.get(pk=t).submitted_count for t in gold_ids] == [2, 2, 0]
    assert {Task.objects.get(pk=t).status for t in pairs[:6]} == {"done"}


def test_the_annotator_cannot_tell_a_gold_pair_from_a_normal_pair():
    p, people, (gold, normal) = pair_team(pairs=2, rate=1.0)
    body = {"preference": 1, "dimension_preferences": {"quality": 1}, "comment": "gold standard"}
    assert api(people["boss"]).post(gold_url(p, gold), body, format="json").status_code == 201
    served_gold = claim(people["a"], p)
    assert served_gold["task"]["id"] == gold
    assert api(people["boss"]).patch(f"/api/projects/{p.pk}/", {"gold_check_rate": 0}, format="json").status_code == 200
    served_normal = claim(people["b"], p)
    assert served_normal["task"]["id"] == normal

    assert keys_of(served_gold) == keys_of(served_normal)
    ignored = ("id", "asset", "asset_b", "created_at")
    assert {k: v for k, v in served_gold["task"].items() if k not in ignored} == {
        k: v for k, v in served_normal["task"].items() if k not in ignored
    }
    for payload in (served_gold, served_normal):
        text = json.dumps(payload).lower()
        assert "gold" not in text and "standard" not in text and '"preference": 1' not in text
    made_gold = submit(people["a"], served_gold, preference=4)
    made_normal = submit(people["b"], served_normal, preference=4)
    assert keys_of(made_gold) == keys_of(made_normal) and "gold" not in json.dumps(made_gold)
    refused = [api(people["a"]).get(gold_url(p, t)) for t in (gold, normal)]
    assert [r.status_code for r in refused] == [403, 403] and refused[0].json() == refused[1].json()


# --- scoring -------------------------------------------------------------------------------


def test_pair_gold_agreement_scores_each_annotator_apart_from_single_gold_accuracy():
    """Gold: pair 1 "A better" (2), pair 2 a tie (3) with "B better" on quality (4).
    a: 1 (A, agrees), 3 (tie, agrees) with quality 5 (B, agrees) → 2/2, 1/1.
    b: 3 (tie vs A: disagrees), 2 (A vs tie: disagrees), no quality → 0/2, 0/1.
    c: 5 (disagrees), 3 (agrees) with quality 3 (tie vs B: disagrees) → 1/2, 0/1."""
    p, people, pairs = pair_team(pairs=3, rate=1.0)
    boss = api(people["boss"])
    assert boss.post(gold_url(p, pairs[0]), {"preference": 2}, format="json").status_code == 201
    body = {"preference": 3, "dimension_preferences": {"quality": 4}}
    assert boss.post(gold_url(p, pairs[1]), body, format="json").status_code == 201
    answers = {
        "a": [{"preference": 1}, {"preference": 3, "dimension_preferences": {"quality": 5}}],
        "b": [{"preference": 3}, {"preference": 2}],
        "c": [{"preference": 5}, {"preference": 3, "dimension_preferences": {"quality": 3}}],
    }
    for name, given in answers.items():
        for answer in given:
            assignment = claim(people[name], p)
            assert assignment["task"]["id"] in pairs[:2]  # rate 1: the gold pairs first, oldest first
            submit(people[name], assignment, **answer)
    q = quality(people["boss"], p)
    assert (q["gold_checks"], q["pair_gold_checks"]) == (0, 2)
    expected = {"a": (2, 1.0, 1, 1.0), "b": (2, 0.0, 1, 0.0), "c": (2, 0.5, 1, 0.0)}
    for name, (n, agreement, dims, dim_agreement) in expected.items():
        row = row_of(q, name)
        assert row["pair_gold_checks"] == 2 and row["pair_gold_preferences"] == n
        assert row["pair_gold_agreement"] == pytest.approx(agreement), name
        assert (row["pair_gold_dimensions"], row["pair_gold_dimension_agreement"]) == (dims, dim_agreement), name
        # single-task gold accuracy is its own figure: none here
        assert (row["gold_checks"], row["gold_accuracy"]) == (0, None)
    # the normal pair is still there for them after the gold ones
    assert claim(people["a"], p)["task"]["id"] == pairs[2]


# --- a checklist change: routing and gold comparisons judged again --------------------------


def routed_team(threshold: float, checklist: str = V1):
    people = {name: user(name) for name in ("a", "b", "c", "boss")}
    p = project(
        overlap=2,
        checklist_version=checklist_version(checklist),
        gold_check_rate=0.0,
        disagreement_threshold=threshold,
        members={
            people["a"]: "annotator",
            people["b"]: "annotator",
            people["c"]: "annotator",
            people["boss"]: "manager",
        },
    )
    ready_asset(p, name="0.jpg")
    # a and b agree on clarity (clear, not blurry) and differ on color (vivid): 1 of 3 questions
    submit(people["a"], claim(people["a"], p), options={"clarity": 1, "color": 1})
    submit(people["b"], claim(people["b"], p), options={"clarity": 1, "color": 0})
    return p, people, Task.objects.get(project=p)


def change(boss, p, text: str, confirm: bool):
    response = api(boss).post(
        f"/api/projects/{p.pk}/checklist/",
        {"checklist_version": checklist_version(text).pk, "confirm": confirm},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def counters(task: Task) -> tuple:
    task.refresh_from_db()
    return task.required, task.extra_annotators, task.status


def test_a_task_routed_for_a_question_that_is_dropped_gives_its_extra_slot_back():
    p, people, task = routed_team(threshold=0.3)  # 1/3 > 0.3: routed at completion
    assert counters(task) == (3, 1, "open")
    plan = change(people["boss"], p, NO_COLOR, confirm=False)
    assert plan["routing"] == {"routed": 0, "unrouted": 1}
    assert any("no longer disagree" in line for line in plan["consequences"])
    assert counters(task) == (3, 1, "open")  # the plan changes nothing
    assert change(people["boss"], p, NO_COLOR, confirm=True)["applied"] is True
    # under the new checklist they agree on everything left: done with its k = 2
    assert counters(task) == (2, 0, "done")
    assert claim(people["c"], p) is None
    assert quality(people["boss"], p)["routed_tasks"] == 0


def test_a_finished_task_that_disagrees_under_the_new_questions_is_routed():
    p, people, task = routed_team(threshold=0.4)  # 1/3 ≤ 0.4: done
    assert counters(task) == (2, 0, "done")
    # clarity changes (another option): only the color question carries over, and on it they differ
    plan = change(people["boss"], p, NEW_CLARITY, confirm=False)
    assert plan["routing"] == {"routed": 1, "unrouted": 0}
    change(people["boss"], p, NEW_CLARITY, confirm=True)
    assert counters(task) == (3, 1, "open")
    third = claim(people["c"], p)
    assert third["task"]["id"] == task.pk
    # the third annotation (new checklist) completes it; a second routing is not allowed (max 1)
    submit(people["c"], third, options={"clarity": -2, "color": 1})
    assert counters(task) == (3, 1, "done")


def test_a_carried_over_gold_check_scores_old_answers_on_the_questions_left():
    p, people, task = routed_team(threshold=0.9)
    # a third asset becomes a gold check: clear and vivid, answered by a before the change
    ready_asset(p, name="gold.jpg")
    gold_task = Task.objects.filter(project=p).exclude(pk=task.pk).get()
    made = api(people["boss"]).post(gold_url(p, gold_task.pk), {"options": {"clarity": 1, "color": 1}}, format="json")
    assert made.status_code == 201
    api(people["boss"]).patch(f"/api/projects/{p.pk}/", {"gold_check_rate": 1}, format="json")
    served = claim(people["a"], p)
    assert served["task"]["id"] == gold_task.pk
    submit(people["a"], served, options={"clarity": 1, "color": 0})  # wrong on vivid: 2 of 3
    row = row_of(quality(people["boss"], p), "a")
    assert (row["gold_answers"], row["gold_accuracy"]) == (3, pytest.approx(2 / 3))
    assert (row["gold_options"], row["gold_option_accuracy"]) == (2, 0.5)

    plan = change(people["boss"], p, NO_COLOR, confirm=True)
    assert plan["gold_checks"]["carried_over"] == 1
    # the vivid question and the color sub-dimension are gone: a's old answer is right on what is left
    row = row_of(quality(people["boss"], p), "a")
    assert (row["gold_answers"], row["gold_accuracy"]) == (2, 1.0)
    assert (row["gold_options"], row["gold_option_accuracy"]) == (1, 1.0)


def test_pair_gold_checks_carry_over_a_checklist_change_without_the_dropped_dimensions():
    p, people, pairs = pair_team(pairs=1, rate=1.0, checklist=WITH_STYLE)
    body = {"preference": 4, "dimension_preferences": {"quality": 4, "style": 1}}
    assert api(people["boss"]).post(gold_url(p, pairs[0]), body, format="json").status_code == 201
    first = claim(people["a"], p)
    submit(people["a"], first, preference=5, dimension_preferences={"quality": 5, "style": 5})
    row = row_of(quality(people["boss"], p), "a")
    assert (row["pair_gold_agreement"], row["pair_gold_dimensions"], row["pair_gold_dimension_agreement"]) == (
        1.0,
        2,
        0.5,
    )
    plan = change(people["boss"], p, V1, confirm=True)
    assert plan["gold_checks"]["pairs_carried_over"] == 1
    check = GoldCheck.objects.get(task_id=pairs[0])
    assert check.dimension_preferences == {"quality": 4}
    # the style dimension is no longer scored; the pair is still served to whoever never had it
    row = row_of(quality(people["boss"], p), "a")
    assert (row["pair_gold_dimensions"], row["pair_gold_dimension_agreement"]) == (1, 1.0)
    p.refresh_from_db()
    assert check.checklist_version_id == p.checklist_version_id
    assert claim(people["b"], p)["task"]["id"] == pairs[0]


def test_a_change_that_only_adds_questions_leaves_routing_as_it_was():
    p, people, task = routed_team(threshold=0.3)
    assert counters(task) == (3, 1, "open")
    plan = change(people["boss"], p, WITH_STYLE, confirm=True)
    assert plan["routing"] == {"routed": 0, "unrouted": 0}
    assert not any("routing" in line for line in plan["consequences"])
    assert counters(task) == (3, 1, "open")
    assert claim(people["c"], p)["task"]["id"] == task.pk  # still open for its extra annotator
