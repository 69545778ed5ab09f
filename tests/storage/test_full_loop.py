"""The whole loop on both storages, as a deployment across hosts runs it: a web server (gunicorn)
and TWO Celery workers, each with a scratch folder of its own (two hosts): one serves the
``media`` queue (imports), the other ``default`` and ``gpu`` (pre-fill, export, archive).

Through the HTTP API only (token auth), for a video project and an image project: upload a
sample through the import API, the import job transcodes it, the tiny offline LLaVA pre-fills
it, an annotator claims and submits the task, a manager exports the project, prepares the zip
and downloads it. Then the video's display copy is asked for with ``Range: bytes=0-99``:

- filesystem: the app answers 206 itself (everything on this host's MEDIA_ROOT);
- S3 (the moto server process of tests/s3.py): the app answers a 302 to the bucket (no media
  byte through Django) and the bucket answers the range, 206. The web server and both workers
  run with MEDIA_ROOT and VR_DATASETS_ROOT pointed at folders that do not exist, and they must
  still not exist at the end: every file went through the bucket.
"""

from __future__ import annotations

import io
import random
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from annotator.models import Membership, Project
from tests import factories as f
from tests.worker.preference_data import random_options

from ..guarantees.conftest import token

SAMPLES = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "samples"
FINISHED = {"succeeded", "failed", "cancelled"}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["filesystem", "s3"])
def backend(request):
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return None


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    from worker.prefill.tiny import build_tiny_llava

    return build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava")


