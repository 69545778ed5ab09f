"""Export jobs end to end on PostgreSQL: rows from the database into a published Hugging Face
dataset folder that `datasets` loads, downloads, duplicates detected by content hash, diffs,
and failures that leave no version visible."""

from __future__ import annotations

import io
import random
import time
import zipfile
from pathlib import Path

import pytest

from annotator.models import GoldAnswer, Task
from datasets_app.models import DatasetVersion, datasets_root
from tests import factories as f
from tests.worker.conftest import jpeg_bytes
from tests.worker.preference_data import answer, random_options, rate
from worker.exports import job as exporting
from worker.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def annotated(image_project, people):
    """3 prompts × 3 real JPEG assets, each answered by two people; one gold answer; every
    within-prompt pair rated once."""
    rng = random.Random(11)
    checklist = image_project.checklist_version.checklist
    second = f.user("second")
    image_project.memberships.create(user=second, role="annotator")
    assets = []
    for p in range(3):
        group = [
            f.ready_asset(image_project, prompt=f"prompt {p}", name=f"{p}-{n}.jpg", content=jpeg_bytes(32 + n, 24))
            for n in range(3)
        ]
        for asset in group:
            answer(asset, people["annotator"], random_options(checklist, rng))
            answer(asset, second, random_options(checklist, rng))
        for i in range(3):
            for j in range(i + 1, 3):
                task = Task.objects.create(project=image_project, kind=Task.Kind.PAIR, asset=group[i], asset_b=group[j])
                rate(task, people["annotator"], rng.choice([1, 2, 4, 5]))
        assets.extend(group)
    first = assets[0]
    annotation = first.tasks.get(kind="single").annotations.order_by("id").first()
    GoldAnswer.objects.create(
        task=annotation.task,
        project=image_project,
        checklist_version=image_project.checklist_version,
        source="accepted",
        source_annotation=annotation,
        options=annotation.options,
        answers=annotation.answers,
        mask=annotation.mask,
        reviewed_by=people["manager"],
    )
    return assets


def export(client, project, capture, **body):
    payload = {"name": "hpd-image", "projects": [project.pk], **body}
    with capture(execute=True):
        response = client.post("/api/exports/", payload, format="json")
    assert response.status_code == 202, response.content
    return DatasetVersion.objects.get(pk=response.json()["dataset_version"]["id"])


