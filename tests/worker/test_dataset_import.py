"""Dataset imports (POST /api/projects/{id}/imports/huggingface/ and /imports/pairs/, with their
previews): datasets built offline here, read through ``datasets`` as a Hub id or a local path."""

from __future__ import annotations

import json
import os
import time

import pytest

from annotator.models import Asset, GoldAnswer, Membership, Task
from tests import factories as f
from worker.imports import huggingface
from worker.jobs import execute
from worker.models import Job
from worker.weights.answers import label_of, pair_labels

from .hf_datasets import hub_cache, image_dataset, pair_dataset, parquet_folder, tiny_png
from .http_server import MediaServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(tmp_path, settings):
    root = tmp_path / "imports"
    root.mkdir()
    settings.VR_IMPORT_ROOTS = [root]
    return root


def url(project, mode="huggingface", preview=False) -> str:
    return f"/api/projects/{project.pk}/imports/{mode}/" + ("preview/" if preview else "")


def start(client, project, body, capture, mode="huggingface"):
    with capture(execute=True):
        response = client.post(url(project, mode), body, format="json")
    return response


def done(response) -> Job:
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.kind == "dataset_import"
    return job


ASSETS = {"media": "image", "prompt": "caption", "metadata": ["seed", "model"]}


def test_preview_of_a_parquet_folder_lists_columns_rows_and_a_suggestion(manager_api, image_project, roots):
    parquet_folder(image_dataset(12), roots / "gen")
    response = manager_api.post(url(image_project, preview=True), {"source": str(roots / "gen")}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["layout"] == "files" and body["split"] == "train" and body["splits"] == ["train"]
    assert body["num_rows"] == 12
    assert [(c["name"], c["type"]) for c in body["columns"]] == [
        ("image", "image"),
        ("caption", "string"),
        ("seed", "int"),
        ("model", "string"),
    ]
    assert len(body["rows"]) == 5 and body["rows"][1]["row"] == 1
    cells = body["rows"][1]["cells"]
    assert cells["caption"] == {"kind": "text", "value": "prompt 1", "truncated": False}
    assert cells["image"]["kind"] == "media" and cells["image"]["data_url"].startswith("data:image/png;base64,")
    assert body["suggestion"] == {
        "media": "image",
        "prompt": "caption",
        "prompt_required": False,
        "metadata": ["seed", "model"],
    }


def test_saved_dataset_rows_become_assets_and_a_malformed_row_fails_alone(
    eager, manager_api, image_project, roots, django_capture_on_commit_callbacks
):
    image_dataset(9, broken={4}).save_to_disk(str(roots / "saved"))
    job = done(
        start(
            manager_api,
            image_project,
            {"source": "saved", "mapping": ASSETS},
            django_capture_on_commit_callbacks,
        )
    )
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.progress == 1.0 and job.params["total"] == 9
    assert job.result["rows"] == 9 and job.result["imported"] == 8 and job.result["failed"] == 1
    assert job.result["failures"] == [
        {"row": 4, "file": "train[4] img4.png", "reason": job.result["failures"][0]["reason"]}
    ]
    assert job.result["failures"][0]["reason"].startswith("row 4: ")
    ready = Asset.objects.filter(import_job_id=job.pk, status=Asset.Status.READY).order_by("import_entry")
    first = ready.first()
    assert first.prompt == "prompt 0" and first.metadata == {"seed": 0, "model": "flux"}
    assert first.original_name == "train[0] img0.png" and first.width == 2 and first.files["thumbnail"]
    assert [a.import_entry for a in ready] == [0, 1, 2, 3, 5, 6, 7, 8]
    assert Task.objects.filter(asset__in=ready, kind=Task.Kind.SINGLE).count() == 8
    assert job.message == "9 rows: 8 assets, 1 failed"


def test_a_hub_id_is_read_from_the_cache_and_an_uncached_one_says_how_to_fetch_it(
    eager, manager_api, image_project, roots, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    hub_cache(image_dataset(6), cache, "lab/tiny-gens")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    preview = manager_api.post(url(image_project, preview=True), {"source": "lab/tiny-gens"}, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["kind"] == "hub" and preview.json()["num_rows"] == 6
    job = done(
        start(
            manager_api,
            image_project,
            {"source": "lab/tiny-gens", "mapping": ASSETS, "limit": 4},
            django_capture_on_commit_callbacks,
        )
    )
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.result["imported"] == 4 and job.params["total"] == 4
    missing = manager_api.post(url(image_project, preview=True), {"source": "lab/not-cached"}, format="json")
    assert missing.status_code == 400
    assert "not in this server's Hugging Face cache" in missing.json()["errors"]["source"][0]
    assert "hf download --repo-type dataset lab/not-cached" in missing.json()["errors"]["source"][0]


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"source": "/etc", "mapping": ASSETS}, "source", "outside the folders imports may read"),
        ({"source": "../../../etc", "mapping": ASSETS}, "source", "outside the folders imports may read"),
        ({"source": "gen", "split": "test", "mapping": ASSETS}, "split", "no split `test`"),
        ({"source": "gen", "mapping": {**ASSETS, "prompt": "nope"}}, "mapping.prompt", "no column `nope`"),
        ({"source": "gen", "mapping": {**ASSETS, "media": "seed"}}, "mapping.media", "column `seed` is int"),
        ({"source": "gen", "mapping": {**ASSETS, "metadata": "seed"}}, "mapping.metadata", "list of column names"),
        ({"source": "gen", "mapping": {**ASSETS, "evil": 1}}, "mapping", "unknown field"),
        ({"source": "gen", "mapping": ASSETS, "limit": 0}, "limit", "positive integer"),
        ({"source": "gen", "mapping": ASSETS, "limit": True}, "limit", "positive integer"),
        ({"source": "gen", "mapping": "image"}, "mapping", "must be an object"),
        ({"source": ["gen"], "mapping": ASSETS}, "source", "must be text"),
        ({"source": "gen\x00", "mapping": ASSETS}, "source", "not a path"),
        ({"source": "", "mapping": ASSETS}, "source", "give a Hugging Face dataset id"),
        ({"source": "gen", "mapping": ASSETS, "rate_again": True}, "body", "unknown field"),
    ],
)
def test_hostile_requests_are_refused_naming_the_field(manager_api, image_project, roots, body, field, words):
    parquet_folder(image_dataset(3), roots / "gen")
    response = manager_api.post(url(image_project), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors and words in " ".join(errors[field]), errors
    assert not Job.objects.exists()


def test_a_symlink_out_of_the_roots_is_refused(manager_api, image_project, roots, tmp_path):
    outside = tmp_path / "private"
    parquet_folder(image_dataset(2), outside)
    (roots / "link").symlink_to(outside)
    response = manager_api.post(url(image_project, preview=True), {"source": "link"}, format="json")
    assert response.status_code == 400 and "outside" in response.json()["errors"]["source"][0]


def test_only_managers_import(people, image_project, roots):
    parquet_folder(image_dataset(2), roots / "gen")
    body = {"source": "gen", "mapping": ASSETS}
    assert f.api(people["annotator"]).post(url(image_project), body, format="json").status_code == 403
    assert f.api(people["researcher"]).post(url(image_project, preview=True), body, format="json").status_code == 403
    assert f.api(people["outsider"]).post(url(image_project), body, format="json").status_code == 404
    assert f.api(None).post(url(image_project), body, format="json").status_code in (401, 403)


def test_path_and_url_columns_of_a_jsonl_file(
    eager, manager_api, image_project, roots, tmp_path, django_capture_on_commit_callbacks
):
    folder = roots / "manifest"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "a.png").write_bytes(tiny_png(1))
    (tmp_path / "secret.png").write_bytes(tiny_png(2))
    lines = [
        {"file": "media/a.png", "prompt": "a cat", "score": 0.5},
        {"file": "https://example.org/b.png", "prompt": "a dog", "score": 1.5},
        {"file": "../../secret.png", "prompt": "escape", "score": 2.5},
        {"file": "media/missing.png", "prompt": "gone", "score": 3.5},
        {"file": "media/a.png", "prompt": "x" * 20_000, "score": 4.5},
    ]
    (folder / "rows.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    mapping = {"media": "file", "prompt": "prompt", "metadata": ["score"]}
    preview = manager_api.post(url(image_project, preview=True), {"source": "manifest/rows.jsonl"}, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["suggestion"]["media"] == "file"
    job = done(
        start(
            manager_api,
            image_project,
            {"source": "manifest/rows.jsonl", "mapping": mapping},
            django_capture_on_commit_callbacks,
        )
    )
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    reasons = {fail["row"]: fail["reason"] for fail in job.result["failures"]}
    assert reasons[1].startswith("row 1: ") and "example.org" in reasons[1]  # no network here: refused alone
    assert "outside the dataset's folder" in reasons[2]
    assert "does not exist" in reasons[3]
    assert "characters long" in reasons[4] and "VR_MAX_PROMPT_CHARS" in reasons[4]
    asset = Asset.objects.get(import_job_id=job.pk, status=Asset.Status.READY)
    assert asset.prompt == "a cat" and asset.metadata == {"score": 0.5}


def test_a_url_column_is_fetched_by_the_safe_fetcher_and_a_private_address_refused(
    eager, manager_api, image_project, roots, settings, django_capture_on_commit_callbacks
):
    with MediaServer({"a.png": tiny_png(7)}) as server:
        folder = roots / "urls"
        folder.mkdir()
        lines = [
            {"file": server.url("/files/a.png"), "prompt": "a served cat"},
            {"file": "http://169.254.169.254/latest/meta-data", "prompt": "metadata service"},
        ]
        (folder / "rows.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
        settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/32"  # the test's own server only
        body = {"source": "urls/rows.jsonl", "mapping": {"media": "file", "prompt": "prompt", "metadata": []}}
        job = done(start(manager_api, image_project, body, django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    asset = Asset.objects.get(import_job_id=job.pk, status=Asset.Status.READY)
    assert asset.prompt == "a served cat" and asset.width > 0
    (failure,) = job.result["failures"]
    assert failure["row"] == 1 and "link-local" in failure["reason"]


def test_a_bad_allowed_networks_setting_fails_the_dataset_import_by_its_name(
    eager, manager_api, image_project, roots, settings, django_capture_on_commit_callbacks
):
    image_dataset(2).save_to_disk(str(roots / "saved"))
    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/33"
    job = done(
        start(manager_api, image_project, {"source": "saved", "mapping": ASSETS}, django_capture_on_commit_callbacks)
    )
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "VR_FETCH_ALLOWED_NETWORKS: `127.0.0.1/33` is not a network" in job.error
    assert not Asset.objects.filter(import_job_id=job.pk).exists()


@pytest.mark.parametrize("checkpoint_seconds", [0.0, 3600.0], ids=["from-checkpoint", "by-entry"])
def test_an_interrupted_import_resumes_without_duplicates(
    manager_api, image_project, roots, monkeypatch, checkpoint_seconds, django_capture_on_commit_callbacks
):
    image_dataset(20).save_to_disk(str(roots / "saved"))
    response = manager_api.post(url(image_project), {"source": "saved", "mapping": ASSETS}, format="json")
    job = done(response)
    monkeypatch.setattr(huggingface, "CHECKPOINT_SECONDS", checkpoint_seconds)
    real = huggingface._record
    calls = {"n": 0}

    def crash_after_eleven(*args):
        calls["n"] += 1
        if calls["n"] == 12:
            raise RuntimeError("the worker was killed")
        return real(*args)

    monkeypatch.setattr(huggingface, "_record", crash_after_eleven)
    assert execute(job.pk) == Job.State.QUEUED
    job.refresh_from_db()
    assert Asset.objects.filter(import_job_id=job.pk).count() == 11
    expected_start = 11 if checkpoint_seconds == 0 else 0
    assert (job.result.get("checkpoint") or {}).get("next_row", 0) == expected_start
    if checkpoint_seconds == 0:
        assert 0 < job.progress < 1
    monkeypatch.setattr(huggingface, "_record", real)
    assert execute(job.pk) == Job.State.SUCCEEDED
    job.refresh_from_db()
    entries = list(Asset.objects.filter(import_job_id=job.pk).values_list("import_entry", flat=True))
    assert sorted(entries) == list(range(20))
    assert job.result["imported"] == 20 and job.result["failed"] == 0 and job.result["duplicates"] == 0
    assert (f"resuming at row {expected_start}" if expected_start else "already recorded") in job.log


def test_a_repeated_file_with_the_same_prompt_is_skipped(
    eager, manager_api, image_project, roots, django_capture_on_commit_callbacks
):
    image_dataset(6, image=lambda i: tiny_png(i % 3 if i < 3 else i)).save_to_disk(str(roots / "dupes"))
    body = {"source": "dupes", "mapping": {"media": "image", "prompt": "caption"}}
    job = done(start(manager_api, image_project, body, django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.result["imported"] == 6 and job.result["duplicates"] == 0  # prompts differ: 0..5 % 7
    again = done(start(manager_api, image_project, body, django_capture_on_commit_callbacks))
    again.refresh_from_db()
    assert again.state == Job.State.SUCCEEDED
    assert again.result["imported"] == 0 and again.result["duplicates"] == 6
    assert "skipped, the same file and prompt as asset" in again.log


def test_pair_dataset_becomes_rated_pairs_the_refit_reads(
    eager, manager_api, image_project, roots, django_capture_on_commit_callbacks
):
    pair_dataset(6).save_to_disk(str(roots / "pickapic"))
    preview = manager_api.post(url(image_project, "pairs", preview=True), {"source": "pickapic"}, format="json")
    assert preview.status_code == 200, preview.content
    suggestion = preview.json()["suggestion"]
    assert suggestion == {
        "prompt": "caption",
        "prompt_required": False,
        "media_a": "jpg_0",
        "media_b": "jpg_1",
        "preference_format": "labels",
        "preference": ["label_0", "label_1"],
        "metadata": ["user_id"],
    }
    job = done(
        start(
            manager_api,
            image_project,
            {"source": "pickapic", "mapping": suggestion},
            django_capture_on_commit_callbacks,
            "pairs",
        )
    )
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.result["pairs"] == 6 and job.result["failed"] == 0
    assert job.result["imported"] == 11  # 12 media, row 2 reuses row 0's first image
    golds = GoldAnswer.objects.filter(project=image_project)
    assert golds.count() == 6 and set(golds.values_list("source", flat=True)) == {"imported"}
    assert all(g.reviewed_by_id is None and g.source_annotation_id is None for g in golds)
    labels = {(p.prompt, p.gold) for p in pair_labels(image_project)}
    assert ("a red cube", 2) in labels and ("prompt 1", 4) in labels and ("prompt 3", 3) in labels
    assert [label_of(p)[0] for p in pair_labels(image_project)][:4] == [1.0, 0.0, 1.0, 0.5]
    tasks = Task.objects.filter(project=image_project, kind=Task.Kind.PAIR)
    assert set(tasks.values_list("status", "required")) == {(Task.Status.DONE, 0)}
    first = tasks.order_by("id").first()
    assert first.asset.prompt == "a red cube" and first.asset.metadata == {"user_id": 0}
    assert "row 0" in first.gold.comment and "label_0=1.0" in first.gold.comment
    stats = manager_api.get(f"/api/projects/{image_project.pk}/stats/").json()
    assert stats["progress"]["imported_ratings"] == 6 and stats["progress"]["gold"] == 0


def test_a_pair_of_one_file_twice_fails_alone(
    eager, manager_api, image_project, roots, django_capture_on_commit_callbacks
):
    import datasets

    data = pair_dataset(3).to_dict()
    data["jpg_1"][1] = data["jpg_0"][1]
    datasets.Dataset.from_dict(data, features=pair_dataset(1).features).save_to_disk(str(roots / "same"))
    mapping = {
        "media_a": "jpg_0",
        "media_b": "jpg_1",
        "prompt": "caption",
        "preference_format": "labels",
        "preference": ["label_0", "label_1"],
    }
    job = done(
        start(
            manager_api,
            image_project,
            {"source": "same", "mapping": mapping},
            django_capture_on_commit_callbacks,
            "pairs",
        )
    )
    job.refresh_from_db()
    assert job.result["pairs"] == 2 and job.result["failed"] == 1
    assert job.result["failures"][0]["reason"] == "row 1: media A and media B are the same file"
    assert Task.objects.filter(project=image_project, kind=Task.Kind.PAIR).count() == 2


def test_pair_import_checks_the_preference_mapping(manager_api, image_project, roots):
    pair_dataset(4).save_to_disk(str(roots / "pairs"))
    mapping = {
        "media_a": "jpg_0",
        "media_b": "jpg_0",
        "prompt": "caption",
        "preference_format": "votes",
        "preference": [],
    }
    response = manager_api.post(url(image_project, "pairs"), {"source": "pairs", "mapping": mapping}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "two different columns" in errors["mapping.media_b"][0]
    assert "labels, choice, rating, scores" in errors["mapping.preference_format"][0]


def test_pairs_rated_again_are_open_for_annotators(
    eager, manager_api, image_project, roots, django_capture_on_commit_callbacks
):
    pair_dataset(2).save_to_disk(str(roots / "pairs"))
    mapping = {
        "media_a": "jpg_0",
        "media_b": "jpg_1",
        "prompt": "caption",
        "preference_format": "labels",
        "preference": ["label_0", "label_1"],
    }
    body = {"source": "pairs", "mapping": mapping, "rate_again": True}
    job = done(start(manager_api, image_project, body, django_capture_on_commit_callbacks, "pairs"))
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.log
    assert set(Task.objects.filter(kind=Task.Kind.PAIR).values_list("status", "required")) == {("open", 1)}


def test_a_streamed_dataset_is_one_job_reporting_rows_done_of_the_total(
    eager, manager_api, image_project, roots, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from worker.jobs import JobContext

    settings.VR_IMPORT_WORKERS = 4
    monkeypatch.setattr(huggingface, "CHECKPOINT_SECONDS", 0.2)
    seen: list[tuple[float, str]] = []
    real_report = JobContext.report

    def report(self, progress=None, message=None, log=None):
        if progress is not None:
            seen.append((progress, message or ""))
        return real_report(self, progress, message, log)

    monkeypatch.setattr(JobContext, "report", report)
    parquet_folder(image_dataset(150), roots / "stream")
    began = time.monotonic()
    job = done(
        start(manager_api, image_project, {"source": "stream", "mapping": ASSETS}, django_capture_on_commit_callbacks)
    )
    took = time.monotonic() - began
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log[-2000:])
    assert job.result["rows"] == 150 and job.result["imported"] == 150 and job.params["total"] == 150
    progress = [p for p, _ in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any(0 < p < 1 for p in progress), progress
    assert any(m.endswith(" assets, 0 failed") and "/150 rows" in m for _, m in seen)
    print(f"150 rows imported in {took:.1f} s")


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("VR_TEST_TEN_THOUSAND_ROWS"),
    reason="minutes of ffprobe/ffmpeg on a small machine: set VR_TEST_TEN_THOUSAND_ROWS=1",
)
def test_ten_thousand_rows_are_one_job_with_progress(
    eager, manager_api, roots, people, settings, django_capture_on_commit_callbacks
):
    settings.VR_IMPORT_WORKERS = 4
    project = f.project(media_type="image", name="big", members={people["manager"]: Membership.Role.MANAGER})
    image_dataset(10_000).save_to_disk(str(roots / "big"))
    began = time.monotonic()
    job = done(start(manager_api, project, {"source": "big", "mapping": ASSETS}, django_capture_on_commit_callbacks))
    took = time.monotonic() - began
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log[-2000:])
    assert job.result["rows"] == 10_000 and job.result["imported"] == 10_000 and job.result["failed"] == 0
    assert Asset.objects.filter(project=project, status=Asset.Status.READY).count() == 10_000
    assert Asset.objects.get(project=project, import_entry=9_999).prompt == "prompt 3"
    print(f"10,000 rows imported in {took:.1f} s")
