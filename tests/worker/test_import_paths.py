"""POST /api/projects/{id}/imports/ with `paths`: a folder chosen in the browser keeps each file's
place in it (the asset's name, what a manifest's `file` matches), which the bare upload name
(stripped to its last part by browsers and Django) cannot."""

from __future__ import annotations

import json

import pytest

from annotator.models import Asset
from worker.models import Job

from .conftest import import_url, jpeg_bytes, png_bytes, staging_dirs, upload

pytestmark = pytest.mark.django_db


def post(client, project, capture, **data):
    with capture(execute=True):
        return client.post(import_url(project), data, format="multipart")


def test_paths_name_the_assets_and_match_the_manifest(
    eager, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    manifest = "\n".join(
        json.dumps(row)
        for row in [
            {"file": "cats/a.jpg", "prompt": "a red cat", "metadata": {"seed": 1}},
            {"file": "dogs/a.jpg", "prompt": "a blue dog"},
        ]
    )
    response = post(
        manager_api,
        image_project,
        django_capture_on_commit_callbacks,
        # two files of the same name in different folders: told apart by their paths
        files=[
            upload("a.jpg", jpeg_bytes()),
            upload("a.jpg", jpeg_bytes(color=(0, 0, 200))),
            upload("b.png", png_bytes()),
        ],
        paths=["cats/a.jpg", "dogs/a.jpg", "b.png"],
        manifest=[upload("manifest.jsonl", manifest.encode())],
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, (job.error, job.log)
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    assert set(assets) == {"cats/a.jpg", "dogs/a.jpg"}  # b.png is not in the manifest: ignored
    assert assets["cats/a.jpg"].prompt == "a red cat" and assets["cats/a.jpg"].metadata == {"seed": 1}
    assert assets["dogs/a.jpg"].prompt == "a blue dog"
    assert job.result["ignored"] == 1


def test_without_paths_files_keep_their_upload_names(
    eager, manager_api, image_project, _media_root, django_capture_on_commit_callbacks
):
    response = post(
        manager_api, image_project, django_capture_on_commit_callbacks, files=[upload("x.jpg", jpeg_bytes())]
    )
    assert response.status_code == 202, response.content
    assert list(Asset.objects.values_list("original_name", flat=True)) == ["x.jpg"]


@pytest.mark.parametrize(
    "paths, needle",
    [
        (["a.jpg"], "send one path per file, in order: got 1 path(s) for 2 file(s)"),
        (["../etc/a.jpg", "b.jpg"], "path 1 `../etc/a.jpg` must not contain `..`"),
        (["a.jpg", "/abs/b.jpg"], "path 2 `/abs/b.jpg` must be relative"),
        (["C:/x/a.jpg", "b.jpg"], "path 1 `C:/x/a.jpg` must be relative"),
        (["a.jpg", " "], "path 2 ` ` is empty"),
        (["a\x00.jpg", "b.jpg"], "path 1"),
        (["d/" + "x" * 600, "b.jpg"], "longer than 500 characters"),
    ],
)
def test_bad_paths_answer_400_naming_the_path_and_create_nothing(
    paths, needle, manager_api, image_project, _media_root
):
    body = {"files": [upload("a.jpg", jpeg_bytes()), upload("b.jpg", jpeg_bytes())], "paths": paths}
    response = manager_api.post(import_url(image_project), body, format="multipart")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert "paths" in payload["errors"], payload
    assert needle in " ".join(payload["errors"]["paths"]), payload
    assert not Job.objects.exists() and not Asset.objects.exists()
    assert staging_dirs(_media_root) == []


def test_the_schema_documents_paths(manager_api):
    schema = manager_api.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/projects/{project_id}/imports/"]["post"]["requestBody"]["content"]
    props = body["multipart/form-data"]["schema"]
    ref = props["$ref"].rsplit("/", 1)[-1] if "$ref" in props else None
    fields = schema["components"]["schemas"][ref]["properties"] if ref else props["properties"]
    assert fields["paths"]["type"] == "array" and "relative path" in fields["paths"]["description"]
