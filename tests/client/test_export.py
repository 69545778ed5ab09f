"""The issue's "done when": on the demo of `make run` (load_demo), `vr export --project demo
--wait` makes a dataset version, and its download is a folder `datasets.load_dataset` reads;
then `vr push` publishes it to a local server speaking the Hub's endpoints (tests/hub_server.py)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from annotator.models import Project
from datasets_app.models import DatasetArchive, DatasetVersion
from tests.hub_server import WRITE_TOKEN, fake_hub_fixture
from worker.jobs import execute

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, demo_models_root, manager):
    settings.VR_MODELS_ROOT = demo_models_root
    call_command("load_demo", stdout=io.StringIO())
    image = Project.objects.get(name="VisionReward image demo")
    image.memberships.create(user=manager, role="manager")
    return image


@pytest.fixture
def fake_hub(settings, monkeypatch):
    hub = fake_hub_fixture(settings, monkeypatch)
    yield hub
    hub.stop()


def test_export_the_demo_wait_download_and_load_it_with_datasets(run, demo, vr, tmp_path, eager, fake_hub, settings):
    from datasets import load_dataset

    code, out, err = run("export", "--project", "demo", "--wait", "--download", tmp_path / "got", "--json")
    assert code == 0, err
    version = out["dataset_version"]
    assert version["state"] == "ready" and version["projects"] == [demo.id] and out["job"]["state"] == "succeeded"
    assert version["label"] == "visionreward-image-demo v1"
    folder = tmp_path / "got" / "visionreward-image-demo-v1"
    assert out["download"]["path"] == str(folder) and out["download"]["files"] == len(version["files"])
    loaded = load_dataset(str(folder))
    rows = DatasetVersion.objects.get(pk=version["id"]).row_counts["default"]
    assert {split: len(loaded[split]) for split in loaded} == rows and sum(rows.values()) > 0
    assert {"prompt", "answers"} <= set(loaded[next(iter(loaded))].column_names)

    code, versions, _ = run("datasets", "--json")
    demo_mpo = DatasetVersion.objects.get(name="demo-mpo-image")  # load_demo's dominance-pairs version
    assert code == 0 and sorted(v["id"] for v in versions) == sorted([version["id"], demo_mpo.pk])
    code, again, err = run("download", "visionreward-image-demo-v1", "--dest", tmp_path / "again", "--json")
    assert code == 0, err
    assert again["files"] == out["download"]["files"] and again["bytes"] == out["download"]["bytes"]
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == ["visionreward-image-demo-v1"]
    downloaded = vr.download(version["id"], tmp_path / "api")  # the same through the Python client
    assert downloaded.path.is_dir() and downloaded.version.content_hash == version["content_hash"]

    # no archive built yet and jobs in the background: the download answers 202 with the archive
    # job, the client waits for it (here the test runs the job when the client first sees it)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    DatasetArchive.objects.filter(version_id=version["id"]).delete()
    ran = []

    def run_the_job(job):
        if not job.finished and job.id not in ran:
            ran.append(job.id)
            execute(job.id)

    later = vr.download(version["id"], tmp_path / "later", on_progress=run_the_job, poll=0.1)
    assert len(ran) == 1 and later.files == downloaded.files and later.bytes == downloaded.bytes
    settings.CELERY_TASK_ALWAYS_EAGER = True

    # and to the Hub (a local server speaking its endpoints), with a token for this push only
    code, job, err = run("push", version["id"], "--repo", "lab/vr-demo", "--hub-token", WRITE_TOKEN, "--wait", "--json")
    assert code == 0, err
    assert job["kind"] == "push" and job["state"] == "succeeded"
    assert job["result"]["url"] == f"{fake_hub.url}/datasets/lab/vr-demo"
    assert {auth for _, _, auth in fake_hub.requests} == {f"Bearer {WRITE_TOKEN}"}
    code, out, _ = run("push", version["id"], "--repo", "not a repo", "--json")
    assert code == 1 and "repo_id" in out["error"]["errors"]
