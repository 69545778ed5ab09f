"""POST /api/projects/{id}/imports/label-studio/: preview and import of a Label Studio export, its
URLs fetched from a real local server by the import job, an upload path matched to a zip entry."""

from __future__ import annotations

import json

import pytest

from annotator.models import Asset, Task
from tests import factories as f
from worker.models import Job

from .conftest import assert_disk_matches_rows, jpeg_bytes, png_bytes, staging_dirs, upload, zip_bytes
from .http_server import MediaServer

pytestmark = pytest.mark.django_db


def url(project) -> str:
    return f"/api/projects/{project.pk}/imports/label-studio/"


@pytest.fixture
def server():
    with MediaServer({"cat.jpg": jpeg_bytes(), "dog.png": png_bytes()}) as running:
        yield running


def ls_export(server) -> bytes:
    return json.dumps(
        [
            {
                "id": 101,
                "data": {"image": server.url("/files/cat.jpg"), "prompt": "a cat on a sofa", "batch": "b1"},
                "annotations": [{"id": 9, "result": [{"type": "choices", "value": {"choices": ["good"]}}]}],
            },
            {"id": 102, "data": {"image": server.url("/files/dog.png"), "prompt": "a dog"}},
            {"id": 103, "data": {"image": "/data/upload/7/5d1c2a90-owl.jpg", "prompt": "an owl"}},
            {"id": 104, "data": {"image": server.url("/files/gone.jpg"), "prompt": "missing"}},
            {"id": 105, "data": {"image": "/data/upload/../../etc/passwd", "prompt": "hostile"}},
            {"id": 106, "data": {"prompt": "no media at all"}},
        ]
    ).encode()


def test_preview_then_import_a_label_studio_export(
    eager, settings, server, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/32"
    archive = zip_bytes({"upload/7/5d1c2a90-owl.jpg": jpeg_bytes(80, 60), "upload/7/unused.jpg": jpeg_bytes()})
    preview = manager_api.post(
        url(image_project),
        {
            "export": upload("project-7.json", ls_export(server)),
            "archive": upload("upload.zip", archive),
            "preview": "true",
        },
        format="multipart",
    )
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["format"] == "json" and body["task_count"] == 6
    assert body["suggested"] == {"media_key": "image", "prompt_key": "prompt"}
    assert body["media_key"] == "image" and body["prompt_key"] == ""
    assert {k["key"] for k in body["keys"]} == {"image", "prompt", "batch"}
    assert body["importable"] == 4 and body["to_download"] == 3 and body["files_alongside"] == 2
    assert (
        body["tasks"][2]["matched_file"] == "upload/7/5d1c2a90-owl.jpg" and body["tasks"][2]["media_source"] == "file"
    )
    assert [p["index"] for p in body["problems"]] == [5, 6]
    assert "path traversal is refused" in body["problems"][0]["reason"]
    assert Job.objects.count() == 0 and server.requests == []  # a preview stores and fetches nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(
            url(image_project),
            {
                "export": upload("project-7.json", ls_export(server)),
                "archive": upload("upload.zip", archive),
                "media_key": "image",
                "prompt_key": "prompt",
            },
            format="multipart",
        )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.kind == "import" and job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assert job.params["source"] == "Label Studio export `project-7.json` (media `image`, prompt `prompt`)"
    assert job.result["total"] == 6 and job.result["imported"] == 3 and job.result["failed"] == 3
    assert job.result["ignored"] == 1  # unused.jpg
    ready = {a.prompt: a for a in Asset.objects.filter(import_job_id=job.pk, status=Asset.Status.READY)}
    assert set(ready) == {"a cat on a sofa", "a dog", "an owl"}
    assert ready["a cat on a sofa"].metadata == {"batch": "b1", "label_studio_task_id": 101}
    assert ready["an owl"].width == 80 and ready["an owl"].original_name == "upload/7/5d1c2a90-owl.jpg"
    assert Task.objects.filter(asset__in=ready.values()).count() == 3
    reasons = [f["reason"] for f in job.result["failures"]]
    assert reasons[0] == "the server answered 404 Not Found"
    assert reasons[1].startswith("task 5 (id 105): `data.image` ") and "path traversal" in reasons[1]
    assert reasons[2] == "task 6 (id 106): `data` has no `image` key"
    assert_disk_matches_rows(_media_root, image_project)
    assert staging_dirs(_media_root) == []


