"""Dominance-pair dataset versions on PostgreSQL: the request's validation naming each field,
the statistics preview, the export job's folder loaded with ``datasets`` (every row satisfies
the rule, no dominated pair missed), and per-dimension scores equal to the reference scorer's."""

from __future__ import annotations

import itertools
import random

import pytest

from annotator.models import Prediction
from datasets_app.export.dominance import rule_from_dict
from datasets_app.models import DatasetVersion
from tests import factories as f
from tests.worker.conftest import jpeg_bytes
from tests.worker.preference_data import answer, random_options
from worker.exports.dominance import dimension_scores, scored_assets
from worker.exports.job import media_root
from worker.models import Job, WeightSet
from worker.weights.features import features_from_annotation
from worker.weights.public import public_weight_vector
from worker.weights.sets import create_weight_set

pytestmark = pytest.mark.django_db

RULE = {"source": "human", "margins": {"quality": 0.5, "fidelity": 0.5}, "pairs_per_prompt": 3}


@pytest.fixture
def weight_set(image_project):
    vector = public_weight_vector(image_project.checklist_version.checklist)
    return create_weight_set(image_project, vector, source=WeightSet.Source.PUBLIC, label="VisionReward public")


@pytest.fixture
def annotated(image_project, people):
    """4 prompts × 4 real JPEG assets, each answered once with random options; one asset unanswered."""
    rng = random.Random(5)
    checklist = image_project.checklist_version.checklist
    assets = []
    for p in range(4):
        for n in range(4):
            asset = f.ready_asset(
                image_project, prompt=f"prompt {p}", name=f"{p}-{n}.jpg", content=jpeg_bytes(20 + n, 16 + p)
            )
            answer(asset, people["annotator"], random_options(checklist, rng))
            assets.append(asset)
    assets.append(f.ready_asset(image_project, prompt="prompt 0", name="lonely.jpg", content=jpeg_bytes(9, 9)))
    return assets


def create(client, project, body_settings, weight_set=None):
    body = {"name": "mpo", "projects": [project.pk], "settings": body_settings}
    if weight_set is not None:
        body["weight_set"] = weight_set.pk
    return client.post("/api/exports/", body, format="json")


def test_bad_dominance_requests_name_the_field_and_write_nothing(image_project, people, weight_set):
    client = f.api(people["researcher"])
    cases = [
        ({"kind": "pairs"}, "settings.kind"),
        ({"kind": "dominance_pairs"}, "settings.dominance.margins"),
        ({"kind": "dominance_pairs", "dominance": {"margins": {"beauty": 1}}}, "settings.dominance.margins.beauty"),
        ({"kind": "dominance_pairs", "dominance": {"margins": {"quality": 0}}}, "settings.dominance.margins.quality"),
        (
            {"kind": "dominance_pairs", "dominance": {"margins": {"quality": "big"}}},
            "settings.dominance.margins.quality",
        ),
        (
            {"kind": "dominance_pairs", "dominance": {"margins": {"quality": 1}, "pairs_per_prompt": 0}},
            "settings.dominance.pairs_per_prompt",
        ),
        (
            {"kind": "dominance_pairs", "dominance": {"margins": {"quality": 1}, "source": "crowd"}},
            "settings.dominance.source",
        ),
        ({"kind": "dominance_pairs", "dominance": [1]}, "settings.dominance"),
        ({"dominance": {"margins": {"quality": 1}}}, "settings.dominance"),
    ]
    for body, field in cases:
        response = create(client, image_project, body, weight_set)
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (body, response.json())
    # no weight set given and none active
    response = create(client, image_project, {"kind": "dominance_pairs", "dominance": RULE})
    assert response.status_code == 400 and "weight_set" in response.json()["errors"]
    assert not DatasetVersion.objects.exists() and not Job.objects.exists()


def stats(client, project, body):
    return client.post(f"/api/projects/{project.pk}/datasets/dominance-stats/", body, format="json")


