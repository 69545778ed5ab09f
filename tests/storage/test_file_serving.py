"""Stored files reach browsers without the app server sending them, on both backends.

On the filesystem the app streams the file (Range answered with 206). On VR_STORAGE=s3 the app
checks who may read it and answers ``302`` to a presigned URL of the object, with
``Cache-Control: no-store`` and no body; the bucket (the moto server process) then answers the
bytes, Range requests included, typed and disposed as the serving policy says. Names in a row
are never paths: one that leaves the storage answers 404 on both backends.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone

from annotator import storage
from annotator.files import MEDIA_CSP, VIDEO_CSP
from datasets_app.models import DatasetArchive, DatasetVersion
from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 4  # 1 KiB, every range distinct


@pytest.fixture(params=["filesystem", "s3"])
def backend(request):
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return None


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def follow(response, **headers) -> httpx.Response:
    """What the browser does with the app's answer on S3: fetch the presigned URL."""
    assert response.status_code == 302, (response.status_code, body(response)[:200])
    assert response["Cache-Control"] == "no-store"
    assert body(response) == b""
    return httpx.get(response["Location"], headers=headers, timeout=30)


def test_a_members_asset_file_whole_and_by_range(backend, settings):
    settings.VR_S3_URL_SECONDS = 123
    ann, stranger = user("ann"), user("stranger")
    asset = ready_asset(project(members={ann: "annotator"}), content=CONTENT, name="holiday photo.jpg")
    url = f"/api/assets/{asset.pk}/files/original"
    whole, part = api(ann).get(url), api(ann).get(url, HTTP_RANGE="bytes=100-199")
    if backend is None:
        assert whole.status_code == 200 and body(whole) == CONTENT
        assert part.status_code == 206 and body(part) == CONTENT[100:200]
        assert part["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
        assert whole["Content-Security-Policy"] == MEDIA_CSP and whole["X-Content-Type-Options"] == "nosniff"
    else:
        location = urlsplit(whole["Location"])
        assert f"{location.scheme}://{location.netloc}" == backend.server.endpoint
        query = parse_qs(location.query)
        assert query["X-Amz-Expires"] == ["123"] and query["response-content-type"] == ["image/jpeg"]
        fetched = follow(whole)
        assert fetched.status_code == 200 and fetched.content == CONTENT
        assert fetched.headers["content-type"] == "image/jpeg"
        assert "content-disposition" not in fetched.headers  # inline: <img> shows it
        ranged = follow(part, Range="bytes=100-199")  # a <video>'s seek: the bucket answers it
        assert ranged.status_code == 206 and ranged.content == CONTENT[100:200]
        assert ranged.headers["content-range"] == f"bytes 100-199/{len(CONTENT)}"
        assert backend.keys() == sorted(f"media/{name}" for name in _names(asset))
        # the same URL while it has most of its life left: the browser's cache hits the second time
        again = api(ann).get(url)
        assert again.status_code == 302 and again["Location"] == whole["Location"]
        thumbnail = api(ann).get(f"/api/assets/{asset.pk}/files/thumbnail")
        assert thumbnail["Location"] != whole["Location"]
    # who may not read it gets nothing, not even a URL
    refused = api(stranger).get(url)
    assert refused.status_code == 404 and "Location" not in refused
    assert api().get(url).status_code in (401, 403)
    assert api(ann).get(f"/api/assets/{asset.pk}/files/frames/7").status_code == 404


def _names(asset) -> list[str]:
    files = asset.files
    return sorted({files["original"], files["thumbnail"], *(f["file"] for f in files["frames"])})


def test_a_file_missing_from_storage_or_named_outside_it_is_404(backend, tmp_path, settings):
    ann = user("ann")
    asset = ready_asset(project(members={ann: "annotator"}))
    storage.media_storage().delete(asset.files["thumbnail"])
    assert api(ann).get(f"/api/assets/{asset.pk}/files/thumbnail").status_code == 404
    # a row naming a path (an old row, a hostile edit): never followed out of the storage
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"secret")
    for hostile in ("../../../../etc/passwd", str(secret), "projects/../../secret.jpg", "a//b.jpg", "./x.jpg"):
        asset.files = {**asset.files, "display": hostile}
        asset.save(update_fields=["files"])
        answer = api(ann).get(f"/api/assets/{asset.pk}/files/display")
        assert answer.status_code == 404 and "Location" not in answer, hostile
    assert api(ann).get(f"/api/assets/{asset.pk}/files/../../../etc/passwd").status_code == 404