class Api:
    """One user's HTTP client on the live web server."""

    def __init__(self, base: str, user):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token(user)}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.url(path), timeout=60, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.session.post(self.url(path), timeout=120, **kw)

    def job(self, job_id: int, timeout: float = 240) -> dict:
        """Wait on /api/jobs/<id>/ until the job has finished; it must have succeeded."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/api/jobs/{job_id}/").json()
            if body["state"] in FINISHED:
                break
            assert time.monotonic() < deadline, f"job {job_id} still {body['state']} after {timeout} s: {body}"
            time.sleep(0.3)
        assert body["state"] == "succeeded", (body["kind"], body["state"], body.get("error"), body.get("log"))
        return body


def run_loop(web_url: str, *, manager, annotator, project: Project, sample: Path, check) -> dict:
    """Import ``sample`` into ``project``, pre-fill, annotate, export, archive and download it,
    calling ``check(step)`` after each step. Returns the imported asset (as the API shows it)."""
    boss, rater = Api(web_url, manager), Api(web_url, annotator)

    # the import: the file uploaded through the API, processed by the media worker
    with open(sample, "rb") as handle:
        response = boss.post(f"/api/projects/{project.pk}/imports/", files={"files": (sample.name, handle)})
    assert response.status_code == 202, response.text
    imported = boss.job(response.json()["id"])
    assert imported["queue"] == "media" and imported["result"]["imported"] == 1, imported
    assets = boss.get(f"/api/projects/{project.pk}/assets/").json()["results"]
    assert [(a["original_name"], a["status"]) for a in assets] == [(sample.name, "ready")], assets
    asset = assets[0]
    assert {"original", "display", "thumbnail"} <= set(asset["urls"]), asset["urls"]
    if project.media_type == "video":
        assert asset["urls"]["poster"] and asset["urls"]["frames"], asset["urls"]
        assert asset["duration_seconds"] and asset["width"] and asset["height"], asset
    check("import", asset=asset)

    # pre-fill with the tiny model, on the other worker (queue gpu)
    response = boss.post(f"/api/projects/{project.pk}/prefill/", json={"model": "tiny-llava"})
    assert response.status_code == 202, response.text
    prefilled = boss.job(response.json()["id"])
    assert prefilled["queue"] == "gpu" and prefilled["result"]["predicted"] == 1, prefilled["result"]
    predictions = boss.get(f"/api/projects/{project.pk}/predictions/").json()
    assert predictions["count"] == 1, predictions
    check("pre-fill")

    # the annotator claims the task (its guess shown) and submits complete answers
    response = rater.post(f"/api/projects/{project.pk}/tasks/next/", json={})
    assert response.status_code == 200, response.text
    assignment = response.json()
    assert assignment["task"]["asset"]["id"] == asset["id"] and assignment["prediction"], assignment
    options = random_options(project.checklist_version.checklist, random.Random(project.pk))
    body = {"client_id": str(uuid.uuid4()), "options": options, "time_spent_ms": 30_000}
    response = rater.post(f"/api/assignments/{assignment['id']}/submit/", json=body)
    assert response.status_code == 201, response.text
    check("submit")

    # the export, then the zip prepared and downloaded
    name = f"loop-{project.media_type}"
    response = boss.post("/api/exports/", json={"name": name, "projects": [project.pk]})
    assert response.status_code == 202, response.text
    version_id = response.json()["dataset_version"]["id"]
    boss.job(response.json()["job"]["id"])
    version = boss.get(f"/api/dataset-versions/{version_id}/").json()
    assert version["state"] == "ready" and sum(version["row_counts"]["default"].values()) == 1, version
    check("export", version=version)
    response = boss.post(f"/api/dataset-versions/{version_id}/archives/", json={"archive": "zip"})
    assert response.status_code == 202, response.text
    boss.job(response.json()["job"]["id"])
    check("archive")
    response = boss.get(f"/api/dataset-versions/{version_id}/download/?archive=zip")
    assert response.status_code == 200, response.text[:2000]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    members = archive.namelist()
    assert any(m.endswith("README.md") for m in members), members
    assert any(m.endswith(".parquet") for m in members), members
    check("download")
    return asset


def test_import_prefill_annotate_export_archive_and_serve_across_two_worker_hosts(
    backend, stack, tiny_llava, tmp_path, _media_root, _datasets_root
):
    on_s3 = backend is not None
    stack.redis()
    if on_s3:
        media_root, datasets_root = backend.absent
        stack.env.update({**backend.env(), "MEDIA_ROOT": str(media_root), "VR_DATASETS_ROOT": str(datasets_root)})
    else:
        media_root, datasets_root = _media_root, _datasets_root
    staff, manager, annotator = f.user("admin", staff=True), f.user("manager"), f.user("rater")
    members = {manager: Membership.Role.MANAGER, annotator: Membership.Role.ANNOTATOR}
    projects = {kind: f.project(media_type=kind, name=f"{kind} loop", members=members) for kind in ("video", "image")}

    web = stack.web(workers=1, threads=4)
    scratch = {host: tmp_path / f"scratch-{host}" for host in ("media-host", "gpu-host")}
    hosts = {
        "media-host": stack.worker("media", name="media-host", env={"VR_SCRATCH_DIR": str(scratch["media-host"])}),
        "gpu-host": stack.worker("default,gpu", name="gpu-host", env={"VR_SCRATCH_DIR": str(scratch["gpu-host"])}),
    }

    # the tiny model registered through the API, run on the CPU by the gpu queue's worker
    model = {"name": "tiny-llava", "source": str(tiny_llava), "device": "cpu", "dtype": "float32", "queue": "gpu"}
    response = Api(web.url, staff).post("/api/models/", json=model)
    assert response.status_code == 201, response.text

    def check(step: str, asset: dict | None = None, version: dict | None = None) -> None:
        """After each step: on S3 nothing on this host's folders, and what was made is in the bucket."""
        if not on_s3:
            return
        for folder in (media_root, datasets_root):
            written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))[:10] if folder.exists() else []
            assert not folder.exists(), f"the {step} wrote {folder} on VR_STORAGE=s3: {written}"
        keys = backend.keys()
        if asset is not None:
            prefix = f"media/projects/{asset['project']}/assets/{asset['id']}/"
            assert any(k.startswith(prefix) for k in keys), f"the {step} left no object under {prefix}: {keys}"
        if version is not None:
            prefix = f"datasets/{version['name']}/v{version['version']}/"
            assert f"{prefix}README.md" in keys, f"the {step} left no {prefix}README.md in the bucket: {keys}"

    videos = {}
    for kind, name in (("video", "test1.mp4"), ("image", "test1.jpg")):
        videos[kind] = run_loop(
            web.url, manager=manager, annotator=annotator, project=projects[kind], sample=SAMPLES / name, check=check
        )

    # the video's display copy, seeked into as a browser's <video> does
    rater = Api(web.url, annotator)
    display = videos["video"]["urls"]["display"]
    answer = rater.get(display, headers={"Range": "bytes=0-99"}, allow_redirects=False)
    if on_s3:
        assert answer.status_code == 302, (answer.status_code, answer.headers)
        location = answer.headers["Location"]
        assert urlsplit(location).netloc == urlsplit(backend.server.endpoint).netloc, location
        assert backend.bucket in location and "X-Amz-Signature=" in location, location
        assert len(answer.content) < 1000  # no media bytes through Django
        ranged = requests.get(location, headers={"Range": "bytes=0-99"}, timeout=30)  # no token: the URL is the key
    else:
        ranged = answer
    assert ranged.status_code == 206, (ranged.status_code, ranged.headers)
    assert len(ranged.content) == 100 and ranged.headers["Content-Range"].startswith("bytes 0-99/")
    assert ranged.headers["Content-Type"] == "video/mp4"
    assert ranged.content[4:8] == b"ftyp"  # an MP4's first box
    # nobody outside the project is sent anywhere
    outsider = Api(web.url, f.user("outsider"))
    assert outsider.get(display, allow_redirects=False).status_code == 404

    # each job ran on the host of its queue
    ran = {host: worker.output(last=10**6) for host, worker in hosts.items()}
    assert ran["media-host"].count("worker.tasks.run_import_job[") >= 2, ran["media-host"][-3000:]
    for task in ("run_prefill_job", "run_export_job", "run_archive_job"):
        assert f"worker.tasks.{task}[" in ran["gpu-host"] and f"worker.tasks.{task}[" not in ran["media-host"], task

    if on_s3:
        # every worker worked in its own scratch folder, and left no file there
        for host, folder in scratch.items():
            assert (folder / "vr-scratch").is_dir(), f"{host} never used its VR_SCRATCH_DIR"
            left = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]
            assert not left, f"{host} left files in its scratch folder: {left[:10]}"
        keys = backend.keys()
        for kind in ("video", "image"):
            prefix = f"media/projects/{projects[kind].pk}/"
            assert any(k.startswith(prefix) for k in keys), (prefix, keys)
        assert any(k.startswith("datasets/loop-video/") for k in keys), keys
        assert any(k.startswith("datasets/") and k.endswith(".zip") for k in keys), keys
        for folder in (media_root, datasets_root):
            assert not folder.exists(), f"{folder} was written on VR_STORAGE=s3"
    else:
        assert any((media_root / "projects" / str(projects["video"].pk)).rglob("*.mp4"))
        assert (datasets_root / "loop-video" / "v1" / "README.md").is_file()
