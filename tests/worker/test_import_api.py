"""POST /api/projects/{id}/imports/: files, zip, manifests, validation (400) and per-asset failures."""

from __future__ import annotations

import hashlib
import json

import pytest

from annotator.models import Asset, Task
from tests import factories as f
from worker.models import Job

from .conftest import (
    assert_disk_matches_rows,
    import_url,
    jpeg_bytes,
    png_bytes,
    staging_dirs,
    upload,
    zip_bytes,
)

pytestmark = pytest.mark.django_db


def post_import(client, project, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(import_url(project), data, format="multipart")


def finished(response) -> Job:
    assert response.status_code == 202, response.content
    return Job.objects.get(pk=response.json()["id"])


def test_import_uploaded_files(
    eager, manager_api, image_project, samples, _media_root, django_capture_on_commit_callbacks
):
    one = (samples / "test1.jpg").read_bytes()
    response = post_import(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        files=[upload("test1.jpg", one), upload("small.png", png_bytes())],
    )
    body = response.json()
    assert body["kind"] == "import" and body["state"] == "queued" and body["project"] == image_project.pk
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.queue == "media" and job.attempts == 1 and job.progress == 1.0
    assert job.result["imported"] == 2 and job.result["failed"] == 0 and job.result["failures"] == []
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    first = assets["test1.jpg"]
    assert first.status == Asset.Status.READY and first.prompt == "" and first.metadata == {}
    assert first.sha256 == hashlib.sha256(one).hexdigest() and first.size_bytes == len(one)
    assert (first.width, first.height) == (1024, 1024) and first.mime_type.startswith("image/")
    assert assets["small.png"].width == 40
    assert Task.objects.filter(asset__in=assets.values()).count() == 2
    assert_disk_matches_rows(_media_root, image_project)
    assert staging_dirs(_media_root) == []
    detail = manager_api.get(f"/api/jobs/{job.pk}/").json()
    assert detail["result"]["imported"] == 2 and "test1.jpg: asset" in detail["log"]
    assert detail["params"]["entry_count"] == 2 and "entries" not in detail["params"]
    assert detail["message"] == "2 imported, 0 failed" and detail["duration_seconds"] is not None


def test_import_zip_skips_directories_macos_litter_and_dotfiles(
    eager, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    archive = zip_bytes(
        {
            "batch/": b"",
            "batch/a.jpg": jpeg_bytes(),
            "b.png": png_bytes(),
            "__MACOSX/batch/._a.jpg": b"junk",
            "batch/.DS_Store": b"junk",
        }
    )
    response = post_import(
        manager_api, image_project, django_capture_on_commit_callbacks, archive=upload("set.zip", archive)
    )
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, job.log
    names = sorted(Asset.objects.filter(import_job_id=job.pk).values_list("original_name", flat=True))
    assert names == ["b.png", "batch/a.jpg"]
    assert job.params["archive"] == "set.zip"
    assert_disk_matches_rows(_media_root, image_project)


def test_import_zip_with_jsonl_manifest_keeps_prompts_and_metadata(
    eager, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    archive = zip_bytes({"imgs/a.jpg": jpeg_bytes(), "imgs/b.jpg": jpeg_bytes(color=(0, 0, 0)), "c.jpg": jpeg_bytes()})
    manifest = "\n".join(
        [
            json.dumps({"file": "imgs/a.jpg", "prompt": "a red square", "metadata": {"model": "sdxl", "seed": 7}}),
            "",
            json.dumps({"file": "./imgs/b.jpg", "prompt": "a black square"}),
        ]
    )
    response = post_import(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        archive=upload("set.zip", archive),
        manifest=upload("rows.jsonl", manifest.encode()),
    )
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, job.log
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    assert set(assets) == {"imgs/a.jpg", "imgs/b.jpg"}  # exactly the manifest's rows
    assert assets["imgs/a.jpg"].prompt == "a red square"
    assert assets["imgs/a.jpg"].metadata == {"model": "sdxl", "seed": 7}
    assert assets["imgs/b.jpg"].prompt == "a black square" and assets["imgs/b.jpg"].metadata == {}
    assert job.result["ignored"] == 1 and "not listed in the manifest" in job.log


def test_import_uploads_with_csv_manifest_extra_columns_go_to_metadata(
    eager, manager_api, image_project, django_capture_on_commit_callbacks
):
    manifest = (
        "file,prompt,metadata,model\r\n"
        'one.jpg,"a cat, sitting","{""seed"": 1}",sdxl\r\n'
        'two.png,"a dog\nin the rain",,flux\r\n'
    )
    response = post_import(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        files=[upload("one.jpg", jpeg_bytes()), upload("two.png", png_bytes())],
        manifest=upload("rows.csv", manifest.encode("utf-8-sig")),
    )
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, job.log
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    assert assets["one.jpg"].prompt == "a cat, sitting"
    assert assets["one.jpg"].metadata == {"seed": 1, "model": "sdxl"}
    assert assets["two.png"].prompt == "a dog\nin the rain" and assets["two.png"].metadata == {"model": "flux"}


def test_per_asset_failures_are_readable_and_the_rest_imports(
    eager, settings, manager_api, image_project, samples, tiny_mp4, _media_root, django_capture_on_commit_callbacks
):
    settings.VR_MAX_ASSET_BYTES = 120_000  # test1.jpg (154 kB) is over the limit, the small files are not
    good = jpeg_bytes()
    response = post_import(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        files=[
            upload("good.jpg", good),
            upload("empty.jpg", b""),
            upload("truncated.jpg", (samples / "test2.jpg").read_bytes()[:300]),
            upload("text.jpg", b"this is not an image, just some text\n" * 5),
            upload("clip.mp4", tiny_mp4),
            upload("big.jpg", (samples / "test1.jpg").read_bytes()),
        ],
    )
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.result["imported"] == 1 and job.result["failed"] == 5
    reasons = {x["file"]: x["reason"] for x in job.result["failures"]}
    assert set(reasons) == {"empty.jpg", "truncated.jpg", "text.jpg", "clip.mp4", "big.jpg"}
    for name, reason in reasons.items():
        assert len(reason) > 10 and "Traceback" not in reason, (name, reason)
    assert "video" in reasons["clip.mp4"].lower()
    failed = Asset.objects.filter(import_job_id=job.pk, status=Asset.Status.FAILED)
    assert {a.original_name: a.failure_reason for a in failed} == reasons
    assert all(a.files == {} and a.kind == "image" for a in failed)
    assert Task.objects.filter(project=image_project).count() == 1
    assert job.message == "1 imported, 5 failed"
    assert "empty.jpg: failed: " in job.log and "good.jpg: asset " in job.log
    assert_disk_matches_rows(_media_root, image_project)
    assert staging_dirs(_media_root) == []


def test_video_import(eager, manager_api, video_project, samples, _media_root, django_capture_on_commit_callbacks):
    response = post_import(
        manager_api,
        video_project,
        django_capture_on_commit_callbacks,
        files=[upload("test1.mp4", (samples / "test1.mp4").read_bytes()), upload("still.jpg", jpeg_bytes())],
    )
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, job.log
    clip = Asset.objects.get(import_job_id=job.pk, original_name="test1.mp4")
    assert clip.status == Asset.Status.READY and clip.kind == "video"
    assert clip.duration_seconds and clip.duration_seconds > 0 and clip.fps and clip.files["frames"]
    still = Asset.objects.get(import_job_id=job.pk, original_name="still.jpg")
    assert still.status == Asset.Status.FAILED and "image" in still.failure_reason.lower()
    assert_disk_matches_rows(_media_root, video_project)


# --- 400s: nothing is created -----------------------------------------------------------------


def _bad(name, data, field, *needles, settings_overrides=None):
    return pytest.param(data, field, needles, settings_overrides or {}, id=name)


ZIP = zip_bytes({"a.jpg": b"x"})

BAD_REQUESTS = [
    _bad("nothing-sent", {}, "files", "nothing to import"),
    _bad("manifest-alone", {"manifest": ("m.jsonl", b'{"file": "a.jpg"}\n')}, "files", "manifest alone"),
    _bad("not-a-zip", {"archive": ("set.zip", b"PK not really")}, "archive", "`set.zip` is not a zip file"),
    _bad("two-archives", {"archive": [("a.zip", ZIP), ("b.zip", ZIP)]}, "archive", "at most one archive"),
    _bad(
        "two-manifests",
        {"archive": ("a.zip", ZIP), "manifest": [("m.jsonl", b"{}"), ("n.csv", b"file")]},
        "manifest",
        "at most one manifest",
    ),
    _bad(
        "absolute-path",
        {"archive": ("a.zip", zip_bytes({"ok.jpg": b"x", "/etc/passwd": b"x"}))},
        "archive",
        "`/etc/passwd`",
        "absolute path",
    ),
    _bad(
        "dot-dot",
        {"archive": ("a.zip", zip_bytes({"imgs/../../evil.jpg": b"x"}))},
        "archive",
        "`imgs/../../evil.jpg`",
        "`..`",
    ),
    _bad(
        "symlink",
        {"archive": ("a.zip", zip_bytes({"a.jpg": b"x"}, symlinks={"link.jpg": "/etc/passwd"}))},
        "archive",
        "`link.jpg`",
        "symbolic link",
    ),
    _bad(
        "zip-bomb",
        {"archive": ("a.zip", zip_bytes({"a.jpg": b"\0" * 50_000}))},
        "archive",
        "would unpack to",
        "more than the limit of 9.8 KB (VR_MAX_ARCHIVE_BYTES)",
        settings_overrides={"VR_MAX_ARCHIVE_BYTES": 10_000},
    ),
    _bad(
        "jsonl-bad-json",
        {"archive": ("a.zip", ZIP), "manifest": ("m.jsonl", b'{"file": "a.jpg"}\n{"file": \n')},
        "manifest",
        "manifest line 2",
        "bad JSON",
    ),
    _bad(
        "jsonl-missing-file",
        {"archive": ("a.zip", ZIP), "manifest": ("m.jsonl", b'{"file": "a.jpg"}\n\n{"prompt": "x"}\n')},
        "manifest",
        "manifest line 3: missing `file`",
    ),
    _bad(
        "jsonl-metadata-not-object",
        {"archive": ("a.zip", ZIP), "manifest": ("m.jsonl", b'{"file": "a.jpg", "metadata": [1, 2]}\n')},
        "manifest",
        "manifest line 1, key `metadata`: must be a JSON object, not an array",
    ),
    _bad(
        "jsonl-unknown-key",
        {"archive": ("a.zip", ZIP), "manifest": ("m.jsonl", b'{"file": "a.jpg", "promt": "x"}\n')},
        "manifest",
        "manifest line 1",
        "`promt`",
    ),
    _bad(
        "jsonl-duplicate-row",
        {"archive": ("a.zip", ZIP), "manifest": ("m.jsonl", b'{"file": "a.jpg"}\n{"file": "./a.jpg"}\n')},
        "manifest",
        "manifest line 2",
        "already listed on line 1",
    ),
    _bad(
        "jsonl-file-not-sent",
        {"archive": ("a.zip", ZIP), "manifest": ("m.jsonl", b'{"file": "a.jpg"}\n{"file": "missing.jpg"}\n')},
        "manifest",
        "manifest line 2",
        "`missing.jpg` is not among",
    ),
    _bad(
        "csv-no-file-column",
        {"files": ("a.jpg", b"x"), "manifest": ("m.csv", b"name,prompt\na.jpg,x\n")},
        "manifest",
        "manifest line 1",
        "no `file` column",
    ),
    _bad(
        "csv-bad-metadata",
        {"files": ("a.jpg", b"x"), "manifest": ("m.csv", b'file,metadata\na.jpg,"{not json"\n')},
        "manifest",
        "manifest line 2, column `metadata`: not valid JSON",
    ),
    _bad(
        "manifest-wrong-type",
        {"files": ("a.jpg", b"x"), "manifest": ("m.txt", b"a.jpg\n")},
        "manifest",
        "must be a .jsonl or .csv",
    ),
    _bad("unknown-field", {"file": ("a.jpg", b"x")}, "file", "unknown upload field `file`"),
    _bad("zip-without-media", {"archive": ("a.zip", zip_bytes({".hidden": b"x", "d/": b""}))}, "archive", "no media"),
]


@pytest.mark.parametrize("data, field, needles, overrides", BAD_REQUESTS)
def test_bad_import_requests_answer_400_and_create_nothing(
    data, field, needles, overrides, settings, manager_api, image_project, _media_root
):
    for key, value in overrides.items():
        setattr(settings, key, value)
    body = {}
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        body[key] = [upload(name, content) for name, content in values]
    response = manager_api.post(import_url(image_project), body, format="multipart")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert field in payload["errors"], payload
    text = " ".join(payload["errors"][field])
    for needle in needles:
        assert needle in text, (needle, payload)
        assert needle in payload["detail"], (needle, payload)
    assert not Job.objects.exists()
    assert not Asset.objects.exists()
    assert staging_dirs(_media_root) == []


def test_a_damaged_zip_entry_fails_that_file_and_leaves_no_staging(
    eager, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    """The request does not inflate (it cannot see a damaged entry); the job does, and records
    the damaged entry as a failed file with its reason, importing the rest."""
    good = zip_bytes({"a.jpg": jpeg_bytes() * 4, "b.jpg": jpeg_bytes()})
    # flip bytes inside a.jpg's compressed data: the CRC check fails while unpacking
    broken = bytearray(good)
    for i in range(60, 80):
        broken[i] ^= 0xFF
    response = post_import(
        manager_api, image_project, django_capture_on_commit_callbacks, archive=upload("a.zip", bytes(broken))
    )
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.result["imported"] == 1 and job.result["failed"] == 1
    (failure,) = job.result["failures"]
    assert failure["file"] == "a.jpg" and "damaged" in failure["reason"], failure
    assert "unpacking `a.zip`: 2 file(s)" in job.log and "unpacked 1 file(s) of `a.zip`" in job.log
    assert_disk_matches_rows(_media_root, image_project)
    assert staging_dirs(_media_root) == []


def test_staging_is_removed_when_the_job_transaction_fails(manager_api, image_project, _media_root, monkeypatch):
    import worker.imports.job as importing

    def boom(*args, **kwargs):
        raise RuntimeError("database said no")

    monkeypatch.setattr(importing, "create_job", boom)
    with pytest.raises(RuntimeError):
        manager_api.post(import_url(image_project), {"files": [upload("a.jpg", jpeg_bytes())]}, format="multipart")
    assert staging_dirs(_media_root) == [] and not Job.objects.exists()


# --- permissions --------------------------------------------------------------------------------


def test_only_managers_and_staff_import(people, image_project, eager, django_capture_on_commit_callbacks):
    data = {"files": [upload("a.jpg", jpeg_bytes())]}
    assert f.api(people["annotator"]).post(import_url(image_project), data, format="multipart").status_code == 403
    data = {"files": [upload("a.jpg", jpeg_bytes())]}
    assert f.api(people["researcher"]).post(import_url(image_project), data, format="multipart").status_code == 403
    data = {"files": [upload("a.jpg", jpeg_bytes())]}
    assert f.api(people["outsider"]).post(import_url(image_project), data, format="multipart").status_code == 404
    assert f.api().post(import_url(image_project), data, format="multipart").status_code in (401, 403)
    assert f.api(people["manager"]).post("/api/projects/999999/imports/", data, format="multipart").status_code == 404
    assert not Job.objects.exists()
    data = {"files": [upload("a.jpg", jpeg_bytes())]}
    with django_capture_on_commit_callbacks(execute=True):
        response = f.api(people["staff"]).post(import_url(image_project), data, format="multipart")
    assert response.status_code == 202


def test_schema_describes_the_multipart_import(client):
    import yaml

    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    operation = schema["paths"]["/api/projects/{project_id}/imports/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"202", "400"} <= set(operation["responses"])
    assert "/api/jobs/{id}/cancel/" in schema["paths"] and "/api/jobs/{id}/retry/" in schema["paths"]


def test_a_project_with_pair_tasks_on_pairs_the_imported_assets_of_one_prompt(
    eager, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    image_project.pair_tasks = True
    image_project.save(update_fields=["pair_tasks"])
    manifest = "\n".join(
        json.dumps({"file": name, "prompt": prompt})
        for name, prompt in (("a.jpg", "a red fox"), ("b.png", "a red fox"), ("c.jpg", "an owl"))
    )
    archive = zip_bytes({"a.jpg": jpeg_bytes(), "b.png": png_bytes(), "c.jpg": jpeg_bytes(color=(0, 0, 200))})
    response = post_import(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        archive=upload("batch.zip", archive),
        manifest=upload("rows.jsonl", manifest.encode()),
    )
    job = finished(response)
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    pairs = Task.objects.filter(project=image_project, kind=Task.Kind.PAIR)
    assert pairs.count() == 1 and {pairs[0].asset.prompt, pairs[0].asset_b.prompt} == {"a red fox"}
    assert "pair tasks: 1 new pair(s)" in Job.objects.get(pk=job.pk).log