def test_a_symlink_out_of_the_media_folder_is_404(settings, tmp_path):
    ann = user("ann")
    asset = ready_asset(project(members={ann: "annotator"}))
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"secret")
    link = storage.local_path(storage.media_storage(), asset.files["display"])
    link.unlink()
    link.symlink_to(secret)
    assert api(ann).get(f"/api/assets/{asset.pk}/files/display").status_code == 404


def test_a_video_keeps_its_type_and_anything_unknown_is_only_a_download(backend):
    ann = user("ann")
    asset = ready_asset(project(media_type="video", members={ann: "annotator"}), name="clip.mp4")
    folder = asset.files["original"].rsplit("/", 1)[0]
    media = storage.media_storage()
    storage.put_bytes(media, f"{folder}/display.mp4", CONTENT)
    storage.put_bytes(media, f"{folder}/legacy.svg", b"<svg onload='alert(1)'/>")
    asset.files = {**asset.files, "display": f"{folder}/display.mp4", "original": f"{folder}/legacy.svg"}
    asset.save(update_fields=["files"])
    video = api(ann).get(f"/api/assets/{asset.pk}/files/display")
    original = api(ann).get(f"/api/assets/{asset.pk}/files/original")
    if backend is None:
        assert video["Content-Type"] == "video/mp4" and video["Content-Security-Policy"] == VIDEO_CSP
        assert original["Content-Type"] == "application/octet-stream"
        assert original["Content-Disposition"] == 'attachment; filename="clip.svg"'
        return
    video, original = follow(video), follow(original)
    assert video.headers["content-type"] == "video/mp4" and video.content == CONTENT
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"] == 'attachment; filename="clip.svg"'


def test_a_built_archive_is_downloaded_from_storage(backend):
    boss = user("boss")
    p = project(members={boss: "manager"})
    version = DatasetVersion.objects.create(
        name="hpd",
        version=1,
        checklist_version=p.checklist_version,
        state=DatasetVersion.State.READY,
        content_hash="ab" * 32,
        path="hpd/v1",
        created_by=boss,
    )
    version.projects.add(p)
    name = storage.put_bytes(storage.datasets_storage(), f".archives/hpd-v1-{'ab' * 6}.zip", CONTENT)
    DatasetArchive.objects.create(
        version=version, format="zip", state="ready", file=name, size=len(CONTENT), built_at=timezone.now()
    )
    url = f"/api/dataset-versions/{version.pk}/download/?archive=zip"
    answer = api(boss).get(url)
    if backend is None:
        assert answer.status_code == 200 and body(answer) == CONTENT
        assert answer["Content-Disposition"] == 'attachment; filename="hpd-v1.zip"'
        ranged = api(boss).get(url, HTTP_RANGE="bytes=100-199")
        assert ranged.status_code == 206 and body(ranged) == CONTENT[100:200]
    else:
        fetched = follow(answer)
        assert fetched.status_code == 200 and fetched.content == CONTENT
        assert fetched.headers["content-disposition"] == 'attachment; filename="hpd-v1.zip"'
        assert fetched.headers["content-type"] == "application/octet-stream"
        ranged = follow(api(boss).get(url), Range="bytes=100-199")
        assert ranged.status_code == 206 and ranged.content == CONTENT[100:200]
    assert api(user("eve")).get(url).status_code == 404
