"""A manager imports from where the data lives, in a real browser: a Label Studio export whose
tasks point to URLs (served by a real local server, allowed through VR_FETCH_ALLOWED_NETWORKS)
and to an uploaded file (matched in a zip of the upload folder), previewed, mapped, imported and
followed to its failures; then a manifest of URLs alone."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from annotator.models import Asset, Membership, Project
from tests.e2e.fixtures import SAMPLES, login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin
from tests.worker.http_server import MediaServer

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_imports_a_label_studio_export_and_a_url_manifest(page, eager_jobs, settings, tmp_path):
    settings.VR_FETCH_ALLOWED_NETWORKS = "127.0.0.1/32"
    p = Project.objects.create(name="LS import", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=make_user("mona"), role="manager")
    image = (SAMPLES / "test1.jpg").read_bytes()
    with MediaServer({"fox.jpg": image, "owl.jpg": (SAMPLES / "test2.jpg").read_bytes()}) as server:
        export = tmp_path / "project-3-at-2025.json"
        export.write_text(
            json.dumps(
                [
                    {"id": 31, "data": {"image": server.url("/files/fox.jpg"), "caption": "a fox in the snow"}},
                    {"id": 32, "data": {"image": "/data/upload/3/9a1b-heron.jpg", "caption": "a heron"}},
                    {"id": 33, "data": {"image": server.url("/files/gone.jpg"), "caption": "missing"}},
                ]
            )
        )
        media = tmp_path / "upload.zip"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("upload/3/9a1b-heron.jpg", (SAMPLES / "test2.jpg").read_bytes())
        media.write_bytes(buf.getvalue())

        login(page, "mona")
        page.goto(f"/projects/{p.pk}/import/label-studio")
        expect(page.get_by_role("heading", name="Import from where the data lives: LS import")).to_be_visible()
        page.get_by_label("Export file (.json or .jsonl)").set_input_files(str(export))
        page.get_by_label("Media files (.zip, optional)").set_input_files(str(media))
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("heading", name="Preview")).to_be_focused()
        expect(page.get_by_text("3 task(s) in JSON: 3 to import (2 to download).")).to_be_visible()
        expect(page.get_by_label("Media key", exact=False)).to_have_value("image")
        expect(page.get_by_label("Prompt key")).to_have_value("caption")
        preview = page.get_by_role("table", name="The first tasks as they will be imported")
        expect(preview.get_by_text("→ upload/3/9a1b-heron.jpg")).to_be_visible()
        expect(preview.get_by_text("a fox in the snow")).to_be_visible()
        screenshot(page, "imports-label-studio-preview")
        check_accessibility(page, "the Label Studio import preview")

        page.get_by_role("button", name="Import 3 task(s)").click()
        expect(page.get_by_text("Finished: 2 imported, 1 failed.")).to_be_visible(timeout=60_000)
        failures = page.get_by_role("table", name="Entries that failed (1), with the reason")
        expect(failures.get_by_text("the server answered 404 Not Found")).to_be_visible()
        screenshot(page, "imports-label-studio-finished")
        check_accessibility(page, "the Label Studio import's job")

        ready = {a.prompt: a for a in Asset.objects.filter(project=p, status=Asset.Status.READY)}
        assert set(ready) == {"a fox in the snow", "a heron"}
        assert ready["a fox in the snow"].metadata == {"label_studio_task_id": 31}

        manifest = tmp_path / "urls.jsonl"
        manifest.write_text(json.dumps({"file": server.url("/files/owl.jpg"), "prompt": "an owl at night"}) + "\n")
        page.get_by_label("Manifest (.jsonl or .csv)").set_input_files(str(manifest))
        page.get_by_role("button", name="Import the URLs").click()
        expect(page.get_by_text("Finished: 1 imported, 0 failed.")).to_be_visible(timeout=60_000)
        screenshot(page, "imports-url-manifest")
    assert Asset.objects.get(project=p, prompt="an owl at night").status == Asset.Status.READY