def test_an_upload_path_without_the_files_fails_that_task_and_says_what_to_send(
    eager, settings, server, manager_api, image_project, django_capture_on_commit_callbacks
):
    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/32"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(
            url(image_project),
            {"export": upload("e.json", ls_export(server)), "media_key": "image"},
            format="multipart",
        )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.result["imported"] == 2
    owl = next(f for f in job.result["failures"] if "owl" in f["reason"])
    assert "is a file of the Label Studio server: send its upload folder alongside" in owl["reason"]


def _bad(name, data, field_name, needle):
    return pytest.param(data, field_name, needle, id=name)


@pytest.mark.parametrize(
    ("data", "field_name", "needle"),
    [
        _bad("no-export", {"media_key": "image"}, "export", "send the Label Studio export"),
        _bad("not-json", {"export": ("e.json", b"<html>")}, "export", "not valid JSON"),
        _bad("object", {"export": ("e.json", b'{"data": {"image": "a"}}')}, "export", "holds an object"),
        _bad("empty-list", {"export": ("e.json", b"[]")}, "export", "holds no tasks"),
        _bad(
            "no-media-key",
            {"export": ("e.json", b'[{"data": {"image": "https://x.org/a.jpg"}}]')},
            "media_key",
            "choose the `data` key",
        ),
        _bad(
            "unknown-media-key",
            {"export": ("e.json", b'[{"data": {"image": "https://x.org/a.jpg"}}]'), "media_key": "picture"},
            "media_key",
            "`picture` is not a key of the tasks' `data` (keys found: `image`)",
        ),
        _bad(
            "unknown-prompt-key",
            {
                "export": ("e.json", b'[{"data": {"image": "https://x.org/a.jpg"}}]'),
                "media_key": "image",
                "prompt_key": "txt",
            },
            "prompt_key",
            "`txt` is not a key",
        ),
        _bad(
            "all-tasks-bad",
            {"export": ("e.json", b'[{"data": {"image": "/etc/passwd"}}, 3]'), "media_key": "image"},
            "export",
            "none of the 2 task(s) can be imported",
        ),
        _bad(
            "bad-zip",
            {
                "export": ("e.json", b'[{"data": {"image": "a.jpg"}}]'),
                "media_key": "image",
                "archive": ("u.zip", b"PK no"),
            },
            "archive",
            "is not a zip file",
        ),
        _bad(
            "zip-traversal",
            {
                "export": ("e.json", b'[{"data": {"image": "a.jpg"}}]'),
                "media_key": "image",
                "archive": ("u.zip", zip_bytes({"../../a.jpg": b"x"})),
            },
            "archive",
            "`..`",
        ),
        _bad(
            "unknown-field",
            {"export": ("e.json", b"[]"), "manifest": ("m.jsonl", b"{}")},
            "manifest",
            "unknown upload field",
        ),
    ],
)
def test_bad_requests_name_the_field_and_create_nothing(
    data, field_name, needle, manager_api, image_project, _media_root
):
    body = {k: (upload(*v) if isinstance(v, tuple) else v) for k, v in data.items()}
    response = manager_api.post(url(image_project), body, format="multipart")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field_name in errors and any(needle in m for m in errors[field_name]), errors
    assert Job.objects.count() == 0 and staging_dirs(_media_root) == []


def test_only_managers_import(people, image_project):
    export = b'[{"data": {"image": "https://x.org/a.jpg"}}]'
    for who, expected in (("annotator", 403), ("researcher", 403), ("outsider", 404)):
        response = f.api(people[who]).post(
            url(image_project), {"export": upload("e.json", export), "preview": "true"}, format="multipart"
        )
        assert response.status_code == expected, (who, response.content)
