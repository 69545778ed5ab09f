"""The export's two readers (worker.exports.reader): the one COPY stream a job reads on a
connection of its own, and the three cursors used anywhere else, hand over the same batches
(and so the same rows and content hash), whatever the batch size, the COPY chunk and the block
size; the stream's helper thread stops when the reader is left, and its errors reach the caller.

Transactional tests: the COPY reader runs in autocommit only (as a job does)."""

from __future__ import annotations

import dataclasses
import random
import threading

import pytest
from django.db import connection

from annotator.models import Annotation, Asset, GoldAnswer, Membership
from tests import factories as f
from tests.worker.preference_data import answer, random_options
from worker.exports import job as exporting
from worker.exports import reader

pytestmark = pytest.mark.django_db(transaction=True)

PROMPTS = [
    "a cat",
    "a cat",  # two assets of one prompt
    'quotes " and, commas',
    "two\nlines",
    "",
    "中文 prompt, é",
    "ends with a backslash \\",
    "a dog",
    "a dog",
    "x" * 3000,  # longer than a small block
    "a bird",
    "last one",
]
METADATA = [
    {},
    {"bench": True, "index": 5},
    {"b": 1, "aa": 2},  # PostgreSQL orders keys by length first
    {"nested": {"z": 1, "a": [1, 2]}},
    {"k": "x, ", "l": 1},
    {"f": 1.5},
    {"é": "ü"},
    {},
    {"quote": 'a "b"'},
    {},
    {"n": None},
    {"i": -3},
]


@pytest.fixture
def varied(image_project, people):
    """12 ready assets of the project with every kind of row the readers meet (0 to 3
    annotations, a late one, a draft, a vector without a packed form, gold answers, one standing
    in for missing annotations), with a failed asset and another project's assets in between."""
    rng = random.Random(7)
    checklist = image_project.checklist_version.checklist
    raters = [people["annotator"]]
    for name in ("second", "third"):
        rater = f.user(name)
        image_project.memberships.create(user=rater, role=Membership.Role.ANNOTATOR)
        raters.append(rater)
    other = f.project(media_type="image", name="other")
    assets = []
    for n, (prompt, metadata) in enumerate(zip(PROMPTS, METADATA, strict=True)):
        asset = f.ready_asset(image_project, prompt=prompt, name=f"{n}.jpg")
        Asset.objects.filter(pk=asset.pk).update(metadata=metadata)
        for rater in raters[: n % 4]:
            answer(asset, rater, random_options(checklist, rng))
        noise = f.ready_asset(other, name=f"other-{n}.jpg")  # ids in between, never read
        answer(noise, people["annotator"], random_options(checklist, rng))
        assets.append(asset)
    failed = f.ready_asset(image_project, name="failed.jpg")
    answer(failed, people["annotator"], random_options(checklist, rng))
    Asset.objects.filter(pk=failed.pk).update(status=Asset.Status.FAILED)
    annotations = Annotation.objects.filter(task__asset__in=assets).order_by("id")
    late = annotations[1]
    Annotation.objects.filter(pk=late.pk).update(late=True)
    Annotation.objects.filter(pk=annotations[2].pk).update(state="draft")
    for asset in (assets[3], assets[4], assets[8]):  # assets[4] has no annotation: the gold answer stands in
        task = asset.tasks.get(kind="single")
        source = task.annotations.order_by("id").first() or annotations[0]
        GoldAnswer.objects.create(
            task=task,
            project=image_project,
            checklist_version=image_project.checklist_version,
            source="accepted",
            options=source.options,
            answers=source.answers,
            mask=source.mask,
            reviewed_by=people["manager"],
        )
    unpacked = annotations[3]
    Annotation.objects.filter(pk=unpacked.pk).update(answers=[None, *unpacked.answers[1:]])
    version, _ = exporting.start_export(people["researcher"], {"name": "readers", "projects": [image_project.pk]})
    return version


def plain(batches) -> list[dict]:
    """Each batch as lists (the readers may hand over Arrow or numpy columns)."""
    return [dataclasses.asdict(b.as_lists()) for b in batches]


def copied(version, batch: int) -> list:
    assert reader._streams()  # autocommit, as in a job
    return list(reader._copied_batches(version, batch))


def by_cursors(version, batch: int) -> list:
    return list(reader._cursor_batches(version, batch, connection))


