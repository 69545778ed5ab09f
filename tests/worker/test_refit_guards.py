"""What a refit says before it starts, what it refuses, and what it promotes: the readiness
summary, the 400 for a refit that must fail, no promotion without a held-out measurement unless
asked (``promote_without_holdout``), and the same published weights loaded twice making one
version."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.worker.preference_data import simulate
from worker.models import Job, WeightSet
from worker.weights.evaluate import split_test

pytestmark = pytest.mark.django_db


def url(project, rest: str = "") -> str:
    return f"/api/projects/{project.pk}/{rest}"


def refit(client, project, capture, body):
    with capture(execute=True):
        response = client.post(url(project, "refit/"), body, format="json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    return WeightSet.objects.get(pk=job.result["weight_set"])


# a seed whose split keeps the one prompt "prompt 0" of a one-prompt project for training
TRAIN_SEED = next(s for s in range(100) if not split_test(["prompt 0"], 0.2, s)[0])


# --- the readiness ------------------------------------------------------------------------------


def test_readiness_of_a_project_without_pairs_says_why_a_refit_cannot_run(image_project, people):
    body = f.api(people["researcher"]).get(url(image_project, "refit/readiness/")).json()
    assert body["can_start"] is False and body["can_measure"] is False
    assert (body["rated_pairs"], body["usable_pairs"], body["min_pairs"]) == (0, 0, 10)
    assert "at least 10 (min_pairs)" in body["reasons"][0]


def test_readiness_counts_pairs_prompts_and_the_held_out_share(image_project, people):
    simulate(image_project, people["annotator"], prompts=8, per_prompt=5, seed=1)  # 8 × 10 pairs
    client = f.api(people["manager"])
    body = client.get(url(image_project, "refit/readiness/"), {"seed": 3, "test_fraction": 0.2}).json()
    held = split_test([f"prompt {i}" for i in range(8) for _ in range(10)], 0.2, 3)
    assert body["can_start"] and body["can_measure"] and body["reasons"] == body["warnings"] == []
    assert (body["rated_pairs"], body["usable_pairs"], body["prompts"]) == (80, 80, 8)
    assert body["held_out_pairs"] == int(held.sum()) and body["train_pairs"] == 80 - int(held.sum())
    assert body["decisive_pairs"] <= 80 and body["test_fraction"] == 0.2
    # the settings in the query decide; bad ones are a 400 naming them
    assert client.get(url(image_project, "refit/readiness/"), {"min_pairs": 200}).json()["can_start"] is False
    bad = client.get(url(image_project, "refit/readiness/"), {"seed": "x", "test_fraction": 2})
    assert bad.status_code == 400 and "seed" in bad.json()["errors"]
    bad = client.get(url(image_project, "refit/readiness/"), {"test_fraction": 2})
    assert bad.status_code == 400 and "test_fraction" in bad.json()["errors"]


def test_readiness_is_for_managers_and_researchers(image_project, people):
    assert f.api(people["annotator"]).get(url(image_project, "refit/readiness/")).status_code == 403
    assert f.api(people["outsider"]).get(url(image_project, "refit/readiness/")).status_code == 404


# --- refusals -----------------------------------------------------------------------------------


def test_a_refit_with_too_few_pairs_is_refused_with_the_reason_and_starts_nothing(image_project, people):
    simulate(image_project, people["annotator"], prompts=1, per_prompt=3, seed=2)  # 3 pairs
    response = f.api(people["manager"]).post(url(image_project, "refit/"), {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "Only 3 pairs can be fitted" in " ".join(body["errors"]["min_pairs"])
    assert "min_pairs" in body["detail"]
    assert not Job.objects.exists()
    # with min_pairs lowered to what there is, it starts
    assert (
        f.api(people["manager"])
        .post(url(image_project, "refit/"), {"min_pairs": 3, "seed": TRAIN_SEED}, format="json")
        .status_code
        == 202
    )


# --- no promotion without a held-out measurement ---------------------------------------------------


def test_all_pairs_on_one_prompt_keep_the_result_a_candidate(
    eager, image_project, people, django_capture_on_commit_callbacks
):
    simulate(image_project, people["annotator"], prompts=1, per_prompt=6, seed=4)  # 15 pairs, one prompt
    client = f.api(people["researcher"])
    ready = client.get(url(image_project, "refit/readiness/"), {"seed": TRAIN_SEED}).json()
    assert ready["can_start"] and not ready["can_measure"]
    assert (ready["prompts"], ready["held_out_pairs"]) == (1, 0)
    assert "all pairs are on one prompt" in ready["warnings"][0]

    # no active set, promote=if_better: before, this promoted a set nobody had measured
    ws = refit(client, image_project, django_capture_on_commit_callbacks, {"seed": TRAIN_SEED})
    assert ws.status == WeightSet.Status.CANDIDATE
    assert ws.metrics["test"]["accuracy_diff"] is None
    assert ws.decision.startswith("kept as a candidate: nothing measured it (no pair held out: 15 pairs on 1 prompt)")
    assert "promote_without_holdout" in ws.decision
    # promote=always does not promote an unmeasured set either
    ws = refit(client, image_project, django_capture_on_commit_callbacks, {"seed": TRAIN_SEED, "promote": "always"})
    assert ws.status == WeightSet.Status.CANDIDATE


def test_promote_without_holdout_promotes_and_says_so(eager, image_project, people, django_capture_on_commit_callbacks):
    simulate(image_project, people["annotator"], prompts=1, per_prompt=6, seed=4)
    client = f.api(people["researcher"])
    ws = refit(
        client,
        image_project,
        django_capture_on_commit_callbacks,
        {"seed": TRAIN_SEED, "promote_without_holdout": True},
    )
    assert ws.status == WeightSet.Status.ACTIVE
    assert ws.fit_settings["promote_without_holdout"] is True
    assert ws.decision.startswith("promoted without a held-out measurement, as asked (promote_without_holdout")
    bad = client.post(url(image_project, "refit/"), {"promote_without_holdout": "yes"}, format="json")
    assert bad.status_code == 400 and "promote_without_holdout" in bad.json()["errors"]


def test_a_measured_refit_still_promotes_as_before(eager, image_project, people, django_capture_on_commit_callbacks):
    simulate(image_project, people["annotator"], prompts=8, per_prompt=5, seed=1)
    ws = refit(f.api(people["researcher"]), image_project, django_capture_on_commit_callbacks, {"seed": 3})
    assert ws.status == WeightSet.Status.ACTIVE and ws.decision == "promoted: the project had no active weight set"


# --- the same weights twice ---------------------------------------------------------------------


def test_loading_the_published_weights_twice_returns_the_existing_version(image_project, people):
    client = f.api(people["manager"])
    first = client.post(url(image_project, "weight-sets/"), {"source": "public"}, format="json")
    assert first.status_code == 201 and "message" not in first.json()
    again = client.post(url(image_project, "weight-sets/"), {"source": "public"}, format="json")
    assert again.status_code == 200, again.content
    body = again.json()
    assert body["id"] == first.json()["id"] and body["version"] == 1
    assert body["message"] == "These weights are already version 1 (candidate); no new version was made."
    assert WeightSet.objects.filter(project=image_project).count() == 1
    # the selected (27-question) published weights differ: a new version
    other = client.post(url(image_project, "weight-sets/"), {"source": "public", "which": "select"}, format="json")
    assert other.status_code == 201 and other.json()["version"] == 2


def test_identical_uploads_return_the_existing_version_and_different_settings_make_a_new_one(image_project, people):
    client = f.api(people["manager"])
    keys = [q.key for q in image_project.checklist_version.checklist.questions if not q.presence][:3]
    body = {"coefficients": {k: 0.5 for k in keys}, "encoding": "signed"}
    assert client.post(url(image_project, "weight-sets/"), body, format="json").status_code == 201
    again = client.post(url(image_project, "weight-sets/"), body, format="json")
    assert again.status_code == 200 and again.json()["version"] == 1
    binary = client.post(url(image_project, "weight-sets/"), {**body, "encoding": "binary"}, format="json")
    assert binary.status_code == 201 and binary.json()["version"] == 2
    changed = client.post(
        url(image_project, "weight-sets/"),
        {**body, "coefficients": {**body["coefficients"], keys[0]: 0.6}},
        format="json",
    )
    assert changed.status_code == 201 and changed.json()["version"] == 3