def test_export_publishes_a_dataset_that_datasets_loads(
    eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    import datasets
    from prometheus_client import REGISTRY

    rows_before = REGISTRY.get_sample_value("vr_export_rows_total")
    client = f.api(people["researcher"])
    version = export(
        client,
        image_project,
        django_capture_on_commit_callbacks,
        settings={"split_ratios": {"train": 0.5, "test": 0.5}, "seed": 1},
    )
    version.refresh_from_db()
    job = Job.objects.get(pk=version.job_id)
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    # the export rows metric counts every config's rows (docs/observability.md)
    written = sum(n for splits in version.row_counts.values() for n in splits.values())
    assert written > 0 and REGISTRY.get_sample_value("vr_export_rows_total") - rows_before == written
    assert version.state == "ready" and len(version.content_hash) == 64
    folder = version.folder
    assert folder == datasets_root() / "hpd-image" / "v1" and (folder / "README.md").is_file()
    assert (folder / "checklist.json").is_file()
    assert not list((datasets_root() / ".staging").iterdir())  # nothing left aside

    loaded = datasets.load_dataset(str(folder))
    assert sum(len(split) for split in loaded.values()) == 9  # majority: one row per asset
    assert sum(version.row_counts["default"].values()) == 9
    row = next(iter(loaded.values()))[0]
    assert len(row["answers"]) == 59 and len(row["mask"]) == 59
    assert row["image"].size[1] == 24  # the embedded JPEG decodes
    pairs = datasets.load_dataset(str(folder), "pairs")
    assert sum(len(split) for split in pairs.values()) == 9
    # a prompt never straddles splits
    prompts = {split: set(ds["prompt"]) for split, ds in loaded.items()}
    assert not set.intersection(*prompts.values()) if len(prompts) > 1 else True

    detail = client.get(f"/api/dataset-versions/{version.pk}/").json()
    assert detail["state"] == "ready" and detail["download"]["zip"].endswith("archive=zip")
    assert detail["archives"] == {"zip": None, "tar": None}
    with django_capture_on_commit_callbacks(execute=True):  # the archive job runs on commit
        assert client.get(detail["download"]["zip"]).status_code == 202
    response = client.get(detail["download"]["zip"])
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "hpd-image-v1/README.md" in archive.namelist()
    assert sorted(archive.namelist()) == sorted(f"hpd-image-v1/{rel}" for rel in version.files)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(f"/api/dataset-versions/{version.pk}/download/?archive=tar").status_code == 202
    tar = client.get(f"/api/dataset-versions/{version.pk}/download/?archive=tar")
    assert tar.status_code == 200 and tar["Content-Disposition"].endswith('hpd-image-v1.tar.gz"')
    assert client.get(f"/api/dataset-versions/{version.pk}/download/?archive=rar").status_code == 400


def test_identical_content_is_recorded_as_a_duplicate_and_a_change_shows_in_the_diff(
    eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    client = f.api(people["manager"])
    first = export(client, image_project, django_capture_on_commit_callbacks)
    again = export(client, image_project, django_capture_on_commit_callbacks, settings={"shard_rows": 100})
    again.refresh_from_db()
    first.refresh_from_db()
    assert again.state == "duplicate" and again.duplicate_of_id == first.pk
    assert again.content_hash == first.content_hash and not again.path
    job = Job.objects.get(pk=again.job_id)
    assert "same content as hpd-image v1" in job.message

    # one more annotation changes the content: a new version, and the diff says what changed
    extra = f.ready_asset(image_project, prompt="prompt 9", name="new.jpg", content=jpeg_bytes(30, 24))
    answer(extra, people["annotator"], random_options(image_project.checklist_version.checklist, random.Random(3)))
    third = export(client, image_project, django_capture_on_commit_callbacks)
    third.refresh_from_db()
    assert third.state == "ready" and third.content_hash != first.content_hash
    diff = client.get(f"/api/dataset-versions/{third.pk}/diff/?against={first.pk}")
    assert diff.status_code == 200, diff.content
    body = diff.json()
    assert body["from"] == first.pk and body["to"] == third.pk
    assert "added" in str(body)


def test_a_failed_export_leaves_no_version_visible(
    eager, annotated, image_project, people, django_capture_on_commit_callbacks, monkeypatch
):
    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exporting, "publish", explode)
    version = export(f.api(people["manager"]), image_project, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    job = Job.objects.get(pk=version.job_id)
    assert job.state in (Job.State.QUEUED, Job.State.FAILED)  # retried with back-off, or failed
    assert version.state in ("queued", "failed") and not version.path
    assert not (datasets_root() / "hpd-image").exists()
    assert not any((datasets_root() / ".staging").iterdir())
    listed = f.api(people["manager"]).get("/api/dataset-versions/?state=ready").json()
    assert listed["count"] == 0


def test_the_sweep_removes_old_staging_folders(tmp_path):
    old = datasets_root() / ".staging" / "abandoned"
    old.mkdir(parents=True)
    (old / "part.parquet").write_bytes(b"x")
    assert exporting.clean_export_staging(max_age=3600) == []
    assert exporting.clean_export_staging(max_age=-1) == ["abandoned"]
    assert not Path(old).exists()


def test_jsonl_on_request_even_with_embedded_images(
    eager, annotated, image_project, people, django_capture_on_commit_callbacks
):
    import json

    client = f.api(people["manager"])
    version = export(client, image_project, django_capture_on_commit_callbacks, settings={"jsonl": True})
    version.refresh_from_db()
    assert version.state == "ready", version.error
    lines = (version.folder / "annotations.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 9 and all((version.folder / row["image"]).is_file() for row in rows)
    bad = client.post(
        "/api/exports/", {"name": "x", "projects": [image_project.pk], "settings": {"jsonl": "yes"}}, format="json"
    )
    assert bad.status_code == 400 and "settings.jsonl" in bad.json()["errors"]


def test_rows_read_column_wise_from_postgresql_are_the_rows_read_item_by_item(
    annotated, image_project, people, tmp_path
):
    """The reader's batches (JSON as PostgreSQL prints it) take the column-wise path, and it
    writes what the item-by-item path writes from the same database rows."""
    from dataclasses import replace

    from datasets_app.export import ExportSettings, export_dataset, read_rows
    from datasets_app.export.columnar import majority_columns

    version, _ = exporting.start_export(people["researcher"], {"name": "columns", "projects": [image_project.pk]})
    checklist = version.checklist_version.checklist
    settings = replace(ExportSettings(), balanced_cap=None)
    batches = list(exporting.iter_item_batches(version, batch=4))
    assert len(batches) == 3 and all(majority_columns(b, checklist, settings) is not None for b in batches)
    common = {"checklist": checklist, "settings": settings, "include_visionreward": False, "write_jsonl": False}
    by_item = export_dataset(tmp_path / "a", items=lambda: exporting.iter_items(version), **common)
    by_column = export_dataset(tmp_path / "b", item_batches=lambda: exporting.iter_item_batches(version), **common)
    assert by_item.content_hash == by_column.content_hash and by_item.stats == by_column.stats
    rows = list(read_rows(tmp_path / "b", with_media_paths=True))
    assert rows == list(read_rows(tmp_path / "a", with_media_paths=True)) and len(rows) == 9
    assert {r["num_annotations"] for r in rows} == {2}


def test_a_reader_left_early_stops_its_prefetching_and_the_connection_goes_on(annotated, image_project, people):
    from django.db import connection

    version, _ = exporting.start_export(people["researcher"], {"name": "early", "projects": [image_project.pk]})
    batches = exporting.iter_item_batches(version, batch=2)
    assert len(next(batches)) == 2
    batches.close()  # the helper threads are stopped and joined, the cursors closed
    assert not [t for t in __import__("threading").enumerate() if t.name == "export-prefetch"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT setting = reset_val FROM pg_settings WHERE name = 'work_mem'")
        assert cursor.fetchone() == (True,)  # the sorts' memory was this reader's only
    assert sum(len(b) for b in exporting.iter_item_batches(version, batch=2)) == 9


def test_the_database_packs_answer_vectors_as_annotator_packed_does(annotated, image_project, people, tmp_path):
    """Every write of answers keeps the packed columns right (PostgreSQL computes them), the
    same as ``annotator.packed.pack``; a vector without a packed form, or of another length
    than the checklist's, is read as JSON and fails as item by item."""
    import json

    from annotator.models import Annotation
    from annotator.packed import pack
    from datasets_app.export import ExportError, ExportSettings, export_dataset

    annotation = Annotation.objects.filter(task__kind="single").order_by("id").first()
    n = len(annotation.answers)
    assert bytes(annotation.answers_packed) == pack(annotation.answers) and len(annotation.answers_packed) == n
    assert json.loads(annotation.options_text) == annotation.options
    for vector in ([], [0, 1, 1], [0, None, 1], [True, False], [10, 1], [2], [1.5], ["0"]):
        Annotation.objects.filter(pk=annotation.pk).update(answers=vector, mask=vector)
        annotation.refresh_from_db()
        stored = None if annotation.answers_packed is None else bytes(annotation.answers_packed)
        assert stored == pack(vector), vector
        assert annotation.mask_packed == annotation.answers_packed
    version, _ = exporting.start_export(people["researcher"], {"name": "packed", "projects": [image_project.pk]})
    checklist = version.checklist_version.checklist
    for vector in ([1] * (n - 1), [1] * (n + 1), [0, None] + [0] * (n - 2)):  # short, long, a null
        Annotation.objects.filter(pk=annotation.pk).update(answers=vector)
        batches = list(exporting.iter_item_batches(version))
        vectors = [v for b in batches for v in b.answers]
        assert sum(1 for v in vectors if isinstance(v, str)) == 1  # the JSON text, for this row alone
        assert all(isinstance(v, bytes) and len(v) == n for v in vectors if not isinstance(v, str))
        errors = []
        for way in ("items", "item_batches"):
            source = exporting.iter_items if way == "items" else exporting.iter_item_batches
            with pytest.raises(ExportError) as error:
                export_dataset(
                    tmp_path / f"{way}-{len(vector)}-{vector[1]}",
                    checklist=checklist,
                    settings=ExportSettings(balanced_cap=None),
                    include_visionreward=False,
                    write_jsonl=False,
                    **{way: lambda s=source: s(version)},
                )
            errors.append(str(error.value))
        assert errors[0] == errors[1]


@pytest.mark.django_db(transaction=True)
def test_a_job_reads_on_a_connection_of_its_own_and_closes_it(image_project, people):
    """In autocommit (as a job runs) the reader's stream runs in one read-only transaction on a
    second connection, which is gone once the reader is (even left early)."""
    from django.db import connection

    checklist = image_project.checklist_version.checklist
    rng = random.Random(3)
    for n in range(3):
        answer(f.ready_asset(image_project, name=f"{n}.jpg"), people["annotator"], random_options(checklist, rng))
    version, _ = exporting.start_export(people["researcher"], {"name": "own", "projects": [image_project.pk]})

    def backends(settle: int | None = None) -> int:
        """Connections to the test database; with ``settle``, waits (up to 5 s) for that many:
        a closed connection's server process leaves ``pg_stat_activity`` a moment later."""
        deadline = time.monotonic() + 5
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                count = cursor.fetchone()[0]
            if settle is None or count == settle or time.monotonic() > deadline:
                return count
            time.sleep(0.05)

    before = backends()
    batches = exporting.iter_item_batches(version, batch=1)
    assert len(next(batches)) == 1
    assert backends() == before + 1
    batches.close()
    assert backends(settle=before) == before
    assert sum(len(b) for b in exporting.iter_item_batches(version, batch=2)) == 3
    assert backends(settle=before) == before