@pytest.mark.parametrize(("batch", "chunk", "block"), [(5000, 10_000, None), (2, 3, 200), (1, 1, 1), (5, 4, 4096)])
def test_both_readers_hand_over_the_same_batches(varied, monkeypatch, batch, chunk, block):
    monkeypatch.setattr(reader, "COPY_CHUNK_ASSETS", chunk)
    if block is not None:
        monkeypatch.setattr(reader, "COPY_BLOCK_BYTES", block)
    expected = by_cursors(varied, batch)
    got = copied(varied, batch)
    assert [len(b) for b in got] == [len(b) for b in expected]
    assert sum(len(b) for b in got) == len(PROMPTS)
    assert plain(got) == plain(expected)
    assert [list(b.items()) for b in got] == [list(b.items()) for b in expected]
    # what the rows are made of: text as it was, the packed vectors, the JSON of the one without
    items = [item for b in got for item in b.items()]
    assert [i.prompt for i in items] == PROMPTS
    assert [i.metadata for i in items] == METADATA
    vectors = [v for b in got for v in b.as_lists().answers]
    assert sum(isinstance(v, str) for v in vectors) == 1 and all(isinstance(v, bytes | str) for v in vectors)


def test_a_job_exports_by_the_stream_what_the_cursors_export(varied, tmp_path, monkeypatch):
    """The same rows, card and content hash through ``export_dataset`` (column-wise where the
    batch allows it, item by item where not), and ``iter_item_batches`` takes the stream in
    autocommit."""
    from dataclasses import replace

    from datasets_app.export import ExportSettings, export_dataset, read_rows

    unpacked = Annotation.objects.filter(answers__0=None).get()  # a null answer fails the export (as it should)
    Annotation.objects.filter(pk=unpacked.pk).update(answers=[0, *unpacked.answers[1:]])
    monkeypatch.setattr(reader, "COPY_CHUNK_ASSETS", 5)
    settings = replace(ExportSettings(), balanced_cap=None)
    common = {"checklist": varied.checklist_version.checklist, "settings": settings, "write_jsonl": False}
    results = {}
    for way, source in (("stream", lambda: reader.iter_item_batches(varied, batch=4)), ("cursors", None)):
        if source is None:
            source = lambda: iter(by_cursors(varied, 4))  # noqa: E731
        for visionreward in (False, True):
            folder = tmp_path / f"{way}-{visionreward}"
            results[way, visionreward] = export_dataset(
                folder, item_batches=source, include_visionreward=visionreward, **common
            )
            results[way, visionreward, "rows"] = list(read_rows(folder, with_media_paths=True))
    for visionreward in (False, True):
        assert results["stream", visionreward].content_hash == results["cursors", visionreward].content_hash
        assert results["stream", visionreward, "rows"] == results["cursors", visionreward, "rows"]
        assert results["stream", visionreward].stats == results["cursors", visionreward].stats
    monkeypatch.setattr(reader, "_cursor_batches", lambda *a: pytest.fail("the cursors, in autocommit"))
    assert sum(len(b) for b in reader.iter_item_batches(varied)) == len(PROMPTS)


def test_the_stream_left_early_stops_its_thread_and_closes_its_connection(varied, monkeypatch):
    monkeypatch.setattr(reader, "COPY_CHUNK_ASSETS", 2)
    monkeypatch.setattr(reader, "COPY_BLOCK_BYTES", 1)
    batches = reader.iter_item_batches(varied, batch=1)
    assert len(next(batches)) == 1
    assert [t for t in threading.enumerate() if t.name == "export-prefetch"]
    batches.close()
    assert not [t for t in threading.enumerate() if t.name == "export-prefetch"]
    assert sum(len(b) for b in reader.iter_item_batches(varied, batch=5)) == len(PROMPTS)


def test_an_error_in_the_stream_reaches_the_caller(varied, monkeypatch):
    real = reader._stream_sql

    def broken(version, after, limit):
        sql, params = real(version, after, limit)
        return sql.replace("ORDER BY 1, 2, 3", "ORDER BY no_such_column"), params

    monkeypatch.setattr(reader, "_stream_sql", broken)
    with pytest.raises(Exception, match="no_such_column"):
        list(reader.iter_item_batches(varied))
    assert not [t for t in threading.enumerate() if t.name == "export-prefetch"]


def test_scores_under_a_weight_set_are_the_same_by_either_reader(varied, image_project, people):
    """With a weight set the version's items carry scores (queried per batch by the caller's
    thread, not the stream's)."""
    from worker.models import WeightSet
    from worker.weights.public import public_weight_vector
    from worker.weights.sets import create_weight_set

    unpacked = Annotation.objects.filter(answers__0=None).get()
    Annotation.objects.filter(pk=unpacked.pk).update(answers=[0, *unpacked.answers[1:]])
    vector = public_weight_vector(image_project.checklist_version.checklist)
    weight_set = create_weight_set(image_project, vector, source=WeightSet.Source.PUBLIC, label="public")
    version, _ = exporting.start_export(
        people["researcher"], {"name": "scored", "projects": [image_project.pk], "weight_set": weight_set.pk}
    )
    assert version.weights
    got, expected = copied(version, 4), by_cursors(version, 4)
    assert [b.scores for b in got] == [b.scores for b in expected]
    assert sum(len(b.scores) for b in got) >= 8  # every annotated or gold-answered asset
