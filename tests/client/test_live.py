"""The client and `vr` against the live test server: login and whoami, refused tokens, paging,
imports, predictions in batches, refits, errors carrying the API's message, --json output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from visionreward_client import AuthenticationError, Client, NotFound, PermissionDenied, ValidationError
from visionreward_client.config import config_path

from annotator.models import Asset, PersonalToken, Prediction, Task
from annotator.services import tokens
from tests.e2e.fixtures import make_user
from tests.worker.preference_data import answer, random_options, rate
from worker.weights.refit import start_refit

pytestmark = pytest.mark.django_db(transaction=True)
SAMPLES = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "samples"


def test_login_saves_the_token_privately_and_whoami_reads_it(run, live_server, token):
    code, out, _ = run("login", "--url", live_server.url, "--token", token, "--json", env=False)
    assert code == 0 and out["user"]["username"] == "mona" and out["api_version"] == "0.1.0"
    saved = config_path()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and token in saved.read_text()

    code, out, _ = run("whoami", "--json", env=False)  # no --url, no VR_*: the saved login
    assert code == 0 and out == {"user": out["user"], "url": live_server.url} and out["user"]["username"] == "mona"
    code, out, _ = run("version", "--json", env=False)
    assert (code, out["compatible"], out["api_version"]) == (0, True, "0.1.0")

    code, out, _ = run("logout", "--json", env=False)
    assert code == 0 and out["removed"] and not saved.exists()
    code, out, _ = run("whoami", "--json", env=False)
    assert code == 3 and out["error"]["type"] == "ConfigError" and "vr login" in out["error"]["message"]


def test_a_refused_token_exits_3_with_the_api_message(run, live_server, token):
    code, out, _ = run("whoami", "--json", token="vrp_" + "x" * 43)
    assert code == 3 and out["error"]["type"] == "AuthenticationError" and "token" in out["error"]["message"].lower()
    code, _, err = run("projects", token="vrp_" + "y" * 43)  # an endpoint that needs a login: 403 from the API
    assert code == 3 and "error:" in err and "vr login" in err
    code, out, _ = run("login", "--url", live_server.url, "--token", "nonsense", "--json", env=False)
    assert code == 3 and not config_path().exists()
    with Client(live_server.url, "vrp_" + "z" * 43) as anonymous, pytest.raises(AuthenticationError):
        list(anonymous.projects())
    revoked = PersonalToken.objects.get(prefix=token[:12])
    tokens.revoke(revoked)
    code, out, _ = run("projects", "--json", token=token)
    assert code == 3 and "was revoked" in out["error"]["message"] and out["error"]["status"] == 403


def test_tasks_and_annotations_are_paged_iterators_over_every_page(vr, project, manager, rng):
    assets = Asset.objects.bulk_create(
        Asset(project=project, kind="image", status="ready", original_name=f"{n}.jpg", prompt="a cat")
        for n in range(230)
    )
    Task.objects.bulk_create(Task(project=project, kind=Task.Kind.SINGLE, asset=a) for a in assets)
    tasks = vr.tasks(project.id, page_size=100)
    assert iter(tasks) is tasks and not isinstance(tasks, list)  # nothing fetched until asked
    first = next(tasks)
    ids = [first["id"], *(t["id"] for t in tasks)]
    assert len(ids) == len(set(ids)) == 230 and set(ids) == set(Task.objects.values_list("id", flat=True))
    assert sum(1 for _ in vr.tasks(project.name, status="open", page_size=1000)) == 230
    ann = make_user("ann")
    project.memberships.create(user=ann, role="annotator")
    for a in assets[:3]:
        answer(a, ann, random_options(project.checklist_version.checklist, rng))
    assert len(list(vr.annotations(project, page_size=2))) == 3


def test_a_folder_import_with_its_manifest_runs_its_job(run, project, tmp_path, eager):
    folder = tmp_path / "batch"
    (folder / "cats").mkdir(parents=True)
    (folder / "cats" / "one.jpg").write_bytes((SAMPLES / "test1.jpg").read_bytes())
    (folder / "two.jpg").write_bytes((SAMPLES / "test2.jpg").read_bytes())
    (folder / "manifest.jsonl").write_text(
        '{"file": "cats/one.jpg", "prompt": "a cat on a mat"}\n{"file": "two.jpg", "prompt": "a dog"}\n'
    )
    code, job, err = run("import", folder, "--project", "client image", "--wait", "--json")
    assert code == 0, err
    assert job["kind"] == "import" and job["state"] == "succeeded"
    assert dict(Asset.objects.filter(project=project).values_list("original_name", "prompt")) == {
        "cats/one.jpg": "a cat on a mat",
        "two.jpg": "a dog",
    }
    code, out, _ = run("import", tmp_path / "nothing-here.jpg", "--project", project.id, "--json")
    assert code == 2 and "not a file" in out["error"]["message"]


def test_predictions_are_pushed_in_batches_all_or_nothing(vr, project, run, tmp_path):
    assets = [
        Asset.objects.create(project=project, kind="image", status="ready", original_name=f"{n}.jpg") for n in range(7)
    ]
    keys = [q.key for q in project.checklist_version.checklist.questions]
    rows = [{"asset": a.id, "model_name": "my-model", "p_yes": {k: 0.25 for k in keys}} for a in assets]
    batches = []
    assert vr.push_predictions(project, rows, batch_size=3, on_batch=batches.append) == 7
    assert batches == [3, 6, 7] and Prediction.objects.filter(model_name="my-model").count() == 7
    assert sum(1 for _ in vr.predictions(project, model_name="my-model")) == 7

    bad = [dict(rows[0], model_name="second"), dict(rows[1], model_name="second", p_yes={keys[0]: 1.5})]
    with pytest.raises(ValidationError) as refused:
        vr.push_predictions(project, bad)
    assert refused.value.status == 400 and "predictions" in str(refused.value.errors)
    assert "[1]" in refused.value.message and not Prediction.objects.filter(model_name="second").exists()

    lines = tmp_path / "p.jsonl"
    lines.write_text(
        "\n".join(
            f'{{"asset": {a.id}, "p_yes": {{{", ".join(f"{k!r}: 0.5" for k in keys)}}}}}'.replace("'", '"')
            for a in assets
        )
    )
    code, out, err = run("predictions", lines, "--project", project.id, "--model-name", "cli-model", "--json")
    assert (code, out) == (0, {"saved": 7}), err


def test_a_refit_waits_for_its_job_and_a_failed_one_exits_5(
    run, project, manager, rng, eager, django_capture_on_commit_callbacks
):
    ann = make_user("ann")
    project.memberships.create(user=ann, role="annotator")
    assets = [
        Asset.objects.create(project=project, kind="image", status="ready", original_name=f"{n}.jpg", prompt="a fox")
        for n in range(5)
    ]
    for a in assets:
        Task.objects.create(project=project, kind=Task.Kind.SINGLE, asset=a)
        answer(a, ann, random_options(project.checklist_version.checklist, rng))
    code, out, _ = run("refit", "--project", project.id, "--min-pairs", "5", "--wait", "--json")
    assert code == 1 and out["error"]["type"] == "ValidationError" and "pairs" in out["error"]["message"]
    with django_capture_on_commit_callbacks(execute=True):  # a refit that fails when it runs
        failed = start_refit(project, manager, {"min_pairs": 5})
    code, out, _ = run("jobs", failed.pk, "--wait", "--json")
    assert code == 5 and out["error"]["type"] == "JobFailed" and out["error"]["job"]["state"] == "failed"
    assert "Only 0 pairs" in out["error"]["message"]

    for i in range(5):
        for j in range(i + 1, 5):
            pair = Task.objects.create(project=project, kind=Task.Kind.PAIR, asset=assets[i], asset_b=assets[j])
            rate(pair, ann, rng.choice([1, 2, 4, 5]))
    code, job, err = run("refit", "--project", "client image project", "--min-pairs", "5", "--wait", "--json")
    assert code == 0, err
    assert job["kind"] == "refit" and job["state"] == "succeeded" and job["result"]["weight_set"]
    code, jobs, _ = run("jobs", "--project", project.id, "--kind", "refit", "--json")
    assert code == 0 and [j["state"] for j in jobs] == ["succeeded", "failed"]


def test_errors_carry_the_api_message_and_exit_codes(run, vr, project):
    code, out, _ = run("export", "--project", project.id, "--name", "Not A Name!", "--json")
    assert code == 1 and out["error"]["type"] == "ValidationError" and out["error"]["status"] == 400
    assert "name" in out["error"]["errors"] and "name" in out["error"]["message"]
    code, out, _ = run("jobs", "999999", "--json")
    assert code == 4 and out["error"]["status"] == 404
    code, out, _ = run("download", "999999", "--json")
    assert code == 4
    code, out, _ = run("refit", "--project", "no such project", "--json")
    assert code == 4 and "No project 'no such project'" in out["error"]["message"]
    code, _, err = run("export")  # argparse: --project is required
    assert code == 2 and "--project" in err
    with pytest.raises(NotFound):
        vr.job(999999)

    outsider = make_user("olga")
    with Client(vr.url, tokens.issue(outsider, "t").key) as theirs:
        with pytest.raises(NotFound):  # not a member: the project is not theirs to see
            theirs.project(project.id)
        project.memberships.create(user=outsider, role="annotator")
        with pytest.raises(PermissionDenied) as denied:  # a member, but imports are the managers'
            theirs.import_files(project.id, [SAMPLES / "test1.jpg"])
        assert denied.value.status == 403 and denied.value.message


def test_projects_list_as_json_and_a_table(run, project):
    code, out, _ = run("projects", "--json")
    assert code == 0 and [(p["id"], p["name"], p["slug"]) for p in out] == [(project.id, project.name, None)]
    code, out, _ = run("projects")
    assert code == 0 and "Client image project" in out and os.linesep in out


def test_waiting_shows_a_progress_bar_reading_the_jobs_progress(run, project, manager, monkeypatch):
    """A job another process is running: `vr jobs ID --wait` follows its progress and message."""
    import threading
    import time

    from django.db import connection

    from worker.models import Job

    job = Job.objects.create(
        kind="export", state="running", progress=0.4, message="writing shards", project=project, created_by=manager
    )

    def work():
        try:
            time.sleep(1.0)
            Job.objects.filter(pk=job.pk).update(progress=0.8, message="writing the card")
            time.sleep(1.0)
            Job.objects.filter(pk=job.pk).update(state="succeeded", progress=1.0, message="done")
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: stderr is a terminal here
    monkeypatch.setenv("COLUMNS", "120")
    code, out, err = run("jobs", job.pk, "--wait", "--poll", "0.2")
    worker.join()
    assert code == 0 and f"Job #{job.pk} (export): succeeded 100% done" in out
    assert "export #" in err and "40%" in err and "writing shards" in err and "100%" in err


def test_a_hugging_face_dataset_imports_with_the_servers_suggested_mapping(run, project, settings, tmp_path, eager):
    from tests.worker.hf_datasets import image_dataset, parquet_folder

    root = tmp_path / "imports"
    settings.VR_IMPORT_ROOTS = [root]
    parquet_folder(image_dataset(4, broken={2}), root / "generations")
    code, job, err = run("import", "--hf", "generations", "--project", project.id, "--wait", "--json")
    assert code == 0, err
    assert job["kind"] == "dataset_import" and job["state"] == "succeeded"
    ready = Asset.objects.filter(project=project, status=Asset.Status.READY).order_by("import_entry")
    assert [a.prompt for a in ready] == ["prompt 0", "prompt 1", "prompt 3"]  # row 2 is broken

    code, out, _ = run("import", "--hf", "generations", "--project", project.id, "--mapping", "{nope", "--json")
    assert code == 2 and "not JSON" in out["error"]["message"]
    code, out, _ = run(
        "import", "--hf", "generations", "--project", project.id, "--mapping", '{"media": "nope"}', "--json"
    )
    assert code == 1 and out["error"]["status"] == 400 and "no column `nope`" in out["error"]["message"]