def brute_candidates(assets, rule) -> set[tuple[int, int]]:
    out = set()
    for a, b in itertools.permutations(assets, 2):
        if a.prompt != b.prompt:
            continue
        diff = {d: a.scores[d] - b.scores[d] for d in rule.dimensions}
        if all(v >= -rule.tolerance for v in diff.values()) and any(diff[d] >= rule.margins[d] for d in diff):
            out.add((a.asset_id, b.asset_id))
    return out


def test_statistics_preview(annotated, image_project, people, weight_set):
    client = f.api(people["researcher"])
    response = stats(client, image_project, {"dominance": RULE, "weight_set": weight_set.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    rule = rule_from_dict(RULE, [d.key for d in image_project.checklist_version.checklist.dimensions])
    assets, unscored = scored_assets(
        [image_project], image_project.checklist_version, _snapshot(weight_set), rule, media_root()
    )
    assert (body["assets"], body["unscored"], body["prompts"]) == (16, 1, 4)
    assert body["candidates"] == len(brute_candidates(assets, rule))
    assert body["selected"] <= 3 * 4 and body["selected"] == min(body["candidates"], body["selected"])
    for d in ("quality", "fidelity"):
        alone = sum(
            1 for a, b in itertools.permutations(assets, 2) if a.prompt == b.prompt and a.scores[d] - b.scores[d] >= 0.5
        )
        assert body["per_dimension"][d]["alone"] == alone
        assert body["per_dimension"][d]["in_rule"] <= body["candidates"]
    assert body["weight_set"] == {"id": weight_set.pk, "label": "VisionReward public"}

    bad = [
        ({"dominance": {"margins": {"beauty": 1}}, "weight_set": weight_set.pk}, "dominance.margins.beauty"),
        ({"dominance": {"margins": {"quality": -1}}, "weight_set": weight_set.pk}, "dominance.margins.quality"),
        ({"dominance": {**RULE, "pairs_per_prompt": "3"}, "weight_set": weight_set.pk}, "dominance.pairs_per_prompt"),
        ({"dominance": RULE}, "weight_set"),  # none active
        ({"dominance": RULE, "weight_set": 999999}, "weight_set"),
        ({"dominance": RULE, "weight_set": weight_set.pk, "colour": 1}, "colour"),
    ]
    for body, field in bad:
        response = stats(client, image_project, body)
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (body, response.json())
    assert stats(f.api(people["annotator"]), image_project, {"dominance": RULE}).status_code == 403
    assert stats(f.api(people["outsider"]), image_project, {"dominance": RULE}).status_code == 404


def _snapshot(ws):
    from worker.exports.job import _weights_snapshot

    return _weights_snapshot(ws)


def test_dimension_scores_equal_the_reference_scorer(annotated, image_project, weight_set):
    """The public image weights, per dimension, computed the reference way: yes = +1, no = −1,
    0 where the presence question it depends on is no (or the question does not apply)."""
    checklist = image_project.checklist_version.checklist
    vector = public_weight_vector(checklist)
    keys = checklist.question_keys
    for asset in annotated[:16]:
        annotation = asset.tasks.get(kind="single").annotations.get()
        answers = dict(zip(keys, annotation.answers, strict=True))
        mask = dict(zip(keys, annotation.mask, strict=True))
        expected: dict[str, float] = {}
        for key, weight in vector.coefficients.items():
            x = (1.0 if answers[key] else -1.0) * mask[key]
            gate = vector.gates.get(key)
            while gate is not None:
                x *= 1.0 if answers[gate] and mask[gate] else 0.0
                gate = vector.gates.get(gate)
            dimension = checklist.question(key).dimension
            expected[dimension] = expected.get(dimension, 0.0) + weight * x
        total, scores = dimension_scores(
            features_from_annotation(checklist, annotation.answers, annotation.mask),
            vector,
            [d.key for d in checklist.dimensions],
        )
        for dimension in scores:
            assert scores[dimension] == pytest.approx(expected.get(dimension, 0.0), abs=1e-9)
        alignment = vector.extra["alignment"] * vector.extra_defaults["alignment"]
        assert total == pytest.approx(vector.intercept + alignment + sum(scores.values()), abs=1e-9)


def test_export_job_writes_a_version_datasets_loads_and_every_row_satisfies_the_rule(
    eager, annotated, image_project, people, weight_set, django_capture_on_commit_callbacks
):
    import datasets

    client = f.api(people["researcher"])
    with django_capture_on_commit_callbacks(execute=True):
        response = create(client, image_project, {"kind": "dominance_pairs", "dominance": RULE}, weight_set)
    assert response.status_code == 202, response.content
    version = DatasetVersion.objects.get(pk=response.json()["dataset_version"]["id"])
    job = Job.objects.get(pk=version.job_id)
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert version.state == "ready" and len(version.content_hash) == 64
    assert version.export_settings["dominance"]["max_uses"] is None  # stored complete

    ds = datasets.load_dataset(str(version.folder))
    rows = [row for split in ds.values() for row in split]
    assert len(rows) == version.stats["selected"] == sum(version.row_counts["default"].values()) > 0
    rule = rule_from_dict(RULE, [d.key for d in image_project.checklist_version.checklist.dimensions])
    assets, _ = scored_assets([image_project], image_project.checklist_version, version.weights, rule, media_root())
    by_id = {a.asset_id: a for a in assets}
    candidates = brute_candidates(assets, rule)
    per_prompt: dict[str, int] = {}
    for row in rows:
        pair = (row["chosen_asset_id"], row["rejected_asset_id"])
        assert pair in candidates
        chosen, rejected = by_id[pair[0]], by_id[pair[1]]
        assert row["chosen_scores"] == {d: chosen.scores[d] for d in rule.dimensions}
        assert row["rejected_scores"] == {d: rejected.scores[d] for d in rule.dimensions}
        diffs = [row["chosen_scores"][d] - row["rejected_scores"][d] for d in rule.dimensions]
        assert min(diffs) >= 0 and any(v >= rule.margins[d] for v, d in zip(diffs, rule.dimensions, strict=True))
        assert row["chosen"].size[1] >= 16  # the embedded JPEG decodes
        per_prompt[row["prompt"]] = per_prompt.get(row["prompt"], 0) + 1
    assert max(per_prompt.values()) <= 3
    assert version.stats["candidates"] == len(candidates)
    readme = (version.folder / "README.md").read_text()
    assert "VisionReward public" in readme and "no dimension is traded against another" in readme

    detail = client.get(f"/api/dataset-versions/{version.pk}/").json()
    assert detail["settings"]["kind"] == "dominance_pairs" and detail["stats"]["selected"] == len(rows)

    diff = client.get(f"/api/dataset-versions/{version.pk}/diff/?against={version.pk}")
    assert diff.status_code == 400 and "kind" in diff.json()["errors"]  # diffs compare annotation versions

    # the same rule again: the same content, recorded as a duplicate
    with django_capture_on_commit_callbacks(execute=True):
        again = create(client, image_project, {"kind": "dominance_pairs", "dominance": RULE}, weight_set)
    second = DatasetVersion.objects.get(pk=again.json()["dataset_version"]["id"])
    assert second.state == "duplicate" and second.duplicate_of_id == version.pk


def test_model_and_human_else_model_sources(annotated, image_project, weight_set):
    checklist = image_project.checklist_version.checklist
    lonely = annotated[-1]
    Prediction.objects.create(
        asset=lonely,
        checklist_version=image_project.checklist_version,
        model_name="a model",
        p_yes={key: 0.9 for key in checklist.question_keys},
    )
    dims = [d.key for d in checklist.dimensions]
    snapshot = _snapshot(weight_set)
    model, unscored = scored_assets(
        [image_project], image_project.checklist_version, snapshot, rule_from_dict({**RULE, "source": "model"}, dims)
    )
    assert [a.asset_id for a in model] == [lonely.pk] and unscored == 16 and model[0].source == "model"
    both, unscored = scored_assets(
        [image_project],
        image_project.checklist_version,
        snapshot,
        rule_from_dict({**RULE, "source": "human_else_model"}, dims),
    )
    assert len(both) == 17 and unscored == 0
    assert {a.source for a in both} == {"human", "model"}
